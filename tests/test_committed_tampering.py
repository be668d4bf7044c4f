"""The committed pasted-number card through the whole analysis is flagged TAMPERING on its number,
and none of the committed genuine cards is: the rule's units and score on real pixels, not on
hand-made traces."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from service.analysis import analyse
from verification.facts import Facts
from verification.kinds import load_kinds
from verification.rules.tampering import SUSPECT_SCORE

COMMITTED = Path(__file__).resolve().parents[1] / "samples" / "committed"
MANIFEST = json.loads((COMMITTED / "manifest.json").read_text(encoding="utf-8"))


def images(variant: str) -> list[str]:
    return [entry["image"] for entry in MANIFEST["images"] if entry["variant"] == variant]


def tampering_findings(image: str) -> list[dict]:
    result = analyse((COMMITTED / image).read_bytes(), image, kinds=load_kinds(), facts=Facts(),
                     as_of=date.fromisoformat(MANIFEST["as_of"])).result
    return [f for f in result["findings"] if f["code"] == "TAMPERING"]


@pytest.mark.parametrize("image", images("TAMPERING"))
def test_the_committed_paste_is_flagged_on_its_number(image):
    found = tampering_findings(image)
    assert [f["evidence"]["field"] for f in found] == ["number"]
    assert found[0]["evidence"]["box"] and found[0]["evidence"]["score"] >= SUSPECT_SCORE


@pytest.mark.parametrize("image", images("genuine"))
def test_committed_genuine_cards_are_not_flagged(image):
    assert tampering_findings(image) == []
