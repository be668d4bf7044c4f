"""OCR engines behind one protocol, and a per-process cache of configured engines."""

from __future__ import annotations

import threading

from ocr.engines.base import EngineTimeout, EngineUnavailable, OcrEngine, OcrError
from ocr.engines.tesseract import TesseractEngine

ENGINES = {"tesseract": TesseractEngine}

__all__ = ["ENGINES", "EngineTimeout", "EngineUnavailable", "OcrEngine", "OcrError", "TesseractEngine", "get_engine"]

_built: dict[str, OcrEngine] = {}
_lock = threading.Lock()


def get_engine(name: str = "tesseract") -> OcrEngine:
    """The engine called `name`, built once per process and shared by every image it reads."""
    if name not in ENGINES:
        raise ValueError(f"Unknown OCR engine {name!r}; known: {', '.join(sorted(ENGINES))}")
    with _lock:
        if name not in _built:
            _built[name] = ENGINES[name]()
        return _built[name]
