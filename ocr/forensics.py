"""Stage: measurements of each value field's print and paper, for the tampering rule to compare.

A forger who changes a value pastes a patch of paper over it and types the new value in: the patch's
tint and grain differ from the card around it (the security background stops at its edge), and the
new characters rarely match the printer's face, weight, size and ink. Each value is measured against
its own surroundings (paper inside its box against a ring outside it) and, for the print, as a figure
the rule compares with the card's other values (`verification.rules.tampering`). Measurements are
taken at a fixed text height so scans, photos and low-resolution copies give comparable figures.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ocr.seals import redness
from ocr.types import Box, FieldReading

TEXT_HEIGHT = 32
"""Pixels a value's text height is scaled to before it is measured."""
INNER_PAD = 0.15
"""The value's own paper: its box grown by this many text heights."""
RING = (0.55, 1.1)
"""The surrounding paper: between these many text heights outside the box."""
GRAIN_SIGMA = (1.0, 5.0)
"""The paper's pattern (guilloche lines) is what lies between blurs of these many pixels at
TEXT_HEIGHT: finer is sensor and JPEG noise, coarser is lighting."""
RED_TINT = 20
"""Pixels red beyond green and blue by this much are seal ink: neither print nor paper."""
MIN_PIXELS = 40
"""Fewer paper or ink pixels than this leave a measurement undecided (None)."""
FIELDS = ("number", "name", "sex", "id_number", "category", "item", "first_issued", "valid_from", "valid_until",
          "authority")


@dataclass(frozen=True)
class FieldTraces:
    """One value's print and paper, in units that do not depend on the image's resolution."""

    field: str
    box: Box
    text_height: float
    """Pixels, in the source image."""
    ink_contrast: float | None
    """How much darker the ink is than the paper around it: (paper − ink) / paper."""
    stroke: float | None
    """Mean stroke width as a share of the text height."""
    paper_shift: float | None
    """Colour distance (CIELAB ΔE) between the paper inside the box and the ring around it."""
    grain_ratio: float | None
    """Fine texture of the paper inside the box over that of the ring (1 when alike)."""


def grown(box: Box, by: float, width: int, height: int) -> tuple[int, int, int, int]:
    """`box` grown by `by` pixels on every side, clipped to the image: (x0, y0, x1, y1)."""
    return (max(0, round(box.x - by)), max(0, round(box.y - by)),
            min(width, round(box.x + box.w + by)), min(height, round(box.y + box.h + by)))


def otsu_level(values: np.ndarray) -> float:
    """The grey level that best splits `values` (any shape, 0–255) into print and paper."""
    level, _ = cv2.threshold(values.astype(np.uint8).reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(level)


def paper_blur(luminance: np.ndarray, paper: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of the paper alone (normalised convolution): print does not bleed into it."""
    weight = cv2.GaussianBlur(paper, (0, 0), sigma)
    return cv2.GaussianBlur(luminance * paper, (0, 0), sigma) / np.maximum(weight, 1e-3)


def stroke_width(ink: np.ndarray) -> float | None:
    """Mean stroke width in pixels: twice the ink area over its outline's length."""
    area = int(ink.sum())
    if area < MIN_PIXELS:
        return None
    contours, _ = cv2.findContours(ink.astype(np.uint8), cv2.RETR_LIST, cv2.CHAIN_APPROX_NONE)
    perimeter = sum(cv2.arcLength(c, True) for c in contours)
    return 2.0 * area / perimeter if perimeter else None


def measure(rgb: np.ndarray, name: str, box: Box) -> FieldTraces:
    """The traces of one value whose text lies in `box` (source pixels) of the H×W×3 `rgb`."""
    height, width = rgb.shape[:2]
    text = float(max(1, min(box.w, box.h)))
    x0, y0, x1, y1 = grown(box, RING[1] * text, width, height)
    scale = TEXT_HEIGHT / text
    region = rgb[y0:y1, x0:x1]
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    region = cv2.resize(region, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    local = Box(round((box.x - x0) * scale), round((box.y - y0) * scale), round(box.w * scale), round(box.h * scale))
    luminance = cv2.cvtColor(region, cv2.COLOR_RGB2GRAY).astype(np.float32)
    sealed = redness(region, blur=True) >= RED_TINT

    rh, rw = luminance.shape
    inner = np.zeros((rh, rw), bool)
    ix0, iy0, ix1, iy1 = grown(local, INNER_PAD * TEXT_HEIGHT, rw, rh)
    inner[iy0:iy1, ix0:ix1] = True
    near = np.zeros((rh, rw), bool)
    nx0, ny0, nx1, ny1 = grown(local, RING[0] * TEXT_HEIGHT, rw, rh)
    near[ny0:ny1, nx0:nx1] = True
    ring = ~near

    ink = inner & ~sealed & (luminance < otsu_level(luminance[inner]))
    # Print anywhere in the region (the label, the rows above and below) is not paper.
    dark = (luminance < otsu_level(luminance)).astype(np.uint8)
    printed = cv2.dilate(dark, np.ones((5, 5), np.uint8)).astype(bool) | ink
    paper_inner = inner & ~printed & ~sealed
    paper_ring = ring & ~printed & ~sealed

    contrast = stroke = shift = grain = None
    if int(ink.sum()) >= MIN_PIXELS and int(paper_inner.sum()) >= MIN_PIXELS:
        paper_level = float(np.median(luminance[paper_inner]))
        core = np.sort(luminance[ink])[: max(1, int(ink.sum()) // 2)]
        contrast = (paper_level - float(np.median(core))) / max(paper_level, 1.0)
        width_px = stroke_width(ink)
        stroke = width_px / TEXT_HEIGHT if width_px is not None else None
    if int(paper_inner.sum()) >= MIN_PIXELS and int(paper_ring.sum()) >= MIN_PIXELS:
        lab = cv2.cvtColor(region, cv2.COLOR_RGB2LAB).astype(np.float32)
        lab[..., 0] *= 100 / 255
        lab[..., 1:] -= 128
        shift = float(np.linalg.norm(np.median(lab[paper_inner], axis=0) - np.median(lab[paper_ring], axis=0)))
        paper = (~printed & ~sealed).astype(np.float32)
        fine = paper_blur(luminance, paper, GRAIN_SIGMA[0]) - paper_blur(luminance, paper, GRAIN_SIGMA[1])
        grain = float(np.std(fine[paper_inner])) / max(float(np.std(fine[paper_ring])), 0.5)
    return FieldTraces(name, box, text, contrast, stroke, shift, grain)


def field_traces(image: Image.Image, fields: dict[str, FieldReading], names: Iterable[str] = FIELDS) -> list[FieldTraces]:
    """Traces of every value field that was read and located, in `names` order."""
    rgb = np.asarray(image.convert("RGB"))
    return [measure(rgb, name, reading.box) for name in names
            if (reading := fields.get(name)) is not None and reading.box is not None and reading.value]
