"""Characters printed alike, by their drawn outlines."""

from __future__ import annotations

from pathlib import Path

import pytest

from ocr import lookalikes
from ocr.lookalikes import look_alike, printed_alike


@pytest.mark.parametrize(("a", "b"), [("问", "闫"), ("森", "鑫"), ("侯", "候"), ("凤", "风")])
def test_characters_a_blurred_photo_confuses_look_alike(a, b):
    assert look_alike(a, b) and look_alike(b, a)


@pytest.mark.parametrize(("a", "b"), [("伟", "强"), ("张", "李"), ("洁", "杰")])
def test_characters_of_other_shapes_do_not(a, b):
    assert not look_alike(a, b)


@pytest.mark.parametrize(("a", "b", "alike"), [
    ("钱梅风", "钱梅凤", True),
    ("加氧工艺作业", "加氢工艺作业", True),
    ("钱梅风", "钱梅风", False),  # no difference
    ("张伟", "张强", False),  # the one difference does not print alike
    ("问洁洁", "闫洁杰", False),  # two differences
    ("吴辉军", "吴辉", False),  # lengths differ
])
def test_strings_print_alike_when_one_character_differs_and_prints_alike(a, b, alike):
    assert printed_alike(a, b) is alike


def test_without_the_font_nothing_looks_alike(monkeypatch):
    """A mismatch then stays a mismatch: the register rule rejects as it would without the test."""
    monkeypatch.setattr(lookalikes, "GLYPH_FONT", Path("/nonexistent/font.ttc"))
    lookalikes.glyph_font.cache_clear()
    lookalikes.outline.cache_clear()
    try:
        assert not look_alike("问", "闫")
    finally:
        lookalikes.glyph_font.cache_clear()
        lookalikes.outline.cache_clear()
