"""`POST /api/v1/checks?async=1` through a real Huey consumer, on SQLite and on Redis.

The consumer runs in threads of the test process (as it does inside `certguard serve`), against
the real queue storage, so the task is serialised, stored, fetched and run as in production.
"""

from __future__ import annotations

import io
import time

import pytest
from flask import Flask

from service.jobs import get_jobs

DEADLINE_SECONDS = 30


def submit_async(app: Flask, token: str, data: bytes):
    return app.test_client().post("/api/v1/checks?async=1", headers={"Authorization": f"Bearer {token}"},
                                  data={"image": (io.BytesIO(data), "card.png")}, content_type="multipart/form-data")


def wait_until_settled(app: Flask, token: str, check_id: int) -> dict:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        status = app.test_client().get(f"/api/v1/checks/{check_id}", headers={"Authorization": f"Bearer {token}"}).json
        if status["state"] != "queued":
            return status
        time.sleep(0.05)
    raise AssertionError(f"check {check_id} still queued after {DEADLINE_SECONDS} s")


def run_one_async_check(app: Flask, token: str, png: bytes, openapi) -> dict:
    response = submit_async(app, token, png)
    assert response.status_code == 202, response.get_data(as_text=True)
    openapi.validate(response.json, "QueuedReceipt")
    return wait_until_settled(app, token, response.json["id"])


def test_a_queued_check_waits_for_a_worker(app, make_token, png, openapi):
    token = make_token()
    receipt = submit_async(app, token, png).json
    status = app.test_client().get(f"/api/v1/checks/{receipt['id']}", headers={"Authorization": f"Bearer {token}"})
    assert status.json == {"id": receipt["id"], "state": "queued", "source": "card.png"}
    openapi.validate(status.json, "Check")


def test_async_check_through_sqlite_huey(app, make_token, png, consumer, openapi):
    token = make_token()
    consumer(app)
    status = run_one_async_check(app, token, png, openapi)
    assert status["state"] == "done" and status["verdict"] in {"pass", "suspect", "reject"}
    openapi.validate(status, "DoneCheck")


@pytest.mark.redis
def test_async_check_through_redis_huey(redis_app, make_token, png, consumer, openapi):
    token = make_token("clerk", app=redis_app)
    consumer(redis_app)
    status = run_one_async_check(redis_app, token, png, openapi)
    assert status["state"] == "done"
    with redis_app.app_context():
        assert get_jobs().huey.pending_count() == 0


def test_bad_input_is_refused_before_it_is_queued(app, make_token):
    response = submit_async(app, make_token(), b"not an image")
    assert response.status_code == 415
    with app.app_context():
        assert get_jobs().huey.pending_count() == 0


def test_an_unreachable_queue_fails_the_check_with_503(tmp_path, make_app, make_token, png):
    app = make_app(tmp_path / "data", CERTGUARD_REDIS_URL="redis://127.0.0.1:1/0")
    token = make_token("clerk", app=app)
    response = submit_async(app, token, png)
    assert response.status_code == 503 and response.json["error"]["code"] == "queue_unavailable"
    listed = app.test_client().get("/api/v1/checks", headers={"Authorization": f"Bearer {token}"}).json["items"]
    assert [item["state"] for item in listed] == ["failed"]


