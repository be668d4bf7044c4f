"""The Dockerfile's essentials (no Docker engine here to build it)."""

from __future__ import annotations

import importlib
import json
import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def instructions() -> list[tuple[str, str]]:
    joined = re.sub(r"\\\n", " ", DOCKERFILE)
    rows = [line.strip() for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(row.split(None, 1)[0].upper(), row.split(None, 1)[1]) for row in rows]


def test_base_image_matches_the_python_we_support():
    base = dict(instructions())["FROM"]
    assert re.match(r"python:3\.11-", base)


def test_installs_ocr_languages_and_cjk_fonts():
    runs = " ".join(arg for op, arg in instructions() if op == "RUN")
    for package in ("tesseract-ocr", "tesseract-ocr-chi-sim", "fonts-noto-cjk"):
        assert package in runs


def test_installs_the_pinned_requirements_and_copies_every_package():
    ops = instructions()
    runs = [arg for op, arg in ops if op == "RUN"]
    assert any("pip install" in run and "-r requirements.txt" in run for run in runs)
    copied = {arg.split()[0] for op, arg in ops if op == "COPY"}
    for package in ("ocr", "verification", "service", "requirements.txt", "pyproject.toml"):
        assert package in copied


def test_runs_as_non_root_on_port_8000_with_the_same_serve_command():
    ops = instructions()
    assert ("USER", "certguard") in ops
    assert ("EXPOSE", "8000") in ops
    command = json.loads(dict(ops)["CMD"])[-1]
    assert command == "certguard db upgrade && exec certguard serve --host 0.0.0.0 --port 8000"
    entry_point = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert entry_point["certguard"] == "service.cli:main"
    commands = importlib.import_module("service.cli").cli.commands
    assert {"serve", "db"} <= set(commands)


def test_dockerignore_keeps_local_state_out():
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8").split()
    for entry in (".venv", ".git", "instance"):
        assert entry in ignored
