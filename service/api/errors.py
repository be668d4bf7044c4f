"""Every API error is `{"error": {"code", "message"}}` with a 4xx/5xx status; codes are stable."""

from __future__ import annotations

from flask import Response, jsonify, request
from werkzeug.exceptions import HTTPException

from ocr.load import ImageRejected
from service.api import bp
from service.review import ReviewRefused

REJECTION_STATUS = {"empty": 422, "corrupt": 422, "too_many_pixels": 422, "unsupported_type": 415, "too_large": 413}
HTTP_ERROR_CODES = {413: "too_large"}  # otherwise the snake-cased HTTP reason, e.g. "not_found"


class ApiError(Exception):
    """A client error the API reports as is, e.g. a missing form field."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_response(status: int, code: str, message: str) -> tuple[Response, int]:
    return jsonify(error={"code": code, "message": message}), status


@bp.errorhandler(ApiError)
def api_error(error: ApiError):
    return error_response(error.status, error.code, error.message)


@bp.errorhandler(ImageRejected)
def image_rejected(rejected: ImageRejected):
    return error_response(REJECTION_STATUS.get(rejected.code, 422), rejected.code, rejected.message)


@bp.app_errorhandler(HTTPException)
def http_error(error: HTTPException):
    """JSON for anything under /api/, routing errors included; other paths get Flask's default."""
    if not request.path.startswith(bp.url_prefix + "/"):
        return error
    code = HTTP_ERROR_CODES.get(error.code) or error.name.lower().replace(" ", "_")
    response, status = error_response(error.code, code, error.description)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response, status


@bp.errorhandler(ReviewRefused)
def review_refused(refused: ReviewRefused):
    return error_response(refused.status, refused.code, refused.message)
