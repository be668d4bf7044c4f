"""PP-OCRv4 through RapidOCR (ONNX Runtime): detection, direction classification and recognition.

The wheel of `rapidocr_onnxruntime` ships the three ONNX models, so nothing is downloaded at run
time; the sessions are built once per engine (and `ocr.engines.get_engine` builds one engine per
process).

The engine runs the models stage by stage (see `RapidOcrEngine`) so that each does only the work it
must: the card is found and rectified from a coarse detection (`ocr.geometry`), so the finer
detection runs on the card alone at a fixed working size, the direction classifier is asked once
per card rather than once per line, and recognition skips the seal's own lettering. Lines come back
with boxes in the source image's pixels (evidence) and layout boxes in the rectified, upright card
(`TextLine.layout_box`), where rows are level whatever the photo's perspective or rotation.

Red seals: the card is read as a grey in which red-tinted pixels take their red channel, so the
seal almost vanishes and print under it is detected whole (`red_dropout_gray`); the rows around a
seal are looked at again in black and white for lines its faint remaining ring hid from the
detector (`_missed_by_seals`); lines printed in seal red inside a round red mark (the seal's own
lettering) are dropped and red print elsewhere (a title) is read from plain luminance (`line_inks`).
There is no time limit per image (Tesseract's runs in a subprocess that can be killed; ONNX Runtime
runs in this process).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image

from ocr.engines.base import EngineUnavailable, OcrError
from ocr.geometry import (
    CONTENT_MARGIN,
    DebugSink,
    bounds,
    content_quad,
    corners_for_reading,
    find_card,
    half_turn,
    image_box,
    line_axis,
    reading_axis,
    rectify,
    text_height,
)
from ocr.preprocess import SEAL_TINT_MARGIN, red_mask
from ocr.seals import redness, seal_outlines
from ocr.types import Box, Quad, StripText, TextLine

DEFAULT_THREADS = 2
"""ONNX Runtime intra-op threads per engine when CERTGUARD_OCR_THREADS is not set. Workers already
read several images in parallel, so each engine keeps to a few threads rather than one per core."""
THREADS_ENV = "CERTGUARD_OCR_THREADS"
MIN_SCORE = 0.5
"""Lines recognised with a lower score are dropped (RapidOCR's own default `text_score`)."""
RED_LETTERING_SHARE = 0.75
"""A line whose ink is at least this share seal-red, inside a seal, is the seal's own lettering."""
SEAL_CONTAINED = 0.85
"""A seal's lettering lies within the seal: a line reaching further out is print the seal covers."""
RED_PRINT_SHARE = 0.5
"""A line clear of every seal whose ink is at least this share red is red print (a title)."""
INK_LEVEL = 128
"""Pixels darker than this are ink (black print, or saturated seal red)."""
MAX_SIDE = 2000
"""Long side the source image is brought down to before anything else (a 12-megapixel photo holds
no more legible detail for these models than this)."""
COARSE_SIDE = 640
"""Long side of the copy the card is looked for on: text lines are still found there, in a tenth of
the time the full image takes."""
CARD_SIDE = 1600
"""Longest side of the rectified card; line crops are cut from it, so it keeps the photo's detail."""
DET_SIDE = 960
"""Long side of the rectified card as the line detector sees it."""
DET_MAX_ENLARGE = 1.6
"""A small card (a low-resolution copy) is enlarged at most this much for detection."""
REC_HEIGHT = 48
"""Height line crops are recognised at (PP-OCRv4's training height is 48)."""
REC_MIN_RATIO = 320 / 48
"""Shorter crops are padded to this width-to-height ratio (RapidOCR's `rec_img_shape`)."""
HALF_TURN_VOTERS = 6
"""The longest lines of a card vote on whether it is upside down."""
STACK_RATIO = 1.5
"""A box on the upright card this many times taller than wide is a column of characters, not a line:
the detector joins the first characters of letter-spaced labels printed one above the other ("姓　名"
over "性　别" gave one box, read "姓性"). Cards print no vertical text."""
GLYPH_HEIGHT = 1.2
"""A CJK character is at most this many times as tall as the column is wide."""
SEAL_BAND = 0.25
"""Rows looked at again around a seal: its height grown by this share above and below."""
FOUND_BEFORE = 0.3
"""A line found again that lies at least this much (by area) inside a line found before is that line."""
STRIP_HEIGHT = 96
"""Height a strip is brought to for a second look (`RapidOcrEngine.read_strips`): about twice a line's
height at recognition, where a lone character the card-wide detection missed (性别 女) is found."""


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

    Every later stage (coarse detection, colour analysis, rectification) works on this copy, so a
    12-megapixel photo is decoded to pixels once and never processed at full size."""
    scale = min(1.0, MAX_SIDE / max(image.size))
    rgb = image.convert("RGB")
    if scale < 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        rgb = rgb.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(rgb), scale


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


SEAL_LETTERING, RED_PRINT, DARK_PRINT = "seal lettering", "red print", "dark print"


def contained(box: Box, outer: Box) -> float:
    """Share of `box`'s area inside `outer`."""
    w = min(box.x + box.w, outer.x + outer.w) - max(box.x, outer.x)
    h = min(box.y + box.h, outer.y + outer.h) - max(box.y, outer.y)
    return max(w, 0) * max(h, 0) / max(box.w * box.h, 1)


def line_inks(rgb: np.ndarray, quads: Sequence[np.ndarray], seals: Sequence[Box]) -> list[str]:
    """Per line, what it is printed in: SEAL_LETTERING (seal-red ink within a seal: the seal's name,
    专用章, its star), RED_PRINT (mostly red ink elsewhere: a red title) or DARK_PRINT.

    Seal lettering is not the card's text: read as a line beside a value (often the authority, where
    the seal is stamped by design) it would run into that value with full confidence, so it is
    dropped. Red print is read from plain luminance, where the seal dropout would wash it out.
    """
    height, width = rgb.shape[:2]
    # Dark pixels are black print: dark in the red channel, where seal ink, however deep, is light
    # (on a photo, black text under a seal takes a pinkish cast and its luminance rises towards
    # the seal's); light ones count as red ink when tinted (a washed-out seal).
    strong = red_mask(rgb)
    dark = rgb[..., 0] < INK_LEVEL
    red = strong | ((redness(rgb) >= SEAL_TINT_MARGIN) & ~dark)
    ink = red | dark
    inks = []
    for quad in quads:
        box = image_box(quad, width, height)
        overlaps = [contained(box, seal) for seal in seals]
        inside, clear = any(o >= SEAL_CONTAINED for o in overlaps), not any(overlaps)
        region = np.s_[box.y:box.y + box.h, box.x:box.x + box.w]
        inked, reddened = int(ink[region].sum()), int(red[region].sum())
        if inked and inside and reddened >= RED_LETTERING_SHARE * inked:
            inks.append(SEAL_LETTERING)
        elif inked and clear and reddened >= RED_PRINT_SHARE * inked:
            inks.append(RED_PRINT)
        else:
            inks.append(DARK_PRINT)
    return inks


def unstacked(gray: np.ndarray, quad: np.ndarray) -> list[np.ndarray]:
    """A box of characters stacked in a column, cut into one box per character where the column's
    ink pauses (a glyph's own gaps, as in 三, are kept whole); any other box as it is."""
    x0, y0, x1, y1 = bounds(quad)
    x0, y0, x1, y1 = max(x0, 0), max(y0, 0), min(x1, gray.shape[1]), min(y1, gray.shape[0])
    width, height = x1 - x0, y1 - y0
    if width <= 0 or height < STACK_RATIO * width:
        return [quad]
    column = gray[y0:y1, x0:x1]
    _, ink = cv2.threshold(column, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    inked = np.flatnonzero(ink.any(axis=1))
    if inked.size == 0:
        return [quad]
    runs = np.split(inked, np.flatnonzero(np.diff(inked) > 1) + 1)
    glyphs: list[list[int]] = []
    for run in runs:
        if glyphs and run[-1] - glyphs[-1][0] < GLYPH_HEIGHT * width:  # still within one character's height
            glyphs[-1][1] = int(run[-1])
        else:
            glyphs.append([int(run[0]), int(run[-1])])
    if len(glyphs) < 2:
        return [quad]
    return [np.array([(x0, y0 + top), (x1, y0 + top), (x1, y0 + bottom + 1), (x0, y0 + bottom + 1)],
                     dtype=np.float64) for top, bottom in glyphs]


def resized(pixels: np.ndarray, long_side: int, max_enlarge: float = 1.0) -> tuple[np.ndarray, float]:
    """`pixels` scaled so its long side is `long_side` (enlarged at most `max_enlarge` times), and the scale."""
    scale = min(long_side / max(pixels.shape[:2]), max_enlarge)
    if abs(scale - 1.0) < 1e-3:
        return pixels, 1.0
    size = (max(1, round(pixels.shape[1] * scale)), max(1, round(pixels.shape[0] * scale)))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return cv2.resize(pixels, size, interpolation=interpolation), scale


def as_bgr(gray: np.ndarray) -> np.ndarray:
    """The three-channel uint8 array the ONNX models read."""
    return np.ascontiguousarray(np.repeat(gray[..., None], 3, axis=2))


def turned_half(quad: np.ndarray, width: int, height: int) -> np.ndarray:
    """A box of a card of `width`×`height` after the card turns 180°, corners still TL, TR, BR, BL."""
    turned = np.stack([width - quad[:, 0], height - quad[:, 1]], axis=1)
    return np.roll(turned, 2, axis=0)


class RapidOcrEngine:
    """PP-OCRv4 (Chinese and Latin) via RapidOCR on ONNX Runtime, CPU only; models load once.

    RapidOCR's three models are driven stage by stage rather than through its all-in-one call: a
    coarse detection on a small copy finds the card (`ocr.geometry`), the card is rectified and
    levelled, detected again at a working size, turned by the direction classifier's vote, its seal
    lettering dropped, and only then are the remaining lines recognised, one crop per inference.
    """

    name = "rapidocr"

    def __init__(self, intra_op_threads: int | None = None, red_dropout: bool = True,
                 rec_height: int = REC_HEIGHT) -> None:
        """`intra_op_threads`: ONNX Runtime threads per inference (default: CERTGUARD_OCR_THREADS,
        else DEFAULT_THREADS; capped at the core count). `red_dropout`: read red-tinted pixels
        through the red channel (see `red_dropout_gray`) instead of plain luminance.
        `rec_height`: pixel height line crops are recognised at (see REC_HEIGHT)."""
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise EngineUnavailable(
                "rapidocr_onnxruntime is not installed (see requirements-nodeps.txt).") from exc
        threads = intra_op_threads if intra_op_threads is not None else default_threads()
        self.threads = max(1, min(int(threads), os.cpu_count() or 1))
        self.red_dropout = red_dropout
        try:
            self._ocr = RapidOCR(intra_op_num_threads=self.threads, inter_op_num_threads=1)
        except Exception as exc:  # a damaged install: missing model file, unloadable ONNX Runtime
            raise EngineUnavailable(f"RapidOCR could not load its models: {exc}") from exc
        # Images reach the detector already sized (COARSE_SIDE, DET_SIDE); "max" keeps them so.
        self._ocr.text_det.limit_type = "max"
        self._ocr.text_rec.rec_image_shape = [3, rec_height, round(rec_height * REC_MIN_RATIO)]
        self._ocr.text_rec.rec_batch_num = 1

    def read(self, image: Image.Image, debug: DebugSink | None = None) -> list[TextLine]:
        """Lines with boxes in `image`'s pixels and layout boxes in the rectified, upright card's."""
        debug = debug if debug is not None else DebugSink()
        try:
            return self._read(image, debug)
        except OcrError:
            raise
        except Exception as exc:
            raise OcrError(f"RapidOCR failed: {exc}") from exc

    def _read(self, image: Image.Image, debug: DebugSink) -> list[TextLine]:
        rgb, scale = working_rgb(image)
        gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        coarse, coarse_scale = resized(gray, COARSE_SIDE)
        found = self._detect(coarse)
        if not found:
            return []
        axis = reading_axis(found)
        outline = find_card(coarse, found, axis)
        if outline is None:
            # The card's edge is not seen, so it is cut round the lines found: lines a seal hid from
            # the detector are looked for again with its ink dropped, or a sealed date would lose its end.
            if self.red_dropout:
                found += self._detect(red_dropout_gray(resized(rgb, COARSE_SIDE)[0]))
            outline = content_quad(found, coarse.shape)
        debug.dump("card", cv2.cvtColor(coarse, cv2.COLOR_GRAY2RGB), [*found, outline])
        corners = corners_for_reading(outline / coarse_scale, axis)
        text_points = np.vstack(found) / coarse_scale
        margin = CONTENT_MARGIN * text_height(found) / coarse_scale
        card = rectify(rgb, corners, CARD_SIDE, keep=text_points, margin=margin)
        card_gray = red_dropout_gray(card.pixels) if self.red_dropout else cv2.cvtColor(card.pixels, cv2.COLOR_RGB2GRAY)
        debug.dump("rectified", card_gray)
        detect_input, detect_scale = resized(card_gray, DET_SIDE, max_enlarge=DET_MAX_ENLARGE)
        boxes = [box / detect_scale for box in self._detect(detect_input)]
        if self._upside_down(card_gray, boxes):
            card = half_turn(card)
            card_gray = cv2.rotate(card_gray, cv2.ROTATE_180)
            height, width = card_gray.shape[:2]
            boxes = [turned_half(box, width, height) for box in boxes]
        boxes = [part for box in boxes for part in unstacked(card_gray, box)]
        seals = seal_outlines(card.pixels, text_height(boxes)) if self.red_dropout else []
        boxes += self._missed_by_seals(card_gray, boxes, seals, detect_scale)
        debug.dump("upright", card_gray, boxes)
        inks = line_inks(card.pixels, boxes, seals) if self.red_dropout else [DARK_PRINT] * len(boxes)
        kept = [(box, ink) for box, ink in zip(boxes, inks, strict=True) if ink != SEAL_LETTERING]
        if not kept:
            return []
        sources = {DARK_PRINT: card_gray}
        if RED_PRINT in inks:
            sources[RED_PRINT] = cv2.cvtColor(card.pixels, cv2.COLOR_RGB2GRAY)
        crops = [crop for ink, source in sources.items() if (ink_boxes := [box for box, i in kept if i == ink])
                 for crop in self._crops(source, ink_boxes)]
        kept = [item for ink in sources for item in kept if item[1] == ink]  # the crops' order
        recognised, _ = self._ocr.text_rec(crops)
        height, width = card_gray.shape[:2]
        lines = []
        for (box, _), (text, score) in zip(kept, recognised, strict=True):
            text = str(text).strip()
            if not text or float(score) < MIN_SCORE:
                continue
            x0, y0, x1, y1 = bounds(box)
            layout = Box(max(x0, 0), max(y0, 0), max(1, min(x1, width) - max(x0, 0)),
                         max(1, min(y1, height) - max(y0, 0)))
            source = card.to_source(box) / scale
            lines.append(TextLine(text, min(max(float(score), 0.0), 1.0), image_box(source, *image.size),
                                  layout_box=layout, quad=tuple((float(x), float(y)) for x, y in source)))
        return sorted(lines, key=lambda line: (line.layout_box.y, line.layout_box.x))

    def read_strips(self, image: Image.Image, strips: Sequence[Quad]) -> list[list[StripText]]:
        """Each strip cut out level from the photo (seal ink dropped, as `read` sees the card),
        enlarged to STRIP_HEIGHT, detected on its own and its lines recognised."""
        if not strips:
            return []
        try:
            rgb, scale = working_rgb(image)
            gray = red_dropout_gray(rgb) if self.red_dropout else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
            cut = self._crops(gray, [np.asarray(strip, dtype=np.float64) * scale for strip in strips])
            return [self._read_strip(cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)) for crop in cut]
        except Exception as exc:
            raise OcrError(f"RapidOCR failed on a strip: {exc}") from exc

    def _read_strip(self, strip: np.ndarray) -> list[StripText]:
        enlarged = cv2.resize(strip, None, fx=STRIP_HEIGHT / strip.shape[0], fy=STRIP_HEIGHT / strip.shape[0],
                              interpolation=cv2.INTER_CUBIC)
        boxes = self._detect(enlarged)
        if not boxes:
            return []
        recognised, _ = self._ocr.text_rec(self._crops(enlarged, boxes))
        width = enlarged.shape[1]
        found = []
        for box, (text, score) in zip(boxes, recognised, strict=True):
            text = str(text).strip()
            if text and float(score) >= MIN_SCORE:
                x0, _, x1, _ = bounds(box)
                found.append(StripText(text, min(float(score), 1.0), max(x0, 0) / width, min(x1, width) / width))
        return sorted(found, key=lambda found_text: found_text.start)

    def _detect(self, gray: np.ndarray) -> list[np.ndarray]:
        """Text-line quadrilaterals (TL, TR, BR, BL; float) in `gray`'s pixels."""
        boxes, _ = self._ocr.text_det(as_bgr(gray))
        return [] if boxes is None else [np.asarray(box, dtype=np.float64).reshape(4, 2) for box in boxes]

    def _missed_by_seals(self, gray: np.ndarray, boxes: Sequence[np.ndarray], seals: Sequence[Box],
                         scale: float) -> list[np.ndarray]:
        """Lines the detector missed beside a seal, found again on the rows around it made black and white.

        What is left of a seal in the red channel is a faint ring; where it touches a line of print
        the detector can lose the whole line (a date just above the seal). Split at Otsu's level,
        the ring turns to paper and the print stays; only lines no earlier box covers are added."""
        height, width = gray.shape[:2]
        found: list[np.ndarray] = []
        known = [image_box(box, width, height) for box in boxes]
        for seal in seals:
            top = max(0, round(seal.y - SEAL_BAND * seal.h))
            bottom = min(height, round(seal.y + (1 + SEAL_BAND) * seal.h))
            band, band_scale = resized(gray[top:bottom], round(width * scale), max_enlarge=DET_MAX_ENLARGE)
            _, black_white = cv2.threshold(band, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
            for quad in self._detect(black_white):
                quad = quad / band_scale + (0, top)
                box = image_box(quad, width, height)
                if all(max(contained(box, other), contained(other, box)) < FOUND_BEFORE for other in known):
                    found.append(quad)
                    known.append(box)
        return found

    def _crops(self, gray: np.ndarray, boxes: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Each box cut out level (RapidOCR's perspective crop; tall crops turned a quarter)."""
        return self._ocr.get_crop_img_list(as_bgr(gray), [box.astype(np.float32) for box in boxes])

    def _upside_down(self, gray: np.ndarray, boxes: Sequence[np.ndarray]) -> bool:
        """Whether the direction classifier, asked about the longest lines, finds most of them turned."""
        if not boxes:
            return False
        longest = sorted(boxes, key=lambda box: -line_axis(box)[1])[:HALF_TURN_VOTERS]
        _, decisions, _ = self._ocr.text_cls(self._crops(gray, longest))
        vote = sum(float(score) * (1 if "180" in str(label) else -1) for label, score in decisions)
        return vote > 0
