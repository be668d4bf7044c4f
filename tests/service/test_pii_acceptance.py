"""Issue 8's acceptance: the fixture holder with ID 11010519491231002X is scanned (alone, as the other
holder of a lent number, inside a batch whose files are named after the number, and once with a crash
that quotes it), and then every API answer, page, export and log line that a role without the reveal
permission can obtain is searched for an ID number: none may match ``\\d{17}[\\dXx]``.

Reviewers and supervisors hold the reveal permission, but they too see numbers masked until they
reveal them, so their default pages are searched as well.
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import zipfile

import pytest
from api_helpers import bearer
from card_readings import ID_NUMBER, NUMBER, reading
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from service import pipeline
from service.auth import create_user, issue_token
from service.batches import complete_item, expand_batch
from service.db import db_session
from service.models import Check
from service.pipeline import complete_check, queue_check

FULL_ID = re.compile(r"\d{17}[\dXx]")
NAMED_AFTER_THE_NUMBER = (f"{ID_NUMBER}.png", f"scans/{NUMBER}.png")


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (160, 100), "white").save(buffer, format="PNG")
    return buffer.getvalue()


def zip_of(names: tuple[str, ...]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in names:
            archive.writestr(name, png())
    return buffer.getvalue()


def multipart(field: str, name: str, data: bytes) -> tuple[bytes, str]:
    boundary = secrets.token_hex(16)
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n")
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


class Seen:
    """Everything a role was shown, with where it came from."""

    def __init__(self) -> None:
        self.texts: list[tuple[str, str]] = []

    def add(self, where: str, response) -> None:
        assert response.status_code in {200, 201, 202}, (where, response.status_code)
        if response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
            sheet = load_workbook(io.BytesIO(response.data), read_only=True).active
            text = "\n".join(" ".join(str(cell) for cell in row if cell is not None)
                             for row in sheet.iter_rows(values_only=True))
        else:
            text = response.get_data(as_text=True)
        self.texts.append((where, text))

    def leaks(self) -> list[str]:
        return [f"{where}: {match.group()}" for where, text in self.texts for match in FULL_ID.finditer(text)]


def log_in(client, username: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"username": username, "password": f"pw-{username}",
                                       "csrf_token": token}).status_code == 302


@pytest.fixture
def scanned(app, reads, caplog):
    """The holder's card scanned by an inspector, a second holder of the same number (a duplicate group),
    a batch of files named after the number, and a check whose reading crashed quoting the number."""
    caplog.set_level(logging.DEBUG)
    with app.app_context():
        tokens = {role: issue_token(create_user(name, role, f"pw-{name}")) for name, role in [
            ("ines", "inspector"), ("zhao", "clerk"), ("root", "admin"), ("li", "reviewer"), ("chen", "supervisor")]}
    client = app.test_client()
    seen = Seen()
    reads["card.png"] = reading()
    reads["lent.png"] = reading(name="李四")
    for name in NAMED_AFTER_THE_NUMBER:
        reads[f"{NUMBER}.zip!/{name}"] = reading()
    for source in ("card.png", "lent.png"):
        created = client.post("/api/v1/checks", headers=bearer(tokens["inspector"]),
                              data={"image": (io.BytesIO(png()), source)}, content_type="multipart/form-data")
        seen.add(f"POST /api/v1/checks {source}", created)
    body, content_type = multipart("archive", f"{NUMBER}.zip", zip_of(NAMED_AFTER_THE_NUMBER))
    batch = client.post("/api/v1/batches", headers=bearer(tokens["clerk"]), data=body, content_type=content_type)
    seen.add("POST /api/v1/batches", batch)
    with app.app_context():
        expand_batch(batch.json["id"], hand_out=complete_item)
        user = db_session().scalars(select(pipeline.User).where(pipeline.User.username == "ines")).one()
        crashed = queue_check(png(), source=f"{ID_NUMBER}-retake.png", original_name=None, user=user)

    def crash(*_args, **_kwargs):
        raise RuntimeError(f"could not parse {NUMBER}")

    with pytest.MonkeyPatch.context() as patch, app.app_context():
        patch.setattr(pipeline, "analyse", crash)
        complete_check(crashed.id)
    with app.app_context():
        ids = db_session().scalars(select(Check.id).where(Check.state == "done").order_by(Check.id)).all()
    return {"client": client, "tokens": tokens, "seen": seen, "checks": ids, "batch": batch.json["id"],
            "crashed": crashed.id}


def test_no_answer_page_export_or_log_line_shows_an_id_number_to_a_role_without_reveal(app, scanned, caplog):
    client, tokens, seen = scanned["client"], scanned["tokens"], scanned["seen"]
    checks, batch, crashed = scanned["checks"], scanned["batch"], scanned["crashed"]
    with app.app_context():
        stored = {check.id: check for check in db_session().scalars(select(Check))}
    assert stored[checks[0]].result["fields"]["id_number"] == ID_NUMBER  # the numbers are there to leak
    assert [f["code"] for f in stored[checks[1]].result["findings"]] == ["DUPLICATE_NUMBER"]
    assert stored[crashed].state == "failed"

    api = [f"/api/v1/checks/{check_id}" for check_id in [*checks, crashed]] + [
        "/api/v1/checks", f"/api/v1/batches/{batch}", f"/api/v1/batches/{batch}/results",
        f"/api/v1/batches/{batch}/results?format=csv", f"/api/v1/batches/{batch}/results?format=xlsx"]
    own = [f"/api/v1/checks/{check_id}" for check_id in (*checks[:2], crashed)]
    for role, paths in [("inspector", [*own, "/api/v1/checks"]), ("clerk", api),
                        ("reviewer", api[:-4] + ["/api/v1/queue", "/api/v1/queue?state=all"]),
                        ("supervisor", ["/api/v1/queue"]), ("admin", ["/api/v1/checks", "/api/v1/audit"])]:
        for path in paths:
            seen.add(f"{role} GET {path}", client.get(path, headers=bearer(tokens[role])))
    decided = client.post(f"/api/v1/checks/{checks[1]}/decisions", headers=bearer(tokens["reviewer"]),
                          json={"decision": "counterfeit", "category": "lent", "note": f"lent by {ID_NUMBER}"})
    seen.add("reviewer POST decisions", decided)

    pages = {
        "ines": ["/", "/checks", *(f"/checks/{check_id}" for check_id in checks[:2]), f"/checks/{crashed}"],
        "zhao": ["/batches", f"/batches/{batch}", f"/batches/{batch}/progress", *(f"/batches/{batch}/results.{fmt}"
                 for fmt in ("jsonl", "csv", "xlsx")), "/checks", *(f"/checks/{check_id}" for check_id in checks)],
        "li": ["/review", "/review?state=all", *(f"/review/checks/{check_id}" for check_id in checks),
               f"/review/checks/{checks[0]}/referral"],
        "chen": ["/review", f"/review/checks/{checks[1]}"],
        "root": ["/audit", "/audit.csv", "/checks", f"/checks/{checks[0]}"],
    }
    for username, paths in pages.items():
        page_client = app.test_client()
        log_in(page_client, username)
        for path in paths:
            seen.add(f"{username} {path}", page_client.get(path))
    denied = app.test_client()
    log_in(denied, "zhao")
    refused = denied.post(f"/checks/{checks[0]}", data={"purpose": "curious"})  # no CSRF token, no permission
    assert refused.status_code in {400, 403} and not FULL_ID.search(refused.get_data(as_text=True))

    assert len(seen.texts) > 50
    assert seen.leaks() == []
    logged = "\n".join(record.getMessage() for when in ("setup", "call") for record in caplog.get_records(when))
    assert "queued" in logged and "DUPLICATE_NUMBER judged again" in logged  # the scan, as it was logged
    assert "could not parse" not in logged and not FULL_ID.search(logged), logged
    assert "RuntimeError" in logged  # the crash was logged, without its message
