"""Batch uploads get their own, larger body cap.

The cap must be set before anything reads the body, and Flask-WTF's CSRF check reads the form in a
`before_request` function of its own, before the view runs. So the cap is set from the endpoint in
an earlier `before_request` function: `init_app` must run before `CSRFProtect.init_app`.
"""

from __future__ import annotations

from flask import Flask, current_app, request

ARCHIVE_ENDPOINTS = frozenset({"api.create_batch", "web.create_batch"})


def init_app(app: Flask) -> None:
    app.before_request(allow_archive_uploads)


def allow_archive_uploads() -> None:
    """`CERTGUARD_MAX_ARCHIVE_BYTES` on the batch upload endpoints; elsewhere `MAX_CONTENT_LENGTH` holds."""
    if request.endpoint in ARCHIVE_ENDPOINTS:
        request.max_content_length = current_app.config["CERTGUARD_MAX_ARCHIVE_BYTES"]


def archive_cap_text() -> str:
    """The batch upload cap as people read it, e.g. "500 MiB"."""
    return f"{current_app.config['CERTGUARD_MAX_ARCHIVE_BYTES'] / 2**20:g} MiB"
