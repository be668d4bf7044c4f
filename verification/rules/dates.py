"""Date rules: the validity span each kind prescribes, and expiry on the date of the check."""

from __future__ import annotations

from datetime import date

from ocr.normalise import add_years
from verification.findings import Finding, Severity, finding
from verification.kinds import Kind
from verification.reading import CardReading, CheckContext, box_of, trusted_date

DAY_SLIP = 31
"""A validity period off its kind's span by fewer days than this is noted, not warned of: a forger
lengthens a card's validity by years ("十年有效"), and days gain its holder nothing, while a day
misread by one digit (13 for 15, 6 for 16) is the reader's commonest slip on a date."""


def span_holds(start: date, end: date, kind: Kind) -> bool:
    """Whether `start` to `end` is the kind's validity span. Cards print either "+N years" or
    "+N years − 1 day"; the tolerance covers both."""
    return abs((end - add_years(start, kind.validity_years)).days) <= max(kind.validity_tolerance_days, 1)


def check_validity_span(reading: CardReading, context: CheckContext) -> list[Finding]:
    kind = context.kind
    start, end = trusted_date(reading, "valid_from", context), trusted_date(reading, "valid_until", context)
    if kind is None or start is None or end is None or span_holds(start, end, kind):
        return []
    expected_end = add_years(start, kind.validity_years)
    days_off = abs((end - expected_end).days)
    slip = days_off < DAY_SLIP
    return [finding(
        "VALIDITY_SPAN",
        f"Valid {start.isoformat()} to {end.isoformat()}; a {kind.name} is valid {kind.validity_years} years."
        + (f" Off by {days_off} days only: a misread day as likely as not, and no validity gained; noted."
           if slip else ""),
        severity=Severity.INFO if slip else None,
        field="valid_until", read=end.isoformat(), expected=expected_end.isoformat(),
        box=box_of(reading, "valid_until"),
    )]


def check_expiry(reading: CardReading, context: CheckContext) -> list[Finding]:
    """Expired on the date of the check. Where the validity period read does not span the kind's
    years, one of its dates is misread (a 2028 read as 2024) as likely as the card is expired, and
    no forger prints an expiry in the past: a warning for a human to look, not a rejection."""
    end = trusted_date(reading, "valid_until", context)
    if end is None or end >= context.as_of:
        return []
    start = trusted_date(reading, "valid_from", context)
    doubtful = context.kind is not None and start is not None and not span_holds(start, end, context.kind)
    return [finding("EXPIRED", f"Expired on {end.isoformat()} (checked as of {context.as_of.isoformat()})."
                    + (" The validity period read is not its kind's span: compare the dates by eye." if doubtful
                       else ""),
                    severity=Severity.WARNING if doubtful else None,
                    field="valid_until", read=end.isoformat(), expected=f"≥ {context.as_of.isoformat()}",
                    box=box_of(reading, "valid_until"))]


def check_date_order(reading: CardReading, context: CheckContext) -> list[Finding]:
    """First issue cannot come after the current validity period starts, nor lie in the future."""
    first = trusted_date(reading, "first_issued", context)
    start = trusted_date(reading, "valid_from", context)
    if first is None:
        return []
    if first > context.as_of:
        return [finding("VALIDITY_SPAN", "初领日期 lies in the future.", field="first_issued",
                        read=first.isoformat(), expected=f"≤ {context.as_of.isoformat()}",
                        box=box_of(reading, "first_issued"))]
    if start is not None and first > start:
        return [finding("VALIDITY_SPAN", "初领日期 is later than the start of the validity period.",
                        field="first_issued", read=first.isoformat(), expected=f"≤ {start.isoformat()}",
                        box=box_of(reading, "first_issued"))]
    return []
