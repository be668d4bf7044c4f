"""What a report covers: a month, a date range, or the campaign to date, as local (China) calendar days.

`?period=` says which: `2026-11`, `2026-11-05..2026-12-10` or `campaign`. Stored times are UTC; a period's
bounds are local midnights, so a check made at 07:00 on the 1st in Beijing counts in that month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL_TIMEZONE = ZoneInfo("Asia/Shanghai")  # China has one time zone
MONTH = re.compile(r"(\d{4})-(\d{2})")
RANGE = re.compile(r"(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})")
CAMPAIGN = "campaign"


class PeriodError(ValueError):
    """A period parameter that names no period; the message says what is accepted."""


@dataclass(frozen=True)
class Period:
    key: str  # as `?period=` gives it
    first: date
    last: date  # inclusive
    label: str  # as the forms print it

    @property
    def month(self) -> date | None:
        """The month's first day when the period is one month, else None."""
        return self.first if self.key == f"{self.first:%Y-%m}" else None

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """[start, end) in UTC: local midnight of the first day to local midnight after the last."""
        start = datetime.combine(self.first, time(), LOCAL_TIMEZONE)
        end = datetime.combine(self.last + timedelta(days=1), time(), LOCAL_TIMEZONE)
        return start.astimezone(UTC), end.astimezone(UTC)

    def months(self) -> list[date]:
        """The first days of the months the period touches: the months whose entered figures it sums."""
        months, month = [], self.first.replace(day=1)
        while month <= self.last:
            months.append(month)
            month = next_month(month)
        return months


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_period(month: date) -> Period:
    month = month.replace(day=1)
    return Period(f"{month:%Y-%m}", month, next_month(month) - timedelta(days=1), f"{month.year}年{month.month}月")


def local_today() -> date:
    return datetime.now(LOCAL_TIMEZONE).date()


def last_month() -> Period:
    """The month a monthly report (due by the 20th) covers."""
    return month_period(local_today().replace(day=1) - timedelta(days=1))


def parse_month(text: str) -> date:
    """The first day of the month `YYYY-MM` names; PeriodError when it names none."""
    period = parse_period(text, today=local_today(), campaign_start=local_today())
    if period.month is None:
        raise PeriodError("'month' must be a month, YYYY-MM.")
    return period.month


def parse_period(text: str | None, *, today: date, campaign_start: date) -> Period:
    """The period `text` names (see the module's docstring); PeriodError when it names none."""
    text = (text or "").strip()
    if text == CAMPAIGN:
        first = min(campaign_start, today)
        return Period(CAMPAIGN, first, today, f"专项行动以来（{first.isoformat()} 至 {today.isoformat()}）")
    if match := MONTH.fullmatch(text):
        year, month = map(int, match.groups())
        if 1 <= month <= 12:
            return month_period(date(year, month, 1))
    elif match := RANGE.fullmatch(text):
        try:
            first, last = (date.fromisoformat(part) for part in match.groups())
        except ValueError:
            pass
        else:
            if first <= last:
                return Period(text, first, last, f"{first.isoformat()} 至 {last.isoformat()}")
    raise PeriodError("'period' must be a month (YYYY-MM), a date range (YYYY-MM-DD..YYYY-MM-DD, first day not "
                      "after the last) or 'campaign'.")
