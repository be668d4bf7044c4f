"""A card photo for the upload tests."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from samples.render import render_card
from samples.values import draw_values
from verification.kinds import load_kinds


@pytest.fixture(scope="session")
def card_photo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clean synthetic 特种作业操作证 from the sample renderer, as a scanner would give it.

    Deliberately not a phone capture: these tests are about the pages, not about reading accuracy.
    """
    rng = random.Random(0)
    kind = load_kinds()["special_operation"]
    path = tmp_path_factory.mktemp("cards") / "card.png"
    render_card(kind, draw_values(kind, rng, date.today()), rng).image.save(path)
    return path
