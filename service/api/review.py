"""The review queue, claims, assignments and decisions over the API, and the audit trail for those who may
audit it.

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
from service.masking import mask_numbers, masked
from service.models import AuditAction, AuditEvent, Check, Permission, Review, ReviewState, User
from service.pipeline import get_kinds
from service.review import (
    QueueItem,
    ReviewRefused,
    claim,
    decide,
    group_of,
    holders,
    least_advanced,
    queue,
    queue_filters,
    release,
    review_of,
)

CLAIM_KEYS = frozenset({"assignee"})


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
    check = check_or_404(check_id)
    decision = decide(db_session(), check, g.api_user, body)
    return {"check": check.id, "state": review_of(db_session(), check).state,
            "decision": masked(decision.to_dict())}, 201


@bp.post("/checks/<int:check_id>/claim")
@token_required(Permission.review)
def claim_item(check_id: int):
    """Take the item (a duplicate group whole), or, with `assignee` (JSON), hand it to a reviewer; the
    claim or assignment is committed with its audit row."""
    body = claim_body()
    check = check_or_404(check_id)
    assignee = None
    if "assignee" in body:
        if not g.api_user.can(Permission.assign):  # before the name is looked up: no probing for usernames
            raise ReviewRefused(403, "forbidden", f"The role {g.api_user.role!r} may not assign items.")
        assignee = db_session().scalars(select(User).where(User.username == body["assignee"])).one_or_none()
        if assignee is None:
            raise ApiError(400, "invalid_assignee", "There is no such user.")
    claim(db_session(), check, g.api_user, assignee)
    return claim_receipt(check)


@bp.post("/checks/<int:check_id>/release")
@token_required(Permission.review)
def release_item(check_id: int):
    """Put the item back in the open queue: by whoever has it, or by a user who may assign; the release
    is committed with its audit row."""
    check = check_or_404(check_id)
    release(db_session(), check, g.api_user)
    return claim_receipt(check)


def claim_body() -> dict[str, Any]:
    """The claim's JSON object ({} when no body is sent), or ApiError(400) saying what is wrong with it."""
    if not request.get_data(cache=True).strip():
        return {}
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise ApiError(400, "invalid_body", "Send no body, or a JSON object such as {\"assignee\": \"li\"} "
                                            "(Content-Type: application/json).")
    unknown = sorted(set(body) - CLAIM_KEYS)
    if unknown:
        named = mask_numbers(", ".join(repr(key[:40]) for key in unknown[:5]))  # echoed, so masked and short
        raise ApiError(400, "invalid_body", f"Unknown keys: {named}; only 'assignee' may be sent.")
    if "assignee" in body and not (isinstance(body["assignee"], str) and body["assignee"].strip()):
        raise ApiError(400, "invalid_body", "'assignee' must be a reviewer's username.")
    return body


def check_or_404(check_id: int) -> Check:
    check = db_session().get(Check, check_id)
    if check is None:
        abort(404, "There is no such check.")
    return check


def claim_receipt(check: Check) -> dict[str, Any]:
    """The item after a claim or release: its state (the least advanced of its checks', as in the queue)
    and who holds its undecided checks. States are read afresh: the claim updated the rows in bulk."""
    session = db_session()
    ids = [member.id for member in group_of(session, check)]
    stored = dict(session.execute(select(Review.check_id, Review.state).where(Review.check_id.in_(ids))).all())
    state = least_advanced(ReviewState(stored.get(member_id, ReviewState.open)) for member_id in ids)
    return {"check": check.id, "state": state.value, "assignees": holders(session, check)}


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
