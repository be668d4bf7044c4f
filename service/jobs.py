"""The job queue: Huey on SQLite on one machine, on Redis when `CERTGUARD_REDIS_URL` is set.

Only the storage differs; the task code is the same. A task carries nothing but a check id:
the state of a check lives in the app's database, so the pages and the API never ask the broker.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey
from huey.api import TaskWrapper
from huey.consumer import Consumer

from service.pipeline import complete_check

MAX_POLL_SECONDS = 1.0  # longest pause between looks at an idle SQLite queue (Redis wakes workers at once)


@dataclass(frozen=True)
class Jobs:
    huey: Huey
    complete_check: TaskWrapper


def init_app(app: Flask) -> None:
    """Create the app's queue and its task; the task enters this app's context in whichever process runs it."""
    huey = make_huey(app.config)

    @huey.task(name="complete_check")
    def complete_check_task(check_id: int) -> None:
        with app.app_context():
            complete_check(check_id)

    app.extensions["certguard.jobs"] = Jobs(huey, complete_check_task)


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


class EmbeddedConsumer(Consumer):
    """A Huey consumer running inside another server's process (gunicorn's worker, a test).

    The host process keeps its own signal handling; it stops the consumer by calling `stop()`.
    """

    def _set_signal_handlers(self) -> None:
        pass
