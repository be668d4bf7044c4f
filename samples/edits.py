"""Photos edited after they were taken: a value retyped in an image editor and the photo saved again.

A forger who holds a photo of a genuine card, and not the card, changes a date or the number on the
screen: the value is covered with the paper's colour, typed again in a face and ink picked to match,
and the picture saved as JPEG once more. Nothing is printed or photographed again, so the card's
paper, light and print stay as they were; what is left is the retyped value, which went through one
JPEG compression where the rest of the picture went through two (`ocr.compression`).
"""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image, ImageDraw

from ocr.types import Box
from samples.fonts import font, pick_face

RESAVE_QUALITY = (70, 95)
"""The quality an editor saves the picture at: its own default, or the forger's pick."""


def resaved(data: bytes, quality: int) -> bytes:
    """The picture opened and saved again as JPEG, unedited: a card forwarded through a chat app."""
    buffer = io.BytesIO()
    Image.open(io.BytesIO(data)).convert("RGB").save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def retyped(data: bytes, box: Box, text: str, rng: random.Random, quality: int) -> bytes:
    """The picture with the value in `box` covered by its paper and `text` typed over it in the value's
    own ink colour, at its height, then saved as JPEG at `quality`."""
    image = Image.open(io.BytesIO(data)).convert("RGB")
    pixels = np.asarray(image).astype(np.float32)
    pad = max(2, box.h // 4)
    x0, y0 = max(0, box.x - pad), max(0, box.y - pad)
    x1, y1 = min(image.width, box.x + box.w + pad), min(image.height, box.y + box.h + pad)
    crop = pixels[y0:y1, x0:x1].reshape(-1, 3)
    luma = crop @ np.float32([0.299, 0.587, 0.114])
    paper = np.median(crop[luma >= np.percentile(luma, 60)], axis=0)
    ink = np.median(crop[luma <= np.percentile(luma, 8)], axis=0)
    pixels[y0:y1, x0:x1] = paper  # the editor's fill, with the photo's grain as it was beside the box
    pixels[y0:y1, x0:x1] += np.random.default_rng(rng.getrandbits(32)).normal(0, 1.5, (y1 - y0, x1 - x0, 1))
    edited = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    pen = ImageDraw.Draw(edited)
    typed = font(pick_face(rng, "value"), round(box.h * rng.uniform(0.95, 1.05)))
    pen.text((box.x, box.y + box.h / 2), text, font=typed, fill=tuple(round(c) for c in ink), anchor="lm")
    buffer = io.BytesIO()
    edited.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()
