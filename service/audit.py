"""The audit trail: every login, view, reveal, decision and export leaves one row (PIPL Art. 51, 54).

`record` is the only writer. It commits the audit row together with whatever the action staged in
the same session, so the two are kept or lost together: an act that cannot be audited does not
happen, and the caller's request fails instead of answering.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, select
from werkzeug.exceptions import BadRequest, Forbidden

from service.db import db_session
from service.masking import masked
from service.models import AuditAction, AuditEvent, Permission, User

MAX_PURPOSE = 500


def record(action: AuditAction, *, object_type: str | None = None, object_id: int | str | None = None,
           purpose: str | None = None, detail: dict[str, Any] | None = None,
           actor: User | None = None) -> AuditEvent:
    """Add the audit row for `action` and commit it with the session's pending changes.

    The actor defaults to whoever the request is authenticated as (API token or page login).
    On any failure the session is rolled back and the exception raised.
    """
    actor = actor or acting_user()
    event = AuditEvent(actor_id=actor.id if actor else None, actor=actor.username if actor else None,
                       action=action, object_type=object_type,
                       object_id=str(object_id) if object_id is not None else None,
                       ip=request.remote_addr if has_request_context() else None, purpose=purpose, detail=detail)
    session = db_session()
    session.add(event)
    try:
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return event


def record_access(object_type: str, object_id: int | str, *, reveal: bool, purpose: str | None = None,
                  detail: dict[str, Any] | None = None, action: AuditAction = AuditAction.view) -> None:
    """Record that the acting user sees an object's personal data (`action`: a view, or an export such
    as a printed sheet), or, with `reveal`, sees its ID and certificate numbers whole for the purpose given.

    A reveal is refused (Forbidden) to a role without the reveal permission, and (BadRequest) without
    a purpose; nothing is recorded then.
    """
    if not reveal:
        record(action, object_type=object_type, object_id=object_id, detail=detail)
        return
    user = acting_user()
    if user is None or not user.can(Permission.reveal):
        raise Forbidden("Your role may not reveal ID and certificate numbers.")
    purpose = (purpose or "").strip()[:MAX_PURPOSE]
    if not purpose:
        raise BadRequest("Say why the numbers must be shown whole (the purpose).")
    record(AuditAction.reveal, object_type=object_type, object_id=object_id, purpose=purpose, detail=detail)


def acting_user() -> User | None:
    """The API caller, else the logged-in user of the pages, else nobody."""
    if "api_user" in g:
        return g.api_user
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None


@dataclass(frozen=True)
class AuditFilters:
    action: str | None = None
    actor: str | None = None
    object_type: str | None = None
    object_id: str | None = None


def audit_filters(args: Mapping[str, str]) -> AuditFilters:
    """The filters in a query string; empty values mean any. ValueError names an unknown action."""
    action = args.get("action") or None
    if action is not None and action not in AuditAction.__members__:
        raise ValueError(f"'action' must be one of {', '.join(AuditAction)}.")
    return AuditFilters(action, args.get("actor") or None, args.get("object_type") or None,
                        args.get("object_id") or None)


def audit_query(filters: AuditFilters) -> Select[tuple[AuditEvent]]:
    """The audit rows the filters select, newest first."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    for column, value in ((AuditEvent.action, filters.action), (AuditEvent.actor, filters.actor),
                          (AuditEvent.object_type, filters.object_type), (AuditEvent.object_id, filters.object_id)):
        if value is not None:
            query = query.where(column == value)
    return query


def shown(event: AuditEvent) -> dict[str, Any]:
    """An audit row as pages, the API and exports show it: any number typed into a purpose masked."""
    return masked(event.to_dict())
