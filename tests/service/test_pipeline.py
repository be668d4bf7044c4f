"""From bytes to a stored Check, at once or through the queue, on SQLite and on PostgreSQL."""

from __future__ import annotations

import hashlib
import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from ocr.load import ImageRejected
from service import pipeline
from service.auth import create_user
from service.db import db_session
from service.models import Check
from service.pipeline import complete_check, queue_check, run_check, upload_source
from service.storage import get_storage

ID_NUMBER = "11010519491231002X"


def stored_files(app) -> list[Path]:
    return [path for path in Path(app.config["CERTGUARD_DATA_DIR"], "originals").rglob("*") if path.is_file()]


def test_run_check_keeps_the_original_and_the_verdict(db_app, png):
    with db_app.app_context():
        user = create_user("ines", "inspector")
        check = run_check(png, source="card.png", original_name="IMG_1.PNG", user=user, as_of=date(2025, 1, 2))
        stored = db_session().get(Check, check.id)
        assert get_storage().open(stored.storage_key) == png
        assert stored.sha256 == hashlib.sha256(png).hexdigest()
        assert (stored.media_type, stored.state, stored.as_of) == ("image/png", "done", date(2025, 1, 2))
        assert (stored.source, stored.original_name, stored.user.username) == ("card.png", "IMG_1.PNG", "ines")
        assert stored.verdict == stored.result["verdict"] and stored.scheme == stored.result["scheme"]
        assert stored.to_contract() == {**stored.result, "id": check.id}


def test_a_rejected_image_leaves_nothing_behind(db_app):
    with db_app.app_context():
        user = create_user("ines", "inspector")
        with pytest.raises(ImageRejected):
            run_check(b"not an image", source="x", original_name=None, user=user)
        with pytest.raises(ImageRejected):
            queue_check(b"", source="x", original_name=None, user=user)
        assert db_session().scalar(select(func.count()).select_from(Check)) == 0
    assert stored_files(db_app) == []


def test_a_queued_check_is_completed_once(db_app, png):
    with db_app.app_context():
        check = queue_check(png, source="card.png", original_name=None, user=create_user("ines", "inspector"))
        assert (check.state, check.verdict, check.result) == ("queued", None, None)
        assert check.to_status() == {"id": check.id, "state": "queued", "source": "card.png"}
    with db_app.app_context():
        complete_check(check.id)
        done = db_session().get(Check, check.id)
        assert done.state == "done" and done.verdict in {"pass", "suspect", "reject"}
        result = done.result
    with db_app.app_context():
        complete_check(check.id)  # delivered twice: nothing changes
        assert db_session().get(Check, check.id).result == result


def test_a_crash_during_analysis_fails_the_check_without_logging_personal_data(app, png, monkeypatch, caplog):
    def crash(*_args, **_kwargs):
        raise RuntimeError(f"could not parse T{ID_NUMBER}")

    with app.app_context():
        check = queue_check(png, source="card.png", original_name=None, user=create_user("ines", "inspector"))
        monkeypatch.setattr(pipeline, "analyse", crash)
        with caplog.at_level(logging.DEBUG):
            complete_check(check.id)
        failed = db_session().get(Check, check.id)
        assert (failed.state, failed.error_code) == ("failed", "internal")
        assert failed.to_status()["error"] == {"code": "internal", "message": "The image could not be analysed."}
    assert "RuntimeError" in caplog.text and ID_NUMBER not in caplog.text


@pytest.mark.parametrize(("filename", "source"), [
    ("card.jpg", "card.jpg"), ("C:\\Users\\x\\card.jpg", "card.jpg"), ("../../etc/passwd", "passwd"),
    ("a\x00b\nc.png", "abc.png"), ("", "upload"), (None, "upload"), ("...", "upload"), ("x" * 300, "x" * 100),
])
def test_upload_sources_are_safe_base_names(filename, source):
    assert upload_source(filename) == source
