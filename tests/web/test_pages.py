"""The pages through Flask's test client: login, CSRF, uploads, results, access rules, masking."""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from service.db import db_session
from service.models import Check, CheckState
from service.storage import get_storage

ID_NUMBER = "11010519491231002X"
FULL_ID = re.compile(r"\d{17}[\dXx]")


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (120, 80), "white").save(buffer, format="PNG")
    return buffer.getvalue()


STORED_PHOTO = png_bytes()
RESULT = {
    "source": "card.png",
    "scheme": "special_operation",
    "fields": {
        "number": f"T{ID_NUMBER}", "name": "王建国", "sex": "男", "id_number": ID_NUMBER, "category": "电工作业",
        "item": None, "first_issued": "2019-03-01", "valid_from": "2019-03-01", "valid_until": "2025-03-01",
        "authority": None,
    },
    "field_confidence": {"number": 0.97, "name": 0.91, "sex": 0.9, "category": 0.88, "authority": 0.31},
    "qr": {"payloads": [f"https://cx.mem.gov.cn/special?index=0&certNum=T{ID_NUMBER}"]},
    "findings": [
        {"code": "REGISTRY_MISMATCH", "severity": "error", "message": f"The register holds T{ID_NUMBER} for 王建民.",
         "evidence": {"field": "name", "read": "王建国", "expected": "王建民"}},
        {"code": "FIELD_UNREADABLE", "severity": "warning", "message": "authority could not be read reliably.",
         "evidence": {"field": "authority", "read": "北京市应急管", "confidence": 0.31}},
        {"code": "QR_MISMATCH", "severity": "error", "message": "The QR number differs from the printed number.",
         "evidence": {"field": "number", "read": f"T{ID_NUMBER}", "expected": "T110105194912310038"}},
    ],
    "verdict": "reject",
}


def add_check(app, user, result=RESULT) -> int:
    """Store a finished check for `user` directly, without reading an image (for access and layout tests)."""
    with app.app_context():
        check = Check(user_id=user.id, source=result["source"], original_name=result["source"],
                      sha256=hashlib.sha256(STORED_PHOTO).hexdigest(), storage_key=get_storage().put(STORED_PHOTO),
                      media_type="image/png", as_of=date(2024, 6, 1), scheme=result["scheme"],
                      verdict=result["verdict"], result=result)
        db_session().add(check)
        db_session().commit()
        return check.id


def check_count(app) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count()).select_from(Check))


def csrf_token(client, path: str = "/") -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def upload(client, data: bytes, filename: str):
    return client.post("/checks", data={"image": (io.BytesIO(data), filename), "csrf_token": csrf_token(client)},
                       content_type="multipart/form-data")


@pytest.fixture
def inspector(client, make_user, login):
    """A logged-in inspector."""
    user = make_user("wang", "inspector")
    login(client, "wang", "pw-wang")
    return user


@pytest.mark.parametrize("path", ["/", "/checks", "/checks/1", "/checks/1/image"])
def test_pages_redirect_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_login_goes_to_the_page_asked_for_but_never_off_site(client, make_user):
    make_user("li", "reviewer")
    token = csrf_token(client, "/login")
    credentials = {"username": "li", "password": "pw-li", "csrf_token": token}
    assert client.post("/login?next=//evil.example/", data=credentials).headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert client.post("/login?next=/checks", data=credentials).headers["Location"] == "/checks"


def test_failed_login_says_so(client, make_user, login):
    make_user("li", "reviewer")
    response = login(client, "li", "wrong password")
    assert response.status_code == 401
    assert "Unknown username or wrong password." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_logout_is_a_post(client, inspector):
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={"csrf_token": csrf_token(client)}).headers["Location"] == "/login"
    assert client.get("/").status_code == 302


def test_check_page_opens_the_rear_camera(client, inspector):
    page = client.get("/").get_data(as_text=True)
    field = re.search(r'<input[^>]*name="image"[^>]*>', page).group()
    assert 'type="file"' in field and 'accept="image/*"' in field and 'capture="environment"' in field
    assert 'name="viewport"' in page


@pytest.mark.parametrize("path", ["/login", "/checks", "/logout"])
def test_form_posts_without_csrf_token_are_refused(client, make_user, path, login):
    make_user("wang", "inspector")
    login(client, "wang", "pw-wang")
    form = {"image": (io.BytesIO(STORED_PHOTO), "card.png"), "username": "wang", "password": "pw-wang"}
    response = client.post(path, data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    assert check_count(client.application) == 0


def test_garbage_upload_shows_the_reason_and_stores_nothing(app, client, inspector):
    response = upload(client, b"<?php system($_GET['c']); ?>", "card.jpg.php")
    assert response.status_code == 415
    assert "Only JPEG, PNG and WEBP photos are accepted." in response.get_data(as_text=True)
    assert check_count(app) == 0
    assert not [path for path in Path(app.config["CERTGUARD_DATA_DIR"], "originals").rglob("*") if path.is_file()]


def test_missing_photo_is_asked_for(client, inspector):
    response = client.post("/checks", data={"csrf_token": csrf_token(client)})
    assert response.status_code == 422
    assert "Take or choose a photo of the certificate." in response.get_data(as_text=True)


def test_card_photo_leads_to_its_result(app, client, inspector, card_photo):
    response = upload(client, card_photo.read_bytes(), card_photo.name)
    assert response.status_code == 302
    assert re.fullmatch(r"/checks/\d+", response.headers["Location"])
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert re.search(r'class="verdict-chip verdict-(pass|suspect|reject)"', page)
    assert 'data-field="name"' in page and 'data-field="number"' in page
    assert card_photo.name in page
    assert not FULL_ID.search(page)
    with app.app_context():
        check = db_session().scalars(select(Check)).one()
        assert (check.user_id, check.source, check.original_name) == (inspector.id, card_photo.name, card_photo.name)


def test_result_page_shows_the_evidence_with_numbers_masked(app, client, inspector):
    check_id = add_check(app, inspector)
    page = client.get(f"/checks/{check_id}").get_data(as_text=True)
    assert 'class="verdict-chip verdict-reject"' in page
    assert "The register holds T11010*********002X for 王建民." in page  # the worst finding, under the badge
    assert "特种作业操作证" in page  # the kind's name, not its id
    for shown in ("王建国", "110105********002X", "T11010*********002X", "REGISTRY_MISMATCH", "王建民",
                  "certNum=T11010*********002X", "card.png"):
        assert shown in page
    assert re.search(r'class="field low" data-field="authority">.*?Low · 31%', page, re.S)
    assert not FULL_ID.search(page)


def test_inspectors_see_only_their_own_checks(app, client, make_user, inspector):
    other = make_user("zhao", "inspector")
    own_id, other_id = add_check(app, inspector), add_check(app, other)
    assert client.get(f"/checks/{other_id}").status_code == 404
    assert client.get(f"/checks/{other_id}/image").status_code == 404
    listing = client.get("/checks").get_data(as_text=True)
    assert f'href="/checks/{own_id}"' in listing and f'href="/checks/{other_id}"' not in listing


def test_supervisors_see_everyones_checks_newest_first(app, client, make_user, login):
    first, second = make_user("wang", "inspector"), make_user("zhao", "inspector")
    older, newer = add_check(app, first), add_check(app, second)
    make_user("chen", "supervisor")
    login(client, "chen", "pw-chen")
    listing = client.get("/checks").get_data(as_text=True)
    assert listing.index(f'href="/checks/{newer}"') < listing.index(f'href="/checks/{older}"')
    assert client.get(f"/checks/{older}").status_code == 200


def test_past_checks_are_paginated(app, client, inspector):
    ids = [add_check(app, inspector) for _ in range(21)]
    first_page = client.get("/checks").get_data(as_text=True)
    assert f'href="/checks/{ids[-1]}"' in first_page and f'href="/checks/{ids[0]}"' not in first_page
    assert 'href="/checks?page=2"' in first_page
    assert f'href="/checks/{ids[0]}"' in client.get("/checks?page=2").get_data(as_text=True)


def test_image_is_served_privately_and_unsniffed(app, client, inspector):
    response = client.get(f"/checks/{add_check(app, inspector)}/image")
    assert response.status_code == 200
    assert Image.open(io.BytesIO(response.data), formats=["JPEG"]).size == (120, 80)
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "private, no-store"


def test_unknown_check_is_a_friendly_404(client, inspector):
    response = client.get("/checks/999")
    assert response.status_code == 404
    assert "There is no such page, or you may not see it." in response.get_data(as_text=True)


def test_oversized_upload_gets_a_friendly_413(app, client, inspector):
    token = csrf_token(client)
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = client.post("/checks", data={"image": (io.BytesIO(b"\xff\xd8\xff" + bytes(20_000)), "big.jpg"),
                                            "csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 413
    assert "The photo is too large." in response.get_data(as_text=True)
    assert check_count(app) == 0


def test_a_failed_check_says_why(app, client, inspector):
    check_id = add_check(app, inspector)
    with app.app_context():
        check = db_session().get(Check, check_id)
        check.state, check.verdict, check.result = CheckState.failed, None, None
        check.error_message = "The image could not be analysed."
        db_session().commit()
    page = client.get(f"/checks/{check_id}").get_data(as_text=True)
    assert "The check failed" in page and "The image could not be analysed." in page
    assert f'href="/checks/{check_id}"' in client.get("/checks").get_data(as_text=True)
