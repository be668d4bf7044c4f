"""The JSON API: every refusal is a JSON error with a 4xx status and a stable code, never a 500."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from api_helpers import bearer
from PIL import Image

JPEG_MAGIC = b"\xff\xd8\xff\xe0"


def post_image(client, token: str, data: bytes, filename: str = "card.png", query: str = ""):
    return client.post(f"/api/v1/checks{query}", headers=bearer(token),
                       data={"image": (io.BytesIO(data), filename)}, content_type="multipart/form-data")


def stored_files(app) -> list[Path]:
    return [path for path in Path(app.config["CERTGUARD_DATA_DIR"], "originals").rglob("*") if path.is_file()]


def list_ids(client, token: str) -> list[int]:
    return [item["id"] for item in client.get("/api/v1/checks", headers=bearer(token)).json["items"]]


def pixel_bomb() -> bytes:
    """A file of a few kilobytes that declares 8000×8000 pixels (64 MP, over the 40 MP cap)."""
    buffer = io.BytesIO()
    Image.new("1", (8000, 8000)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_upload_returns_the_contract_with_an_id(client, make_token, png, openapi):
    response = post_image(client, make_token("inspector"), png, filename="../../etc/card.png")
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.json
    assert body["id"] >= 1 and body["state"] == "done"
    assert body["source"] == "card.png"  # the client's path is never taken as given
    assert body["verdict"] in {"pass", "suspect", "reject"}
    assert response.headers["Location"] == f"/api/v1/checks/{body['id']}"
    openapi.validate(body, "DoneCheck")


def test_a_stored_check_reads_back_the_same(client, make_token, png, openapi):
    token = make_token("inspector")
    created = post_image(client, token, png).json
    response = client.get(f"/api/v1/checks/{created['id']}", headers=bearer(token))
    assert response.status_code == 200
    assert response.json == created
    openapi.validate(response.json, "Check")


@pytest.mark.parametrize(("data", "status", "code"), [
    (b"", 422, "empty"),
    (b"<?php system($_GET['c']); ?>", 415, "unsupported_type"),
    (b"%PDF-1.7\n", 415, "unsupported_type"),
    (JPEG_MAGIC + b"\x00" * 64, 422, "corrupt"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, 422, "corrupt"),
    (pixel_bomb(), 422, "too_many_pixels"),
], ids=["empty", "php", "pdf", "corrupt-jpeg", "corrupt-png", "pixel-bomb"])
def test_bad_images_are_refused_with_a_stable_code(client, make_token, assert_error, data, status, code):
    assert_error(post_image(client, make_token(), data, filename="card.jpg"), status, code)


def test_a_truncated_image_is_corrupt(client, make_token, assert_error, png):
    assert_error(post_image(client, make_token(), png[: len(png) // 2]), 422, "corrupt")


def test_html_sent_as_a_jpeg_is_judged_by_its_bytes(client, make_token, assert_error):
    response = client.post("/api/v1/checks", headers=bearer(make_token()), content_type="multipart/form-data",
                           data={"image": (io.BytesIO(b"<html><script>alert(1)</script>"), "x.jpg", "image/jpeg")})
    assert_error(response, 415, "unsupported_type")


def test_missing_field(client, make_token, assert_error, png):
    response = client.post("/api/v1/checks", headers=bearer(make_token()), content_type="multipart/form-data",
                           data={"photo": (io.BytesIO(png), "card.png")})
    assert_error(response, 400, "missing_field")


def test_a_body_over_the_limit_is_413_and_stores_nothing(app, client, make_token, assert_error, png):
    app.config["MAX_CONTENT_LENGTH"] = 1000
    token = make_token()
    assert_error(post_image(client, token, png + b"\0" * 1000), 413, "too_large")
    assert list_ids(client, token) == []
    assert stored_files(app) == []


def test_bad_requests_never_lose_a_stored_check(app, client, make_token, png):
    token = make_token()
    stored = post_image(client, token, png).json
    for data in (b"", b"junk", JPEG_MAGIC):
        assert post_image(client, token, data).status_code in {415, 422}
    assert len(stored_files(app)) == 1
    assert list_ids(client, token) == [stored["id"]]
    assert client.get(f"/api/v1/checks/{stored['id']}", headers=bearer(token)).json == stored


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic YTpi"},
                                     {"Authorization": "Bearer"}], ids=["none", "wrong", "basic", "blank"])
def test_unauthenticated_requests_get_401(client, assert_error, headers):
    response = client.get("/api/v1/checks", headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].lower().startswith("bearer")


def test_a_logged_in_session_is_not_an_api_credential(client, make_user, login, assert_error, png):
    make_user("ines", "inspector")
    assert login(client, "ines", "pw-ines").status_code == 302
    assert_error(client.get("/api/v1/checks"), 401, "unauthorized")
    response = client.post("/api/v1/checks", data={"image": (io.BytesIO(png), "card.png")},
                           content_type="multipart/form-data")
    assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize("role", ["inspector", "clerk", "reviewer", "supervisor", "admin"])
def test_every_role_may_submit_and_read(client, make_token, png, role):
    token = make_token(role)
    assert post_image(client, token, png).status_code == 201
    assert client.get("/api/v1/checks", headers=bearer(token)).status_code == 200


def test_inspectors_see_only_their_own_checks(client, make_token, assert_error, png):
    alice, bob, supervisor = make_token("inspector"), make_token("inspector"), make_token("supervisor")
    alices = post_image(client, alice, png).json["id"]
    bobs = post_image(client, bob, png).json["id"]
    assert list_ids(client, alice) == [alices]
    assert_error(client.get(f"/api/v1/checks/{bobs}", headers=bearer(alice)), 404, "not_found")
    assert list_ids(client, supervisor) == [bobs, alices]


def test_the_list_pages_newest_first(client, make_token, png, openapi):
    token = make_token()
    ids = [post_image(client, token, png).json["id"] for _ in range(3)]
    page = client.get("/api/v1/checks?limit=2&offset=1", headers=bearer(token)).json
    assert [item["id"] for item in page["items"]] == [ids[1], ids[0]]
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 1)
    openapi.validate(page, "CheckList")


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "offset=-1", "offset=1.5"])
def test_bad_paging_parameters(client, make_token, assert_error, query):
    assert_error(client.get(f"/api/v1/checks?{query}", headers=bearer(make_token())), 400, "invalid_parameter")


@pytest.mark.parametrize(("method", "path", "status", "code"), [
    ("GET", "/api/v1/nothing-here", 404, "not_found"),
    ("POST", "/api/v1/checks/1/approve", 404, "not_found"),
    ("GET", "/api/v1/checks/999", 404, "not_found"),
    ("DELETE", "/api/v1/checks", 405, "method_not_allowed"),
    ("PUT", "/api/v1/checks/1", 405, "method_not_allowed"),
])
def test_unknown_routes_and_methods_are_json(client, make_token, assert_error, method, path, status, code):
    assert_error(client.open(path, method=method, headers=bearer(make_token())), status, code)


def test_the_api_is_exempt_from_csrf_and_the_pages_are_not(app, client, make_token, png):
    assert app.config["WTF_CSRF_ENABLED"]
    assert post_image(client, make_token(), png).status_code == 201
    form_post = client.post("/checks", data={"image": (io.BytesIO(png), "card.png")},
                            content_type="multipart/form-data")
    assert form_post.status_code == 400


def test_the_openapi_document_is_served_without_a_token(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json["openapi"].startswith("3.1")


def test_an_unexpected_failure_is_a_json_500_without_details(app, client, make_token, png, monkeypatch):
    def crash(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    monkeypatch.setattr("service.pipeline.analyse", crash)
    response = post_image(client, make_token(), png)
    assert response.status_code == 500
    assert response.json["error"]["code"] == "internal_server_error"
    assert "secret" not in response.get_data(as_text=True)
