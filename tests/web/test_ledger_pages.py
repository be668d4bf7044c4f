"""The ledger pages: who may open them, import through the form, export, every view and export audited."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import pytest
from district_helpers import add_places
from ledger_helpers import fake_number, ledger_workbook
from openpyxl import load_workbook
from sqlalchemy import select

from service.db import db_session
from service.models import AuditEvent

LATER = date.today() + timedelta(days=400)


def csrf_token(client, path: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def unit_id(app):
    with app.app_context():
        return add_places()["京安建筑有限公司"].id


def post_ledger(client, unit_id: int, body: bytes):
    return client.post(f"/units/{unit_id}/ledger", content_type="multipart/form-data",
                       data={"workbook": (io.BytesIO(body), "台账.xlsx"),
                             "csrf_token": csrf_token(client, f"/units/{unit_id}/ledger")})


def test_ledgers_are_for_clerks_supervisors_and_admins(client, make_user, login, unit_id):
    for name, role, status in [("wang", "inspector", 403), ("li", "reviewer", 403), ("zhao", "clerk", 200),
                               ("chen", "supervisor", 200), ("sun", "admin", 200)]:
        make_user(name, role)
        login(client, name, f"pw-{name}")
        for path in ("/ledgers", f"/units/{unit_id}/ledger", f"/units/{unit_id}/ledger.xlsx", "/ledger-template.xlsx"):
            assert client.get(path).status_code == status, (role, path)
        assert ('href="/ledgers"' in client.get("/checks").get_data(as_text=True)) == (status == 200)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/checks")})


def test_a_clerk_imports_a_ledger_and_exports_it(app, client, make_user, login, unit_id):
    make_user("zhao", "clerk")
    login(client, "zhao", "pw-zhao")
    assert "No ledger" in client.get("/ledgers").get_data(as_text=True)
    body = ledger_workbook([("张三", "电工", "特种作业操作证", fake_number(1), "叉车司机", LATER),
                            ("李四", "焊工", None, None, None, None)])
    assert post_ledger(client, unit_id, body).headers["Location"] == f"/units/{unit_id}/ledger"
    page = client.get(f"/units/{unit_id}/ledger").get_data(as_text=True)
    assert "张三" in page and "T99000*********001X" in page and "作业项目与岗位不符" in page
    assert 'data-status="valid"' in page and 'data-status="no certificate"' in page
    assert "2 operators" in client.get("/ledgers").get_data(as_text=True)
    export = client.get(f"/units/{unit_id}/ledger.xlsx")
    assert export.headers["Content-Disposition"] == f'attachment; filename="ledger-{unit_id}.xlsx"'
    assert export.headers["X-Content-Type-Options"] == "nosniff"
    rows = list(load_workbook(io.BytesIO(export.data)).active.iter_rows(values_only=True))
    assert [row[1] for row in rows[3:]] == ["张三", "李四"]
    template = load_workbook(io.BytesIO(client.get("/ledger-template.xlsx").data)).active
    assert next(template.iter_rows(values_only=True)) == ("姓名", "岗位", "证书种类", "证号", "作业项目", "有效期至")
    with app.app_context():
        events = db_session().execute(select(AuditEvent.action, AuditEvent.object_type)
                                      .where(AuditEvent.object_type == "ledger").order_by(AuditEvent.id)).all()
    assert [action for action, _ in events] == ["view", "edit", "view", "export"]  # the first view: the form


def test_a_ledger_with_problems_changes_nothing_and_says_what_to_fix(client, make_user, login, unit_id):
    make_user("zhao", "clerk")
    login(client, "zhao", "pw-zhao")
    post_ledger(client, unit_id, ledger_workbook([("张三", "电工", None, None, None, None)]))
    response = post_ledger(client, unit_id, ledger_workbook([("李四", "电工", "驾驶证", fake_number(2), "x", LATER)]))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Row 3: 证书种类 &#39;驾驶证&#39; is none of" in page and "李四" not in page
    assert post_ledger(client, unit_id, b"not a workbook").status_code == 422
    assert client.get(f"/units/{unit_id}/ledger").get_data(as_text=True).count("<tr data-status") == 1
