"""Personal data on the pages: numbers masked unless revealed (with a purpose, audited), photos shown
as a copy without metadata, originals only to those who may reveal."""

from __future__ import annotations

import io

import pytest
from PIL import ExifTags, Image
from sqlalchemy import select
from test_pages import FULL_ID, ID_NUMBER, add_check, csrf_token

from service.db import db_session
from service.models import AuditEvent, Check
from service.storage import get_storage


def phone_photo() -> bytes:
    """A JPEG as a phone writes it: turned by an EXIF orientation, with the maker and a GPS position."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # shown turned a quarter clockwise
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.IFD.GPSInfo] = {ExifTags.GPS.GPSLatitudeRef: "N", ExifTags.GPS.GPSLatitude: (39.0, 54.0, 27.0)}
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def audit_rows(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return db_session().scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


@pytest.fixture
def logged_in(client, make_user, login):
    """logged_in(role) → a user of that role, logged in on `client`."""

    def log_in_as(role: str):
        user = make_user(f"{role}-1", role)
        login(client, user.username, f"pw-{user.username}")
        return user

    return log_in_as


def with_photo(app, check_id: int, photo: bytes) -> None:
    with app.app_context():
        db_session().get(Check, check_id).storage_key = get_storage().put(photo)
        db_session().commit()


def test_the_photo_shown_is_upright_and_carries_no_metadata(app, client, logged_in):
    check_id = add_check(app, logged_in("inspector"))
    with_photo(app, check_id, phone_photo())
    shown = Image.open(io.BytesIO(client.get(f"/checks/{check_id}/image").data), formats=["JPEG"])
    assert shown.size == (80, 120)  # turned as the reader turned it, so finding boxes land on their values
    assert dict(shown.getexif()) == {} and "exif" not in shown.info
    assert b"PhoneCo" not in client.get(f"/checks/{check_id}/image").data


@pytest.mark.parametrize("role", ["reviewer", "supervisor"])
def test_the_original_is_a_download_for_those_who_may_reveal(app, client, logged_in, role):
    check_id = add_check(app, logged_in(role))
    with_photo(app, check_id, phone_photo())
    response = client.get(f"/checks/{check_id}/original")
    assert response.status_code == 200 and response.data == phone_photo()
    assert response.headers["Content-Type"] == "image/png"  # the type stored at upload (add_check says PNG)
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"] == f'attachment; filename="check-{check_id}-original"'
    assert [(row.object_id, row.detail) for row in audit_rows(app, "export")] == [
        (str(check_id), {"part": "original"})]


@pytest.mark.parametrize("role", ["inspector", "clerk", "admin"])
def test_the_original_is_refused_to_roles_without_reveal(app, client, logged_in, role):
    check_id = add_check(app, logged_in(role))
    assert client.get(f"/checks/{check_id}/original").status_code == 403


def test_a_reveal_shows_the_numbers_whole_and_is_audited_with_its_purpose(app, client, logged_in):
    check_id = add_check(app, logged_in("reviewer"))
    page = client.get(f"/checks/{check_id}").get_data(as_text=True)
    assert not FULL_ID.search(page) and "Reveal numbers" in page
    response = client.post(f"/checks/{check_id}", data={"csrf_token": csrf_token(client),
                                                        "purpose": "query at 北京市应急管理局"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and f"T{ID_NUMBER}" in page and "This reveal is recorded." in page
    [reveal] = audit_rows(app, "reveal")
    assert (reveal.actor, reveal.object_id, reveal.purpose) == ("reviewer-1", str(check_id),
                                                                "query at 北京市应急管理局")


def test_a_reveal_needs_a_purpose(app, client, logged_in):
    check_id = add_check(app, logged_in("supervisor"))
    response = client.post(f"/checks/{check_id}", data={"csrf_token": csrf_token(client), "purpose": "  "})
    assert response.status_code == 400 and not FULL_ID.search(response.get_data(as_text=True))
    assert audit_rows(app, "reveal") == []


@pytest.mark.parametrize("role", ["inspector", "clerk", "admin"])
def test_roles_without_reveal_are_refused_it_and_offered_no_button(app, client, logged_in, role):
    check_id = add_check(app, logged_in(role))
    assert "Reveal numbers" not in client.get(f"/checks/{check_id}").get_data(as_text=True)
    response = client.post(f"/checks/{check_id}", data={"csrf_token": csrf_token(client), "purpose": "curious"})
    assert response.status_code == 403 and not FULL_ID.search(response.get_data(as_text=True))
    assert audit_rows(app, "reveal") == []
