"""Image preparation before OCR: scale to a size Tesseract reads well, drop the red seal, go grey.

Every step that changes geometry reports its scale, so boxes found on the prepared image map back
to the pixels of the loaded image (RapidOCR keeps an `op_record` for the same reason).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image

# Tesseract reads best when capital letters are ~20–40 px tall. On a card photographed so that it
# fills the frame, a long side of ~1600–2400 px puts body text there; far smaller images lose
# strokes, far larger ones only cost time.
MIN_LONG_SIDE = 1600
MAX_LONG_SIDE = 2400

# A pixel belongs to the seal when red clearly dominates both other channels. Black text under the
# seal stays dark in all three channels, so it survives the separation.
SEAL_MIN_RED = 100
SEAL_MIN_RED_MARGIN = 50


@dataclass(frozen=True)
class PreparedImage:
    """The image handed to the engine and the factor from loaded-image pixels to its pixels."""

    image: Image.Image
    scale: float


def ocr_scale(width: int, height: int) -> float:
    """The factor that brings the long side into [MIN_LONG_SIDE, MAX_LONG_SIDE]; 1.0 if already there."""
    long_side = max(width, height)
    if long_side < MIN_LONG_SIDE:
        return MIN_LONG_SIDE / long_side
    if long_side > MAX_LONG_SIDE:
        return MAX_LONG_SIDE / long_side
    return 1.0


def red_mask(rgb: np.ndarray) -> np.ndarray:
    """Boolean mask of pixels where red dominates (seal ink), for an H×W×3 uint8 array."""
    channels = rgb.astype(np.int16)
    red, green, blue = channels[..., 0], channels[..., 1], channels[..., 2]
    return (red >= SEAL_MIN_RED) & (red - np.maximum(green, blue) >= SEAL_MIN_RED_MARGIN)


def suppress_red_seal(image: Image.Image) -> Image.Image:
    """A copy of an RGB image with seal-red pixels turned white, so a stamp over a value does not
    become stray strokes in the text."""
    rgb = np.asarray(image.convert("RGB")).copy()
    rgb[red_mask(rgb)] = 255
    return Image.fromarray(rgb)


def prepare_for_tesseract(image: Image.Image) -> PreparedImage:
    """Resize into Tesseract's comfortable range, remove the red seal, convert to greyscale."""
    scale = ocr_scale(image.width, image.height)
    if scale != 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
    return PreparedImage(suppress_red_seal(image).convert("L"), scale)
