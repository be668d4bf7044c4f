"""Characters printed alike, by their drawn outlines: 闫 and 问, 鑫 and 森 differ in strokes a blurred
photo loses, 伟 and 强 in their whole shape. A name read one character off its register entry is a
misread only when the two characters look alike (`verification.rules.register`)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

GLYPH_FONT = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
"""Debian's fonts-noto-cjk, which `make` and the Dockerfile install; index 2 is its Simplified Chinese face."""
GLYPH_FACE = 2
GLYPH_SIZE = 48
OUTLINE_BLUR = 3.0
"""Pixels of Gaussian blur: a glyph's outline without the stroke details a blurred photo loses."""
LOOK_ALIKE = 0.9
"""Correlation of two blurred glyphs from which they look alike. Measured: 闫/问 0.91, 鑫/森 0.94,
侯/候 0.95, 凤/风 0.95; 伟/强 0.84, 张/李 0.79, 辉/军 0.83, 洁/杰 0.75."""


@lru_cache(maxsize=1)
def glyph_font() -> ImageFont.FreeTypeFont | None:
    return ImageFont.truetype(str(GLYPH_FONT), GLYPH_SIZE, index=GLYPH_FACE) if GLYPH_FONT.exists() else None


@lru_cache(maxsize=4096)
def outline(char: str) -> np.ndarray | None:
    """The character drawn, blurred and normalised to zero mean and unit length; None without the font."""
    font = glyph_font()
    if font is None:
        return None
    canvas = Image.new("L", (GLYPH_SIZE + 16, GLYPH_SIZE + 16), 0)
    ImageDraw.Draw(canvas).text((canvas.width / 2, canvas.height / 2), char, font=font, fill=255, anchor="mm")
    pixels = cv2.GaussianBlur(np.asarray(canvas, np.float32), (0, 0), OUTLINE_BLUR)
    pixels -= pixels.mean()
    return pixels / max(float(np.linalg.norm(pixels)), 1e-9)


def look_alike(a: str, b: str) -> bool:
    """Whether two characters print alike. Without the font nothing does, so a mismatch stays one."""
    first, second = outline(a), outline(b)
    return first is not None and second is not None and float((first * second).sum()) >= LOOK_ALIKE


def printed_alike(a: str, b: str) -> bool:
    """Whether two strings of one length differ in exactly one character, and it prints alike (钱梅风 and
    钱梅凤, 加氧 and 加氢)."""
    differing = [(x, y) for x, y in zip(a, b, strict=False) if x != y]
    return len(a) == len(b) and len(differing) == 1 and look_alike(*differing[0])
