"""Form A and Form B filled for a period: one row per district, a total row.

Every computed column is a handful of grouped SQL counts over the period's checks, the confirmed
decisions (`service.review.confirmed_counterfeits`), the finding codes and the ledgers, so the work is done
by the database and memory does not grow with the number of checks. A check counts in its unit's district;
checks without a unit (made before districts existed, or by the CLI) are counted apart and said so.
What supervisors enter (`service.reports.figures`) is summed over the months the period touches.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import current_app
from sqlalchemy import String, and_, case, cast, exists, func, select, union
from sqlalchemy.orm import Session

from service.ledger import get_posts
from service.models import Check, CheckState, District, FindingCode, LedgerEntry, Unit
from service.reports.figures import entered_figures
from service.reports.forms import ReportForm, Source
from service.reports.periods import LOCAL_TIMEZONE, Period, last_month, local_today, parse_period
from service.review import confirmed_counterfeits

Value = int | Decimal | None
# The campaign categories of a confirmed counterfeit (service.review) by the count they add to; 过期 is
# counted with the checks that found the card expired, so that a certificate counts once.
CATEGORY_COUNTS = {"forged": "forged", "altered": "forged", "impersonated": "forged", "lent": "lent",
                   "unlicensed": "unlicensed"}
# One certificate however often it was checked: its kind and number; a check whose number was not read alone.
CERTIFICATE = case((Check.number.is_not(None), Check.scheme + ":" + Check.number),
                   else_="check:" + cast(Check.id, String))
TOTAL = "合计"
COUNTED_KEYS = ("self_checked_units", "certificates_checked", "ledger_certificates", "ledger_checked", "no_ledger",
                "forged", "lent", "expired", "unlicensed", "post_mismatch")


@dataclass(frozen=True)
class FormRow:
    area: str  # the district's name, or 合计
    values: dict[str, Value]

    def cells(self, form: ReportForm) -> list[Value | str]:
        return [self.area, *(self.values[column.key] for column in form.columns)]


@dataclass(frozen=True)
class FormTable:
    form: ReportForm
    period: Period
    filed_by: str  # 填报单位
    filed_on: date  # 填报时间
    rows: list[FormRow]
    total: FormRow
    unassigned_checks: int  # checks of the period that belong to no unit, and so to no row

    def to_dict(self) -> dict[str, Any]:
        """The JSON the API answers: headers as printed, and each row keyed by column."""
        def values(row: FormRow) -> dict[str, Any]:
            return {column.key: number_json(row.values[column.key]) for column in self.form.columns}

        return {"form": self.form.id, "title": self.form.title,
                "period": {"key": self.period.key, "first": self.period.first.isoformat(),
                           "last": self.period.last.isoformat(), "label": self.period.label},
                "filed_by": self.filed_by, "filed_on": self.filed_on.isoformat(),
                "columns": [{"key": column.key, "header": column.header, "source": column.source}
                            for column in self.form.columns],
                "rows": [{"district": row.area, **values(row)} for row in self.rows],
                "total": values(self.total), "unassigned_checks": self.unassigned_checks}


def number_json(value: Value) -> int | float | None:
    return float(value) if isinstance(value, Decimal) else value


def campaign_start(session: Session) -> date:
    """`CERTGUARD_CAMPAIGN_START`, else the day of the earliest check placed in a unit (today without one)."""
    configured = current_app.config.get("CERTGUARD_CAMPAIGN_START")
    if configured:
        return date.fromisoformat(configured)
    first = session.scalar(select(func.min(Check.created_at)).where(Check.unit_id.is_not(None)))
    return first.astimezone(LOCAL_TIMEZONE).date() if first else local_today()


def resolve_period(session: Session, text: str | None) -> Period:
    """The period `text` names (service.reports.periods), last month when it names none; PeriodError if wrong."""
    if not text:
        return last_month()
    return parse_period(text, today=local_today(), campaign_start=campaign_start(session))


def fill_form(session: Session, form: ReportForm, period: Period, *, filed_on: date | None = None,
              counted: defaultdict[int, dict[str, int]] | None = None) -> FormTable:
    """The form for `period`: every district's row in the order added, then the total. `counted`: the
    period's `count_figures`, when the caller fills several forms from them."""
    districts = session.execute(select(District.id, District.name).order_by(District.id)).all()
    counted = counted if counted is not None else count_figures(session, period)
    entered = entered_figures(session, form.id, period.months())
    rows = [FormRow(name, row_values(form, counted[district_id], entered[district_id]))
            for district_id, name in districts]
    totals = {key: sum(part[key] for part in counted.values()) for key in COUNTED_KEYS}
    entered_totals = {key: sum((part.get(key, Decimal(0)) for part in entered.values()), Decimal(0))
                      for key in (column.key for column in form.entered_columns)}
    start, end = period.utc_bounds()
    unassigned = session.scalar(select(func.count()).select_from(Check).where(
        Check.state == CheckState.done, Check.unit_id.is_(None), Check.created_at >= start, Check.created_at < end))
    return FormTable(form, period, current_app.config["CERTGUARD_REPORTING_UNIT"], filed_on or local_today(), rows,
                     FormRow(TOTAL, row_values(form, totals, entered_totals)), unassigned)


def row_values(form: ReportForm, counted: dict[str, int], entered: dict[str, Decimal]) -> dict[str, Value]:
    """A row's cells from its counts and entered figures."""
    values: dict[str, Value] = {}
    for column in form.columns:
        if column.key == "check_rate":
            values[column.key] = rate(counted["ledger_checked"], counted["ledger_certificates"])
        elif column.source == Source.entered:
            values[column.key] = as_number(entered.get(column.key, Decimal(0)), column.decimals)
        else:
            count = counted[column.count or column.key]
            values[column.key] = count + int(entered.get(column.key, 0)) if column.source == Source.both else count
    return values


def rate(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(100 * part) / whole).quantize(Decimal("0.1"), ROUND_HALF_UP)


def as_number(value: Decimal, decimals: int) -> Value:
    return value.quantize(Decimal(10) ** -decimals) if decimals else int(value)


def count_figures(session: Session, period: Period) -> defaultdict[int, dict[str, int]]:
    """Every count the forms show (COUNTED_KEYS), by district id; zero where nothing was found."""
    start, end = period.utc_bounds()
    counted: defaultdict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNTED_KEYS, 0))
    checked = and_(Check.state == CheckState.done, Check.created_at >= start, Check.created_at < end)
    by_district = select(Unit.district_id).select_from(Check).join(Unit, Unit.id == Check.unit_id)  # placed checks

    for district_id, units, certificates in session.execute(
            by_district.add_columns(func.count(Check.unit_id.distinct()), func.count(CERTIFICATE.distinct()))
            .where(checked).group_by(Unit.district_id)):
        counted[district_id].update(self_checked_units=units, certificates_checked=certificates)

    confirmed = confirmed_counterfeits().subquery()
    decided = and_(confirmed.c.decided_at >= start, confirmed.c.decided_at < end)
    column = case(*((confirmed.c.category == category, key) for category, key in CATEGORY_COUNTS.items()),
                  else_=None)
    for district_id, key, certificates in session.execute(
            by_district.add_columns(column, func.count(CERTIFICATE.distinct()))
            .join(confirmed, confirmed.c.check_id == Check.id).where(decided, column.is_not(None))
            .group_by(Unit.district_id, column)):
        counted[district_id][key] += certificates

    expired_code = exists().where(FindingCode.check_id == Check.id, FindingCode.code == "EXPIRED")
    found_expired = by_district.add_columns(CERTIFICATE.label("certificate")).where(checked, expired_code)
    confirmed_expired = (by_district.add_columns(CERTIFICATE.label("certificate"))
                         .join(confirmed, confirmed.c.check_id == Check.id)
                         .where(decided, confirmed.c.category == "expired"))
    expired = union(found_expired, confirmed_expired).subquery()  # UNION: a certificate once
    for district_id, certificates in session.execute(
            select(expired.c.district_id, func.count()).group_by(expired.c.district_id)):
        counted[district_id]["expired"] = certificates

    count_ledgers(session, counted, period)
    return counted


def count_ledgers(session: Session, counted: defaultdict[int, dict[str, int]], period: Period) -> None:
    """The ledgers as they stand (an import replaces a unit's): certificates on them and how many of those
    were checked in the period (wherever the check was made), operators without one, posts their item does
    not fit, and units that checked cards in the period without having a ledger."""
    start, end = period.utc_bounds()
    on_ledgers = select(Unit.district_id).select_from(LedgerEntry).join(Unit, Unit.id == LedgerEntry.unit_id)
    card_checked = exists().where(Check.scheme == LedgerEntry.scheme, Check.number == LedgerEntry.number,
                                  Check.state == CheckState.done, Check.created_at >= start, Check.created_at < end)
    for district_id, operators, certificates in session.execute(
            on_ledgers.add_columns(func.count(), func.count(LedgerEntry.number)).group_by(Unit.district_id)):
        counted[district_id]["ledger_certificates"] = certificates
        counted[district_id]["unlicensed"] += operators - certificates
    for district_id, certificates in session.execute(
            on_ledgers.add_columns(func.count()).where(LedgerEntry.number.is_not(None), card_checked)
            .group_by(Unit.district_id)):
        counted[district_id]["ledger_checked"] = certificates
    posts = get_posts()
    mismatched: Counter[int] = Counter()
    for district_id, post, item, operators in session.execute(
            on_ledgers.add_columns(LedgerEntry.post, LedgerEntry.item, func.count())
            .where(LedgerEntry.number.is_not(None))
            .group_by(Unit.district_id, LedgerEntry.post, LedgerEntry.item)):
        if posts.mismatch(post, item):
            mismatched[district_id] += operators
    for district_id, operators in mismatched.items():
        counted[district_id]["post_mismatch"] = operators
    has_ledger = exists().where(LedgerEntry.unit_id == Unit.id)
    for district_id, units in session.execute(
            select(Unit.district_id, func.count(Unit.id.distinct())).join(Check, Check.unit_id == Unit.id)
            .where(Check.state == CheckState.done, Check.created_at >= start, Check.created_at < end, ~has_ledger)
            .group_by(Unit.district_id)):
        counted[district_id]["no_ledger"] = units

