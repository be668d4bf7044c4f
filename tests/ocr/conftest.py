"""Fixtures for the reader's tests: kind specs from the real kind files, an engine, rendered cards.

Cards are rendered and read once per session (Tesseract takes ~0.5 s a card), so the OCR tests
share one reading of each card.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ocr_cards import fonts_available, label_value_card, two_column_card, value_below_card  # noqa: E402

from ocr.engines import EngineUnavailable, RapidOcrEngine  # noqa: E402
from ocr.engines.tesseract import TesseractEngine  # noqa: E402
from ocr.types import DocumentSpec  # noqa: E402

OPERATOR = {
    "name": "张伟", "sex": "男", "number": "T11010519491231002X", "category": "电工作业", "item": "低压电工作业",
    "first_issued": "2019-07-25", "validity": "2019-07-25 至 2025-07-24", "authority": "北京市应急管理局",
    "review_date": "2022.07.25",
}
EQUIPMENT = {
    "name": "李娜", "number": "510602197603143578", "authority": "沈阳市市场监督管理局", "item": "Q2",
    "first_issued": "2019.07.25", "valid_until": "2023.07.24",
}
CARDS = {
    "label_value": (label_value_card, OPERATOR),
    "two_column": (two_column_card, OPERATOR),
    "value_below": (value_below_card, EQUIPMENT),
}


@pytest.fixture(scope="session")
def specs() -> dict[str, DocumentSpec]:
    from verification.kinds import load_kinds

    return {kind_id: kind.document_spec for kind_id, kind in load_kinds().items()}


@pytest.fixture(scope="session")
def engine() -> TesseractEngine:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed")
    if not fonts_available():
        pytest.skip("Noto CJK fonts are not installed")
    return TesseractEngine()


@pytest.fixture(scope="session")
def rapid() -> RapidOcrEngine:
    """RapidOCR (PP-OCRv4), built once for the session."""
    try:
        return RapidOcrEngine()
    except EngineUnavailable as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def rendered_cards() -> dict:
    """Each layout drawn once: {layout: Card}."""
    if not fonts_available():
        pytest.skip("Noto CJK fonts are not installed")
    return {name: draw(values) for name, (draw, values) in CARDS.items()}


@pytest.fixture(scope="session")
def card_lines(engine, rendered_cards) -> dict:
    """Each rendered card read once by Tesseract: {layout: [TextLine]}."""
    return {name: engine.read(card.image) for name, card in rendered_cards.items()}
