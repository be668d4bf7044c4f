"""PP-OCRv4 through RapidOCR (ONNX Runtime): detection, direction classification and recognition.

The wheel of `rapidocr_onnxruntime` ships the three ONNX models, so nothing is downloaded at run
time; the sessions are built once per engine (and `ocr.engines.get_engine` builds one engine per
process). RapidOCR returns one quadrilateral per text line, in the pixel coordinates of the array
it was given, with the recognised text and a score in [0, 1].

Lines come back as they were detected: a label and its value are often separate lines on one row,
and on a phone photo each quadrilateral is tilted with the card, or turned a quarter or half turn
when the card was photographed sideways or upside down. So besides each line's axis-aligned box in
image pixels, the engine reports a *layout box* in a frame turned so that the card's text reads left
to right (see `TextLine.layout_box`): the reading direction of each line is known from which way
RapidOCR cut and turned its crop (a tall crop is turned a quarter turn, and the direction
classifier turns upside-down crops), and the dominant direction over all lines levels the frame.

Red seals: the image is read as a grey in which red-tinted pixels take their red channel, so the
seal almost vanishes and print under it is detected whole (`red_dropout_gray`), and lines printed
in seal red inside a round red mark (the seal's own lettering) are dropped (`seal_lettering`).
Both were measured on samples/committed; see the functions. There is no time limit per image
(Tesseract's runs in a subprocess that can be killed; ONNX Runtime runs in this process).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Sequence
from typing import Any

import cv2
import numpy as np
from PIL import Image

from ocr.engines.base import EngineUnavailable, OcrError
from ocr.preprocess import SEAL_TINT_MARGIN, red_mask
from ocr.types import Box, TextLine

DEFAULT_THREADS = 2
"""ONNX Runtime intra-op threads per engine when CERTGUARD_OCR_THREADS is not set. Workers already
read several images in parallel, so each engine keeps to a few threads rather than one per core."""
THREADS_ENV = "CERTGUARD_OCR_THREADS"
MIN_SCORE = 0.5
"""Lines recognised with a lower score are dropped (RapidOCR's own default `text_score`)."""
TALL_CROP_RATIO = 1.5
"""RapidOCR turns a line crop a quarter turn when its height is at least this times its width
(`RapidOCR.get_crop_img_list`); the reading direction follows that turn."""
SEAL_MIN_SIZE = 0.05
"""A seal's outline spans at least this fraction of the image's short side (a card photographed
from afar is about half the frame, its seal about a fifth of the card)."""
SEAL_MAX_SIZE = 0.6
"""…and at most this fraction: a larger reddish area is a desk or a cover, not a seal."""
SEAL_MAX_ASPECT = 1.6
"""A seal is round or oval: its outline at most this much longer than wide (perspective squashes
it); a red title or band is a long strip."""
SEAL_JOIN = 0.01
"""Red pixels this close (fraction of the short side) belong to one mark: rim, star and lettering
of a seal, broken by wear or by the print under it, join into one outline."""
RED_LETTERING_SHARE = 0.75
"""A line whose ink is at least this share seal-red, inside a seal, is the seal's own lettering."""
INK_LEVEL = 128
"""Pixels darker than this are ink (black print, or saturated seal red)."""
MAX_SIDE = 2000
"""Long side of the image RapidOCR works on (its own `max_side_len`)."""
DIRECTION_MIN_ASPECT = 2.0
"""Only lines at least this many times longer than thick vote on the page's reading direction; a
one- or two-character box has no reliable long side."""


def default_threads() -> int:
    """CERTGUARD_OCR_THREADS if set, else DEFAULT_THREADS; ValueError unless a positive integer."""
    value = os.environ.get(THREADS_ENV, "").strip()
    if not value:
        return DEFAULT_THREADS
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{THREADS_ENV} must be a positive integer, not {value!r}")
    return int(value)


def working_rgb(image: Image.Image) -> tuple[np.ndarray, float]:
    """The image as an RGB array with its long side at most MAX_SIDE, and the scale applied.

    RapidOCR shrinks larger images to this size itself; shrinking first spares the colour analysis
    (red dropout, seal outlines) a full-resolution pass over a 12-megapixel photo."""
    scale = min(1.0, MAX_SIDE / max(image.size))
    rgb = image.convert("RGB")
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(rgb), scale


class _RecordingClassifier:
    """Wraps RapidOCR's direction classifier to keep, per thread, the 0/180 decision for each crop
    of the last image (RapidOCR does not return it, and it tells which way each line reads)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cls_thresh = float(inner.cls_thresh)
        self.local = threading.local()

    def __call__(self, crops: Any) -> Any:
        result = self.inner(crops)
        self.local.results = list(result[1])
        return result

    def take(self) -> list[Any] | None:
        results, self.local.results = getattr(self.local, "results", None), None
        return results

    def flipped(self, result: Any) -> bool:
        """Whether the classifier turned this crop upside down (same test as RapidOCR's)."""
        label, score = result
        return "180" in str(label) and float(score) > self.cls_thresh


def reading_direction(quad: np.ndarray, flipped: bool) -> np.ndarray:
    """The unit vector along which a line's text reads, in image pixels.

    RapidOCR warps the quadrilateral p0 p1 p2 p3 onto a crop with p0 at its top-left and p1 at its
    top-right, turns a tall crop a quarter turn anticlockwise (so its text then runs along p0→p3),
    and the classifier turns a crop it finds upside down.
    """
    p0, p1, p2, p3 = quad
    width = max(np.linalg.norm(p0 - p1), np.linalg.norm(p2 - p3))
    height = max(np.linalg.norm(p0 - p3), np.linalg.norm(p1 - p2))
    tall = int(width) > 0 and int(height) / int(width) >= TALL_CROP_RATIO
    vector = (p3 - p0) if tall else (p1 - p0)
    if flipped:
        vector = -vector
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else np.array([1.0, 0.0])


def page_angle(quads: Sequence[np.ndarray], directions: Sequence[np.ndarray]) -> float:
    """The dominant reading direction of the page in radians (image pixels, y down; 0 = left to right).

    A length-weighted vote: each elongated line adds its direction as a unit vector weighted by its
    length, so a few odd lines (a seal's curved lettering, a stray diagonal) cannot turn the frame.
    """
    total = np.zeros(2)
    for quad, direction in zip(quads, directions, strict=True):
        sides = [np.linalg.norm(quad[i] - quad[(i + 1) % 4]) for i in range(4)]
        long_side, short_side = max(sides), max(min(sides), 1e-6)
        if long_side / short_side >= DIRECTION_MIN_ASPECT:
            total += direction * long_side
    if not total.any():
        return 0.0
    return math.atan2(total[1], total[0])


def redness(rgb: np.ndarray, blur: bool = False) -> np.ndarray:
    """How far red exceeds green and blue per pixel (int16), optionally of a smoothed image, so
    that a tinted area counts and sensor noise does not."""
    channels = cv2.GaussianBlur(rgb, (0, 0), 1.5) if blur else rgb
    channels = channels.astype(np.int16)
    return channels[..., 0] - np.maximum(channels[..., 1], channels[..., 2])


def red_dropout_gray(rgb: np.ndarray) -> np.ndarray:
    """Greyscale of an H×W×3 RGB array in which red-tinted pixels take their red channel.

    Seal ink is nearly as light as paper in the red channel while black or dark print stays dark,
    even where the seal covers it, so values under a seal are detected and read whole. Elsewhere
    the luminance is kept: a blue or green security background would darken in the red channel.
    Deep red print (a red title) keeps enough contrast to be read; `ocr.preprocess.seal_free_gray`,
    which also whitens every strongly red pixel and inverts title bands for Tesseract, erased red
    titles and cost RapidOCR more than it gained (measured on samples/committed: 227 exact fields
    of 261 against 244 on colour and 258 with this).
    """
    luminance = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return np.where(redness(rgb, blur=True) >= SEAL_TINT_MARGIN, rgb[..., 0], luminance).astype(np.uint8)


def seal_outlines(rgb: np.ndarray) -> list[Box]:
    """Bounding boxes of round red-tinted marks (official seals) on an H×W×3 RGB array.

    The tint, not `ocr.preprocess.red_mask`, finds them: on a photo the seal is often washed out
    to pink, far from pure red."""
    short = min(rgb.shape[:2])
    size = max(3, round(SEAL_JOIN * short))
    tinted = (redness(rgb, blur=True) >= SEAL_TINT_MARGIN).astype(np.uint8)
    joined = cv2.dilate(tinted, np.ones((size, size), np.uint8))
    _, _, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    outlines = []
    for x, y, w, h, _ in stats[1:]:
        sized = SEAL_MIN_SIZE * short <= min(w, h) and max(w, h) <= SEAL_MAX_SIZE * short
        if sized and max(w, h) <= SEAL_MAX_ASPECT * min(w, h):
            outlines.append(Box(int(x), int(y), int(w), int(h)))
    return outlines


def seal_lettering(rgb: np.ndarray, quads: Sequence[np.ndarray]) -> list[bool]:
    """Per line: is it printed in seal-red ink inside a seal (the seal's name, 专用章, its star)?

    Such text is not the card's: read as a line beside a value (often the authority, where the seal
    is stamped by design) it would run into that value with full confidence. Red print outside a
    seal (a red title) and black print under a seal are kept.
    """
    seals = seal_outlines(rgb)
    if not seals:
        return [False] * len(quads)
    height, width = rgb.shape[:2]
    # Dark pixels are black print (on a photo, black text under a seal takes a pinkish cast),
    # unless plainly red; light ones count as red ink when tinted (a washed-out seal).
    strong = red_mask(rgb)
    dark = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY) < INK_LEVEL
    red = strong | ((redness(rgb) >= SEAL_TINT_MARGIN) & ~dark)
    ink = red | dark
    flags = []
    for quad in quads:
        box = image_box(quad, width, height)
        cx, cy = box.x + box.w / 2, box.y + box.h / 2
        inside = any(s.x <= cx <= s.x + s.w and s.y <= cy <= s.y + s.h for s in seals)
        region = np.s_[box.y:box.y + box.h, box.x:box.x + box.w]
        inked = int(ink[region].sum())
        flags.append(inside and inked > 0 and int(red[region].sum()) >= RED_LETTERING_SHARE * inked)
    return flags


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


def to_lines(results: Sequence[Any], flips: Sequence[bool], size: tuple[int, int]) -> list[TextLine]:
    """RapidOCR results (quad, text, score) as TextLines in reading order of the levelled frame.

    `flips` says for each result whether the direction classifier turned its crop; `size` is the
    image's (width, height).
    """
    width, height = size
    kept = [(np.asarray(quad, dtype=np.float64).reshape(4, 2), str(text).strip(), float(score), flip)
            for (quad, text, score, *_), flip in zip(results, flips, strict=True)
            if str(text).strip() and float(score) >= MIN_SCORE]
    if not kept:
        return []
    quads = [quad for quad, _, _, _ in kept]
    angle = page_angle(quads, [reading_direction(quad, flip) for quad, _, _, flip in kept])
    cos, sin = math.cos(angle), math.sin(angle)
    # Rotating every point by -angle turns the page's reading direction into +x (rows level, later
    # rows further down); shifted so the layout frame starts at 0.
    level = np.array([[cos, sin], [-sin, cos]])
    levelled = [quad @ level.T for quad in quads]
    origin = np.floor(np.min(np.vstack(levelled), axis=0))
    lines = []
    for (quad, text, score, _), flat in zip(kept, levelled, strict=True):
        x0, y0, x1, y1 = bounds(flat - origin)
        layout = Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))
        lines.append(TextLine(text, min(max(score, 0.0), 1.0), image_box(quad, width, height), layout_box=layout))
    return sorted(lines, key=lambda line: (line.layout_box.y, line.layout_box.x))


class RapidOcrEngine:
    """PP-OCRv4 (Chinese and Latin) via RapidOCR on ONNX Runtime, CPU only; models load once."""

    name = "rapidocr"

    def __init__(self, intra_op_threads: int | None = None, red_dropout: bool = True) -> None:
        """`intra_op_threads`: ONNX Runtime threads per inference (default: CERTGUARD_OCR_THREADS,
        else DEFAULT_THREADS; capped at the core count). `red_dropout`: read red-tinted pixels
        through the red channel (see `red_dropout_gray`) instead of the colour image."""
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise EngineUnavailable(
                "rapidocr_onnxruntime is not installed (see requirements-nodeps.txt).") from exc
        threads = intra_op_threads if intra_op_threads is not None else default_threads()
        self.threads = max(1, min(int(threads), os.cpu_count() or 1))
        self.red_dropout = red_dropout
        try:
            # text_score 0: every detected line is returned so results stay aligned with the
            # classifier's per-crop decisions; low scores are dropped in `to_lines`.
            self._ocr = RapidOCR(intra_op_num_threads=self.threads, inter_op_num_threads=1, text_score=0.0)
        except Exception as exc:  # a damaged install: missing model file, unloadable ONNX Runtime
            raise EngineUnavailable(f"RapidOCR could not load its models: {exc}") from exc
        self._classifier = _RecordingClassifier(self._ocr.text_cls)
        self._ocr.text_cls = self._classifier

    def read(self, image: Image.Image) -> list[TextLine]:
        """Lines in `image`'s pixel coordinates, in reading order of the levelled page."""
        rgb, scale = working_rgb(image)
        try:
            results, _ = self._ocr(self._input(rgb))
        except Exception as exc:
            raise OcrError(f"RapidOCR failed: {exc}") from exc
        decisions = self._classifier.take()
        if not results:
            return []
        if decisions is None or len(decisions) != len(results):
            decisions = [("0", 1.0)] * len(results)  # no direction information: take crops as cut
        quads = [np.asarray(result[0], dtype=np.float64).reshape(4, 2) for result in results]
        seal = seal_lettering(rgb, quads)
        kept = [((quad / scale, *result[1:]), self._classifier.flipped(decision))
                for quad, result, decision, drop in zip(quads, results, decisions, seal, strict=True) if not drop]
        return to_lines([result for result, _ in kept], [flip for _, flip in kept], image.size)

    def _input(self, rgb: np.ndarray) -> np.ndarray:
        """The contiguous BGR uint8 array RapidOCR reads: the red-dropout grey in all three channels,
        or the colour image."""
        if self.red_dropout:
            return np.ascontiguousarray(np.repeat(red_dropout_gray(rgb)[..., None], 3, axis=2))
        return np.ascontiguousarray(rgb[..., ::-1])
