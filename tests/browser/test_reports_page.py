"""A supervisor fills Form B for a month and downloads both forms — in Debian's real chromium, against the
app served over HTTP, on the month of data of tests/report_helpers.py."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import SCREENSHOTS, chromium_page, log_in
from openpyxl import load_workbook
from playwright.sync_api import Page, expect
from report_helpers import FORM_A_OCTOBER, FORM_B_OCTOBER, add_october

from service.auth import create_user
from service.reports.forms import FORM_A, FORM_B

pytestmark = pytest.mark.browser

WIDE = {"width": 1280, "height": 900}
ENTERED = {"出动执法人员数(人次)": 6, "检查单位数(家)": 4, "经济处罚(万元)": 0.8}  # 朝阳区, which had none


@pytest.fixture
def october(app):
    app.config["CERTGUARD_REPORTING_UNIT"] = "北京市应急管理局"
    with app.app_context():
        add_october(*(create_user(name, role, f"pw-{name}") for name, role in
                      [("wang", "inspector"), ("li", "reviewer"), ("chen", "supervisor")]))


@pytest.fixture
def browser_page() -> Iterator[Page]:
    with chromium_page(viewport=WIDE, accept_downloads=True) as page:
        yield page


def downloaded_rows(page: Page, form_id: str) -> list[list]:
    """Click the form's XLSX link and read the file the browser saved."""
    with page.expect_download() as download:
        page.locator(f"#{form_id}").get_by_role("link", name="XLSX").click()
    assert download.value.suggested_filename == f"{form_id}-2026-10.xlsx"
    workbook = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def test_a_supervisor_fills_form_b_for_a_month_and_downloads_both_forms(october, live_server, browser_page):
    page = browser_page
    page.goto(live_server + "/login")
    log_in(page, "chen")
    page.get_by_role("link", name="Reports").click()
    page.get_by_label("Month 月份").fill("2026-10")
    page.get_by_role("button", name="Show month").click()
    expect(page.locator("#form-a .filing")).to_contain_text("统计期间：2026年10月")
    expect(page.locator("#form-a tfoot")).to_contain_text("60.0")
    page.locator("#form-a").screenshot(path=SCREENSHOTS / "certguard-form-a.png")

    page.locator("#form-b").get_by_role("link", name="Enter figures 填报").click()
    expect(page.get_by_role("heading", name="Enter figures")).to_contain_text("2026年10月")
    for header, value in ENTERED.items():
        page.get_by_label(f"朝阳区 {header}").fill(str(value))
    page.get_by_role("button", name="Save figures").click()
    expect(page.locator("#form-b tbody tr").filter(has_text="朝阳区")).to_contain_text("0.80")
    page.locator("#form-b").screenshot(path=SCREENSHOTS / "certguard-form-b.png")

    form_a = downloaded_rows(page, "form-a")
    assert form_a[3] == FORM_A.headers
    assert form_a[-1] == ["合计", *(float(value) if value is not None else None
                                   for value in FORM_A_OCTOBER["合计"].values())]
    form_b = downloaded_rows(page, "form-b")
    assert form_b[1][0] == "填报单位：北京市应急管理局" and form_b[2][0] == "统计期间：2026年10月"
    assert form_b[3] == FORM_B.headers
    expected = dict(FORM_B_OCTOBER["合计"], officers=20 + 6, units_inspected=8 + 4, fines=3.75 + 0.8)
    assert form_b[-1] == ["合计", *(pytest.approx(float(expected[column.key])) for column in FORM_B.columns)]
    page.get_by_role("link", name="Dashboard 统计图表").click()
    expect(page.locator("svg.chart")).to_have_count(2)
    expect(page.locator("svg.chart polyline")).to_have_count(3)  # one line per district
    page.screenshot(path=SCREENSHOTS / "certguard-dashboard.png", full_page=True)
