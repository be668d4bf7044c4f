"""The reviewers' work: the queue of flagged checks and duplicate groups, claims, decisions, referrals.

A queue item is a suspect or rejected check, or, for a number seen with different holders, every
check of that number together (its duplicate group), so one reviewer judges which card is lent or
forged. Claims, assignments and decisions go through here for the pages and the API alike, and each
is committed together with its audit row (`service.audit.record`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import Select, and_, case, exists, func, or_, select, true, tuple_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import audit
from service.models import (
    AuditAction,
    BatchItem,
    Check,
    CheckState,
    Decision,
    FindingCode,
    Permission,
    Review,
    ReviewState,
    Unit,
    User,
    utcnow,
)
from service.registry import add_record
from verification.facts import RegisterRecord
from verification.findings import CATALOGUE
from verification.kinds import Kind

FLAGGED_VERDICTS = ("reject", "suspect")  # in order of severity
DUPLICATE = "DUPLICATE_NUMBER"
DECISIONS = ("genuine", "counterfeit", "refer", "authority_answer")
ANSWER_OUTCOMES = ("genuine", "counterfeit")
# The campaign plans' categories of a counterfeit (伪造、变造、涂改、转借、转让、冒用; expired; none held).
COUNTERFEIT_CATEGORIES = {
    "forged": "伪造",
    "altered": "变造·涂改",
    "lent": "转借·转让",
    "impersonated": "冒用",
    "expired": "过期",
    "unlicensed": "无证",
}
STATE_FILTERS = ("undecided", *ReviewState, "all")
MAX_TEXT = 500


class ReviewRefused(Exception):
    """A review action that cannot be done as asked. The code is stable; the message names no personal data."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def least_advanced(states: Iterable[ReviewState]) -> ReviewState:
    """Of an item's cards' review states, the one furthest from decided."""
    return min(states, key=list(ReviewState).index)


@dataclass(frozen=True)
class QueueFilters:
    kind: str | None = None
    code: str | None = None
    batch: int | None = None
    district: int | None = None
    state: str = "undecided"  # a ReviewState, "undecided" (all but decided) or "all"


@dataclass(frozen=True)
class QueueMember:
    check_id: int
    created_at: datetime
    verdict: str
    scheme: str | None
    number: str | None
    state: ReviewState
    assignee: str | None
    duplicate: bool


@dataclass(frozen=True)
class QueueItem:
    """One thing to review: a flagged check, or the checks of one duplicated number (oldest first)."""

    members: tuple[QueueMember, ...]

    @property
    def check_ids(self) -> list[int]:
        return [member.check_id for member in self.members]

    @property
    def is_group(self) -> bool:
        return self.members[0].duplicate

    @property
    def verdict(self) -> str:
        return min((member.verdict for member in self.members), key=FLAGGED_VERDICTS.index)

    @property
    def created_at(self) -> datetime:
        return self.members[0].created_at

    @property
    def scheme(self) -> str | None:
        return self.members[0].scheme

    @property
    def state(self) -> ReviewState:
        """The least advanced of its members' states: the item is done when every card is."""
        return least_advanced(member.state for member in self.members)

    @property
    def assignees(self) -> list[str]:
        return sorted({m.assignee for m in self.members if m.assignee and m.state != ReviewState.decided})

    def sort_key(self) -> tuple:
        """Severity first (rejects before suspects), then age (the longest waiting first)."""
        return FLAGGED_VERDICTS.index(self.verdict), self.created_at, self.members[0].check_id


def queue_filters(args: Mapping[str, str], kinds: Iterable[str]) -> QueueFilters:
    """The filters in a query string (`kind`, `code`, `batch`, `district`, `state`); empty values mean
    any. ReviewRefused(400) names a value that cannot be one."""
    kind, code, state = args.get("kind") or None, args.get("code") or None, args.get("state") or "undecided"
    if kind is not None and kind not in kinds:
        raise ReviewRefused(400, "invalid_parameter", "'kind' must be a certificate kind's id.")
    if code is not None and code not in CATALOGUE:
        raise ReviewRefused(400, "invalid_parameter", "'code' must be a finding code.")
    if state not in STATE_FILTERS:
        raise ReviewRefused(400, "invalid_parameter", f"'state' must be one of {', '.join(STATE_FILTERS)}.")
    return QueueFilters(kind, code, _id_filter(args, "batch"), _id_filter(args, "district"), state)


def _id_filter(args: Mapping[str, str], name: str) -> int | None:
    """The row id a filter names, or None when it is empty; ReviewRefused(400) when it is no id."""
    value = args.get(name) or None
    if value is not None and not (value.isascii() and value.isdigit()):
        raise ReviewRefused(400, "invalid_parameter", f"'{name}' must be a {name}'s id.")
    return int(value) if value else None


def queue(session: Session, filters: QueueFilters) -> tuple[list[QueueItem], dict[str, int]]:
    """The queue items the filters select, sorted, and how many items are in each state.

    Kind, finding code, batch and district (the check's using unit's) select checks; a selected check
    in a duplicate group brings its whole group. The counts are taken before the state filter, so they
    tell what each state would show.
    """
    members = session.execute(_flagged().where(*_conditions(filters))).all()
    groups = {(row.scheme, row.number) for row in members if row.duplicate and row.number}
    if groups:  # the rest of each group, whatever the filters say
        members += session.execute(_flagged().where(tuple_(Check.scheme, Check.number).in_(list(groups)),
                                                    _has_code(DUPLICATE))).all()
    items: dict[tuple, list[QueueMember]] = {}
    for row in {row.check_id: row for row in members}.values():
        key = ("group", row.scheme, row.number) if row.duplicate and row.number else ("check", row.check_id)
        items.setdefault(key, []).append(QueueMember(row.check_id, row.created_at, row.verdict, row.scheme,
                                                     row.number, ReviewState(row.state), row.assignee,
                                                     bool(row.duplicate and row.number)))
    found = sorted((QueueItem(tuple(sorted(group, key=lambda m: (m.created_at, m.check_id))))
                    for group in items.values()), key=QueueItem.sort_key)
    counts = {state.value: sum(item.state == state for item in found) for state in ReviewState}
    if filters.state == "undecided":
        found = [item for item in found if item.state != ReviewState.decided]
    elif filters.state != "all":
        found = [item for item in found if item.state == filters.state]
    return found, counts


def _flagged() -> Select:
    assignee = select(User.username).where(User.id == Review.assignee_id).scalar_subquery()
    return (select(Check.id.label("check_id"), Check.created_at, Check.verdict, Check.scheme, Check.number,
                   func.coalesce(Review.state, ReviewState.open.value).label("state"),
                   assignee.label("assignee"), _has_code(DUPLICATE).label("duplicate"))
            .outerjoin(Review, Review.check_id == Check.id)
            .where(Check.state == CheckState.done, Check.verdict.in_(FLAGGED_VERDICTS)))


def _has_code(code: str):
    return exists().where(FindingCode.check_id == Check.id, FindingCode.code == code)


def _conditions(filters: QueueFilters) -> list:
    conditions = []
    if filters.kind:
        conditions.append(Check.scheme == filters.kind)
    if filters.code:
        conditions.append(_has_code(filters.code))
    if filters.batch is not None:
        conditions.append(Check.id.in_(select(BatchItem.check_id).where(BatchItem.batch_id == filters.batch)))
    if filters.district is not None:
        conditions.append(Check.unit_id.in_(select(Unit.id).where(Unit.district_id == filters.district)))
    return conditions


def is_flagged(check: Check) -> bool:
    return check.state == CheckState.done and check.verdict in FLAGGED_VERDICTS


def group_of(session: Session, check: Check) -> list[Check]:
    """The checks reviewed together with `check`: its duplicate group (oldest first), or itself alone."""
    if check.number is None or DUPLICATE not in {row.code for row in check.finding_codes}:
        return [check]
    return list(session.scalars(select(Check).where(
        Check.scheme == check.scheme, Check.number == check.number, Check.state == CheckState.done,
        Check.verdict.in_(FLAGGED_VERDICTS), _has_code(DUPLICATE)).order_by(Check.created_at, Check.id)))


def review_of(session: Session, check: Check) -> Review:
    """The check's review row, as stored or (not yet added) open."""
    return session.get(Review, check.id) or Review(check_id=check.id, state=ReviewState.open)


def claim(session: Session, check: Check, user: User, assignee: User | None = None) -> None:
    """Give the undecided checks of `check`'s item to `assignee`, committed with the audit row.

    Without `assignee`, `user` takes the item, which must be free or already theirs. With one, a user
    who may assign hands the item over, whoever has it.
    """
    if not is_flagged(check):
        raise ReviewRefused(409, "not_flagged", "Only suspect or rejected checks are reviewed.")
    target = assignee or user
    if assignee is not None and not user.can(Permission.assign):
        raise ReviewRefused(403, "forbidden", f"The role {user.role!r} may not assign items.")
    if not target.can(Permission.review):
        raise ReviewRefused(400, "invalid_assignee", f"{target.username} may not review.")
    ids = _undecided_ids(session, check)
    if not ids:
        raise ReviewRefused(409, "decided", "Every card of this item is decided already.")
    free = or_(Review.assignee_id.is_(None), Review.assignee_id == user.id) if assignee is None else true()
    claimed = case((Review.state == ReviewState.open, ReviewState.claimed.value), else_=Review.state)
    taken = session.execute(update(Review).where(Review.check_id.in_(ids), free)
                            .values(assignee_id=target.id, claimed_at=utcnow(), state=claimed)
                            .execution_options(synchronize_session=False)).rowcount
    if taken != len(ids):
        session.rollback()
        holder = holders(session, check)
        raise ReviewRefused(409, "claimed", f"{', '.join(holder) or 'Someone else'} works this item already.")
    audit.record(AuditAction.claim if assignee is None else AuditAction.assign, object_type="check",
                 object_id=check.id, detail={"checks": ids, "assignee": target.username}, actor=user)


def release(session: Session, check: Check, user: User) -> None:
    """Put the item back in the open queue: by whoever has it, or by a user who may assign."""
    if not is_flagged(check):
        raise ReviewRefused(409, "not_flagged", "Only suspect or rejected checks are reviewed.")
    ids = _undecided_ids(session, check)
    mine = Review.assignee_id == user.id if not user.can(Permission.assign) else true()
    reopened = case((Review.state == ReviewState.claimed, ReviewState.open.value), else_=Review.state)
    released = session.execute(update(Review).where(Review.check_id.in_(ids), Review.assignee_id.is_not(None), mine)
                               .values(assignee_id=None, claimed_at=None, state=reopened)
                               .execution_options(synchronize_session=False)).rowcount
    if not released:
        session.rollback()
        raise ReviewRefused(409, "not_claimed", "This item is not yours to release.")
    audit.record(AuditAction.release, object_type="check", object_id=check.id, detail={"checks": ids}, actor=user)


def holders(session: Session, check: Check) -> list[str]:
    """Who works the undecided checks of `check`'s item."""
    ids = [member.id for member in group_of(session, check)]
    return sorted(set(session.scalars(select(User.username).join(Review, Review.assignee_id == User.id).where(
        Review.check_id.in_(ids), Review.state != ReviewState.decided))))


def _undecided_ids(session: Session, check: Check) -> list[int]:
    """The item's checks not yet decided, each with a review row (made here when missing)."""
    members = group_of(session, check)
    reviews = {review.check_id: review for review in session.scalars(
        select(Review).where(Review.check_id.in_([member.id for member in members])))}
    missing = [Review(check_id=member.id, state=ReviewState.open) for member in members if member.id not in reviews]
    if missing:
        session.add_all(missing)
        try:
            session.flush()
        except IntegrityError:  # made at the same moment by another reviewer's claim
            session.rollback()
            raise ReviewRefused(409, "claimed", "Someone else took this item at the same moment; reload it.") from None
    return [member.id for member in members
            if member.id not in reviews or reviews[member.id].state != ReviewState.decided]


def decide(session: Session, check: Check, user: User, form: Mapping[str, Any]) -> Decision:
    """Record a decision on one check, committed with its audit row (and, for an authority's answer
    that the card is genuine, with the register row it adds).

    The check must be free (it is claimed for `user` then) or `user`'s. `form` holds `decision` and
    what that decision needs: `category` (counterfeit); `authority` (refer, else the card's issuer);
    `answered_on`, `reference`, `outcome` and, for a counterfeit outcome, `category` (authority_answer);
    `note` for any.
    """
    if not is_flagged(check):
        raise ReviewRefused(409, "not_flagged", "Only suspect or rejected checks are reviewed.")
    decision = parse_decision(form, check)
    review = session.get(Review, check.id)
    if review is None or review.assignee_id is None:
        claim(session, check, user)
        review = session.get(Review, check.id, populate_existing=True)
    elif review.assignee_id != user.id:
        raise ReviewRefused(409, "claimed", f"{review.assignee.username} works this item; ask them or a supervisor.")
    decision.check_id, decision.user_id = check.id, user.id
    session.add(decision)
    review.state = ReviewState.referred if decision.decision == "refer" else ReviewState.decided
    if decision.decision == "authority_answer" and decision.outcome == "genuine":
        add_record(session, answered_record(check), f"answer {decision.reference} of {decision.answered_on} "
                                                    f"to the referral of check {check.id}")
    session.flush()
    audit.record(AuditAction.decision, object_type="check", object_id=check.id,
                 detail={"decision": decision.decision, "category": decision.category, "outcome": decision.outcome,
                         "reference": decision.reference}, actor=user)
    return decision


def parse_decision(form: Mapping[str, Any], check: Check) -> Decision:
    """The decision `form` asks for, or ReviewRefused(400) saying what is missing or wrong."""
    kind = _text(form, "decision")
    if kind not in DECISIONS:
        raise _invalid(f"'decision' must be one of {', '.join(DECISIONS)}.")
    decision = Decision(decision=kind, note=_text(form, "note"))
    if kind == "counterfeit":
        decision.category = _category(form)
    elif kind == "refer":
        decision.authority = _text(form, "authority") or issuing_authority(check)
    elif kind == "authority_answer":
        decision.answered_on = _answer_date(form)
        decision.reference = _text(form, "reference")
        decision.outcome = _text(form, "outcome")
        if not decision.reference:
            raise _invalid("'reference' must name the authority's answer (its letter or query reference).")
        if decision.outcome not in ANSWER_OUTCOMES:
            raise _invalid(f"'outcome' must be one of {', '.join(ANSWER_OUTCOMES)}.")
        if decision.outcome == "counterfeit":
            decision.category = _category(form)
        elif not (check.scheme and check.number):
            raise ReviewRefused(409, "number_unread", "The certificate number was not read, so the register "
                                                      "cannot record this answer; check the card again.")
    return decision


def _text(form: Mapping[str, Any], name: str) -> str | None:
    value = form.get(name)
    if value is not None and not isinstance(value, str):
        raise _invalid(f"'{name}' must be text.")
    value = (value or "").strip()
    if len(value) > MAX_TEXT:
        raise _invalid(f"'{name}' may be at most {MAX_TEXT} characters long.")
    return value or None


def _category(form: Mapping[str, Any]) -> str:
    category = _text(form, "category")
    if category not in COUNTERFEIT_CATEGORIES:
        raise _invalid(f"'category' must be one of {', '.join(COUNTERFEIT_CATEGORIES)}.")
    return category


def _answer_date(form: Mapping[str, Any]) -> date:
    try:
        answered_on = date.fromisoformat(_text(form, "answered_on") or "")
    except ValueError:
        raise _invalid("'answered_on' must be the date of the answer, YYYY-MM-DD.") from None
    if answered_on > date.today():
        raise _invalid("'answered_on' cannot be in the future.")
    return answered_on


def _invalid(message: str) -> ReviewRefused:
    return ReviewRefused(400, "invalid_decision", message)


def answered_record(check: Check) -> RegisterRecord:
    """The register row an authority's "genuine" answer vouches for: the card as it was read."""
    fields = check.result["fields"]
    return RegisterRecord(
        scheme=check.scheme, number=check.number, name=fields.get("name"), id_number=fields.get("id_number"),
        category=fields.get("category"), item=fields.get("item"), first_issued=_date(fields.get("first_issued")),
        valid_until=_date(fields.get("valid_until")), authority=fields.get("authority"), status="valid")


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def decisions_of(session: Session, check: Check) -> list[Decision]:
    return list(session.scalars(select(Decision).where(Decision.check_id == check.id).order_by(Decision.id)))


def issuing_authority(check: Check) -> str | None:
    """Whom to ask about the card: the issuer it names, as read."""
    return ((check.result or {}).get("fields") or {}).get("authority")


def query_addresses(kind: Kind, number: str | None) -> list[str]:
    """The official query sites for a card of `kind`: the national one (the host of the kind's QR
    link), then those of the province a construction number names by its first character.

    Hosts only: the kind files vouch for the hosts, not for any page's path.
    """
    hosts = []
    national = urlsplit(kind.sample_qr_url).hostname if kind.sample_qr_url else None
    if national in kind.official_hosts:
        hosts.append(national)
    province = kind.provinces.get(number[:1]) if number else None
    hosts += province["hosts"] if province else []
    return [f"https://{host}/" for host in dict.fromkeys(hosts or sorted(kind.data["qr"]["official_hosts"]))]


def confirmed_counterfeits() -> Select:
    """(check_id, category, decided_at) of every check whose latest judgement — a reviewer's decision or the
    authority's answer; a referral judges nothing — is counterfeit. A later genuine one withdraws it."""
    latest = (select(func.max(Decision.id).label("id"))
              .where(Decision.decision.in_(("genuine", "counterfeit", "authority_answer")))
              .group_by(Decision.check_id).subquery())
    counterfeit = or_(Decision.decision == "counterfeit",
                      and_(Decision.decision == "authority_answer", Decision.outcome == "counterfeit"))
    return (select(Decision.check_id, Decision.category, Decision.created_at.label("decided_at"))
            .join(latest, Decision.id == latest.c.id).where(counterfeit))
