"""The `certguard` command, through click's runner and, once, as the installed console script."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import select

from service.cli import cli
from service.db import db_session
from service.models import Check, RegisterEntry, User
from service.registry import COLUMNS

CERTGUARD = Path(sys.executable).with_name("certguard")
ID_NUMBER = "11010519491231002X"  # GB 11643's published example, not a real person
REGISTER_ROW = (f"special_operation,T{ID_NUMBER},张三,{ID_NUMBER},电工作业,低压电工作业,2022-03-01,2028-02-29,"
        "北京市应急管理局,valid")


def write_register(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([",".join(COLUMNS), *rows]) + "\n", encoding="utf-8")
    return path


def jpeg_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def image_tree(tmp_path, png) -> Path:
    """A folder as a scan finds it: images at two depths, a broken one, and files that are not images."""
    root = tmp_path / "photos"
    (root / "b" / "nested").mkdir(parents=True)
    (root / "a.png").write_bytes(png)
    (root / "b" / "nested" / "c.JPG").write_bytes(jpeg_bytes())
    (root / "b" / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really")
    (root / "b" / "notes.txt").write_text("not an image")
    (root / "a.json").write_text("{}")
    (root / ".hidden").mkdir()
    (root / ".hidden" / "x.png").write_bytes(png)
    return root


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_users_add_with_a_token_that_works_on_the_api(app, runner):
    result = runner.invoke(cli, ["users", "add", "carla", "--role", "clerk", "--password", "s3cret", "--token"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    response = app.test_client().get("/api/v1/checks", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    with app.app_context():
        assert db_session().scalars(select(User.role).where(User.username == "carla")).one() == "clerk"


@pytest.mark.parametrize(("args", "exit_code", "message"), [
    (["users", "add", "x", "--role", "emperor"], 2, "emperor"),
    (["users", "add", "../x", "--role", "clerk"], 1, "username"),
    (["users", "add", "x"], 2, "--role"),
])
def test_users_add_refuses_bad_input(runner, args, exit_code, message):
    result = runner.invoke(cli, args)
    assert result.exit_code == exit_code and message in result.output


def test_users_add_refuses_a_taken_name(runner):
    assert runner.invoke(cli, ["users", "add", "x", "--role", "clerk"]).exit_code == 0
    result = runner.invoke(cli, ["users", "add", "x", "--role", "admin"])
    assert result.exit_code == 1 and "already exists" in result.output


def test_registry_import_reports_counts_and_updates(app, runner, tmp_path):
    first = write_register(tmp_path / "r1.csv", REGISTER_ROW)
    result = runner.invoke(cli, ["registry", "import", str(first)])
    assert result.exit_code == 0, result.output
    assert "Imported 1 register rows from r1.csv: 1 new, 0 updated." in result.output
    second = write_register(tmp_path / "r2.csv", REGISTER_ROW.replace(",valid", ",revoked"),
                            REGISTER_ROW.replace(ID_NUMBER, "110105194912310021"))
    assert "1 new, 1 updated" in runner.invoke(cli, ["registry", "import", str(second)]).output
    with app.app_context():
        rows = db_session().scalars(select(RegisterEntry).order_by(RegisterEntry.id)).all()
        assert [(row.status, row.source_file) for row in rows] == [("revoked", "r2.csv"), ("valid", "r2.csv")]


def test_registry_import_names_bad_lines_and_imports_nothing(app, runner, tmp_path):
    bad = write_register(tmp_path / "bad.csv", REGISTER_ROW, REGISTER_ROW.replace("2022-03-01", "2022-3-1"),
                         REGISTER_ROW.replace(",valid", ",lost"))
    result = runner.invoke(cli, ["registry", "import", str(bad)])
    assert result.exit_code == 1
    assert "line 3: first_issued: not a date" in result.output and "line 4: status: must be one of" in result.output
    assert ID_NUMBER not in result.output
    with app.app_context():
        assert db_session().scalars(select(RegisterEntry)).first() is None


def test_scan_writes_one_line_per_image_in_order_and_goes_on_after_errors(app, runner, image_tree, tmp_path):
    out = tmp_path / "results.jsonl"
    result = runner.invoke(cli, ["scan", str(image_tree), "--out", str(out), "--as-of", "2025-06-30"])
    assert result.exit_code == 0, result.output
    lines = read_lines(out)
    assert [line["source"] for line in lines] == [
        str(image_tree / "a.png"), str(image_tree / "b" / "broken.jpg"), str(image_tree / "b" / "nested" / "c.JPG")]
    assert lines[1] == {"source": str(image_tree / "b" / "broken.jpg"),
                        "error": {"code": "corrupt", "message": lines[1]["error"]["message"]}}
    for line in (lines[0], lines[2]):
        assert line["verdict"] in {"pass", "suspect", "reject"} and line["id"] >= 1
    assert "Scanned 3 images" in result.output
    with app.app_context():
        checks = db_session().scalars(select(Check).order_by(Check.id)).all()
        assert [(check.user.username, check.as_of.isoformat()) for check in checks] == [("cli", "2025-06-30")] * 2
        assert [check.to_contract() for check in checks] == [lines[0], lines[2]]


def test_scan_takes_files_and_a_register_file(runner, tmp_path, png):
    image = tmp_path / "card.png"
    image.write_bytes(png)
    register = write_register(tmp_path / "register.csv", REGISTER_ROW)
    result = runner.invoke(cli, ["scan", str(image), str(image), "--out", "-", "--registry", str(register)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["source"] for line in lines] == [str(image)] * 2
    assert lines[0]["id"] != lines[1]["id"]


def test_scan_refuses_a_bad_register_before_scanning(app, runner, tmp_path, png):
    (tmp_path / "card.png").write_bytes(png)
    register = write_register(tmp_path / "register.csv", REGISTER_ROW.replace("special_operation", "nope"))
    result = runner.invoke(cli, ["scan", str(tmp_path / "card.png"), "--out", str(tmp_path / "o.jsonl"),
                                 "--registry", str(register)])
    assert result.exit_code == 1 and "line 2: scheme" in result.output
    with app.app_context():
        assert db_session().scalars(select(Check)).first() is None


def test_db_upgrade(runner):
    result = runner.invoke(cli, ["db", "upgrade"])
    assert result.exit_code == 0 and "up to date" in result.output


@pytest.mark.slow
def test_the_installed_console_script_scans(tmp_path, image_tree):
    assert CERTGUARD.exists(), "run `.venv/bin/pip install -e . --no-deps` to install the console script"
    env = {**os.environ, "CERTGUARD_DATA_DIR": str(tmp_path / "data")}
    for name in ("CERTGUARD_DATABASE_URL", "CERTGUARD_REDIS_URL", "CERTGUARD_KINDS_DIR", "CERTGUARD_SECRET_KEY"):
        env.pop(name, None)
    out = tmp_path / "results.jsonl"
    run = subprocess.run([str(CERTGUARD), "scan", str(image_tree / "b"), "--out", str(out)], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert [line.get("error", {}).get("code") for line in read_lines(out)] == ["corrupt", None]
    assert (tmp_path / "data" / "certguard.db").is_file()
