"""OCR engines behind one protocol, and a per-process cache of configured engines.

The default engine is RapidOCR (PP-OCRv4 on ONNX Runtime), which reads these cards far better than
Tesseract; CERTGUARD_OCR_ENGINE=tesseract selects Tesseract instead.
"""

from __future__ import annotations

import os
import threading

from ocr.engines.base import EngineTimeout, EngineUnavailable, OcrEngine, OcrError
from ocr.engines.rapid import RapidOcrEngine
from ocr.engines.tesseract import TesseractEngine

ENGINES = {"rapidocr": RapidOcrEngine, "tesseract": TesseractEngine}
ENGINE_ENV = "CERTGUARD_OCR_ENGINE"
DEFAULT_ENGINE = "rapidocr"

__all__ = ["DEFAULT_ENGINE", "ENGINES", "ENGINE_ENV", "EngineTimeout", "EngineUnavailable", "OcrEngine", "OcrError",
           "RapidOcrEngine", "TesseractEngine", "default_engine_name", "get_engine"]

_built: dict[str, OcrEngine] = {}
_lock = threading.Lock()


def default_engine_name() -> str:
    """The configured engine: CERTGUARD_OCR_ENGINE if set (rapidocr | tesseract), else DEFAULT_ENGINE."""
    return os.environ.get(ENGINE_ENV, "").strip().lower() or DEFAULT_ENGINE


def get_engine(name: str | None = None) -> OcrEngine:
    """The engine called `name` (None: the configured default), built once per process and shared
    by every image it reads. Raises ValueError for an unknown name and EngineUnavailable when the
    engine's package or program is missing."""
    if name is None:
        name = default_engine_name()
    if name not in ENGINES:
        raise ValueError(f"Unknown OCR engine {name!r}; known: {', '.join(sorted(ENGINES))}")
    with _lock:
        if name not in _built:
            _built[name] = ENGINES[name]()
        return _built[name]
