"""`certguard serve`: the app under gunicorn, with the job consumer running inside its worker.

Why this shape:

- gunicorn, not Flask's development server: request timeouts, a supervised worker that is
  restarted if it dies, graceful shutdown on SIGTERM and an access log on stdout.
- one worker process with threads (gthread): the default deployment keeps its database and job
  queue in SQLite files, which want a single writing process; threads still serve requests
  concurrently, and OCR (ONNX Runtime, or Tesseract in child processes) runs outside the GIL.
- the Huey consumer is started in that worker after the fork (`post_worker_init`), so one command
  runs the whole service on one machine and the consumer shares the worker's app, database engine
  and lifetime. Larger installations set `CERTGUARD_REDIS_URL` and PostgreSQL and add
  `certguard worker` processes on other machines; the same code runs there.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from service.jobs import MAX_POLL_SECONDS, EmbeddedConsumer, get_jobs

THREADS = 4
TIMEOUT_SECONDS = 120  # a large photo on a slow machine may take a while to read
GRACEFUL_SECONDS = 30  # on shutdown, how long a running request or job may take to finish


class Server(BaseApplication):
    def __init__(self, app: Flask, host: str, port: int) -> None:
        self.app = app
        self.options: dict[str, Any] = {
            "bind": f"{host}:{port}",
            "workers": 1,
            "worker_class": "gthread",
            "threads": THREADS,
            "timeout": TIMEOUT_SECONDS,
            "graceful_timeout": GRACEFUL_SECONDS,
            "accesslog": "-",
            "errorlog": "-",
            "control_socket_disable": True,
            "post_worker_init": self.start_consumer,
            "worker_exit": self.stop_consumer,
        }
        super().__init__(prog="certguard serve")

    def load_config(self) -> None:
        for name, value in self.options.items():
            self.cfg.set(name, value)

    def load(self) -> Flask:
        return self.app

    def start_consumer(self, worker: Any) -> None:
        with self.app.app_context():
            worker.job_consumer = EmbeddedConsumer(get_jobs().huey, workers=1, periodic=False,
                                                   max_delay=MAX_POLL_SECONDS, shutdown_timeout=GRACEFUL_SECONDS - 5)
        worker.job_consumer.start()

    def stop_consumer(self, _arbiter: Any, worker: Any) -> None:
        consumer = getattr(worker, "job_consumer", None)
        if consumer is not None:
            consumer.stop(graceful=True)
