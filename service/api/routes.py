"""Submit a certificate image, read a check, list checks, and the OpenAPI document describing them."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import yaml
from flask import abort, g, request, url_for
from sqlalchemy import func, select

from service import audit
from service.api import bp
from service.api.districts import unit_field
from service.api.errors import ApiError, error_response
from service.auth import token_required, visible_checks
from service.db import db_session
from service.jobs import enqueue_check
from service.masking import masked
from service.models import AuditAction, Check, Permission
from service.pipeline import fail_check, queue_check, run_check, upload_source

MAX_PAGE = 100


@bp.post("/checks")
@token_required(Permission.check)
def create_check():
    """Screen the image in the multipart field `image`, checked at the using unit `unit`: 201 with the
    verdict, or 202 when `async=1`."""
    upload = request.files.get("image")
    if upload is None:
        raise ApiError(400, "missing_field", "Send the image in the multipart form field 'image'.")
    unit_id = unit_field()
    data = upload.read()
    source, original_name = upload_source(upload.filename), upload.filename or None
    if request.args.get("async") in {"1", "true"}:
        check = queue_check(data, source=source, original_name=original_name, user=g.api_user, unit_id=unit_id)
        try:
            enqueue_check(check.id)
        except Exception:  # whatever the broker raised: the client must not wait for a job never queued
            fail_check(check, "queue_unavailable", "The job queue could not be reached.")
            return error_response(503, "queue_unavailable", "The job queue could not be reached; try again later.")
        return {"id": check.id, "state": check.state}, 202, {"Location": check_url(check)}
    check = run_check(data, source=source, original_name=original_name, user=g.api_user, unit_id=unit_id)
    audit.record(AuditAction.view, object_type="check", object_id=check.id)
    return masked(check.to_status()), 201, {"Location": check_url(check)}


@bp.get("/checks/<int:check_id>")
@token_required(Permission.check)
def get_check(check_id: int):
    """One check the caller may see; others are 404, exactly like checks that do not exist.

    Numbers are masked; `reveal=1` with a `purpose` shows them whole to a role that may reveal them.
    """
    check = db_session().scalars(visible_checks(g.api_user).where(Check.id == check_id)).one_or_none()
    if check is None:
        abort(404, "There is no such check, or you may not see it.")
    reveal = request.args.get("reveal") in {"1", "true"}
    audit.record_access("check", check.id, reveal=reveal, purpose=request.args.get("purpose"))
    return check.to_status() if reveal else masked(check.to_status())


@bp.get("/checks")
@token_required(Permission.check)
def list_checks():
    """The checks the caller may see, newest first, `limit` at a time from `offset`."""
    limit = int_parameter("limit", default=20, low=1, high=MAX_PAGE)
    offset = int_parameter("offset", default=0, low=0)
    query = visible_checks(g.api_user)
    session = db_session()
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    checks = session.scalars(query.order_by(Check.id.desc()).limit(limit).offset(offset)).all()
    audit.record(AuditAction.view, object_type="checks", detail={"checks": [check.id for check in checks]})
    return {"items": [masked(check.to_status()) for check in checks], "total": total, "limit": limit,
            "offset": offset}


@bp.get("/openapi.json")
def openapi():
    return openapi_document()


@cache
def openapi_document() -> dict[str, Any]:
    return yaml.safe_load((Path(__file__).parent / "openapi.yaml").read_text(encoding="utf-8"))


def int_parameter(name: str, *, default: int, low: int, high: int | None = None) -> int:
    raw = request.args.get(name)
    if raw is None:
        return default
    bounds = f"from {low} to {high}" if high is not None else f"{low} or more"
    try:
        value: int | None = int(raw)
    except ValueError:
        value = None
    if value is None or value < low or (high is not None and value > high):
        raise ApiError(400, "invalid_parameter", f"'{name}' must be a whole number {bounds}.")
    return value


def check_url(check: Check) -> str:
    return url_for("api.get_check", check_id=check.id)
