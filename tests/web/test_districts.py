"""Districts and using units on the pages: the admin keeps them, uploads name one (API: tests/service)."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from district_helpers import add_places
from PIL import Image
from sqlalchemy import select

from service.batches import complete_item, expand_batch
from service.db import db_session
from service.models import AuditEvent, Batch, Check, District, Unit


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def csrf_token(client, path: str) -> str:
    return re.search(r'name="[\w-]*csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


@pytest.fixture
def units(app):
    with app.app_context():
        return {name: unit.id for name, unit in add_places().items()}


def test_only_admins_keep_the_districts(client, make_user, login):
    for name, role, status in [("wang", "inspector", 403), ("zhao", "clerk", 403), ("chen", "supervisor", 403),
                               ("sun", "admin", 200)]:
        make_user(name, role)
        login(client, name, f"pw-{name}")
        assert client.get("/districts").status_code == status
        assert ('href="/districts"' in client.get("/checks").get_data(as_text=True)) == (status == 200)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/checks")})


def test_an_admin_adds_districts_and_units(app, client, make_user, login):
    make_user("sun", "admin")
    login(client, "sun", "pw-sun")
    token = csrf_token(client, "/districts")
    added = client.post("/districts", data={"district-name": " 海淀区 ", "district-csrf_token": token})
    assert added.status_code == 302
    again = client.post("/districts", data={"district-name": "海淀区", "district-csrf_token": token})
    assert again.status_code == 422 and "The district 海淀区 exists already." in again.get_data(as_text=True)
    with app.app_context():
        district_id = db_session().scalars(select(District.id)).one()
    unit = client.post("/units", data={"unit-district": str(district_id), "unit-name": "中关村建设集团",
                                       "unit-csrf_token": token})
    assert unit.status_code == 302
    unknown = client.post("/units", data={"unit-district": "99", "unit-name": "x", "unit-csrf_token": token})
    assert unknown.status_code == 422
    page = client.get("/districts").get_data(as_text=True)
    assert "海淀区" in page and "中关村建设集团" in page
    with app.app_context():
        assert [(unit.district.name, unit.name) for unit in db_session().scalars(select(Unit))] == [
            ("海淀区", "中关村建设集团")]
        edits = db_session().scalars(select(AuditEvent).where(AuditEvent.action == "edit")).all()
        assert [(event.actor, event.object_type, event.detail["added"]) for event in edits] == [
            ("sun", "district", "海淀区"), ("sun", "unit", "中关村建设集团")]


def test_the_check_form_offers_units_by_district_once_there_are_any(app, client, make_user, login):
    make_user("wang", "inspector")
    login(client, "wang", "pw-wang")
    assert 'name="unit"' not in client.get("/").get_data(as_text=True)
    with app.app_context():
        add_places()
    page = client.get("/").get_data(as_text=True)
    picker = re.search(r'<select[^>]*name="unit".*?</select>', page, re.S).group()
    assert "required" in picker
    assert re.findall(r'<optgroup label="([^"]+)">', picker) == ["东城区", "西城区"]  # 朝阳区 has no unit yet
    assert "京安建筑有限公司" in picker and "西四机电安装公司" in picker


def test_a_check_belongs_to_the_unit_picked_and_the_next_form_remembers_it(app, client, make_user, login, units):
    make_user("wang", "inspector")
    login(client, "wang", "pw-wang")
    token = csrf_token(client, "/")
    missing = client.post("/checks", data={"image": (io.BytesIO(png()), "card.png"), "csrf_token": token},
                          content_type="multipart/form-data")
    assert missing.status_code == 422
    assert "Choose the using unit (and so the district) where the card was checked." in missing.get_data(as_text=True)
    picked = units["西四机电安装公司"]
    response = client.post("/checks", data={"image": (io.BytesIO(png()), "card.png"), "csrf_token": token,
                                            "unit": str(picked)}, content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        assert db_session().scalars(select(Check.unit_id)).all() == [picked]
    assert re.search(rf'<option selected value="{picked}">', client.get("/").get_data(as_text=True))


def test_a_batch_and_its_checks_belong_to_the_unit_picked(app, client, make_user, login, units):
    make_user("zhao", "clerk")
    login(client, "zhao", "pw-zhao")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as scans:
        for index in range(2):
            scans.writestr(f"{index}.png", png())
    picked = units["京安建筑有限公司"]
    response = client.post("/batches", data={"archive": (io.BytesIO(archive.getvalue()), "cards.zip"),
                                             "csrf_token": csrf_token(client, "/batches"), "unit": str(picked)},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    with app.app_context():
        batch = db_session().scalars(select(Batch)).one()
        expand_batch(batch.id, hand_out=complete_item)
        assert batch.unit_id == picked
        assert db_session().scalars(select(Check.unit_id)).all() == [picked, picked]
