"""The admin's list of districts (区县) and their using units: add a district, add a unit to one."""

from __future__ import annotations

from flask import redirect, render_template, url_for
from wtforms import SelectChoice

from service.auth import permission_required
from service.db import db_session
from service.districts import NameRefused, add_district, add_unit, all_districts
from service.models import District, Permission
from service.web import bp
from service.web.forms import DistrictForm, UnitForm


@bp.get("/districts")
@permission_required(Permission.districts)
def districts():
    return render_districts(DistrictForm(prefix="district"), unit_form())


@bp.post("/districts")
@permission_required(Permission.districts)
def create_district():
    form = DistrictForm(prefix="district")
    if form.validate_on_submit():
        try:
            add_district(db_session(), form.name.data)
        except NameRefused as refused:
            form.name.errors.append(str(refused))
        else:
            return redirect(url_for("web.districts"))
    return render_districts(form, unit_form()), 422


@bp.post("/units")
@permission_required(Permission.districts)
def create_unit():
    form = unit_form()
    if form.validate_on_submit():
        try:
            add_unit(db_session(), db_session().get(District, int(form.district.data)), form.name.data)
        except NameRefused as refused:
            form.name.errors.append(str(refused))
        else:
            return redirect(url_for("web.districts"))
    return render_districts(DistrictForm(prefix="district"), form), 422


def unit_form() -> UnitForm:
    form = UnitForm(prefix="unit")
    form.district.choices = [SelectChoice(str(district.id), district.name) for district in all_districts(db_session())]
    return form


def render_districts(district_form: DistrictForm, unit_form: UnitForm) -> str:
    return render_template("web/districts.html", districts=all_districts(db_session()), district_form=district_form,
                           unit_form=unit_form)
