"""The job queue: Huey on SQLite on one machine, on Redis when `CERTGUARD_REDIS_URL` is set.

Only the storage differs; the task code is the same. A task carries nothing but an id: the state of
a check or a batch lives in the app's database, so the pages and the API never ask the broker, and
a task lost with a killed job process is re-created from the rows: every job process that starts,
with its consumer or in place of one that died, queues the unfinished batches again (`resume_batches`).
Their items are handed out again, those still queued or being checked included; a second run of an
item's job costs a lookup, not a second reading (`service.batches.complete_item`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.consumer import Consumer

from ocr.engines import get_engine
from ocr.engines.rapid import THREADS_ENV
from service.batches import complete_item, expand_batch, unfinished_batches
from service.pipeline import complete_check

MAX_POLL_SECONDS = 1.0  # longest pause between looks at an idle SQLite queue (Redis wakes workers at once)
HEALTH_CHECK_SECONDS = 2.0  # how soon a consumer notices a dead worker process and replaces it


@dataclass(frozen=True)
class Jobs:
    huey: Huey
    complete_check: TaskWrapper
    run_batch: TaskWrapper
    complete_batch_item: TaskWrapper


def init_app(app: Flask) -> None:
    """Create the app's queue and its tasks; a task enters this app's context in whichever process runs it."""
    huey = make_huey(app.config)

    @huey.task(name="complete_check")
    def complete_check_task(check_id: int) -> None:
        with app.app_context():
            complete_check(check_id)

    @huey.task(name="run_batch")
    def run_batch_task(batch_id: int) -> None:
        with app.app_context():
            expand_batch(batch_id, hand_out=complete_batch_item_task)

    @huey.task(name="complete_batch_item")
    def complete_batch_item_task(item_id: int) -> None:
        with app.app_context():
            complete_item(item_id)

    @huey.task(name="resume_batches")
    def resume_batches_task() -> None:
        with app.app_context():
            batch_ids = unfinished_batches()
        for batch_id in batch_ids:
            run_batch_task(batch_id)

    @huey.on_startup("resume_batches")
    def resume_batches() -> None:
        """When a job process starts, queue the unfinished batches again: a job lost with a process
        that died (SIGKILL, the OOM killer) is handed out again. Queued first, so the consumer's other
        processes can run it while this one loads its models."""
        resume_batches_task()

    @huey.on_startup("load_models")
    def load_models() -> None:
        """Build the OCR engine when a worker starts, once per process, rather than in its first job."""
        get_engine()

    app.extensions["certguard.jobs"] = Jobs(huey, complete_check_task, run_batch_task, complete_batch_item_task)


def make_huey(config: dict[str, Any]) -> Huey:
    """The Huey instance the configuration asks for; task results are not kept (the database has them)."""
    name = config["CERTGUARD_QUEUE_NAME"]
    if config["CERTGUARD_REDIS_URL"]:
        return RedisHuey(name, url=config["CERTGUARD_REDIS_URL"], results=False)
    return SqliteHuey(name, filename=str(Path(config["CERTGUARD_DATA_DIR"]) / "jobs.db"), results=False)


def get_jobs() -> Jobs:
    return current_app.extensions["certguard.jobs"]


def enqueue_check(check_id: int) -> None:
    """Have a worker complete the queued check `check_id`."""
    get_jobs().complete_check(check_id)


def enqueue_batch(batch_id: int) -> None:
    """Have a worker read the batch `batch_id` into items, handing each out to all workers as it is read."""
    get_jobs().run_batch(batch_id)


def limit_worker_threads() -> None:
    """One thread per library in a `certguard worker` process, set before any engine is built.

    Workers scale by processes (`--processes`, one per core): thread pools of Tesseract (OpenMP),
    ONNX Runtime and OpenCV nested inside them only contend for the same cores. A value the
    operator set in the environment wins.
    """
    os.environ.setdefault("OMP_THREAD_LIMIT", "1")
    os.environ.setdefault(THREADS_ENV, "1")
    cv2.setNumThreads(1)


class EmbeddedConsumer(Consumer):
    """A consumer running inside another server's process (gunicorn's worker, a test).

    The host process keeps its own signal handling; it stops the consumer by calling `stop()`.
    """

    def _set_signal_handlers(self) -> None:
        pass
