"""The OCR engine interface: an image in, text lines in that image's pixel coordinates out.

Engines are interchangeable behind this protocol (docTR and RapidOCR split detection and
recognition the same way), so the field reader never depends on which one produced the lines.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from PIL import Image

from ocr.types import Quad, StripText, TextLine


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

    def read_strips(self, image: Image.Image, strips: Sequence[Quad]) -> list[list[StripText]]:
        """Text found in each strip: a quadrilateral of `image` (corners in the order its print reads,
        as `TextLine.quad`), looked at on its own. For a second look where `read` missed a value."""
        ...
