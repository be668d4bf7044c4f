"""The reviewers' pages: the queue, an item with its evidence side by side, claims, decisions, and the
printable referral sheet for the issuing authority."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from service import audit
from service.auth import permission_required, roles_with
from service.db import db_session
from service.districts import all_districts
from service.masking import masked
from service.models import AuditAction, BatchItem, Check, Permission, User
from service.pipeline import get_kinds
from service.registry import SqlRegister
from service.review import (
    ANSWER_OUTCOMES,
    COUNTERFEIT_CATEGORIES,
    STATE_FILTERS,
    ReviewRefused,
    claim,
    decide,
    decisions_of,
    group_of,
    is_flagged,
    issuing_authority,
    query_addresses,
    queue,
    queue_filters,
    release,
    review_of,
)
from service.web import bp
from service.web.display import field_rows, register_rows
from service.web.routes import audited_view, local_path
from verification.facts import RegisterRecord
from verification.findings import CATALOGUE

QUEUE_PAGE = 50


@bp.get("/review")
@permission_required(Permission.review)
def review_queue():
    """Flagged checks and duplicate groups, the most severe and longest waiting first, with filters."""
    try:
        filters = queue_filters(request.args, get_kinds())
    except ReviewRefused as refused:
        abort(400, refused.message)
    page = max(request.args.get("page", 1, type=int), 1)
    items, counts = queue(db_session(), filters)
    shown = items[(page - 1) * QUEUE_PAGE:page * QUEUE_PAGE]
    ids = [check_id for item in shown for check_id in item.check_ids]
    checks = {check.id: check for check in db_session().scalars(select(Check).where(Check.id.in_(ids)))}
    rows = [(item, [checks[check_id] for check_id in item.check_ids]) for item in shown]
    audit.record(AuditAction.view, object_type="queue", detail={"checks": ids})
    chosen = {name: value for name, value in asdict(filters).items() if name != "state" and value is not None}
    return render_template("web/queue.html", rows=rows, counts=counts, filters=filters, chosen=chosen, page=page,
                           has_more=len(items) > page * QUEUE_PAGE, states=STATE_FILTERS, kinds=get_kinds(),
                           codes=sorted(CATALOGUE), districts=all_districts(db_session()))


@bp.route("/review/checks/<int:check_id>", methods=["GET", "POST"])
@permission_required(Permission.review)
def review_item(check_id: int):
    """One item: the image with each finding's region, the fields beside the register's record, every
    card of a duplicate group side by side, the decisions so far and the forms to decide; a POST
    reveals the numbers."""
    check = flagged_or_404(check_id)
    session = db_session()
    group = group_of(session, check)
    revealed = audited_view(check, **({"checks": [member.id for member in group]} if len(group) > 1 else {}))
    show = (lambda data: data) if revealed else masked
    result = show(check.result)
    record = SqlRegister(session).find(check.scheme, check.number) if check.scheme and check.number else None
    origin = session.scalars(select(BatchItem).where(BatchItem.check_id == check.id)).first()
    reviewers = session.scalars(select(User).where(User.role.in_(roles_with(Permission.review)))
                                .order_by(User.username)).all()
    return render_template(
        "web/review_item.html", check=check, result=result, fields=field_rows(result),
        register={row.name: row for row in register_rows(result, show(record_values(record)))} if record else None,
        register_status=record.status if record else None,
        group=[(member, show(member.result)) for member in group], review=review_of(session, check),
        decisions=decisions_of(session, check), origin=origin, revealed=revealed, reviewers=reviewers,
        categories=COUNTERFEIT_CATEGORIES, outcomes=ANSWER_OUTCOMES, authority=issuing_authority(check))


@bp.post("/review/checks/<int:check_id>/claim")
@permission_required(Permission.review)
def claim_item(check_id: int):
    """Take the item (and its whole duplicate group), or, with `assignee`, hand it to a reviewer."""
    check = flagged_or_404(check_id)
    name = request.form.get("assignee")
    assignee = db_session().scalars(select(User).where(User.username == name)).one_or_none() if name else None
    if name and assignee is None:
        abort(400, "There is no such user.")
    try:
        claim(db_session(), check, current_user, assignee)
    except ReviewRefused as refused:
        flash(refused.message, "error")
    return redirect(local_path(request.form.get("next")) or url_for("web.review_item", check_id=check.id))


@bp.post("/review/checks/<int:check_id>/release")
@permission_required(Permission.review)
def release_item(check_id: int):
    """Put the item back in the open queue."""
    check = flagged_or_404(check_id)
    try:
        release(db_session(), check, current_user)
    except ReviewRefused as refused:
        flash(refused.message, "error")
    return redirect(url_for("web.review_item", check_id=check.id))


@bp.post("/review/checks/<int:check_id>/decisions")
@permission_required(Permission.review)
def decide_item(check_id: int):
    """Record a decision from one of the item page's forms, then show the item again."""
    check = flagged_or_404(check_id)
    try:
        decision = decide(db_session(), check, current_user, request.form)
    except ReviewRefused as refused:
        flash(refused.message, "error")
    else:
        flash(f"Recorded: {decision.decision.replace('_', ' ')}.", "notice")
    return redirect(url_for("web.review_item", check_id=check.id))


@bp.route("/review/checks/<int:check_id>/referral", methods=["GET", "POST"])
@permission_required(Permission.review)
def referral_sheet(check_id: int):
    """The printable sheet that refers the card to its issuing authority: whom to ask, where it can be
    queried, what was read and what was found. Printing it is an export; a POST reveals the numbers."""
    check = flagged_or_404(check_id)
    reveal = request.method == "POST"
    audit.record_access("check", check.id, reveal=reveal, purpose=request.form.get("purpose"),
                        detail={"document": "referral sheet"}, action=AuditAction.export)
    result = check.result if reveal else masked(check.result)
    kind = get_kinds().get(check.scheme) if check.scheme else None
    referred = [d for d in decisions_of(db_session(), check) if d.decision == "refer"]
    authority = referred[-1].authority if referred else issuing_authority(check)
    return render_template("web/referral.html", check=check, result=result, fields=field_rows(result), kind=kind,
                           authority=authority or (kind.data.get("agency") if kind else None),
                           addresses=query_addresses(kind, check.number) if kind else [], revealed=reveal)


def flagged_or_404(check_id: int) -> Check:
    """A suspect or rejected check; anything else is no queue item, and looks like no check at all."""
    check = db_session().get(Check, check_id)
    if check is None or not is_flagged(check):
        abort(404)
    return check


def record_values(record: RegisterRecord) -> dict[str, Any]:
    """A register row as text, as the contract holds dates."""
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in asdict(record).items()}
