"""The dashboard's charts, drawn on the server as SVG: nothing is fetched from the internet when a page is shown.

Checks per district over the twelve months ending with the period, and the period's findings by code. Each
chart comes with its figures as a table, for screen readers and for copying.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from service.models import Check, CheckState, District, FindingCode, Unit
from service.reports.periods import Period, month_period

MONTHS_SHOWN = 12
PALETTE = ("#0b5cad", "#b3261e", "#1d7a35", "#8a5a00", "#6a3d9a", "#00838f", "#c2185b", "#5f6b76")
WIDTH, PLOT_HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 220, 44, 24, 16, 28
TICKS = 4
BAR_HEIGHT, LABEL_WIDTH = 22, 170


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    headers: list[str]
    rows: list[list[str | int]]


def dashboard_charts(session: Session, period: Period) -> list[Chart]:
    return [checks_by_month(session, period), findings_by_code(session, period)]


def checks_by_month(session: Session, period: Period) -> Chart:
    """Done checks per district per month, for the twelve months ending with the period's last month.

    One grouped query; a check's month is the first whose local-midnight end it precedes (stored times are UTC,
    so the database's date functions would split at UTC midnight, and differ between SQLite and PostgreSQL).
    """
    months = recent_months(period.last, MONTHS_SHOWN)
    start = month_period(months[0]).utc_bounds()[0]
    ends = [month_period(month).utc_bounds()[1] for month in months]
    month_index = case(*((Check.created_at < end, index) for index, end in enumerate(ends)))
    districts = session.execute(select(District.id, District.name).order_by(District.id)).all()
    counts = {district_id: [0] * len(months) for district_id, _ in districts}
    for district_id, index, count in session.execute(
            select(Unit.district_id, month_index, func.count()).select_from(Check).join(Unit, Unit.id == Check.unit_id)
            .where(Check.state == CheckState.done, Check.created_at >= start, Check.created_at < ends[-1])
            .group_by(Unit.district_id, month_index)):
        counts[district_id][index] = count
    labels = [f"{month:%Y-%m}" for month in months]
    series = [(name, counts[district_id]) for district_id, name in districts]
    title = f"Checks per month by district, {labels[0]} to {labels[-1]} 各区县每月查验数"
    return Chart(title, line_chart(title, labels, series), ["区县", *labels],
                 [[name, *values] for name, values in series])


def findings_by_code(session: Session, period: Period) -> Chart:
    """How many of the period's checks (placed in a unit) carry each finding code, most frequent first."""
    start, end = period.utc_bounds()
    found = session.execute(
        select(FindingCode.code, func.count()).join(Check, Check.id == FindingCode.check_id)
        .where(Check.state == CheckState.done, Check.unit_id.is_not(None), Check.created_at >= start,
               Check.created_at < end)
        .group_by(FindingCode.code).order_by(func.count().desc(), FindingCode.code)).all()
    title = f"Checks by finding, {period.label} 各发现项查验数"
    items = [(code, count) for code, count in found]
    return Chart(title, bar_chart(title, items), ["Finding", "Checks"], [list(item) for item in items])


def recent_months(last: date, count: int) -> list[date]:
    """The first days of the `count` months ending with `last`'s."""
    index = last.year * 12 + last.month - 1
    return [date(i // 12, i % 12 + 1, 1) for i in range(index - count + 1, index + 1)]


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10ⁿ at or above `value`, so the axis reads in round steps."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if factor * step >= value:
                return factor * step
        step *= 10


def svg(title: str, height: int, body: list[str]) -> Markup:
    return Markup(f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(title)}" '
                  f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>{"".join(body)}</svg>')


def line_chart(title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> Markup:
    highest = max([1, *(value for _, values in series for value in values)])
    top = TICKS * nice_ceiling(math.ceil(highest / TICKS))  # whole-number ticks
    plot_width = WIDTH - LEFT - RIGHT
    step = plot_width / max(len(labels) - 1, 1)

    def x(index: int) -> float:
        return LEFT + index * step

    def y(value: int) -> float:
        return TOP + PLOT_HEIGHT * (1 - value / top)

    body = []
    for tick in range(TICKS + 1):
        value = top * tick // TICKS
        body.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" y2="{y(value):.1f}"/>'
                    f'<text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">{value}</text>')
    for index, label in enumerate(labels):
        body.append(f'<text class="axis" x="{x(index):.1f}" y="{TOP + PLOT_HEIGHT + 18}" text-anchor="middle">'
                    f'{escape(label[2:])}</text>')
    for number, (name, values) in enumerate(series):
        colour = PALETTE[number % len(PALETTE)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        body.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        body += [f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{colour}"><title>{escape(name)} '
                 f'{escape(labels[i])}: {v}</title></circle>' for i, v in enumerate(values)]
    legend_top = TOP + PLOT_HEIGHT + BOTTOM + 8
    for number, (name, _) in enumerate(series):
        left, row = LEFT + (number % 4) * 140, legend_top + (number // 4) * 18
        body.append(f'<rect x="{left}" y="{row - 9}" width="10" height="10" fill="{PALETTE[number % len(PALETTE)]}"/>'
                    f'<text class="legend" x="{left + 14}" y="{row}">{escape(name)}</text>')
    height = legend_top + 18 * ((len(series) + 3) // 4) + 4
    return svg(title, height, body)


def bar_chart(title: str, items: list[tuple[str, int]]) -> Markup:
    if not items:
        return svg(title, 40, [f'<text class="axis" x="{LEFT}" y="24">No findings in this period.</text>'])
    top = nice_ceiling(max(value for _, value in items))
    scale = (WIDTH - LABEL_WIDTH - 48) / top
    body = []
    for index, (label, value) in enumerate(items):
        row = TOP + index * (BAR_HEIGHT + 6)
        body.append(f'<text class="axis" x="{LABEL_WIDTH - 8}" y="{row + BAR_HEIGHT * 0.7:.1f}" text-anchor="end">'
                    f'{escape(label)}</text>'
                    f'<rect x="{LABEL_WIDTH}" y="{row}" width="{max(value * scale, 1):.1f}" height="{BAR_HEIGHT}" '
                    f'fill="{PALETTE[0]}"><title>{escape(label)}: {value}</title></rect>'
                    f'<text class="value" x="{LABEL_WIDTH + value * scale + 6:.1f}" y="{row + BAR_HEIGHT * 0.7:.1f}">'
                    f'{value}</text>')
    return svg(title, TOP * 2 + len(items) * (BAR_HEIGHT + 6), body)
