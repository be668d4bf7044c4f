"""The API masks ID and certificate numbers in every answer; a reveal needs the permission and a purpose."""

from __future__ import annotations

import io
import re

import pytest
from api_helpers import bearer
from card_readings import ID_NUMBER, reading
from sqlalchemy import select

from service.db import db_session
from service.models import AuditEvent

FULL_ID = re.compile(r"\d{17}[\dXx]")


@pytest.fixture
def stored_card(client, make_token, png, reads) -> int:
    """A check of the fixture holder's card, uploaded by an inspector."""
    reads["card.png"] = reading()
    response = client.post("/api/v1/checks", headers=bearer(make_token("inspector")),
                           data={"image": (io.BytesIO(png), "card.png")}, content_type="multipart/form-data")
    assert response.status_code == 201 and not FULL_ID.search(response.get_data(as_text=True))
    assert response.json["fields"]["id_number"] == "110105********002X"
    return response.json["id"]


def test_reading_and_listing_mask_the_numbers(client, make_token, stored_card, openapi):
    token = make_token("reviewer")
    one = client.get(f"/api/v1/checks/{stored_card}", headers=bearer(token))
    listing = client.get("/api/v1/checks", headers=bearer(token))
    for response in (one, listing):
        assert response.status_code == 200 and not FULL_ID.search(response.get_data(as_text=True))
    assert one.json["fields"]["number"] == "T11010*********002X"
    openapi.validate(one.json, "Check")


def test_a_reveal_with_a_purpose_shows_them_whole_and_is_audited(app, client, make_token, stored_card, openapi):
    token = make_token("reviewer", username="li")
    response = client.get(f"/api/v1/checks/{stored_card}?reveal=1&purpose=query+at+the+authority",
                          headers=bearer(token))
    assert response.status_code == 200 and response.json["fields"]["id_number"] == ID_NUMBER
    openapi.validate(response.json, "Check")
    with app.app_context():
        row = db_session().scalars(select(AuditEvent).where(AuditEvent.action == "reveal")).one()
        assert (row.actor, row.object_id, row.purpose) == ("li", str(stored_card), "query at the authority")


@pytest.mark.parametrize(("role", "query", "status", "code"), [
    ("reviewer", "reveal=1", 400, "bad_request"),
    ("reviewer", "reveal=1&purpose=+", 400, "bad_request"),
    ("inspector", "reveal=1&purpose=curious", 403, "forbidden"),
    ("clerk", "reveal=true&purpose=curious", 403, "forbidden"),
    ("admin", "reveal=1&purpose=audit", 403, "forbidden"),
])
def test_a_reveal_is_refused_without_permission_or_purpose(app, client, make_token, png, reads, role, query,
                                                           status, code):
    reads["card.png"] = reading()
    token = make_token(role)
    created = client.post("/api/v1/checks", headers=bearer(token), data={"image": (io.BytesIO(png), "card.png")},
                          content_type="multipart/form-data").json
    response = client.get(f"/api/v1/checks/{created['id']}?{query}", headers=bearer(token))
    assert response.status_code == status and response.json["error"]["code"] == code
    assert not FULL_ID.search(response.get_data(as_text=True))
    with app.app_context():
        assert db_session().scalars(select(AuditEvent).where(AuditEvent.action == "reveal")).all() == []
