"""The review queue and decisions over the API, and the audit trail for those who may audit it.

The audit trail is read-only here as everywhere: its routes answer GET alone, so PUT, PATCH and
DELETE are 405. ID and certificate numbers are masked in every answer.
"""

from __future__ import annotations

from typing import Any

from flask import abort, g, request
from sqlalchemy import func, select

from service import audit
from service.api import bp
from service.api.errors import ApiError
from service.api.routes import MAX_PAGE, int_parameter
from service.audit import audit_filters, audit_query, shown
from service.auth import token_required
from service.db import db_session
from service.masking import masked
from service.models import AuditAction, AuditEvent, Check, Permission
from service.pipeline import get_kinds
from service.review import QueueItem, decide, queue, queue_filters, review_of


@bp.get("/queue")
@token_required(Permission.review)
def get_queue():
    """Queue items, rejects first then the longest waiting, filtered by `kind`, `code`, `batch` and
    `state`; `counts` tells how many items each state holds under the other filters."""
    filters = queue_filters(request.args, get_kinds())
    limit = int_parameter("limit", default=20, low=1, high=MAX_PAGE)
    offset = int_parameter("offset", default=0, low=0)
    items, counts = queue(db_session(), filters)
    page = items[offset:offset + limit]
    ids = [check_id for item in page for check_id in item.check_ids]
    checks = {check.id: check for check in db_session().scalars(select(Check).where(Check.id.in_(ids)))}
    audit.record(AuditAction.view, object_type="queue", detail={"checks": ids})
    return {"items": [queue_entry(item, checks) for item in page], "counts": counts, "total": len(items),
            "limit": limit, "offset": offset}


def queue_entry(item: QueueItem, checks: dict[int, Check]) -> dict[str, Any]:
    cards = [checks[check_id] for check_id in item.check_ids]
    codes = sorted({finding["code"] for card in cards for finding in card.result["findings"]})
    return masked({
        "checks": item.check_ids, "duplicate_group": item.is_group, "verdict": item.verdict, "scheme": item.scheme,
        "waiting_since": item.created_at.isoformat(), "state": item.state, "assignees": item.assignees,
        "codes": codes,
        "cards": [{"id": card.id, "name": card.result["fields"].get("name"), "number": card.number,
                   "verdict": card.verdict} for card in cards],
    })


@bp.post("/checks/<int:check_id>/decisions")
@token_required(Permission.review)
def create_decision(check_id: int):
    """Record a decision (JSON: `decision` and what it needs); the check is claimed for the caller if free."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "Send a JSON object such as {\"decision\": \"genuine\"}.")
    check = db_session().get(Check, check_id)
    if check is None:
        abort(404, "There is no such check.")
    decision = decide(db_session(), check, g.api_user, body)
    return {"check": check.id, "state": review_of(db_session(), check).state,
            "decision": masked(decision.to_dict())}, 201


@bp.get("/audit")
@token_required(Permission.audit)
def list_audit():
    """Audit rows, newest first, filtered by `action`, `actor`, `object_type` and `object_id`."""
    try:
        filters = audit_filters(request.args)
    except ValueError as exc:
        raise ApiError(400, "invalid_parameter", str(exc)) from None
    limit = int_parameter("limit", default=20, low=1, high=MAX_PAGE)
    offset = int_parameter("offset", default=0, low=0)
    query = audit_query(filters)
    total = db_session().scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = db_session().scalars(query.limit(limit).offset(offset)).all()
    audit.record(AuditAction.view, object_type="audit", detail={"events": [row.id for row in rows]})
    return {"items": [shown(row) for row in rows], "total": total, "limit": limit, "offset": offset}


@bp.get("/audit/<int:event_id>")
@token_required(Permission.audit)
def get_audit_event(event_id: int):
    event = db_session().get(AuditEvent, event_id)
    if event is None:
        abort(404, "There is no such audit row.")
    audit.record(AuditAction.view, object_type="audit", object_id=event.id)
    return shown(event)
