"""The JSON API at /api/v1: bearer tokens, no cookies, no CSRF tokens, errors always JSON."""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1")

from service.api import batches, districts, errors, reports, review, routes  # noqa: E402,F401  (registers handlers and views on bp)
