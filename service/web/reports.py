"""The supervisors' pages: the two report forms for a period with their downloads, the figures entered by
hand for a month, and the dashboard."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask import abort, redirect, render_template, request, url_for
from flask_login import current_user

from service.auth import permission_required
from service.db import db_session
from service.districts import all_districts
from service.models import Permission
from service.reports.charts import dashboard_charts
from service.reports.compute import count_figures, fill_form, resolve_period
from service.reports.export import CONTENT_TYPES, download_response, text_of
from service.reports.figures import entered_figures, save_figures
from service.reports.forms import FORMS, SOURCE_LABELS
from service.reports.periods import Period, PeriodError, last_month, parse_month
from service.web import bp
from service.web.forms import figure_field, figures_form

bp.add_app_template_filter(text_of, "figure")  # a form's cell printed on the page as in its export


@bp.get("/reports")
@permission_required(Permission.report)
def reports():
    """Form A and Form B for the period asked (by default last month: the one reported by the 20th)."""
    period = requested_period()
    counted = count_figures(db_session(), period)  # both forms draw on the same counts
    tables = [fill_form(db_session(), form, period, counted=counted) for form in FORMS.values()]
    return render_template("web/reports.html", period=period, tables=tables, sources=SOURCE_LABELS,
                           formats=CONTENT_TYPES)


@bp.get("/reports/<form_id>.<fmt>")
@permission_required(Permission.report)
def report_download(form_id: str, fmt: str):
    if form_id not in FORMS or fmt not in CONTENT_TYPES:
        abort(404)
    return download_response(fill_form(db_session(), FORMS[form_id], requested_period()), fmt)


@bp.route("/reports/figures/<form_id>", methods=["GET", "POST"])
@permission_required(Permission.report)
def report_figures(form_id: str):
    """The figures of `form_id` that supervisors enter, for every district, for one month."""
    form = FORMS.get(form_id)
    if form is None:
        abort(404)
    month = requested_month()
    districts = all_districts(db_session())
    figures = figures_form(form, districts, entered_figures(db_session(), form.id, [month]))
    if figures.validate_on_submit():
        save_figures(db_session(), form, month, {
            (district.id, column.key): entered_value(figures[figure_field(district.id, column.key)].data)
            for district in districts for column in form.entered_columns}, current_user)
        return redirect(url_for("web.reports", period=f"{month:%Y-%m}"))
    return render_template("web/report_figures.html", form=form, figures=figures, districts=districts,
                           month=month, field=figure_field), 422 if figures.is_submitted() else 200


@bp.get("/reports/dashboard")
@permission_required(Permission.report)
def dashboard():
    period = requested_period()
    return render_template("web/dashboard.html", period=period, charts=dashboard_charts(db_session(), period))


def requested_period() -> Period:
    """`?period=` (see service.reports.periods), or `?first=…&last=…` from the page's date inputs; by default
    last month."""
    text = request.args.get("period")
    if not text and request.args.get("first") and request.args.get("last"):
        text = f"{request.args['first']}..{request.args['last']}"
    try:
        return resolve_period(db_session(), text)
    except PeriodError as refused:
        abort(400, str(refused))


def requested_month() -> date:
    """`?month=YYYY-MM`, by default last month."""
    try:
        return parse_month(request.args["month"]) if request.args.get("month") else last_month().first
    except PeriodError as refused:
        abort(400, str(refused))


def entered_value(value: int | Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value)
