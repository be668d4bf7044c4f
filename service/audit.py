"""The audit trail: every login, view, reveal, decision and export leaves one row (PIPL Art. 51, 54).

`record` is the only writer. It commits the audit row together with whatever the action staged in
the same session, so the two are kept or lost together: an act that cannot be audited does not
happen, and the caller's request fails instead of answering.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user
from werkzeug.exceptions import BadRequest, Forbidden

from service.db import db_session
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


def record_view(object_type: str, object_id: int | str, *, reveal: bool, purpose: str | None = None,
                detail: dict[str, Any] | None = None) -> None:
    """Record that the acting user views an object's personal data, or, with `reveal`, that its ID and
    certificate numbers are shown whole, for the purpose they gave.

    A reveal is refused (Forbidden) to a role without the reveal permission, and (BadRequest) without
    a purpose; nothing is recorded then.
    """
    if not reveal:
        record(AuditAction.view, object_type=object_type, object_id=object_id, detail=detail)
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
