"""Form A and Form B filled from a month of data on SQLite and PostgreSQL; their periods; their exports read
back with openpyxl and csv; the figures supervisors enter; the dashboard's checks per month."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from report_helpers import FORM_A_OCTOBER, FORM_B_OCTOBER, OCTOBER, add_check, add_october
from sqlalchemy import select

from service.auth import create_user
from service.db import db_session
from service.models import AuditEvent, CheckState, District, ReportFigure, Unit, User
from service.reports.charts import checks_by_month
from service.reports.compute import fill_form
from service.reports.export import csv_bytes, xlsx_bytes
from service.reports.figures import entered_figures, save_figures
from service.reports.forms import FORM_A, FORM_B
from service.reports.periods import PeriodError, month_period, parse_period

FILED_ON = date(2026, 11, 18)
# The headers as the campaign plans print them (certificates.md §8), written out rather than taken from the code.
HEADERS_A = ["区县", "自查单位数", "查验证件数", "查验率(%)", "未建作业人员台账(起)", "伪造涂改冒用证件(件)",
             "转借转让证件(个)", "过期证件(个)", "无证上岗(个)", "作业项目与岗位不符(人)"]
HEADERS_B = ["县区", "出动执法人员数(人次)", "检查单位数(家)", "下达监察指令书(份)", "查办违法案件(起)",
             "捣毁制假售假窝点(个)", "查获假冒证件(个)", "经济处罚(万元)", "案件移送(件)", "曝光违法行为(起)",
             "责任追究(人)"]


@pytest.fixture
def october(db_app):
    db_app.config["CERTGUARD_REPORTING_UNIT"] = "北京市应急管理局"
    with db_app.app_context():
        people = [create_user(name, role) for name, role in
                  [("wang", "inspector"), ("li", "reviewer"), ("chen", "supervisor")]]
        add_october(*people)
        yield


def as_rows(table) -> dict[str, dict]:
    return {row.area: row.values for row in (*table.rows, table.total)}


def expected_cells(form, expected: dict[str, dict]) -> list[list]:
    return [[area, *(float(values[column.key]) if isinstance(values[column.key], Decimal) else values[column.key]
                     for column in form.columns)] for area, values in expected.items()]


def test_form_a_is_counted_from_checks_decisions_ledgers_and_what_supervisors_entered(october):
    table = fill_form(db_session(), FORM_A, month_period(OCTOBER), filed_on=FILED_ON)
    assert as_rows(table) == FORM_A_OCTOBER
    assert table.unassigned_checks == 1
    assert (table.filed_by, table.period.label) == ("北京市应急管理局", "2026年10月")


def test_form_b_counts_the_fakes_seized_and_sums_what_supervisors_entered(october):
    assert as_rows(fill_form(db_session(), FORM_B, month_period(OCTOBER), filed_on=FILED_ON)) == FORM_B_OCTOBER


def test_the_xlsx_has_the_forms_layout_exact_headers_and_the_fixtures_totals(october):
    for form, expected, headers in [(FORM_A, FORM_A_OCTOBER, HEADERS_A), (FORM_B, FORM_B_OCTOBER, HEADERS_B)]:
        table = fill_form(db_session(), form, month_period(OCTOBER), filed_on=FILED_ON)
        sheet = load_workbook(io.BytesIO(xlsx_bytes(table))).active
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert rows[0][0] == form.title
        assert rows[1][0] == "填报单位：北京市应急管理局" and rows[1][-1] == "填报时间：2026年11月18日"
        assert rows[2][0] == "统计期间：2026年10月"
        assert rows[3] == headers
        assert rows[4:] == expected_cells(form, expected)
        assert rows[-1][0] == "合计"
        assert {str(cells) for cells in sheet.merged_cells.ranges} == {f"A1:{chr(64 + len(headers))}1",
                                                                       f"A3:{chr(64 + len(headers))}3"}


def test_the_csv_has_the_same_rows(october):
    table = fill_form(db_session(), FORM_A, month_period(OCTOBER), filed_on=FILED_ON)
    body = csv_bytes(table)
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [FORM_A.title] and rows[3] == HEADERS_A
    assert rows[-1] == ["合计", "3", "7", "60.0", "1", "2", "1", "1", "4", "1"]
    assert rows[-2] == ["朝阳区", "0", "0", "", "0", "0", "0", "0", "0", "0"]


def test_a_range_and_the_campaign_count_september_too(october):
    both = parse_period("2026-09-01..2026-10-31", today=date(2026, 11, 24), campaign_start=OCTOBER)
    row = as_rows(fill_form(db_session(), FORM_A, both))["西城区"]
    assert (row["certificates_checked"], row["expired"], row["check_rate"]) == (3, 1, Decimal("100.0"))
    campaign = parse_period("campaign", today=date(2026, 11, 24), campaign_start=date(2026, 9, 1))
    assert as_rows(fill_form(db_session(), FORM_A, campaign))["合计"]["certificates_checked"] == 9
    november = as_rows(fill_form(db_session(), FORM_A, month_period(date(2026, 11, 1))))["合计"]
    assert (november["certificates_checked"], november["unlicensed"], november["post_mismatch"]) == (0, 1, 1)


def test_the_dashboard_counts_checks_per_district_in_local_months(october):
    wang = db_session().scalars(select(User).where(User.username == "wang")).one()
    jingan, xisi = (db_session().scalars(select(Unit.id).where(Unit.name == name)).one()
                    for name in ("京安建筑有限公司", "西四机电安装公司"))
    add_check(wang, jingan, None, at=datetime(2025, 10, 31, 15, 30, tzinfo=UTC))  # 23:30 local: before the window
    add_check(wang, jingan, None, at=datetime(2025, 10, 31, 16, 30, tzinfo=UTC))  # 00:30 local on 1 November
    add_check(wang, jingan, None, at=datetime(2026, 8, 15, 2, tzinfo=UTC))
    add_check(wang, jingan, None, at=datetime(2026, 9, 30, 16, 30, tzinfo=UTC))  # 00:30 local on 1 October
    add_check(wang, xisi, None, at=datetime(2026, 10, 31, 16, tzinfo=UTC))  # local midnight: November, after it
    add_check(wang, xisi, None, at=datetime(2026, 9, 10, 2, tzinfo=UTC)).state = CheckState.queued
    db_session().commit()
    chart = checks_by_month(db_session(), month_period(OCTOBER))
    assert chart.headers == ["区县", "2025-11", "2025-12", *(f"2026-{month:02}" for month in range(1, 11))]
    assert chart.rows == [["东城区", 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 8],  # October: the fixture's 7 and 00:30
                          ["西城区", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 1],
                          ["朝阳区", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]]


@pytest.mark.parametrize(("text", "first", "last", "label"), [
    ("2026-02", date(2026, 2, 1), date(2026, 2, 28), "2026年2月"),
    ("2026-12", date(2026, 12, 1), date(2026, 12, 31), "2026年12月"),
    ("2026-11-05..2026-12-10", date(2026, 11, 5), date(2026, 12, 10), "2026-11-05 至 2026-12-10"),
    ("campaign", date(2026, 6, 1), date(2026, 11, 24), "专项行动以来（2026-06-01 至 2026-11-24）"),
])
def test_periods(text, first, last, label):
    period = parse_period(text, today=date(2026, 11, 24), campaign_start=date(2026, 6, 1))
    assert (period.first, period.last, period.label) == (first, last, label)


def test_a_period_runs_from_local_midnight_to_local_midnight():
    start, end = month_period(date(2026, 10, 1)).utc_bounds()
    assert (start, end) == (datetime(2026, 9, 30, 16, tzinfo=UTC), datetime(2026, 10, 31, 16, tzinfo=UTC))
    assert parse_period("2026-11-05..2026-12-10", today=date(2026, 12, 31), campaign_start=OCTOBER).months() == [
        date(2026, 11, 1), date(2026, 12, 1)]


@pytest.mark.parametrize("text", ["", "2026-13", "2026-1", "2026-12-10..2026-11-05", "2026-02-30..2026-03-01",
                                  "last month"])
def test_a_period_that_names_none_is_refused(text):
    with pytest.raises(PeriodError, match="'period' must be a month"):
        parse_period(text, today=date(2026, 11, 24), campaign_start=OCTOBER)


def test_entered_figures_replace_each_other_and_every_change_is_audited(db_app):
    with db_app.app_context():
        chen = create_user("chen", "supervisor")
        district = District(name="东城区")
        db_session().add(district)
        db_session().commit()
        key = (district.id, "officers")
        save_figures(db_session(), FORM_B, OCTOBER, {key: Decimal(3)}, chen)
        save_figures(db_session(), FORM_B, OCTOBER, {key: Decimal(3)}, chen)  # unchanged: no audit row
        save_figures(db_session(), FORM_B, OCTOBER, {key: Decimal(5)}, chen)
        assert entered_figures(db_session(), FORM_B.id, [OCTOBER])[district.id] == {"officers": Decimal(5)}
        save_figures(db_session(), FORM_B, OCTOBER, {key: None}, chen)
        assert db_session().scalars(select(ReportFigure)).all() == []
        changes = [event.detail["changes"] for event in db_session().scalars(
            select(AuditEvent).where(AuditEvent.object_type == "report").order_by(AuditEvent.id))]
        assert changes == [[{"district": district.id, "field": "officers", "from": None, "to": "3"}],
                           [{"district": district.id, "field": "officers", "from": "3.00", "to": "5"}],
                           [{"district": district.id, "field": "officers", "from": "5.00", "to": None}]]
