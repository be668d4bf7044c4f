"""The OCR engine interface: an image in, text lines in that image's pixel coordinates out.

Engines are interchangeable behind this protocol (docTR and RapidOCR split detection and
recognition the same way), so the field reader never depends on which one produced the lines.
"""

from __future__ import annotations

from typing import Protocol

from PIL import Image

from ocr.types import TextLine


class OcrError(RuntimeError):
    """The engine could not read the image; the item fails, the batch goes on."""


class EngineUnavailable(OcrError):
    """The engine's program or language data is not installed."""


class EngineTimeout(OcrError):
    """The engine took longer than its time limit on this image."""


class OcrEngine(Protocol):
    """Reads text lines; boxes are in the pixel coordinates of the image passed in, confidence in [0, 1]."""

    name: str

    def read(self, image: Image.Image) -> list[TextLine]: ...
