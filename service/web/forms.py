"""The forms on the site. Flask-WTF adds and checks the CSRF token on each."""

from decimal import Decimal

from flask import session
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DecimalField, IntegerField, PasswordField, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from service.db import db_session
from service.districts import NameRefused, unit_choices, unit_from_field
from service.models import District, Unit
from service.reports.forms import ReportForm

LAST_UNIT = "unit_id"  # the session remembers the unit last picked: an inspector checks many cards at one site


class LoginForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired(), Length(max=80)])
    password = PasswordField("Password", validators=[DataRequired()])


class UploadForm(FlaskForm):
    """An upload with the using unit it was made at (see service.districts), preset to the last one picked."""

    unit = SelectField("Using unit 使用单位", default="")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.unit.choices = unit_choices(db_session())
        self.offers_units = len(self.unit.choices) > 1
        if self.offers_units:
            self.unit.render_kw = {"required": True}
        if not self.is_submitted():
            self.unit.data = str(session.get(LAST_UNIT, ""))
        self.picked_unit: Unit | None = None

    def validate_unit(self, field: SelectField) -> None:
        try:
            self.picked_unit = unit_from_field(db_session(), field.data)
        except NameRefused as refused:
            raise ValidationError(str(refused)) from None

    def remember_unit(self) -> int | None:
        """The picked unit's id, kept in the session to preset the next upload's picker."""
        session[LAST_UNIT] = self.picked_unit.id if self.picked_unit else None
        return session[LAST_UNIT]


class CheckForm(UploadForm):
    image = FileField("Certificate photo", validators=[FileRequired("Take or choose a photo of the certificate.")])


class BatchForm(UploadForm):
    archive = FileField("ZIP, PDF, TIFF or image", validators=[FileRequired("Choose the file of scanned cards.")])


class DistrictForm(FlaskForm):
    name = StringField("District 区县", validators=[DataRequired(), Length(max=District.name.type.length)])


class UnitForm(FlaskForm):
    district = SelectField("District 区县")  # choices: the districts
    name = StringField("Unit name 单位名称", validators=[DataRequired(), Length(max=Unit.name.type.length)])


class LedgerForm(FlaskForm):
    workbook = FileField("Ledger workbook (.xlsx)", validators=[FileRequired("Choose the unit's ledger (.xlsx).")])


def figures_form(form: ReportForm, districts: list[District], stored: dict[int, dict[str, Decimal]]) -> FlaskForm:
    """A form with one input per district and entered column of `form`, preset to the stored figures.

    Built per request (WTForms' way to vary fields): the districts are data. An empty input clears a figure.
    """

    class FiguresForm(FlaskForm):
        pass

    for district in districts:
        for column in form.entered_columns:
            field_class = DecimalField if column.decimals else IntegerField
            options = {"places": column.decimals} if column.decimals else {}
            value = stored.get(district.id, {}).get(column.key)
            setattr(FiguresForm, figure_field(district.id, column.key), field_class(
                f"{district.name} {column.header}", validators=[Optional(), NumberRange(min=0, max=10**9)],
                default=value if value is None or column.decimals else int(value),
                render_kw={"min": 0, "step": f"{10 ** -column.decimals:g}" if column.decimals else 1}, **options))
    return FiguresForm()


def figure_field(district_id: int, key: str) -> str:
    return f"d{district_id}_{key}"
