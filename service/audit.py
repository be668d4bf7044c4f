"""The audit trail: every login, view, reveal, decision and export leaves one row (PIPL Art. 51, 54).

`record` is the only writer. It commits the audit row together with whatever the action staged in
the same session, so the two are kept or lost together: an act that cannot be audited does not
happen, and the caller's request fails instead of answering.
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_login import current_user

from service.db import db_session
from service.models import AuditAction, AuditEvent, User


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


def acting_user() -> User | None:
    """The API caller, else the logged-in user of the pages, else nobody."""
    if "api_user" in g:
        return g.api_user
    if has_request_context() and current_user.is_authenticated:
        return current_user._get_current_object()
    return None
