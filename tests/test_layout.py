"""The design card's shape: data flows ocr → verification → service, never back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = {
    "ocr": {"service", "verification", "flask", "sqlalchemy", "huey"},
    "verification": {"service", "flask", "sqlalchemy", "huey"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_pure_packages_do_not_import_the_service_or_flask(package):
    files = sorted((ROOT / package).rglob("*.py"))
    assert files, f"{package}/ has no modules"
    offenders = {str(p.relative_to(ROOT)): sorted(imported_modules(p) & FORBIDDEN[package]) for p in files}
    assert {p: bad for p, bad in offenders.items() if bad} == {}


def test_the_checker_sees_imports(tmp_path):
    sample = tmp_path / "m.py"
    sample.write_text("import flask\nfrom service.models import Check\nfrom . import sibling\n")
    assert imported_modules(sample) == {"flask", "service"}


def test_design_card_layout_exists():
    for name in ("service", "ocr", "verification", "samples", "tests", "Dockerfile", "requirements.txt",
                 "pyproject.toml", "Makefile", "README.md"):
        assert (ROOT / name).exists(), name
