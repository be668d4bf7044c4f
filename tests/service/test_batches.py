"""Batches end to end: upload over the API, a real Huey consumer, results read back in every format.

The archives are built here from small blank images (a blank page is read in a few milliseconds);
what is asserted is the batch machinery: every item once, in order, with its origin and outcome.
"""

from __future__ import annotations

import csv
import io
import json
import random
import secrets
import time
import zipfile
from collections import Counter
from pathlib import Path

import click
import pikepdf
import pytest
from flask import Flask
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import func, select

import service.batches
import service.cli
from service.archives import expand
from service.batches import complete_item, expand_batch
from service.cli import cli
from service.db import db_session
from service.jobs import get_jobs
from service.models import Batch, BatchItem, Check
from service.pipeline import analyse_image
from service.storage import get_storage

DEADLINE_SECONDS = 60
FINISHED = {"done", "failed", "cancelled"}


def image_bytes(fmt: str = "PNG", size: tuple[int, int] = (64, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "white").save(buffer, format=fmt)
    return buffer.getvalue()


def pages_bytes(fmt: str, pages: int) -> bytes:
    """A multi-page PDF or TIFF of blank pages (1.5 × 1 inch at 100 dpi)."""
    frames = [Image.new("RGB", (150, 100), "white") for _ in range(pages)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format=fmt, save_all=True, append_images=frames[1:], resolution=100)
    return buffer.getvalue()


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def mixed_zip() -> bytes:
    """20 items in a folder: 12 images of three formats, a 4-page PDF and a 4-page TIFF."""
    members = {f"scans/{index:02d}.{ext}": image_bytes(fmt)
               for index, (fmt, ext) in enumerate([("PNG", "png"), ("JPEG", "jpg"), ("WEBP", "webp")] * 4)}
    members["scans/stack.pdf"] = pages_bytes("PDF", 4)
    members["scans/stack.tif"] = pages_bytes("TIFF", 4)
    return zip_bytes(members)


def multipart(field: str, name: str, data: bytes) -> tuple[bytes, str]:
    """A form body with one file, built here: Werkzeug's test client spools a large body it encodes
    itself into a temporary file it never closes."""
    boundary = secrets.token_hex(16)
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n")
    return head.encode() + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def post_batch(app: Flask, token: str, data: bytes, name: str = "cards.zip", field: str = "archive"):
    body, content_type = multipart(field, name, data)
    return app.test_client().post("/api/v1/batches", headers={"Authorization": f"Bearer {token}"}, data=body,
                                  content_type=content_type)


def api_get(app: Flask, token: str, path: str):
    return app.test_client().get(f"/api/v1{path}", headers={"Authorization": f"Bearer {token}"})


def wait_until_finished(app: Flask, token: str, batch_id: int) -> dict:
    """The batch's status once it has finished and its workspace, removed just after, is gone."""
    workspace = Path(app.config["CERTGUARD_DATA_DIR"]) / "batches" / str(batch_id)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        status = api_get(app, token, f"/batches/{batch_id}").json
        if status["state"] in FINISHED and not workspace.exists():
            return status
        time.sleep(0.05)
    raise AssertionError(f"batch {batch_id} not finished after {DEADLINE_SECONDS} s: {status}")


def run_batch(app: Flask, token: str, data: bytes, consumer, openapi, name: str = "cards.zip") -> dict:
    response = post_batch(app, token, data, name)
    assert response.status_code == 202, response.get_data(as_text=True)
    openapi.validate(response.json, "BatchReceipt")
    assert response.headers["Location"] == f"/api/v1/batches/{response.json['id']}"
    consumer(app)
    status = wait_until_finished(app, token, response.json["id"])
    openapi.validate(status, "Batch")
    return status


def result_lines(app: Flask, token: str, batch_id: int) -> list[dict]:
    response = api_get(app, token, f"/batches/{batch_id}/results")
    assert response.status_code == 200 and response.mimetype == "application/x-ndjson"
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines()]


def files_under(root: Path) -> set[Path]:
    """Every file below `root` except the databases, whose pages change with any write."""
    return {path for path in root.rglob("*")
            if path.is_file() and not path.name.startswith(("certguard.db", "jobs.db"))}


@pytest.fixture
def clerk_token(make_token) -> str:
    return make_token("clerk")


def test_a_mixed_zip_of_20_items_completes_with_20_results(app, clerk_token, consumer, openapi):
    status = run_batch(app, clerk_token, mixed_zip(), consumer, openapi)
    assert (status["state"], status["total"], status["done"], status["failed"]) == ("done", 20, 20, 0)
    lines = result_lines(app, clerk_token, status["id"])
    for line in lines:
        openapi.validate(line, "BatchResult")
    origins = [line["origin"] for line in lines]
    assert len(set(origins)) == 20 and all(origin.startswith("cards.zip!/scans/") for origin in origins)
    assert origins[:3] == ["cards.zip!/scans/00.png", "cards.zip!/scans/01.jpg", "cards.zip!/scans/02.webp"]
    assert [origin for origin in origins if ".pdf" in origin] == [f"cards.zip!/scans/stack.pdf#page={page}"
                                                                  for page in range(1, 5)]
    assert len([origin for origin in origins if ".tif" in origin]) == 4
    assert {line["state"] for line in lines} == {"done"}
    assert all(line["verdict"] in {"pass", "suspect", "reject"} and line["source"] == line["origin"]
               for line in lines)
    assert all(line["page"] == f"http://localhost/checks/{line['id']}" for line in lines)
    with app.app_context():
        assert sorted(db_session().scalars(select(Check.source))) == sorted(origins)
    assert not (Path(app.config["CERTGUARD_DATA_DIR"]) / "batches" / str(status["id"])).exists()


def test_a_corrupt_page_fails_alone(app, clerk_token, consumer, openapi):
    data = zip_bytes({"a.png": image_bytes(), "b.jpg": image_bytes("JPEG")[:200], "c.png": image_bytes()})
    status = run_batch(app, clerk_token, data, consumer, openapi)
    assert (status["state"], status["total"], status["done"], status["failed"]) == ("done", 3, 2, 1)
    lines = result_lines(app, clerk_token, status["id"])
    assert [(line["origin"], line["state"]) for line in lines] == [
        ("cards.zip!/a.png", "done"), ("cards.zip!/b.jpg", "failed"), ("cards.zip!/c.png", "done")]
    assert lines[1]["error"]["code"] == "corrupt" and lines[1]["error"]["message"]


def test_a_single_image_is_a_batch_of_one(app, clerk_token, consumer, openapi):
    status = run_batch(app, clerk_token, image_bytes(), consumer, openapi, name="card.png")
    assert (status["state"], status["total"], status["done"]) == ("done", 1, 1)
    assert [line["origin"] for line in result_lines(app, clerk_token, status["id"])] == ["card.png"]


def encrypted_pdf() -> bytes:
    pdf = pikepdf.open(io.BytesIO(pages_bytes("PDF", 1)))
    buffer = io.BytesIO()
    pdf.save(buffer, encryption=pikepdf.Encryption(owner="owner", user="secret"))
    return buffer.getvalue()


def pdf_of_pages(count: int) -> bytes:
    pdf = pikepdf.new()
    for _ in range(count):
        pdf.add_blank_page(page_size=(100, 100))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


HOSTILE = {
    "zip_slip": (lambda: zip_bytes({"ok.png": image_bytes(), "../../escaped.png": image_bytes()}), "cards.zip",
                 "zip_slip", "list"),
    "zip_bomb": (lambda: zip_bytes({"ok.png": image_bytes(), "bomb.png": b"\x89PNG\r\n\x1a\n" + bytes(30 * 2**20)}),
                 "cards.zip", "zip_bomb", "extract"),
    "nested_zip": (lambda: zip_bytes({"ok.png": image_bytes(), "inner.zip": zip_bytes({"x.png": image_bytes()})}),
                   "cards.zip", "nested_archive", "extract"),
    "encrypted_pdf": (encrypted_pdf, "cards.pdf", "encrypted", "open"),
    "5000_page_pdf": (lambda: pdf_of_pages(5000), "cards.pdf", "too_many_pages", "preflight"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_upload_fails_its_batch_at_the_stated_stage_and_writes_nothing_outside(
        app, clerk_token, consumer, openapi, case):
    build, name, code, stage = HOSTILE[case]
    data_dir = Path(app.config["CERTGUARD_DATA_DIR"])
    response = post_batch(app, clerk_token, build(), name)
    assert response.status_code == 202, response.get_data(as_text=True)
    before = files_under(data_dir)
    workspace = data_dir / "batches" / str(response.json["id"])
    consumer(app)
    status = wait_until_finished(app, clerk_token, response.json["id"])
    openapi.validate(status, "Batch")
    assert status["state"] == "failed"
    assert (status["error"]["code"], status["error"]["stage"]) == (code, stage), status
    assert files_under(data_dir) == {path for path in before if workspace not in path.parents}
    assert not workspace.exists() and not (data_dir.parent / "escaped.png").exists()
    with app.app_context():
        assert db_session().scalar(select(func.count()).select_from(Check)) == 0
        assert db_session().scalar(select(func.count()).select_from(BatchItem)) == 0


def handed_out(batch_id: int) -> list[int]:
    """The ids `expand_batch` hands out, in order."""
    handed: list[int] = []
    expand_batch(batch_id, hand_out=handed.append)
    return handed


def test_a_job_delivered_again_or_resumed_records_each_item_once(db_app, make_token):
    """Huey may deliver a job twice, and a resumed batch is read again: neither duplicates an item."""
    token = make_token("clerk", app=db_app)
    data = zip_bytes({f"{index}.png": image_bytes() for index in range(3)})
    batch_id = post_batch(db_app, token, data).json["id"]
    with db_app.app_context():
        item_ids = handed_out(batch_id)
        assert len(item_ids) == 3
        complete_item(item_ids[0])
        assert handed_out(batch_id) == item_ids[1:]  # resumed: reads nothing again, hands out what is left
        for item_id in item_ids + item_ids:
            complete_item(item_id)
        assert handed_out(batch_id) == []
        batch = db_session().get(Batch, batch_id)
        db_session().refresh(batch)
        assert (batch.state, batch.total, batch.done, batch.failed) == ("done", 3, 3, 0)
        items = db_session().scalars(select(BatchItem).order_by(BatchItem.seq)).all()
        assert [item.seq for item in items] == [1, 2, 3]
        checks = db_session().scalars(select(Check).order_by(Check.id)).all()
        assert [check.id for check in checks] == sorted(item.check_id for item in items)
        assert [check.source for check in checks] == [f"cards.zip!/{index}.png" for index in range(3)]
        assert batch.started_at <= batch.expanded_at <= batch.finished_at
        assert all(item.elapsed_ms is not None and item.finished_at for item in items)


def test_items_wait_sealed_and_the_upload_goes_once_read(app, clerk_token):
    """Certificate photos waiting to be checked are sealed like stored originals; the upload, kept plain
    for the archive readers, is removed once every item is out of it."""
    images = {f"{index}.png": image_bytes() for index in range(2)}
    batch_id = post_batch(app, clerk_token, zip_bytes(images)).json["id"]
    space = Path(app.config["CERTGUARD_DATA_DIR"]) / "batches" / str(batch_id)
    assert (space / "upload").exists()
    with app.app_context():
        item_ids = handed_out(batch_id)
        assert not (space / "upload").exists() and not (space / "work").exists()
        waiting = sorted((space / "items").iterdir())
        assert len(waiting) == 2
        for path, data in zip(waiting, images.values(), strict=True):
            sealed = path.read_bytes()
            assert data not in sealed and not sealed.startswith(b"\x89PNG")
            assert get_storage().unseal(sealed) == data
        for item_id in item_ids:
            complete_item(item_id)
        assert db_session().get(Batch, batch_id).state == "done"
    assert not space.exists()


def test_a_reading_interrupted_half_way_goes_on_from_the_items_recorded(app, clerk_token):
    """A reader killed after some items: the next run hands out those still queued, then reads the rest."""
    data = zip_bytes({f"{index}.png": image_bytes() for index in range(4)})
    batch_id = post_batch(app, clerk_token, data).json["id"]
    def killed_at_the_second(item_id: int) -> None:
        if item_id == 2:
            raise KeyboardInterrupt  # stands in for SIGKILL: nothing after it runs, and no handler catches it

    with app.app_context():
        with pytest.raises(KeyboardInterrupt):
            expand_batch(batch_id, hand_out=killed_at_the_second)
        batch = db_session().get(Batch, batch_id)
        assert (batch.state, batch.total, batch.expanded_at) == ("running", 4, None)
        assert handed_out(batch_id) == [1, 2, 3, 4]
        for item_id in range(1, 5):
            complete_item(item_id)
        db_session().refresh(batch)
        assert (batch.state, batch.done) == ("done", 4)
        assert db_session().scalar(select(func.count()).select_from(BatchItem)) == 4


def test_consumers_that_start_mid_batch_queue_it_again_and_each_item_is_read_once(app, clerk_token, consumer,
                                                                                 monkeypatch):
    """Each job process that starts queues the unfinished batches again, items being read by others included;
    a job for an item already recorded, or being read by a live job, returns without reading it."""
    reads = Counter()

    def slow_analyse_image(data: bytes, source: str, **options):
        reads[source] += 1
        time.sleep(0.2)  # long enough for the other consumer's jobs to find the item queued and in hand
        return analyse_image(data, source, **options)

    monkeypatch.setattr(service.batches, "analyse_image", slow_analyse_image)
    batch_id = post_batch(app, clerk_token, zip_bytes({f"{index}.png": image_bytes() for index in range(8)})).json["id"]
    consumer(app, workers=2)
    deadline = time.monotonic() + DEADLINE_SECONDS
    while api_get(app, clerk_token, f"/batches/{batch_id}").json["done"] < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    consumer(app, workers=2)  # the rest are queued, two of them in hand
    status = wait_until_finished(app, clerk_token, batch_id)
    assert (status["state"], status["total"], status["done"]) == ("done", 8, 8)
    assert reads == {f"cards.zip!/{index}.png": 1 for index in range(8)}


def test_a_cancelled_batch_checks_nothing_more(app, clerk_token, openapi):
    data = zip_bytes({f"{index}.png": image_bytes() for index in range(3)})
    batch_id = post_batch(app, clerk_token, data).json["id"]
    with app.app_context():
        item_ids = handed_out(batch_id)
        complete_item(item_ids[0])
    client = app.test_client()
    cancelled = client.post(f"/api/v1/batches/{batch_id}/cancel", headers={"Authorization": f"Bearer {clerk_token}"})
    assert cancelled.status_code == 200
    openapi.validate(cancelled.json, "Batch")
    assert (cancelled.json["state"], cancelled.json["done"]) == ("cancelled", 1)
    with app.app_context():  # the jobs still queued are delivered, and find nothing to do
        assert handed_out(batch_id) == []
        for item_id in item_ids:
            complete_item(item_id)
        assert db_session().scalar(select(func.count()).select_from(Check)) == 1
    lines = result_lines(app, clerk_token, batch_id)
    for line in lines:
        openapi.validate(line, "BatchResult")
    assert [line["state"] for line in lines] == ["done", "cancelled", "cancelled"]
    assert lines[0]["elapsed_ms"] >= 0 and [line["finished_at"] for line in lines[1:]] == [None, None]
    assert lines[1]["error"]["code"] == "cancelled"
    assert not (Path(app.config["CERTGUARD_DATA_DIR"]) / "batches" / str(batch_id)).exists()
    again = client.post(f"/api/v1/batches/{batch_id}/cancel", headers={"Authorization": f"Bearer {clerk_token}"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_finished"


def test_results_as_csv_and_xlsx_name_each_item(app, clerk_token, consumer, openapi):
    data = zip_bytes({"a.png": image_bytes(), "b.png": image_bytes(), "c.jpg": b"\xff\xd8\xff broken"})
    status = run_batch(app, clerk_token, data, consumer, openapi, name="=SUM(1).zip")  # a formula, were it run
    checks = {line["origin"]: line for line in result_lines(app, clerk_token, status["id"])}

    response = api_get(app, clerk_token, f"/batches/{status['id']}/results?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="batch-{status["id"]}-results.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    workbook = load_workbook(io.BytesIO(api_get(app, clerk_token, f"/batches/{status['id']}/results?format=xlsx").data))
    sheet = workbook["Results"].iter_rows(values_only=True)
    header = next(sheet)
    sheet_rows = [dict(zip(header, (cell if cell is not None else "" for cell in row), strict=True)) for row in sheet]
    for table in (rows, [{key: str(value) for key, value in row.items()} for row in sheet_rows]):
        assert [row["origin"] for row in table] == ["'=SUM(1).zip!/a.png", "'=SUM(1).zip!/b.png",
                                                    "'=SUM(1).zip!/c.jpg"]
        assert [row["state"] for row in table] == ["done", "done", "failed"]
        first = checks["=SUM(1).zip!/a.png"]
        assert table[0]["verdict"] == first["verdict"] and table[0]["page"] == first["page"]
        assert table[0]["findings"] == " ".join(finding["code"] for finding in first["findings"])
        assert (table[2]["verdict"], table[2]["error"], table[2]["page"]) == ("", "corrupt", "")
        assert [int(row["elapsed_ms"]) >= 0 for row in table[:2]] == [True, True] and table[2]["elapsed_ms"] == ""
        assert [row["finished_at"] for row in table] == [checks[origin]["finished_at"] for origin in checks]
    assert api_get(app, clerk_token, f"/batches/{status['id']}/results?format=pdf").status_code == 400


def test_api_status_codes(app, make_token, clerk_token, png):
    assert post_batch(app, "nope", png).status_code == 401
    for role in ("inspector", "reviewer"):
        refused = post_batch(app, make_token(role), png)
        assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
        assert api_get(app, make_token(role), "/batches/1").status_code == 403
    for role in ("supervisor", "admin"):
        assert post_batch(app, make_token(role), png).status_code == 202
    missing = post_batch(app, clerk_token, png, "card.png", field="image")
    assert missing.status_code == 400 and missing.json["error"]["code"] == "missing_field"
    assert post_batch(app, clerk_token, b"just some text", "cards.zip").status_code == 415
    assert post_batch(app, clerk_token, b"", "cards.zip").status_code == 422
    assert api_get(app, clerk_token, "/batches/999").status_code == 404
    with app.app_context():
        assert db_session().scalar(select(func.count()).select_from(Batch)) == 2
        assert get_jobs().huey.pending_count() == 2


def test_an_upload_over_the_batch_cap_is_refused_with_413(app, clerk_token):
    app.config["CERTGUARD_MAX_ARCHIVE_BYTES"] = 100_000
    assert post_batch(app, clerk_token, image_bytes(size=(100, 100))).status_code == 202  # over the image cap is fine
    app.config["MAX_CONTENT_LENGTH"] = 1_000
    noise = io.BytesIO()
    Image.frombytes("L", (64, 64), random.Random(7).randbytes(64 * 64)).save(noise, format="PNG")
    archive = zip_bytes({"a.png": noise.getvalue()})
    assert len(archive) > 2_000  # over MAX_CONTENT_LENGTH: the batch endpoint has its own cap
    assert post_batch(app, clerk_token, archive).status_code == 202
    response = post_batch(app, clerk_token, bytes(200_000))
    assert response.status_code == 413 and response.json["error"]["code"] == "too_large"
    assert "0.0953674 MiB" in response.json["error"]["message"]
    with app.app_context():
        assert db_session().scalar(select(func.count()).select_from(Batch)) == 2


def test_an_unreachable_queue_fails_the_batch_with_503(tmp_path, make_app, make_token):
    app = make_app(tmp_path / "data", CERTGUARD_REDIS_URL="redis://127.0.0.1:1/0")
    token = make_token("clerk", app=app)
    response = post_batch(app, token, image_bytes())
    assert response.status_code == 503 and response.json["error"]["code"] == "queue_unavailable"
    status = api_get(app, token, "/batches/1").json
    assert status["state"] == "failed" and status["error"]["stage"] == "queue"
    assert not (tmp_path / "data" / "batches" / "1").exists()


@pytest.mark.redis
def test_a_batch_through_redis_huey(redis_app, make_token, consumer, openapi):
    token = make_token("clerk", app=redis_app)
    data = zip_bytes({"a.png": image_bytes(), "b.pdf": pages_bytes("PDF", 2)})
    status = run_batch(redis_app, token, data, lambda made: consumer(made, workers=2), openapi)
    assert (status["state"], status["total"], status["done"]) == ("done", 3, 3)
    with redis_app.app_context():
        assert get_jobs().huey.pending_count() == 0


def test_scan_expands_archives_and_folders_with_origins_and_a_progress_bar(app, runner, tmp_path, monkeypatch):
    expanded, bars = [], []

    def recorded_expand(path: Path, *args, **options):
        expanded.append(path.name)
        return expand(path, *args, **options)

    def recorded_progressbar(progressbar=click.progressbar, **options):
        bars.append(progressbar(**options))
        return bars[-1]

    monkeypatch.setattr(service.cli, "expand", recorded_expand)
    monkeypatch.setattr(click, "progressbar", recorded_progressbar)
    folder = tmp_path / "scans"
    folder.mkdir()
    archive = folder / "cards.zip"
    archive.write_bytes(zip_bytes({"a.png": image_bytes(), "b.jpg": b"\xff\xd8\xff broken"}))
    pdf = tmp_path / "stack.pdf"
    pdf.write_bytes(pages_bytes("PDF", 2))
    (tmp_path / "nested.zip").write_bytes(zip_bytes({"inner.zip": zip_bytes({"x.png": image_bytes()})}))
    result = runner.invoke(cli, ["scan", str(folder), str(pdf), str(tmp_path / "nested.zip"), "--out", "-"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["source"] for line in lines] == [f"{archive}!/a.png", f"{archive}!/b.jpg", f"{pdf}#page=1",
                                                  f"{pdf}#page=2", str(tmp_path / "nested.zip")]
    assert lines[1]["error"]["code"] == "corrupt"
    assert lines[4]["error"] == {"code": "nested_archive", "stage": "extract", "message": lines[4]["error"]["message"]}
    assert all(line["verdict"] for line in (lines[0], lines[2], lines[3]))
    assert "Scanning" in result.stderr and "Scanned 5 images: 2 error, 3 " in result.stderr
    assert expanded == ["cards.zip", "stack.pdf", "nested.zip"]  # each archive read once, counted as it is read
    assert (bars[0].length, bars[0].pos) == (5, 5)
    assert not list((Path(app.config["CERTGUARD_DATA_DIR"])).glob("scan-*"))
