"""The supervisors' pages: the forms for a period, entering figures, downloads, the dashboard; who may."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from report_helpers import FORM_A_OCTOBER, add_october
from sqlalchemy import select

from service.auth import create_user
from service.db import db_session
from service.models import AuditEvent, District, ReportFigure
from service.reports.forms import FORM_A


def csrf_token(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def october(app):
    app.config["CERTGUARD_REPORTING_UNIT"] = "北京市东城区应急管理局"
    with app.app_context():
        add_october(*(create_user(name, role) for name, role in
                      [("wang", "inspector"), ("li", "reviewer"), ("qian", "supervisor")]))


@pytest.fixture
def supervisor(client, make_user, login):
    make_user("chen", "supervisor")
    login(client, "chen", "pw-chen")


def test_reports_are_for_supervisors_and_admins(client, make_user, login):
    paths = ["/reports", "/reports/dashboard", "/reports/figures/form-b", "/reports/form-a.xlsx",
             "/reports/form-b.csv"]
    for name, role, status in [("wang", "inspector", 403), ("zhao", "clerk", 403), ("li", "reviewer", 403),
                               ("chen", "supervisor", 200), ("sun", "admin", 200)]:
        make_user(name, role)
        login(client, name, f"pw-{name}")
        for path in paths:
            assert client.get(path).status_code == status, (role, path)
        assert ('href="/reports"' in client.get("/checks").get_data(as_text=True)) == (status == 200)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/checks")})


def test_the_forms_page_shows_the_months_figures_and_where_each_comes_from(client, supervisor, october):
    page = client.get("/reports?period=2026-10").get_data(as_text=True)
    assert "建筑施工特种设备使用单位自查情况统计表" in page and "打击假冒特种设备作业操作证专项治理行动统计报表" in page
    assert "填报单位：北京市东城区应急管理局" in page and "统计期间：2026年10月" in page
    form_a = page[page.index('id="form-a"'):page.index('id="form-b"')]
    total = re.search(r"<tfoot><tr><th scope=\"row\">合计</th>(.*?)</tr></tfoot>", form_a, re.S).group(1)
    assert re.findall(r'<td class="number">([^<]*)</td>', total) == [
        str(FORM_A_OCTOBER["合计"][column.key]) for column in FORM_A.columns]
    assert re.search(r"无证上岗\(个\)\s*<span class=\"source source-computed-entered\">数据\+填报</span>", form_a)
    assert re.search(r"出动执法人员数\(人次\)\s*<span class=\"source source-entered\">填报</span>", page)
    assert re.search(r"查获假冒证件\(个\)\s*<span class=\"source source-computed\">数据</span>", page)
    assert re.search(r"In no row: checks of this period that belong to no using unit .*?: 1\.", page, re.S)


def test_a_supervisor_enters_form_b_figures_for_a_month(app, client, supervisor, october):
    with app.app_context():
        district_id, xicheng = (db_session().scalars(select(District.id).where(District.name == name)).one()
                                for name in ("朝阳区", "西城区"))
    path = "/reports/figures/form-b?month=2026-10"
    page = client.get(path).get_data(as_text=True)
    assert 'aria-label="朝阳区 出动执法人员数(人次)"' in page and 'value="12"' in page  # 东城区's, stored
    token = csrf_token(client, path)
    refused = client.post(path, data={"csrf_token": token, f"d{district_id}_officers": "-1"})
    assert refused.status_code == 422
    response = client.post(path, data={"csrf_token": token, f"d{district_id}_officers": "4",
                                       f"d{district_id}_fines": "0.5", f"d{xicheng}_officers": ""})
    assert response.headers["Location"] == "/reports?period=2026-10"
    with app.app_context():
        stored = {figure.field: figure.value for figure in db_session().scalars(
            select(ReportFigure).where(ReportFigure.district_id == district_id))}
    assert stored == {"officers": 4, "fines": 0.5}
    # 西城区's officers were sent empty, so cleared; figures not sent at all keep their value
    form_b = client.get("/reports/form-b.csv?period=2026-10").data.decode("utf-8-sig").splitlines()
    assert form_b[-1] == "合计,16,8,3,2,1,2,4.25,1,2,1"


def test_downloads_are_the_forms_and_are_audited(app, client, supervisor, october):
    response = client.get("/reports/form-a.xlsx?period=2026-10")
    assert response.headers["Content-Disposition"] == 'attachment; filename="form-a-2026-10.xlsx"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    rows = list(load_workbook(io.BytesIO(response.data)).active.iter_rows(values_only=True))
    assert rows[-1][:3] == ("合计", 3, 7)
    ranged = client.get("/reports/form-b.csv?first=2026-09-01&last=2026-10-31")
    assert ranged.headers["Content-Disposition"] == 'attachment; filename="form-b-2026-09-01_2026-10-31.csv"'
    assert client.get("/reports?period=2026-13").status_code == 400
    assert client.get("/reports/form-c.xlsx").status_code == 404
    with app.app_context():
        exports = db_session().scalars(select(AuditEvent.object_id).where(AuditEvent.action == "export")).all()
    assert exports == ["form-a 2026-10", "form-b 2026-09-01..2026-10-31"]


def test_the_dashboard_draws_its_charts_on_the_server(client, supervisor, october):
    page = client.get("/reports/dashboard?period=2026-10").get_data(as_text=True)
    assert page.count('<svg class="chart"') == 2
    assert "Checks per month by district, 2025-11 to 2026-10" in page
    assert re.search(r"<title>东城区 2026-10: 7</title>", page)  # 东城区's October checks (a card twice)
    assert re.search(r"<title>EXPIRED: 1</title>", page)
    assert not re.search(r'(src|href)="https?://', page)
