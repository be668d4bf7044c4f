"""Operator ledgers on SQLite and PostgreSQL: import from Excel, statuses, the post check, export."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, timedelta

import openpyxl.xml
import pytest
from district_helpers import add_places
from ledger_helpers import fake_number, ledger_workbook
from openpyxl import load_workbook
from review_helpers import add_flagged

from service import ledger
from service.auth import create_user
from service.db import db_session
from service.ledger import (
    LedgerRefused,
    LedgerStatus,
    ledger_lines,
    ledger_xlsx,
    read_ledger,
    replace_ledger,
    template_xlsx,
)
from service.review import decide
from verification.kinds import load_kinds

TODAY = date.today()
SOON = TODAY + timedelta(days=30)
LATER = TODAY + timedelta(days=400)
PAST = TODAY - timedelta(days=1)
KINDS = load_kinds()


def read(rows, **options):
    return read_ledger(io.BytesIO(ledger_workbook(rows, **options)), KINDS)


@pytest.fixture
def unit(db_app):
    with db_app.app_context():
        yield add_places()["京安建筑有限公司"]


def test_a_ledger_gives_each_operator_a_status_and_checks_the_post(db_app, unit):
    reviewer, inspector = create_user("li", "reviewer"), create_user("wang", "inspector")
    forged = add_flagged(inspector, verdict="reject", codes=("QR_MISMATCH",), number=fake_number(4), name="赵六")
    checked = add_flagged(inspector, verdict="suspect", number=fake_number(1), name="张三")
    decide(db_session(), forged, reviewer, {"decision": "counterfeit", "category": "forged"})
    rows = read([
        ("张三", "电工", "特种作业操作证", fake_number(1), "低压电工作业", LATER),
        ("李四", "电工", "special_operation", fake_number(2), "叉车司机", f"{SOON:%Y年%m月%d日}"),
        ("王五", "焊工", "中华人民共和国特种作业操作证", fake_number(3), "熔化焊接与热切割作业", PAST.isoformat()),
        ("赵六", "厨师", "特种作业操作证", fake_number(4), "低压电工作业", LATER),
        (None, None, None, None, None, None),  # blank rows are skipped
        ("钱七", "架子工", None, None, None, None),
    ])
    assert [(row.name, row.scheme, row.valid_until) for row in rows][:2] == [
        ("张三", "special_operation", LATER), ("李四", "special_operation", SOON)]
    replace_ledger(db_session(), unit, rows, "ledger.xlsx")
    lines = ledger_lines(db_session(), unit, TODAY)
    assert [(line.entry.name, line.status, line.post_mismatch) for line in lines] == [
        ("张三", LedgerStatus.valid, False),
        ("李四", LedgerStatus.expiring, True),  # a forklift certificate does not fit an electrician's post
        ("王五", LedgerStatus.expired, False),
        ("赵六", LedgerStatus.counterfeit, None),  # a cook's post is not in the table: not judged
        ("钱七", LedgerStatus.no_certificate, None),
    ]
    assert lines[0].last_check.id == checked.id and lines[1].last_check is None
    assert lines[0].masked_number == "T99000*********001X"


def test_an_import_replaces_the_units_ledger(db_app, unit):
    replace_ledger(db_session(), unit, read([("张三", "电工", None, None, None, None)] * 3), "first.xlsx")
    replace_ledger(db_session(), unit, read([("李四", "焊工", None, None, None, None)]), "second.xlsx")
    assert [line.entry.name for line in ledger_lines(db_session(), unit, TODAY)] == ["李四"]


@pytest.mark.parametrize(("rows", "options", "problem"), [
    ([("张三", "电工", "特种作业操作证", "T12345678901234", "低压电工作业", LATER)], {},
     "Row 3: 证号 T12345*****1234 does not have the form of a 特种作业操作证."),
    ([("张三", "电工", "特种作业操作证", 9.9e17, "低压电工作业", LATER)], {},
     "Row 3: 证号 is stored as a number, which loses digits; format the column as text."),
    ([("张三", "电工", "特种作业操作证", fake_number(1), None, None)], {},
     "Row 3: 作业项目, 有效期至 required with a 证号."),
    ([("张三", "电工", "驾驶证", fake_number(1), "低压电工作业", LATER)], {},
     "Row 3: 证书种类 '驾驶证' is none of"),
    ([("张三", "电工", "特种作业操作证", fake_number(1), "低压电工作业", "明年")], {},
     "Row 3: 有效期至 '明年' is not a date (YYYY-MM-DD)."),
    ([(None, "电工", None, None, None, None)], {}, "Row 3: 姓名 and 岗位 are required."),
    ([("张三", "电工")], {"headers": ("姓名", "岗位")}, "No header row with 姓名, 岗位 and 证号 in the first 10 rows."),
])
def test_a_ledger_with_a_problem_is_refused_saying_where(rows, options, problem):
    with pytest.raises(LedgerRefused) as refused:
        read(rows, **options)
    assert refused.value.problems[0].startswith(problem)
    assert not re.search(r"\d{17}[\dX]", " ".join(refused.value.problems))


def test_what_is_not_a_workbook_or_unpacks_too_far_is_refused(monkeypatch):
    with pytest.raises(LedgerRefused, match="not an Excel workbook"):
        read_ledger(io.BytesIO(b"PK\x03\x04 nothing"), KINDS)
    monkeypatch.setattr(ledger, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(LedgerRefused, match="unpacks to more than"):
        read([("张三", "电工", None, None, None, None)])


def test_a_long_ledger_is_refused_rather_than_read_on(monkeypatch):
    monkeypatch.setattr(ledger, "MAX_ROWS", 2)
    with pytest.raises(LedgerRefused, match="more than 2 operators"):
        read([("张三", "电工", None, None, None, None)] * 3)


def test_the_export_shows_what_certguard_adds_with_numbers_masked(db_app, unit):
    rows = read([("张三", "电工", "特种作业操作证", fake_number(1), "叉车司机", SOON),
                 ("@张三", "焊工", None, None, None, None)])
    replace_ledger(db_session(), unit, rows, "ledger.xlsx")
    body = ledger_xlsx(unit, ledger_lines(db_session(), unit, TODAY), TODAY)
    sheet = load_workbook(io.BytesIO(body)).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "东城区 京安建筑有限公司 作业人员管理台账"
    assert values[2] == ["序号", "姓名", "岗位", "证书种类", "证号", "作业项目", "有效期至", "最近查验", "查验结论",
                         "状态", "岗位核对"]
    assert values[3][:6] == [1, "张三", "电工", "特种作业操作证", "T99000*********001X", "叉车司机"]
    assert values[3][6].date() == SOON
    assert values[3][9:] == ["即将到期", "作业项目与岗位不符"]
    assert values[4][1] == "'@张三" and values[4][9] == "无证"  # no formula from a unit's text
    assert not re.search(r"\d{17}[\dX]", repr(values))


def test_the_template_imports_as_it_is():
    rows = read_ledger(io.BytesIO(template_xlsx()), KINDS)
    assert [(row.post, row.scheme, row.item) for row in rows] == [("建筑电工", "construction_operation", "建筑电工")]


def test_a_number_typed_in_lower_case_is_read_in_upper_case():
    [row] = read([("张三", "电工", "特种作业操作证", fake_number(1).lower(), "低压电工作业", LATER)])
    assert row.number == fake_number(1)


def entity_bomb_ledger() -> bytes:
    """A ledger whose sheet declares nested entities (a "billion laughs"), as a crafted upload might."""
    source = ledger_workbook([("张伟", "电工", fake_number(1))])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as parts, zipfile.ZipFile(out, "w") as bomb:
        for part in parts.infolist():
            data = parts.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                lol = "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
                doctype = f'<!DOCTYPE worksheet [<!ENTITY l0 "lol">{lol}]>'
                data = doctype.encode() + data.replace(b"<t>", b"<t>&l9;", 1)
            bomb.writestr(part, data)
    return out.getvalue()


def test_a_ledger_declaring_entities_is_refused_not_expanded():
    assert openpyxl.xml.DEFUSEDXML  # openpyxl parses through defusedxml, which refuses the declarations
    with pytest.raises(LedgerRefused, match="not an Excel workbook"):
        read_ledger(io.BytesIO(entity_bomb_ledger()), KINDS)
