"""The tables: people and their API tokens, checks with their verdicts, batches of checks, imported register rows,
the audit trail, and the campaign's districts, using units, operator ledgers and report figures."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates


class UtcDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware in UTC (SQLite forgets the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    # Named constraints, so later migrations can drop them (SQLite batch mode needs the names).
    metadata = MetaData(naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    })


class Role(StrEnum):
    inspector = "inspector"  # checks cards on site
    clerk = "clerk"  # handles batches of submitted cards
    reviewer = "reviewer"  # judges suspect results
    supervisor = "supervisor"  # oversees everyone's checks
    admin = "admin"  # manages accounts


class Permission(StrEnum):
    check = "check"  # photograph a card and read one's own checks
    see_all_checks = "see_all_checks"  # read everyone's checks, not only one's own
    batch = "batch"  # upload and follow batches of scanned cards
    review = "review"  # work the queue: claim, decide, refer to the authority, record its answer
    assign = "assign"  # hand queue items to reviewers, take them back
    reveal = "reveal"  # see ID and certificate numbers whole (each reveal is audited)
    audit = "audit"  # browse and export the audit trail
    districts = "districts"  # keep the list of districts (区县) and their using units
    ledger = "ledger"  # read, import and export the using units' operator ledgers
    report = "report"  # the campaign's report forms and dashboard; enter the figures the data cannot know


# Who may do what: the one table every page and API route is checked against. Nobody sees personal
# numbers whole by default; the roles that verify cards with the authority may reveal them. The admin
# keeps the accounts and reads the audit trail, and so neither decides cases nor reveals numbers.
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.inspector: frozenset({Permission.check}),
    Role.clerk: frozenset({Permission.check, Permission.see_all_checks, Permission.batch, Permission.ledger}),
    Role.reviewer: frozenset({Permission.check, Permission.see_all_checks, Permission.review, Permission.reveal}),
    Role.supervisor: frozenset({Permission.check, Permission.see_all_checks, Permission.batch, Permission.review,
                                Permission.assign, Permission.reveal, Permission.ledger, Permission.report}),
    Role.admin: frozenset({Permission.check, Permission.see_all_checks, Permission.batch, Permission.audit,
                           Permission.districts, Permission.ledger, Permission.report}),
}


class CheckState(StrEnum):
    queued = "queued"
    done = "done"
    failed = "failed"


class ReviewState(StrEnum):
    open = "open"  # flagged, nobody works it yet
    claimed = "claimed"  # a reviewer works it
    referred = "referred"  # sent to the issuing authority, waiting for its answer
    decided = "decided"  # judged genuine or counterfeit, by a reviewer or by the authority's answer


class BatchState(StrEnum):
    queued = "queued"  # uploaded, waiting for a worker
    running = "running"  # being read into items, or its items being checked
    done = "done"  # every item has its result (some may have failed alone)
    failed = "failed"  # the upload as a whole was refused: error_code, error_message, error_stage say why
    cancelled = "cancelled"


class ItemState(StrEnum):
    queued = "queued"
    done = "done"  # its Check holds the verdict
    failed = "failed"
    cancelled = "cancelled"


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))  # None: cannot log in (system users)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")

    def can(self, permission: Permission | str) -> bool:
        return Permission(permission) in ROLE_PERMISSIONS[Role(self.role)]

    def __repr__(self) -> str:
        return f"<User {self.username} ({self.role})>"


class ApiToken(Base):
    """A bearer token for the API. Only its SHA-256 is kept, so a leaked table grants nothing."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    user: Mapped[User] = relationship(back_populates="tokens")


class Check(Base):
    """One screened image: where it came from, where the original is kept, and the verdict contract."""

    __tablename__ = "checks"
    __table_args__ = (Index(None, "user_id", "created_at"), Index(None, "scheme", "number"),
                      Index(None, "unit_id", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(Text)
    original_name: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    storage_key: Mapped[str] = mapped_column(String(100))
    media_type: Mapped[str] = mapped_column(String(50))
    as_of: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default=CheckState.done)
    scheme: Mapped[str | None] = mapped_column(String(50))
    number: Mapped[str | None] = mapped_column(String(64))  # the certificate number, when read with confidence
    verdict: Mapped[str | None] = mapped_column(String(10))  # None until the check is done
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # the verdict contract, without "id"
    error_code: Mapped[str | None] = mapped_column(String(50))  # why a queued check failed
    error_message: Mapped[str | None] = mapped_column(Text)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # where the card was checked; None before 0006

    user: Mapped[User] = relationship()
    finding_codes: Mapped[list[FindingCode]] = relationship(cascade="all, delete-orphan")

    @validates("result")
    def _index_finding_codes(self, _key: str, result: dict[str, Any] | None) -> dict[str, Any] | None:
        """Keep `finding_codes` in step with the contract, whoever sets it: the queue filters on them."""
        codes = sorted({finding["code"] for finding in (result or {}).get("findings", [])})
        kept = {row.code: row for row in self.finding_codes}
        self.finding_codes = [kept.get(code) or FindingCode(code=code) for code in codes]
        return result

    def to_contract(self) -> dict[str, Any]:
        """The verdict contract with the check's id, as the API and the CLI report it."""
        return {**(self.result or {}), "id": self.id}

    def to_status(self) -> dict[str, Any]:
        """What the API says about the check in any state: the contract once done, else the state."""
        if self.state == CheckState.done:
            return {**self.to_contract(), "state": self.state}
        status: dict[str, Any] = {"id": self.id, "state": self.state, "source": self.source}
        if self.state == CheckState.failed:
            status["error"] = {"code": self.error_code, "message": self.error_message}
        return status


class FindingCode(Base):
    """A finding code a check's contract carries, indexed so the review queue can filter on it."""

    __tablename__ = "finding_codes"
    __table_args__ = (Index(None, "code"),)

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True)
    code: Mapped[str] = mapped_column(String(50), primary_key=True)


class Review(Base):
    """A flagged check's place in the reviewers' queue: its state and who works it.

    Made by the first claim or decision; a suspect or rejected check without one is open.
    """

    __tablename__ = "reviews"

    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(10), default=ReviewState.open)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claimed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    assignee: Mapped[User | None] = relationship()


class Decision(Base):
    """One decision on a flagged check. Later decisions add rows; none is ever changed."""

    __tablename__ = "decisions"
    __table_args__ = (Index(None, "check_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    check_id: Mapped[int] = mapped_column(ForeignKey("checks.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decision: Mapped[str] = mapped_column(String(20))  # genuine | counterfeit | refer | authority_answer
    category: Mapped[str | None] = mapped_column(String(20))  # a counterfeit's campaign category
    authority: Mapped[str | None] = mapped_column(Text)  # refer: the authority the sheet is addressed to
    answered_on: Mapped[date | None] = mapped_column(Date)  # authority_answer: the day the authority answered
    reference: Mapped[str | None] = mapped_column(Text)  # authority_answer: its letter's or query's reference
    outcome: Mapped[str | None] = mapped_column(String(20))  # authority_answer: genuine | counterfeit
    note: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship()

    def to_dict(self) -> dict[str, Any]:
        fields = {"category": self.category, "authority": self.authority, "reference": self.reference,
                  "answered_on": self.answered_on.isoformat() if self.answered_on else None,
                  "outcome": self.outcome, "note": self.note}
        return {"id": self.id, "decision": self.decision, "by": self.user.username,
                "at": self.created_at.isoformat(), **{k: v for k, v in fields.items() if v is not None}}


class Batch(Base):
    """An uploaded archive, PDF, TIFF or image checked item by item in the background.

    The counters are updated in the same transaction as each item's result, so the pages and the
    API read progress here and never ask the job broker.
    """

    __tablename__ = "batches"
    __table_args__ = (Index(None, "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    source: Mapped[str] = mapped_column(Text)  # the upload's name, the first part of every item's origin
    as_of: Mapped[date] = mapped_column(Date)  # validity is judged on the upload's day, as for single checks
    state: Mapped[str] = mapped_column(String(10), default=BatchState.queued)
    total: Mapped[int | None] = mapped_column(Integer)  # None until the upload has been read
    done: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    error_code: Mapped[str | None] = mapped_column(String(50))
    error_message: Mapped[str | None] = mapped_column(Text)
    error_stage: Mapped[str | None] = mapped_column(String(20))
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expanded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # every item found and queued
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))  # its items' checks belong to this unit

    user: Mapped[User] = relationship()

    @property
    def finished(self) -> bool:
        return self.state in {BatchState.done, BatchState.failed, BatchState.cancelled}

    def to_status(self) -> dict[str, Any]:
        """Progress as the API and the batch page's bar report it; with the reason when the batch failed."""
        status: dict[str, Any] = {"id": self.id, "state": self.state, "source": self.source, "total": self.total,
                                  "done": self.done, "failed": self.failed}
        if self.state == BatchState.failed:
            status["error"] = {"code": self.error_code, "message": self.error_message, "stage": self.error_stage}
        return status


class BatchItem(Base):
    """One page or image of a batch, found at `origin` (``cards.zip!/dir/p1.pdf#page=3``).

    `seq` is its place in the upload; one row per place, so re-reading an upload after a crash
    cannot add an item twice. A checked item's verdict lives in its Check.
    """

    __tablename__ = "batch_items"
    __table_args__ = (Index(None, "batch_id", "seq", unique=True), Index(None, "batch_id", "state"))

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("batches.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    origin: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default=ItemState.queued)
    check_id: Mapped[int | None] = mapped_column(ForeignKey("checks.id"))
    error_code: Mapped[str | None] = mapped_column(String(50))
    error_message: Mapped[str | None] = mapped_column(Text)
    elapsed_ms: Mapped[int | None] = mapped_column(Integer)  # reading and judging the item
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    batch: Mapped[Batch] = relationship()
    check: Mapped[Check | None] = relationship()


class RegisterEntry(Base):
    """One row of an issuing authority's register: imported from its CSV extract, or added from its
    answer to a referral; `source_file` names the file or the answer."""

    __tablename__ = "register_entries"
    __table_args__ = (Index(None, "scheme", "number", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scheme: Mapped[str] = mapped_column(String(50))
    number: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(Text)
    id_number: Mapped[str | None] = mapped_column(String(32))
    category: Mapped[str | None] = mapped_column(Text)
    item: Mapped[str | None] = mapped_column(Text)
    first_issued: Mapped[date | None] = mapped_column(Date)
    valid_until: Mapped[date | None] = mapped_column(Date)
    authority: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))
    source_file: Mapped[str] = mapped_column(Text)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class AuditAction(StrEnum):
    login = "login"
    login_failed = "login_failed"
    logout = "logout"
    view = "view"  # a page or API response that shows a check's personal data
    reveal = "reveal"  # ID and certificate numbers shown whole
    export = "export"  # a download or printout leaving the system
    claim = "claim"
    assign = "assign"
    release = "release"
    decision = "decision"
    edit = "edit"  # districts, units, a ledger or entered report figures changed


class AuditEvent(Base):
    """One audited act: who did what to which object, when, from where and why (PIPL Art. 51, 54).

    Rows are only ever added: migration 0004 makes the database itself refuse UPDATE and DELETE on
    the table, and no route offers either. `actor` keeps the username as it was at the time.
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index(None, "object_type", "object_id"), Index(None, "actor_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: nobody logged in
    actor: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(20))
    object_type: Mapped[str | None] = mapped_column(String(20))
    object_id: Mapped[str | None] = mapped_column(String(64))
    ip: Mapped[str | None] = mapped_column(String(45))
    purpose: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "object_type": self.object_type, "object_id": self.object_id, "ip": self.ip,
                "purpose": self.purpose, "detail": self.detail}


class District(Base):
    """A 区县: the rows of the campaign's report forms, in the order admins add them."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    units: Mapped[list[Unit]] = relationship(back_populates="district", order_by="Unit.name")


class Unit(Base):
    """A using unit (生产经营单位/使用单位) in a district: its checks, batches and operator ledger belong to it."""

    __tablename__ = "units"
    __table_args__ = (Index(None, "district_id", "name", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    district: Mapped[District] = relationship(back_populates="units")


class LedgerEntry(Base):
    """One operator on a unit's 作业人员管理台账, as the unit declares them; an import replaces the unit's rows.

    `number` is None for an operator who holds no certificate. No ID number is kept: the ledger is matched
    with checks by certificate number, and the number is shown masked.
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (Index(None, "unit_id", "seq"), Index(None, "scheme", "number"))

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)  # its row in the imported file
    name: Mapped[str] = mapped_column(String(50))
    post: Mapped[str] = mapped_column(String(50))  # 岗位
    scheme: Mapped[str | None] = mapped_column(String(50))
    number: Mapped[str | None] = mapped_column(String(64))
    item: Mapped[str | None] = mapped_column(String(100))  # 作业项目 (or, for construction cards, the 工种)
    valid_until: Mapped[date | None] = mapped_column(Date)
    imported_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReportFigure(Base):
    """A figure of a report form that the data cannot know, entered by a supervisor for one district and month."""

    __tablename__ = "report_figures"
    __table_args__ = (Index(None, "form", "month", "district_id", "field", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form: Mapped[str] = mapped_column(String(10))  # form-a | form-b
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    month: Mapped[date] = mapped_column(Date)  # the month's first day
    field: Mapped[str] = mapped_column(String(30))
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    entered_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
