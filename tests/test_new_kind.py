"""A kind added as a data file is rendered, read and judged with no code change."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from samples.generate import generate_set
from service.analysis import analyse
from verification.facts import Facts
from verification.kinds import load_kinds

FIXTURE_KINDS = Path(__file__).parent / "fixtures" / "kinds"
NEW_KIND = "construction_safety_manager"


@pytest.fixture(scope="module")
def new_kind_cards(tmp_path_factory) -> list[Path]:
    kinds = load_kinds(FIXTURE_KINDS)
    out = tmp_path_factory.mktemp("new-kind")
    return [p for p in generate_set(out, count=2, seed=11, kinds=[kinds[NEW_KIND]], captures=("scan",))
            if p.suffix in (".jpg", ".png")]


def test_the_fixture_kind_is_not_built_in():
    assert NEW_KIND not in load_kinds()


def test_a_new_kind_file_is_recognised_and_judged(new_kind_cards):
    kinds = load_kinds(FIXTURE_KINDS)
    assert len(new_kind_cards) == 2
    for card in new_kind_cards:
        truth = json.loads(card.with_suffix(".json").read_text(encoding="utf-8"))
        result = analyse(card.read_bytes(), card.name, kinds=kinds, facts=Facts(),
                         as_of=date.fromisoformat(truth["as_of"])).result
        assert result["scheme"] == NEW_KIND
        assert "UNKNOWN_KIND" not in {f["code"] for f in result["findings"]}
        assert result["fields"]["category"] in {None, truth["fields"]["category"]}


def test_without_the_file_the_same_card_is_an_unknown_kind(new_kind_cards):
    card = new_kind_cards[0]
    result = analyse(card.read_bytes(), card.name, kinds=load_kinds(), facts=Facts(), as_of=date(2026, 7, 1)).result
    assert result["scheme"] is None
    assert [f["code"] for f in result["findings"]] == ["UNKNOWN_KIND"]
