"""A card photo for the upload tests."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from samples.render import render_card
from samples.values import draw_values
from verification.kinds import load_kinds

COMMITTED = Path(__file__).resolve().parents[2] / "samples" / "committed"


@pytest.fixture(scope="session")
def card_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic card: the first committed sample if there is one, else one drawn now."""
    committed = sorted(path for path in COMMITTED.glob("*") if path.suffix in {".png", ".jpg"})
    if committed:
        return committed[0]
    rng = random.Random(7)
    kind = load_kinds()["special_operation"]
    path = tmp_path_factory.mktemp("cards") / "card.png"
    render_card(kind, draw_values(kind, rng, date.today()), rng).image.save(path)
    return path
