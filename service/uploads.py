"""The request class: batch uploads get their own, larger body cap.

The cap must be known before anything reads the body, and Flask-WTF's CSRF check reads the form
before the view runs, so it is decided from the endpoint here rather than in the view.
"""

from __future__ import annotations

import flask
from flask import current_app

ARCHIVE_ENDPOINTS = frozenset({"api.create_batch", "web.create_batch"})


class Request(flask.Request):
    @property
    def max_content_length(self) -> int | None:
        """`CERTGUARD_MAX_ARCHIVE_BYTES` on the batch upload endpoints, else Flask's (`MAX_CONTENT_LENGTH`)."""
        if self._max_content_length is None and self.endpoint in ARCHIVE_ENDPOINTS:
            return current_app.config["CERTGUARD_MAX_ARCHIVE_BYTES"]
        return flask.Request.max_content_length.fget(self)

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


def archive_cap_text() -> str:
    """The batch upload cap as people read it, e.g. "500 MiB"."""
    return f"{current_app.config['CERTGUARD_MAX_ARCHIVE_BYTES'] / 2**20:g} MiB"
