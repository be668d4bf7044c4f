"""The audit trail: logins and views leave one row each, the database refuses to change a row, and an
act whose row cannot be written does not happen."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from api_helpers import bearer
from card_readings import reading
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from service.audit import record
from service.auth import create_user
from service.batches import complete_item, expand_batch
from service.db import db_session
from service.models import AuditAction, AuditEvent, Batch


def audit_rows(app) -> list[AuditEvent]:
    with app.app_context():
        return db_session().scalars(select(AuditEvent).order_by(AuditEvent.id)).all()


def summary(app) -> list[tuple]:
    return [(row.actor, row.action, row.object_type, row.object_id) for row in audit_rows(app)]


def test_logins_failed_logins_and_logouts_are_recorded_with_the_address(app, client, make_user, login):
    make_user("li", "reviewer")
    login(client, "li", "wrong password")
    login(client, "li", "pw-li")
    page = client.get("/").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/logout", data={"csrf_token": token})
    rows = audit_rows(app)
    assert [(row.actor, row.action) for row in rows] == [(None, "login_failed"), ("li", "login"), ("li", "logout")]
    assert rows[0].detail == {"username": "li"}
    assert {row.ip for row in rows} == {"127.0.0.1"}
    assert rows[1].actor_id == rows[2].actor_id is not None


def test_viewing_a_check_on_a_page_or_through_the_api_is_recorded(app, client, make_user, make_token, login, png):
    token = make_token("supervisor", username="chen")
    created = client.post("/api/v1/checks", headers=bearer(token), data={"image": (io.BytesIO(png), "card.png")},
                          content_type="multipart/form-data").json
    client.get(f"/api/v1/checks/{created['id']}", headers=bearer(token))
    client.get("/api/v1/checks", headers=bearer(token))
    make_user("wang", "supervisor")
    login(client, "wang", "pw-wang")
    client.get(f"/checks/{created['id']}")
    client.get(f"/checks/{created['id']}/image")
    client.get("/checks")
    check = str(created["id"])
    assert summary(app) == [("chen", "view", "check", check),  # the answer to the upload shows the card too
                            ("chen", "view", "check", check), ("chen", "view", "checks", None),
                            ("wang", "login", None, None), ("wang", "view", "check", check),
                            ("wang", "view", "check", check), ("wang", "view", "checks", None)]
    rows = audit_rows(app)
    assert rows[2].detail == {"checks": [created["id"]]} and rows[5].detail == {"part": "image"}


def test_the_database_refuses_to_change_or_delete_an_audit_row(db_app):
    with db_app.app_context():
        event = record(AuditAction.export, object_type="audit", purpose="quarterly PIPL audit")
        session = db_session()
        for statement in ("UPDATE audit_events SET purpose = 'nothing to see' WHERE id = :id",
                          "DELETE FROM audit_events WHERE id = :id"):
            with pytest.raises(DatabaseError, match="append-only"):
                session.execute(text(statement), {"id": event.id})
            session.rollback()
        assert session.get(AuditEvent, event.id, populate_existing=True).purpose == "quarterly PIPL audit"


@pytest.fixture
def audit_unwritable(db_app):
    """The audit table out of reach, as if its storage failed; put back afterwards."""
    with db_app.app_context():
        db_session().execute(text("ALTER TABLE audit_events RENAME TO audit_events_away"))
        db_session().commit()
    db_app.config["PROPAGATE_EXCEPTIONS"] = False
    yield db_app
    with db_app.app_context():
        db_session().execute(text("ALTER TABLE audit_events_away RENAME TO audit_events"))
        db_session().commit()


def test_a_login_that_cannot_be_audited_fails(audit_unwritable, login):
    app = audit_unwritable
    with app.app_context():
        create_user("li", "reviewer", "pw-li")
    client = app.test_client()
    assert login(client, "li", "pw-li").status_code == 500
    assert client.get("/").status_code == 302  # not logged in


def test_a_view_that_cannot_be_audited_shows_nothing(audit_unwritable, make_token):
    app = audit_unwritable
    token = make_token("supervisor", app=app)
    response = app.test_client().get("/api/v1/checks", headers=bearer(token))
    assert response.status_code == 500
    assert "items" not in response.get_data(as_text=True)


def test_batch_result_downloads_are_audited_exports(app, make_token, png, reads):
    token = make_token("clerk", username="zhao")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("a.png", png)
    reads["cards.zip!/a.png"] = reading()
    client = app.test_client()
    batch = client.post("/api/v1/batches", headers=bearer(token),
                        data={"archive": (io.BytesIO(archive.getvalue()), "cards.zip")},
                        content_type="multipart/form-data").json["id"]
    with app.app_context():
        expand_batch(batch, hand_out=complete_item)
    for fmt in ("jsonl", "csv", "xlsx"):
        assert client.get(f"/api/v1/batches/{batch}/results?format={fmt}", headers=bearer(token)).status_code == 200
    exports = [row for row in audit_rows(app) if row.action == "export"]
    assert [(row.actor, row.object_type, row.object_id, row.detail["format"]) for row in exports] == [
        ("zhao", "batch", str(batch), fmt) for fmt in ("jsonl", "csv", "xlsx")]
    assert all(len(row.detail["checks"]) == 1 for row in exports)


def test_an_export_that_cannot_be_audited_sends_no_file(audit_unwritable, make_token):
    app = audit_unwritable
    token = make_token("clerk", app=app)
    with app.app_context():
        batch = Batch(user_id=1, source="cards.zip", as_of=date(2026, 11, 24), state="done", total=0)
        db_session().add(batch)
        db_session().commit()
    response = app.test_client().get(f"/api/v1/batches/{batch.id}/results?format=csv", headers=bearer(token))
    assert response.status_code == 500 and "origin" not in response.get_data(as_text=True)
    assert "Content-Disposition" not in response.headers
