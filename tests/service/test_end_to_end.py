"""The committed sample cards through the API and through `certguard scan`: the contract's shape only.

How well the cards are read is measured by the OCR and benchmark tests, not here.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from ocr.types import CONTRACT_FIELDS
from service.cli import IMAGE_SUFFIXES, cli

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "committed"
IMAGES = sorted(path for path in SAMPLES.glob("*") if path.suffix.lower() in IMAGE_SUFFIXES) if SAMPLES.is_dir() else []
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DATE_FIELDS = ("first_issued", "valid_from", "valid_until")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not IMAGES, reason=f"no committed sample images in {SAMPLES}"),
]


def assert_contract_shape(contract: dict, source: str) -> None:
    assert contract["source"] == source
    assert set(contract["fields"]) == set(CONTRACT_FIELDS)
    for name in DATE_FIELDS:
        value = contract["fields"][name]
        assert value is None or DATE.fullmatch(value), (name, value)
    assert set(contract["field_confidence"]) <= set(CONTRACT_FIELDS)
    assert all(0 <= confidence <= 1 for confidence in contract["field_confidence"].values())
    assert contract["verdict"] in {"pass", "suspect", "reject"}
    assert all(finding["severity"] in {"info", "warning", "error"} for finding in contract["findings"])


def test_sample_cards_through_the_api(client, runner, make_token, openapi):
    register = SAMPLES / "register.csv"
    if register.exists():
        assert runner.invoke(cli, ["registry", "import", str(register)]).exit_code == 0
    token = make_token("inspector")
    for image in IMAGES:
        response = client.post("/api/v1/checks", headers={"Authorization": f"Bearer {token}"},
                               data={"image": (io.BytesIO(image.read_bytes()), image.name)},
                               content_type="multipart/form-data")
        assert response.status_code == 201, (image.name, response.get_data(as_text=True))
        openapi.validate(response.json, "DoneCheck")
        assert_contract_shape(response.json, image.name)


def test_sample_cards_through_the_cli(runner, tmp_path, openapi):
    out = tmp_path / "results.jsonl"
    args = ["scan", str(SAMPLES), "--out", str(out), "--as-of", "2026-01-15"]
    if (SAMPLES / "register.csv").exists():
        args += ["--registry", str(SAMPLES / "register.csv")]
    result = runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [line["source"] for line in lines] == [str(image) for image in IMAGES]
    for line in lines:
        openapi.validate({**line, "state": "done"}, "DoneCheck")
        assert_contract_shape(line, line["source"])
