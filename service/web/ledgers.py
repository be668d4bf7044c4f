"""The using units' operator ledgers: which units have one, a unit's ledger with each operator's status,
its import from Excel and its export."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, redirect, render_template, url_for
from sqlalchemy import func, select

from service import audit
from service.auth import permission_required
from service.db import db_session
from service.districts import all_districts
from service.downloads import XLSX_MEDIA_TYPE, attachment
from service.ledger import COLUMNS, LedgerRefused, ledger_lines, ledger_xlsx, read_ledger, replace_ledger, template_xlsx
from service.models import AuditAction, LedgerEntry, Permission, Unit
from service.pipeline import get_kinds, upload_source
from service.web import bp
from service.web.forms import LedgerForm


@bp.get("/ledgers")
@permission_required(Permission.ledger)
def ledgers():
    """Every unit by district, with the size and date of its ledger (a unit without one is a Form A finding)."""
    sizes = {row.unit_id: row for row in db_session().execute(
        select(LedgerEntry.unit_id, func.count().label("operators"), func.max(LedgerEntry.imported_at).label("at"))
        .group_by(LedgerEntry.unit_id))}
    return render_template("web/ledgers.html", districts=all_districts(db_session()), sizes=sizes)


@bp.get("/units/<int:unit_id>/ledger")
@permission_required(Permission.ledger)
def ledger(unit_id: int):
    return render_ledger(unit_or_404(unit_id), LedgerForm())


@bp.post("/units/<int:unit_id>/ledger")
@permission_required(Permission.ledger)
def import_ledger(unit_id: int):
    """Replace the unit's ledger with the uploaded workbook; a workbook with any problem changes nothing."""
    unit, form = unit_or_404(unit_id), LedgerForm()
    if not form.validate_on_submit():
        return render_ledger(unit, form), 422
    upload = form.workbook.data
    try:
        rows = read_ledger(upload.stream, get_kinds())
    except LedgerRefused as refused:
        form.workbook.errors.extend(refused.problems)
        return render_ledger(unit, form), 422
    replace_ledger(db_session(), unit, rows, upload_source(upload.filename))
    return redirect(url_for("web.ledger", unit_id=unit.id))


@bp.get("/units/<int:unit_id>/ledger.xlsx")
@permission_required(Permission.ledger)
def export_ledger(unit_id: int):
    unit = unit_or_404(unit_id)
    today = date.today()
    body = ledger_xlsx(unit, ledger_lines(db_session(), unit, today), today)
    audit.record(AuditAction.export, object_type="ledger", object_id=unit.id, detail={"format": "xlsx"})
    return download(body, f"ledger-{unit.id}.xlsx")


@bp.get("/ledger-template.xlsx")
@permission_required(Permission.ledger)
def ledger_template():
    return download(template_xlsx(), "ledger-template.xlsx")


def unit_or_404(unit_id: int) -> Unit:
    unit = db_session().get(Unit, unit_id)
    if unit is None:
        abort(404)
    return unit


def render_ledger(unit: Unit, form: LedgerForm) -> str:
    """The page shows names and masked numbers: its view is audited like a check's."""
    lines = ledger_lines(db_session(), unit, date.today())
    audit.record(AuditAction.view, object_type="ledger", object_id=unit.id)
    return render_template("web/ledger.html", unit=unit, lines=lines, form=form, columns=COLUMNS)


def download(body: bytes, filename: str) -> Response:
    return attachment(body, XLSX_MEDIA_TYPE, filename)
