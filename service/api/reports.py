"""The report forms over the API, for supervisors and admins: JSON, or the authority's XLSX layout."""

from __future__ import annotations

from flask import request

from service.api import bp
from service.api.errors import ApiError
from service.auth import token_required
from service.db import db_session
from service.models import Permission
from service.reports.compute import FormTable, fill_form, resolve_period
from service.reports.export import download_response
from service.reports.forms import FORMS
from service.reports.periods import PeriodError


@bp.get("/reports/form-a", defaults={"form_id": "form-a"})
@bp.get("/reports/form-b", defaults={"form_id": "form-b"})
@token_required(Permission.report)
def get_report(form_id: str):
    """The form for `?period=` (a month YYYY-MM, a range YYYY-MM-DD..YYYY-MM-DD or `campaign`; last month
    by default): its columns, one row per district and the total."""
    return filled(form_id).to_dict()


@bp.get("/reports/form-a.xlsx", defaults={"form_id": "form-a"})
@bp.get("/reports/form-b.xlsx", defaults={"form_id": "form-b"})
@token_required(Permission.report)
def get_report_xlsx(form_id: str):
    """The same form as the authority's spreadsheet (the export is audited)."""
    return download_response(filled(form_id), "xlsx")


def filled(form_id: str) -> FormTable:
    try:
        period = resolve_period(db_session(), request.args.get("period"))
    except PeriodError as refused:
        raise ApiError(400, "invalid_parameter", str(refused)) from None
    return fill_form(db_session(), FORMS[form_id], period)
