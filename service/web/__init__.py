"""Web pages: log in, photograph a certificate, read the verdict, browse past checks, run batches of scans,
review flagged checks, read the audit trail."""

from flask import Blueprint

bp = Blueprint("web", __name__)

from service.web import audit_log, batches, districts, ledgers, reports, review, routes  # noqa: E402,F401  (registers the views on bp)
