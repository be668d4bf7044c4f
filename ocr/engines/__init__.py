"""OCR engines behind one protocol, and a per-process cache of configured engines."""

from __future__ import annotations

from functools import cache

from ocr.engines.base import EngineTimeout, EngineUnavailable, OcrEngine, OcrError
from ocr.engines.tesseract import TesseractEngine

ENGINES = {"tesseract": TesseractEngine}

__all__ = ["ENGINES", "EngineTimeout", "EngineUnavailable", "OcrEngine", "OcrError", "TesseractEngine", "get_engine"]


@cache
def get_engine(name: str = "tesseract") -> OcrEngine:
    """The engine called `name`, built once per process (workers reuse it for every image)."""
    try:
        return ENGINES[name]()
    except KeyError:
        raise ValueError(f"Unknown OCR engine {name!r}; known: {', '.join(sorted(ENGINES))}") from None
