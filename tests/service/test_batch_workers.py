"""A batch survives its workers being killed: real `certguard worker` processes, SIGKILL, a fresh worker.

The cards are real renderings, so each item takes a worker most of a second and the kills land
while items are being read.
"""

from __future__ import annotations

import io
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from bench.batches import worker_env
from samples.render import render_card
from samples.values import draw_values
from service.db import db_session
from service.models import Batch, BatchItem, Check
from verification.kinds import load_kinds

CERTGUARD = Path(sys.executable).with_name("certguard")
CARDS = 10
DEADLINE_SECONDS = 120

pytestmark = pytest.mark.slow


def cards_zip() -> bytes:
    kind = load_kinds()["special_operation"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index in range(CARDS):
            rng = random.Random(index)
            image = render_card(kind, draw_values(kind, rng, date.today()), rng).image
            encoded = io.BytesIO()
            image.convert("RGB").save(encoded, format="JPEG", quality=90)
            archive.writestr(f"cards/{index:02d}.jpg", encoded.getvalue())
    return buffer.getvalue()


def children(pid: int) -> list[int]:
    """The processes `pid` forked: a consumer's worker processes and its scheduler."""
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


@pytest.fixture
def start_worker(tmp_path):
    """start_worker(data_dir) runs `certguard worker` in a process group of its own; all are killed after the test."""
    started: list[subprocess.Popen] = []

    def start(data_dir: Path) -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(started)}.log", "wb")  # noqa: SIM115 (closed with the process)
        started.append(subprocess.Popen([str(CERTGUARD), "worker"], env=worker_env(data_dir), stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True))
        log.close()
        return started[-1]

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def progress(app, batch_id: int) -> Batch:
    with app.app_context():
        return db_session().get(Batch, batch_id)


def wait_for(app, batch_id: int, reached, what: str, logs: Path) -> Batch:
    deadline = time.monotonic() + DEADLINE_SECONDS
    while time.monotonic() < deadline:
        batch = progress(app, batch_id)
        if reached(batch):
            return batch
        time.sleep(0.05)
    worker_logs = "\n".join(log.read_text(errors="replace") for log in sorted(logs.glob("worker-*.log")))
    raise AssertionError(f"batch {batch_id} never {what}: {batch.to_status()}\n{worker_logs}")


def test_killed_workers_are_replaced_and_every_item_is_recorded_once(tmp_path, app, make_token, start_worker):
    token = make_token("clerk")
    body = (b'--b\r\nContent-Disposition: form-data; name="archive"; filename="cards.zip"\r\n\r\n' + cards_zip()
            + b"\r\n--b--\r\n")  # built here: the test client leaves a large body it encodes in an open file
    response = app.test_client().post("/api/v1/batches", headers={"Authorization": f"Bearer {token}"}, data=body,
                                      content_type="multipart/form-data; boundary=b")
    assert response.status_code == 202, response.get_data(as_text=True)
    batch_id = response.json["id"]
    data_dir = Path(app.config["CERTGUARD_DATA_DIR"])

    first = start_worker(data_dir)
    wait_for(app, batch_id, lambda batch: batch.done >= 2, "reached 2 items", tmp_path)
    for child in children(first.pid):  # the job processes die; the consumer replaces them
        os.kill(child, signal.SIGKILL)
    killed_at = progress(app, batch_id).done
    wait_for(app, batch_id, lambda batch: batch.done >= killed_at + 2, "went on after its worker died", tmp_path)

    os.killpg(first.pid, signal.SIGKILL)  # the whole worker, consumer and all
    first.wait()
    stopped_at = progress(app, batch_id)
    assert stopped_at.done < CARDS and stopped_at.state == "running", "the kill should land mid-batch"
    start_worker(data_dir)
    batch = wait_for(app, batch_id, lambda batch: batch.state == "done", "finished", tmp_path)

    assert (batch.total, batch.done + batch.failed) == (CARDS, CARDS)
    with app.app_context():
        items = db_session().scalars(select(BatchItem).where(BatchItem.batch_id == batch_id)).all()
        checks = db_session().scalars(select(Check)).all()
    assert sorted(item.seq for item in items) == list(range(1, CARDS + 1))
    assert Counter(check.source for check in checks) == Counter({item.origin: 1 for item in items if item.check_id})
    assert sorted(check.id for check in checks) == sorted(item.check_id for item in items if item.check_id)
    assert batch.done == len(checks)
    assert not (data_dir / "batches" / str(batch_id)).exists()
