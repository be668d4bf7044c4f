"""`certguard serve` and `certguard worker` as real processes: gunicorn, the job consumer, signals."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

CERTGUARD = Path(sys.executable).with_name("certguard")
START_SECONDS = 30

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CERTGUARD_") and key != "PORT"}
    return {**env, "CERTGUARD_DATA_DIR": str(data_dir), **extra}


def request(url: str, *, token: str | None = None, image: bytes | None = None) -> tuple[int, bytes]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    body = None
    if image is not None:
        boundary = uuid.uuid4().hex
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        body = (f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="card.png"\r\n'
                f"Content-Type: image/png\r\n\r\n").encode() + image + f"\r\n--{boundary}--\r\n".encode()
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body, headers=headers), timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_for(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if request(url)[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"{url} did not answer within {START_SECONDS} s:\n{log.read_text()}")


def add_token(env: dict[str, str]) -> str:
    added = subprocess.run([str(CERTGUARD), "users", "add", "bot", "--role", "clerk", "--token"], env=env,
                           capture_output=True, text=True, check=True, timeout=60)
    return added.stdout.strip().splitlines()[-1]


def poll_until_settled(url: str, token: str) -> dict:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        status = json.loads(request(url, token=token)[1])
        if status["state"] != "queued":
            return status
        time.sleep(0.1)
    raise AssertionError(f"{url} still queued after {START_SECONDS} s")


@pytest.fixture
def start(tmp_path):
    """start(args, env) runs `certguard ARGS` with its output in a log file; it is stopped after the test."""
    started: list[subprocess.Popen] = []

    def run(args: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, Path]:
        log = tmp_path / f"{args[0]}-{len(started)}.log"
        with open(log, "wb") as output:
            started.append(subprocess.Popen([str(CERTGUARD), *args], env=env, stdout=output, stderr=subprocess.STDOUT))
        return started[-1], log

    yield run
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_serve_answers_runs_queued_jobs_and_stops_on_sigterm(tmp_path, start, png):
    env = clean_env(tmp_path / "data", PORT=str(free_port()))
    base = f"http://127.0.0.1:{env['PORT']}"
    server, log = start(["serve"], env)  # the port comes from $PORT
    wait_for(f"{base}/login", server, log)
    assert "Log in at" in log.read_text() and "as 'admin' with the password:" in log.read_text()

    token = add_token(env)
    status, body = request(f"{base}/api/v1/checks?async=1", token=token, image=png)
    assert status == 202, body
    check = poll_until_settled(f"{base}/api/v1/checks/{json.loads(body)['id']}", token)
    assert check["state"] == "done", check

    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=40) == 0, log.read_text()

    again, log = start(["serve", "--port", str(free_port())], env)
    wait_for(f"http://127.0.0.1:{again.args[-1]}/login", again, log)
    assert "password" not in log.read_text()  # told once, on the first start only
    again.send_signal(signal.SIGTERM)
    assert again.wait(timeout=40) == 0, log.read_text()


def test_worker_processes_complete_queued_checks(tmp_path, start, png, make_app, make_token):
    app = make_app(tmp_path / "data")
    token = make_token("clerk", app=app)
    client = app.test_client()
    receipt = client.post("/api/v1/checks?async=1", headers={"Authorization": f"Bearer {token}"},
                          data={"image": (io.BytesIO(png), "card.png")}, content_type="multipart/form-data")
    assert receipt.status_code == 202
    worker, log = start(["worker", "--processes", "2"], clean_env(tmp_path / "data"))
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        state = client.get(f"/api/v1/checks/{receipt.json['id']}", headers={"Authorization": f"Bearer {token}"})
        if state.json["state"] != "queued":
            break
        assert worker.poll() is None, log.read_text()
        time.sleep(0.1)
    assert state.json["state"] == "done", log.read_text()
    worker.send_signal(signal.SIGINT)
    assert worker.wait(timeout=40) == 0, log.read_text()
