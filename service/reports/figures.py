"""The figures of a form that the data cannot know, entered by supervisors for each district and month.

A figure is kept per (form, district, month, column); entering it again replaces it, and every entry is
audited with what it was and what it became.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from service import audit
from service.models import AuditAction, ReportFigure, User, utcnow
from service.reports.forms import ReportForm


def entered_figures(session: Session, form_id: str, months: list[date]) -> defaultdict[int, dict[str, Decimal]]:
    """district id → column → the sum of its figures over `months`."""
    found: defaultdict[int, dict[str, Decimal]] = defaultdict(dict)
    for figure in session.scalars(select(ReportFigure).where(ReportFigure.form == form_id,
                                                             ReportFigure.month.in_(months))):
        found[figure.district_id][figure.field] = found[figure.district_id].get(figure.field, Decimal(0)) + figure.value
    return found


def save_figures(session: Session, form: ReportForm, month: date, figures: dict[tuple[int, str], Decimal | None],
                 user: User) -> None:
    """Store a month's figures, (district id, column key) → value (None clears it), committed with one audit
    row listing the changes."""
    stored = {(figure.district_id, figure.field): figure for figure in session.scalars(
        select(ReportFigure).where(ReportFigure.form == form.id, ReportFigure.month == month))}
    changes = []
    for (district_id, key), value in figures.items():
        figure = stored.get((district_id, key))
        before = figure.value if figure else None
        if value == before:
            continue
        if value is None:
            session.delete(figure)
        elif figure is None:
            session.add(ReportFigure(form=form.id, district_id=district_id, month=month, field=key, value=value,
                                     entered_by=user.id))
        else:
            figure.value, figure.entered_by, figure.entered_at = value, user.id, utcnow()
        changes.append({"district": district_id, "field": key, "from": str(before) if before is not None else None,
                        "to": str(value) if value is not None else None})
    if changes:
        audit.record(AuditAction.edit, object_type="report", object_id=f"{form.id} {month:%Y-%m}",
                     detail={"changes": changes}, actor=user)
