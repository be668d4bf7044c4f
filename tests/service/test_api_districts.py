"""Districts and using units over the API: listed for clients, named by uploads."""

from __future__ import annotations

import io

import pytest
from district_helpers import add_places
from PIL import Image
from sqlalchemy import select

from service.db import db_session
from service.models import Batch, Check


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def units(app):
    with app.app_context():
        return {name: unit.id for name, unit in add_places().items()}


def test_api_uploads_name_their_unit_by_id(app, client, make_token, units):
    headers = {"Authorization": f"Bearer {make_token('inspector')}"}
    listed = client.get("/api/v1/districts", headers=headers).json["items"]
    assert [(d["name"], [u["name"] for u in d["units"]]) for d in listed] == [
        ("东城区", ["东华起重设备公司", "京安建筑有限公司"]), ("西城区", ["西四机电安装公司"]), ("朝阳区", [])]
    unit_id = listed[1]["units"][0]["id"]
    for fields, status, code in [({}, 400, "invalid_unit"), ({"unit": "999"}, 400, "invalid_unit"),
                                 ({"unit": "x"}, 400, "invalid_unit"), ({"unit": str(unit_id)}, 201, None)]:
        response = client.post("/api/v1/checks", headers=headers, content_type="multipart/form-data",
                               data={"image": (io.BytesIO(png()), "card.png"), **fields})
        assert response.status_code == status, fields
        assert code is None or response.json["error"]["code"] == code
    with app.app_context():
        assert db_session().scalars(select(Check.unit_id)).all() == [unit_id]


def test_the_district_list_matches_its_schema(client, make_token, units, openapi):
    response = client.get("/api/v1/districts", headers={"Authorization": f"Bearer {make_token('clerk')}"})
    openapi.validate(response.json, "DistrictList")


def test_an_api_batch_names_its_unit(app, client, make_token, units):
    headers = {"Authorization": f"Bearer {make_token('clerk')}"}
    picked = units["东华起重设备公司"]
    refused = client.post("/api/v1/batches", headers=headers, content_type="multipart/form-data",
                          data={"archive": (io.BytesIO(png()), "card.png")})
    assert refused.status_code == 400 and refused.json["error"]["code"] == "invalid_unit"
    response = client.post("/api/v1/batches", headers=headers, content_type="multipart/form-data",
                           data={"archive": (io.BytesIO(png()), "card.png"), "unit": str(picked)})
    assert response.status_code == 202
    with app.app_context():
        assert db_session().get(Batch, response.json["id"]).unit_id == picked
