"""The report forms over the API: JSON and XLSX, supervisors and admins only."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from report_helpers import FORM_A_OCTOBER, FORM_B_OCTOBER, add_october

from service.auth import create_user
from service.reports.forms import FORM_A, FORM_B


@pytest.fixture
def october(app):
    app.config["CERTGUARD_REPORTING_UNIT"] = "北京市应急管理局"
    with app.app_context():
        add_october(*(create_user(name, role) for name, role in
                      [("wang", "inspector"), ("li", "reviewer"), ("qian", "supervisor")]))


def as_json(values: dict) -> dict:
    return {key: float(value) if isinstance(value, Decimal) else value for key, value in values.items()}


@pytest.mark.parametrize(("role", "status"), [("inspector", 403), ("clerk", 403), ("reviewer", 403),
                                              ("supervisor", 200), ("admin", 200)])
def test_only_supervisors_and_admins_get_the_forms(client, make_token, role, status):
    headers = {"Authorization": f"Bearer {make_token(role)}"}
    for path in ("/api/v1/reports/form-a", "/api/v1/reports/form-b.xlsx"):
        assert client.get(path, headers=headers).status_code == status, path


@pytest.mark.parametrize(("form", "expected"), [(FORM_A, FORM_A_OCTOBER), (FORM_B, FORM_B_OCTOBER)])
def test_a_form_as_json_for_a_month(client, make_token, october, openapi, form, expected):
    response = client.get(f"/api/v1/reports/{form.id}?period=2026-10",
                          headers={"Authorization": f"Bearer {make_token('supervisor')}"})
    openapi.validate(response.json, "ReportForm")
    body = response.json
    assert (body["title"], body["filed_by"], body["period"]["label"]) == (form.title, "北京市应急管理局", "2026年10月")
    assert [column["header"] for column in body["columns"]] == form.headers[1:]
    assert {row.pop("district"): row for row in body["rows"]} | {"合计": body["total"]} == {
        area: as_json(values) for area, values in expected.items()}
    assert body["unassigned_checks"] == 1


def test_a_form_as_xlsx_has_the_exact_headers_and_the_totals(client, make_token, october):
    response = client.get("/api/v1/reports/form-b.xlsx?period=2026-10",
                          headers={"Authorization": f"Bearer {make_token('admin')}"})
    assert response.headers["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert list(rows[3]) == FORM_B.headers
    assert list(rows[-1]) == ["合计", *(float(FORM_B_OCTOBER["合计"][column.key]) for column in FORM_B.columns)]


def test_a_period_that_names_none_is_a_400(client, make_token):
    response = client.get("/api/v1/reports/form-a?period=2026-13",
                          headers={"Authorization": f"Bearer {make_token('supervisor')}"})
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_parameter"
