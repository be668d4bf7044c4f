"""Web pages: log in, photograph a certificate, read the verdict, browse past checks, run batches of scans."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from service.web import batches, districts, ledgers, reports, routes  # noqa: E402,F401  (registers the views on bp)
