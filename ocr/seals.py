"""Stage: where the official seals are. A seal is a round red-tinted mark several lines of print high.

The reader drops the seal's own lettering and reads print under it (`ocr.engines.rapid`); the layout
stage checks that a card carries a seal at all (`ocr.layout`).
"""

from __future__ import annotations

import cv2
import numpy as np

from ocr.preprocess import SEAL_TINT_MARGIN
from ocr.types import Box

SEAL_MIN_SIZE = 0.05
"""A seal's outline spans at least this fraction of the image's short side (a card photographed
from afar is about half the frame, its seal about a fifth of the card)."""
SEAL_MIN_LINES = 2.5
"""…and at least this many lines of print high (a seal is stamped across two to four rows)."""
SEAL_MAX_SIZE = 0.6
"""…and at most this fraction: a larger reddish area is a desk or a cover, not a seal."""
SEAL_MAX_ASPECT = 1.6
"""A seal is round or oval: its outline at most this much longer than wide (perspective squashes
it); a red title or band is a long strip."""
SEAL_JOIN = 0.01
"""Red pixels this close (fraction of the short side) belong to one mark: rim, star and lettering
of a seal, broken by wear or by the print under it, join into one outline…"""
SEAL_JOIN_LINES = 0.3
"""…or this close in lines of print, where that is more: a low-resolution copy's faint rim breaks wider."""
TINT_RANGE_PERCENTILES = (1, 99)
"""A photo's darkest and lightest luminance, its ink and paper (not outliers)…"""
FULL_RANGE = 180
"""…span at least this much when it is well exposed (generated scans spanned 173–238, phone photos
141–238; the same photos dimmed to 70 % brightness and contrast, 72–117)."""
PAPER_SHARE = 0.3
"""The brightest share of a photo's pixels taken for its paper (a card fills a third of a photo or more)."""
PAPER_SLACK = 10
"""Surroundings count no lower than this below the paper's tint: a faint seal on bluish stock is still
measured against its paper, but a green desk cannot lift the paper itself near SEAL_TINT_MARGIN."""
SOLID_LINES = 0.8
"""Tinted areas that hold a disc this many lines of print across are solid (a reddish desk, a cover,
a red band), not a seal's strokes; they are set aside before marks are joined, so a seal stamped
near the card's edge does not merge with the desk beyond it into one shapeless mark."""

def redness(rgb: np.ndarray, blur: bool = False) -> np.ndarray:
    """How far red exceeds green and blue per pixel (int16), optionally of a smoothed image, so
    that a tinted area counts and sensor noise does not."""
    channels = cv2.GaussianBlur(rgb, (0, 0), 1.5) if blur else rgb
    channels = channels.astype(np.int16)
    return channels[..., 0] - np.maximum(channels[..., 1], channels[..., 2])


def surrounding_tint(tint: np.ndarray) -> np.ndarray:
    """The tint of the surroundings at each pixel: a median far wider than a seal, so a reddish
    paper, desk or light counts as the background a seal must stand out from."""
    height, width = tint.shape
    small = cv2.resize(np.clip(tint + 128, 0, 255).astype(np.uint8), (max(1, width // 8), max(1, height // 8)),
                       interpolation=cv2.INTER_AREA)
    size = max(3, (min(small.shape) // 3) | 1)
    wide = cv2.medianBlur(small, size)
    return cv2.resize(wide, (width, height), interpolation=cv2.INTER_LINEAR).astype(np.int16) - 128


def paper_tint(luminance: np.ndarray, tint: np.ndarray) -> float:
    """The tint of a photo's brightest pixels (PAPER_SHARE), its paper. Where a card lies on a desk
    darker than itself, a seal near its edge has the desk around it: a green desk's tint is far
    below the paper's, and measured against it the whole card would stand out as red as a seal."""
    return float(np.median(tint[luminance >= np.percentile(luminance, 100 * (1 - PAPER_SHARE))]))


def tint_gain(luminance: np.ndarray) -> float:
    """How much a dim or flat photo's tints are raised to read as a well-exposed one's: its luminance
    range (TINT_RANGE_PERCENTILES) against FULL_RANGE; 1 for a photo that spans at least that. A dim
    photo halves a seal's tint along with its contrast, and the seal would go unseen."""
    low, high = np.percentile(luminance, TINT_RANGE_PERCENTILES)
    return max(1.0, FULL_RANGE / max(float(high - low), 1.0))


def seal_outlines(rgb: np.ndarray, line_height: float = 0.0, against_surroundings: bool = False) -> list[Box]:
    """Bounding boxes of round red-tinted marks (official seals) on an H×W×3 RGB array; a seal spans
    at least SEAL_MIN_LINES lines of print `line_height` high, so a red title's big characters are not seals.

    The tint, not `ocr.preprocess.red_mask`, finds them: on a photo the seal is often washed out
    to pink, far from pure red. `against_surroundings` measures the tint above that of the seal's
    surroundings (`surrounding_tint`), for a whole photo where the paper or the desk is reddish, but
    never more than PAPER_SLACK below the paper's (`paper_tint`)."""
    short = min(rgb.shape[:2])
    smallest = max(SEAL_MIN_SIZE * short, SEAL_MIN_LINES * line_height)
    size = max(3, round(SEAL_JOIN * short), round(SEAL_JOIN_LINES * line_height))
    luminance = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    tint = redness(rgb, blur=True) * tint_gain(luminance)
    if against_surroundings:
        tint = tint - np.maximum(surrounding_tint(tint), paper_tint(luminance, tint) - PAPER_SLACK)
    tinted = (tint >= SEAL_TINT_MARGIN).astype(np.uint8)
    disc = max(3, round(SOLID_LINES * line_height)) | 1
    solid = cv2.morphologyEx(tinted, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (disc, disc)))
    joined = cv2.dilate(tinted & (1 - solid), np.ones((size, size), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    outlines = []
    for x, y, w, h, _ in stats[1:]:
        sized = smallest <= min(w, h) and max(w, h) <= SEAL_MAX_SIZE * short
        if sized and max(w, h) <= SEAL_MAX_ASPECT * min(w, h):
            outlines.append(Box(int(x), int(y), int(w), int(h)))
    return outlines
