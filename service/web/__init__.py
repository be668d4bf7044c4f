"""Web pages for people on site: log in, photograph a certificate, read the verdict, browse past checks."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from service.web import routes  # noqa: E402,F401  (registers the views on bp)
