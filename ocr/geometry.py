"""Geometry stages: find the card in a photo, rectify it, and turn it so its text reads left to right.

Each stage is a small pure function over arrays, driven by what the text detector found rather than by
EXIF or by the image frame, so a card photographed sideways, upside down, in perspective or on a busy
desk comes out as the same upright, level card:

1. `find_card` — the card's (or A5 certificate's) quadrilateral: the convex four-sided outline that
   holds the detected text, from the image's edges; `content_quad` — the rotated rectangle round the
   text with a margin, when no outline is visible (a scan cropped to the card, a card on white paper).
2. `reading_axis` — the text lines' dominant axis (mod 180°), a length-weighted vote.
3. `corners_for_reading` — orders the quadrilateral so its top edge runs along that axis, which fixes
   the quarter turn; the half turn is left to the engine's direction classifier (`half_turn`).
4. `rectify` — warps the quadrilateral onto a level rectangle; its homography maps boxes back.

`DebugSink` writes each stage's picture when a directory is given (`CERTGUARD_OCR_DEBUG_DIR`).
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from ocr.types import Box

DEBUG_DIR_ENV = "CERTGUARD_OCR_DEBUG_DIR"
MIN_CARD_AREA = 0.08
"""An outline must cover at least this share of the image to be the card (a card photographed from
afar still fills about a quarter of the frame); smaller four-sided shapes are a phone, a note."""
MIN_TEXT_INSIDE = 0.85
"""…and hold at least this share of the detected text (by box area), or it is another object."""
CONTENT_MARGIN = 1.2
"""Text line heights added round the text when the card's outline is not visible."""
MAX_EDGE_TILT = math.radians(4)
"""A card edge along the text may differ from the text's axis by this much (perspective)."""
MAX_SIDE_TILT = math.radians(20)
"""…and an edge across the text from the perpendicular by this much (perspective shears the sides)."""
POLY_EPSILONS = (0.01, 0.02, 0.03, 0.045, 0.06)
"""Outline simplification tolerances tried in turn, as shares of the contour's perimeter."""
QUAD_FIT = 0.9
"""The four corners must keep this share of the outline's area (a blob is no card)."""


@dataclass(frozen=True)
class Rectified:
    """A card warped level: the pixels, and the homography from source-image pixels to them."""

    pixels: np.ndarray
    homography: np.ndarray

    @cached_property
    def inverse(self) -> np.ndarray:
        """The homography from the card back to the source image (one inversion per card)."""
        return np.linalg.inv(self.homography)

    def to_source(self, points: np.ndarray) -> np.ndarray:
        """Card-frame points (N×2) back in source-image pixels."""
        return cv2.perspectiveTransform(points.reshape(-1, 1, 2).astype(np.float64), self.inverse).reshape(-1, 2)


class DebugSink:
    """Writes one PNG per stage (`NN-stage.png`) into a directory; does nothing without one."""

    def __init__(self, directory: str | Path | None = None) -> None:
        configured = directory if directory is not None else os.environ.get(DEBUG_DIR_ENV) or None
        self.directory = Path(configured) if configured else None
        self.count = 0

    def __bool__(self) -> bool:
        return self.directory is not None

    def dump(self, stage: str, pixels: np.ndarray, quads: Sequence[np.ndarray] = ()) -> None:
        """Save `pixels` (grey, or RGB) with `quads` outlined, as the next numbered stage image."""
        if self.directory is None:
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        picture = cv2.cvtColor(pixels, cv2.COLOR_GRAY2BGR) if pixels.ndim == 2 else pixels[..., ::-1].copy()
        for quad in quads:
            cv2.polylines(picture, [np.round(quad).astype(np.int32).reshape(-1, 1, 2)], True, (0, 0, 255), 2)
        self.count += 1
        cv2.imwrite(str(self.directory / f"{self.count:02d}-{stage}.png"), picture)


def bounds(points: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of the smallest integer box holding `points`."""
    x0, y0 = np.floor(points.min(axis=0)).astype(int)
    x1, y1 = np.ceil(points.max(axis=0)).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def image_box(quad: np.ndarray, width: int, height: int) -> Box:
    """The axis-aligned box of a quadrilateral, clipped to the image."""
    x0, y0, x1, y1 = bounds(quad)
    x0, y0 = min(max(x0, 0), width - 1), min(max(y0, 0), height - 1)
    x1, y1 = min(max(x1, x0 + 1), width), min(max(y1, y0 + 1), height)
    return Box(x0, y0, x1 - x0, y1 - y0)


def line_axis(quad: np.ndarray) -> tuple[float, float]:
    """(angle of a text box's long side in radians mod π, that side's length)."""
    top, left = quad[1] - quad[0], quad[3] - quad[0]
    side = top if np.linalg.norm(top) >= np.linalg.norm(left) else left
    return math.atan2(float(side[1]), float(side[0])) % math.pi, float(np.linalg.norm(side))


def reading_axis(quads: Sequence[np.ndarray]) -> float:
    """The text's dominant axis in radians, in [0, π): lines vote with their long side, weighted by
    its length; doubling the angles makes 0° and 180° the same vote. Boxes no longer than wide (one
    character) have no axis and do not vote."""
    total = np.zeros(2)
    for quad in quads:
        angle, length = line_axis(quad)
        sides = sorted(float(np.linalg.norm(quad[i] - quad[(i + 1) % 4])) for i in range(4))
        if sides[-1] >= 2.0 * max(sides[0], 1e-6):
            total += length * np.array([math.cos(2 * angle), math.sin(2 * angle)])
    if not total.any():
        return 0.0
    return (math.atan2(total[1], total[0]) / 2) % math.pi


def text_height(quads: Sequence[np.ndarray]) -> float:
    """Median short side of the text boxes: the size of a line of print."""
    shorts = [min(np.linalg.norm(q[1] - q[0]), np.linalg.norm(q[3] - q[0])) for q in quads]
    return float(np.median(shorts)) if shorts else 0.0


def inside_share(quad: np.ndarray, text_quads: Sequence[np.ndarray]) -> float:
    """Share of the text (by box area) whose centre lies inside `quad`."""
    contour = quad.reshape(-1, 1, 2).astype(np.float32)
    total = inside = 0.0
    for text in text_quads:
        area = float(cv2.contourArea(text.astype(np.float32)))
        centre = text.mean(axis=0)
        total += area
        if cv2.pointPolygonTest(contour, (float(centre[0]), float(centre[1])), False) >= 0:
            inside += area
    return inside / total if total else 0.0


def quadrilateral(hull: np.ndarray) -> np.ndarray | None:
    """Four corners approximating a convex outline (rounded card corners and a shadow's blur need
    a looser tolerance than sharp paper), or None when it is no quadrilateral."""
    perimeter = cv2.arcLength(hull, True)
    area = cv2.contourArea(hull)
    for epsilon in POLY_EPSILONS:
        poly = cv2.approxPolyDP(hull, epsilon * perimeter, True)
        if len(poly) == 4:
            return poly.reshape(4, 2).astype(np.float64) if cv2.contourArea(poly) >= QUAD_FIT * area else None
        if len(poly) < 4:
            return None
    return None


def outline_candidates(gray: np.ndarray) -> list[np.ndarray]:
    """Convex four-sided outlines large enough to be a card, from edges of a grey image."""
    blurred = cv2.GaussianBlur(gray, (5, 5), 0)
    median = float(np.median(blurred))
    edges = cv2.Canny(blurred, max(8, 0.25 * median), max(24, 0.6 * median))
    edges = cv2.dilate(edges, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(edges, cv2.RETR_LIST, cv2.CHAIN_APPROX_SIMPLE)
    min_area = MIN_CARD_AREA * gray.shape[0] * gray.shape[1]
    quads = []
    for contour in contours:
        hull = cv2.convexHull(contour)
        if cv2.contourArea(hull) >= min_area and (quad := quadrilateral(hull)) is not None:
            quads.append(quad)
    return quads


def axis_difference(a: float, b: float) -> float:
    """Angle between two axes (radians mod π), in [0, π/2]."""
    d = abs(a - b) % math.pi
    return min(d, math.pi - d)


def aligned_with_text(quad: np.ndarray, axis: float) -> bool:
    """Whether two opposite sides of `quad` run along the text axis and the other two across it, as
    a card's edges do (perspective tilts them a little); a shape cut by wood grain or a shadow does not."""
    sides = [math.atan2(*(quad[(i + 1) % 4] - quad[i])[::-1]) % math.pi for i in range(4)]
    for first in (0, 1):
        along = (sides[first], sides[first + 2])
        across = (sides[first + 1], sides[(first + 3) % 4])
        if all(axis_difference(s, axis) <= MAX_EDGE_TILT for s in along) and \
                all(axis_difference(s, axis + math.pi / 2) <= MAX_SIDE_TILT for s in across):
            return True
    return False


def find_card(gray: np.ndarray, text_quads: Sequence[np.ndarray], axis: float) -> np.ndarray | None:
    """The card's outline (4×2, any corner order) in `gray`'s pixels, or None when no four-sided
    outline holds the text with its edges along the text's `axis`. Among outlines that qualify, the
    smallest: the card (or its printed frame), not the desk or the sheet it lies on."""
    if not text_quads:
        return None
    holding = [quad for quad in outline_candidates(gray)
               if aligned_with_text(quad, axis) and inside_share(quad, text_quads) >= MIN_TEXT_INSIDE]
    if not holding:
        return None
    return min(holding, key=lambda quad: cv2.contourArea(quad.astype(np.float32)))


def content_quad(text_quads: Sequence[np.ndarray], shape: tuple[int, ...]) -> np.ndarray:
    """The rotated rectangle round all text, a margin added, clipped to the image."""
    points = np.vstack(text_quads).astype(np.float32)
    (cx, cy), (w, h), angle = cv2.minAreaRect(points)
    margin = 2 * CONTENT_MARGIN * text_height(text_quads)
    box = cv2.boxPoints(((cx, cy), (w + margin, h + margin), angle)).astype(np.float64)
    box[:, 0] = box[:, 0].clip(0, shape[1] - 1)
    box[:, 1] = box[:, 1].clip(0, shape[0] - 1)
    return box


def corners_for_reading(quad: np.ndarray, axis: float) -> np.ndarray:
    """The quadrilateral's corners ordered top-left, top-right, bottom-right, bottom-left of a card
    whose text runs along `axis` (radians mod π) left to right, with down 90° clockwise of it.

    Of the two directions along the axis the one pointing right (or down, for a vertical axis) is
    taken; a card that is upside down after this is turned by `half_turn`."""
    direction = np.array([math.cos(axis), math.sin(axis)])
    if direction[0] < -1e-9 or (abs(direction[0]) <= 1e-9 and direction[1] < 0):
        direction = -direction
    down = np.array([-direction[1], direction[0]])
    centre = quad.mean(axis=0)
    relative = quad - centre
    along, across = relative @ direction, relative @ down
    # Angles of (along, across) from -π run top-left, top-right, bottom-right, bottom-left.
    return quad[np.argsort(np.arctan2(across, along))]


def rectify(pixels: np.ndarray, corners: np.ndarray, long_side: int, keep: np.ndarray | None = None,
            margin: float = 0.0) -> Rectified:
    """Warp the quadrilateral `corners` (TL, TR, BR, BL) level. The output spans the quadrilateral and
    any `keep` points (N×2, e.g. text outside a printed frame) with `margin` pixels round them, scaled
    so its long side is at most `long_side` and never enlarged."""
    width = max(np.linalg.norm(corners[1] - corners[0]), np.linalg.norm(corners[2] - corners[3]))
    height = max(np.linalg.norm(corners[3] - corners[0]), np.linalg.norm(corners[2] - corners[1]))
    target = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
    level = cv2.getPerspectiveTransform(corners.astype(np.float32), target).astype(np.float64)
    extent = target.astype(np.float64)
    if keep is not None and len(keep):
        moved = cv2.perspectiveTransform(keep.reshape(-1, 1, 2).astype(np.float64), level).reshape(-1, 2)
        extent = np.vstack([extent, moved - margin, moved + margin])
    source_h, source_w = pixels.shape[:2]
    limit = 2.0 * max(source_w, source_h)  # a degenerate outline must not ask for a huge image
    x0, y0 = np.maximum(extent.min(axis=0), -limit)
    x1, y1 = np.minimum(extent.max(axis=0), limit)
    scale = min(1.0, long_side / max(x1 - x0, y1 - y0, 1.0))
    size = (max(1, round((x1 - x0) * scale)), max(1, round((y1 - y0) * scale)))
    homography = np.array([[scale, 0, -x0 * scale], [0, scale, -y0 * scale], [0, 0, 1.0]]) @ level
    warped = cv2.warpPerspective(pixels, homography, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REPLICATE)
    return Rectified(warped, homography)


def half_turn(rectified: Rectified) -> Rectified:
    """The same card turned 180°."""
    height, width = rectified.pixels.shape[:2]
    turn = np.array([[-1.0, 0.0, width], [0.0, -1.0, height], [0.0, 0.0, 1.0]])
    return Rectified(cv2.rotate(rectified.pixels, cv2.ROTATE_180), turn @ rectified.homography)
