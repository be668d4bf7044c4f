"""The batch pages through Flask's test client: roles, upload, progress, cancel, downloads, CSRF, size cap."""

from __future__ import annotations

import csv
import io
import re
import secrets
import zipfile

import pytest
from PIL import Image
from sqlalchemy import func, select

from service.batches import complete_item, expand_batch
from service.db import db_session
from service.models import Batch


def zip_of_images(count: int) -> bytes:
    image = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(image, format="PNG")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(count):
            archive.writestr(f"scans/{index}.png", image.getvalue())
    return buffer.getvalue()


def csrf_token(client, path: str = "/batches") -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def upload(client, data: bytes, filename: str = "cards.zip", token: str | None = None):
    """Post the batch form. The body is built here: Werkzeug's test client spools a large body it encodes
    itself into a temporary file it never closes."""
    boundary = secrets.token_hex(16)
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f"{token or csrf_token(client)}\r\n"
            f'--{boundary}\r\nContent-Disposition: form-data; name="archive"; filename="{filename}"\r\n\r\n'
            ).encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return client.post("/batches", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def batch_count(app) -> int:
    with app.app_context():
        return db_session().scalar(select(func.count()).select_from(Batch))


@pytest.fixture
def clerk(client, make_user, login):
    """A logged-in clerk."""
    user = make_user("zhao", "clerk")
    login(client, "zhao", "pw-zhao")
    return user


def test_the_batch_pages_are_for_clerks_supervisors_and_admins(client, make_user, login):
    assert client.get("/batches").headers["Location"].startswith("/login?next=")
    for name, role, status in [("wang", "inspector", 403), ("li", "reviewer", 403), ("zhao", "clerk", 200),
                               ("qian", "supervisor", 200), ("sun", "admin", 200)]:
        make_user(name, role)
        login(client, name, f"pw-{name}")
        assert client.get("/batches").status_code == status
        assert ('href="/batches"' in client.get("/checks").get_data(as_text=True)) == (status == 200)
        client.post("/logout", data={"csrf_token": csrf_token(client, "/checks")})


def test_an_upload_leads_to_its_page_with_a_progress_bar(app, client, clerk):
    response = upload(client, zip_of_images(2))
    assert response.status_code == 302
    page_path = response.headers["Location"]
    assert re.fullmatch(r"/batches/\d+", page_path)
    page = client.get(page_path).get_data(as_text=True)
    assert "<progress" in page and 'data-progress-url="/batches/1/progress"' in page
    assert "Cancel batch" in page and "cards.zip" in page
    assert client.get("/batches/1/progress").json == {"id": 1, "state": "queued", "source": "cards.zip", "total": None,
                                                      "done": 0, "failed": 0}
    assert "cards.zip" in client.get("/batches").get_data(as_text=True)


def test_a_finished_batch_lists_its_items_and_offers_downloads(app, client, clerk):
    upload(client, zip_of_images(2))
    with app.app_context():
        expand_batch(1, hand_out=complete_item)
    page = client.get("/batches/1").get_data(as_text=True)
    assert "Cancel batch" not in page
    assert page.count("cards.zip!/scans/") == 2 and 'href="/checks/1"' in page
    assert len(re.findall(r'<span class="check-meta">\d+\.\d s</span>', page)) == 2  # each item's reading time
    for fmt in ("jsonl", "csv", "xlsx"):
        response = client.get(f"/batches/1/results.{fmt}")
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == f'attachment; filename="batch-1-results.{fmt}"'
    rows = list(csv.DictReader(io.StringIO(client.get("/batches/1/results.csv").get_data(as_text=True))))
    assert [(row["origin"], row["page"]) for row in rows] == [("cards.zip!/scans/0.png", "http://localhost/checks/1"),
                                                             ("cards.zip!/scans/1.png", "http://localhost/checks/2")]
    assert client.get("/batches/1/results.pdf").status_code == 404


def test_cancel_is_a_post_with_the_csrf_token(app, client, clerk):
    upload(client, zip_of_images(2))
    assert client.post("/batches/1/cancel").status_code == 400
    response = client.post("/batches/1/cancel", data={"csrf_token": csrf_token(client)})
    assert response.headers["Location"] == "/batches/1"
    assert client.get("/batches/1/progress").json["state"] == "cancelled"


def test_uploads_that_cannot_start_a_batch_stay_on_the_form(app, client, clerk):
    assert upload(client, zip_of_images(1), token="forged").status_code == 400
    response = upload(client, b"%!PS-Adobe-3.0 not an archive", "cards.ps")
    assert response.status_code == 415
    assert "Send a ZIP archive, a PDF, a TIFF or a JPEG, PNG or WEBP image." in response.get_data(as_text=True)
    missing = client.post("/batches", data={"csrf_token": csrf_token(client)}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Choose the file of scanned cards." in missing.get_data(as_text=True)
    assert batch_count(app) == 0


def test_an_upload_over_the_batch_cap_gets_a_friendly_413(app, client, clerk):
    token = csrf_token(client)
    app.config["CERTGUARD_MAX_ARCHIVE_BYTES"] = 2**20
    app.config["MAX_CONTENT_LENGTH"] = 1_000  # the batch form has its own cap, set before the CSRF check reads it
    assert upload(client, zip_of_images(1) + bytes(100_000), token=token).status_code == 302
    response = upload(client, bytes(2**20 + 1), token=token)
    assert response.status_code == 413
    assert "The file is larger than 1 MiB." in response.get_data(as_text=True)
    assert batch_count(app) == 1
