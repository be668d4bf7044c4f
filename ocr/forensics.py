"""Stage: measurements of each value field's print and paper, for the tampering and number rules.

A forger who changes a value pastes a patch of paper over it and types the new value in: the patch's
tint and grain differ from the card around it (the security background stops at its edge), and the new
characters rarely match the printer's ink, in darkness or in hue, nor land on the line the printer set
them on. Each value's paper is measured against a ring outside its box, its ink against its paper, its
ink's hue, and its height on its row against its label's, as figures the rule compares with the card's
other values (`verification.rules.tampering`). A code's print (证号, the ID number) is also cut into one
glyph per character read and each glyph's width kept: a letter typed for a digit (O for 0) is read as
that digit but printed as another glyph (`verification.rules.numbers`); and the height, width and
stroke of the digits of codes and dates are kept, for a number retyped in another size or face. Print
is cut from a greyscale in which the seals the layout stage found are read through (`print_gray`): a
seal stamped across a date would join its digits, standing them taller and heavier than they are.
Measurements are taken at a fixed text height so scans, photos and low-resolution copies give comparable
figures. Stroke width over every value's print (CJK and digits alike, where only digits are set against
digits now) and the paper's fine pattern were tried too and dropped: on the dev cards they varied as
much between genuine values as after a paste. So were, on 24 pasted numbers against 108 genuine cards:
the paper's noise residual, band-pass and oriented (structure-tensor) texture energy, straight steps
along the box's sides, and a paper shift measured against a plane fitted to the ring (to cancel lighting
gradients) — none kept a pasted number apart from genuine values at a false-alarm rate near 1%. Nor did,
on 324 genuine cards and 24 pasted numbers: the text height (a box stands alone in size on a tilted
photo's long lines as often as after a paste), the value's offset from its label's row as the reader's
boxes place them (the row offset kept here is measured on the print itself, each row turned upright by
the direction of the engine's lines around it), or the shapes of its digits set against the same digits
on the card's other lines (the reader's level line crops, cut per character: pasted numbers in another
face correlated 0.71–0.96 with the others, but a rule catching 4 of the 10 that could be cut flagged 6
genuine cards, phone and low-resolution digits varying as much). Stroke width over every value added as
a fourth departure to the rule's sum caught fewer (the score needed to spare genuine cards rose more
than the pastes' did). A card saved again as JPEG at quality 25 shifts the paper beside print by up to 5
ΔE (ringing); masking more print (up to 13 px at the fixed text height) or comparing chroma only did not
spare those cards without losing pastes, so the rule's units take that damage in.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import NamedTuple

import cv2
import numpy as np
from PIL import Image

from ocr.compression import CompressionMap
from ocr.preprocess import SEAL_TINT_MARGIN
from ocr.seals import redness
from ocr.types import CONTRACT_FIELDS, Box, FieldReading, TextLine

TEXT_HEIGHT = 32
"""Pixels a value's text height is scaled to before it is measured."""
INNER_PAD = 0.15
"""The value's own paper: its box grown by this many text heights."""
RING = (0.55, 1.1)
"""The surrounding paper: between these many text heights outside the box."""
CORE_SHARE = 0.4
"""The darkest share of a value's ink pixels whose hue is its ink's: the rest mix with the paper."""
MIN_STRIPS = 3
"""Fewer character-wide strips with print than this (a one- or two-character value) give no hue: a
label character caught in the box would outvote the value's own."""
MIN_PIXELS = 40
"""Fewer paper or ink pixels than this leave a measurement undecided (None)."""
LABEL_REACH = 8.0
"""How far before a value (to its left, read upright), in text heights, its label's end is looked
for: labels set in a justified column end well before their values."""
LABEL_TAIL = 2.0
"""The label's last this many text heights give its height on the row."""
VALUE_HEAD = 2.5
"""The value's first this many text heights give its height on the row: the part nearest the label."""
ROW_BAND = 0.15
"""A row is measured over its text height and this many text heights above and below."""
LABEL_MIN_HEIGHT = 0.6
"""Label print spanning fewer text heights than this in the band is another row's edge, not a label."""
NEIGHBOURHOOD = 12
"""Lines whose centres lie within this many text heights of a value's show which way its row runs:
fewer leave one short line's wobble to decide; the whole card misses a slanted photo's perspective."""
PRINT_DARKNESS = 60
"""Grey levels darker than the paper that count as print where a label's end and height are sought."""
MIN_TEXT = 6
"""Print fewer pixels high than this gives no row offset: a pixel is a large share of it."""
CODE_FIELDS = ("number", "id_number")
"""Values whose characters are cut apart and measured (`code_glyphs`): a retyped digit hides there."""
DIGIT_FIELDS = (*CODE_FIELDS, "first_issued", "valid_from", "valid_until")
"""Values printed with digits, whose digits' height, width and stroke are measured (`digit_figures`)."""
DIGIT_WIDTH = (0.15, 0.6)
"""A glyph this many text heights wide, no narrower and no wider, is taken for a digit: a CJK
character (年, 至) is wider, a stroke of one that fell apart or a full stop narrower."""
DIGIT_MIN_HEIGHT = 0.3
"""…and at least this tall (a dash or a dot is not a digit)."""
MIN_DIGITS = 4
"""Fewer digits than this give no digit height."""
DIGIT_BROAD = 0.45
"""A digit at least this many times as wide as it is tall counts toward the digits' width: a 1 is
narrow in every face and says nothing of which face printed it."""
MIN_BROAD = 3
"""Fewer broad digits than this give no digit width."""
GLYPH_TEXT = 48
"""Pixels a value's text height is scaled to before it is cut into characters (`line_band`)."""
GLYPH_BODY = 0.25
"""Print at least this many text heights tall is a character's body; shorter pieces are specks or
a colon, unless they lie within GLYPH_TOUCH of a body (a serif the threshold cut off its stroke)."""
GLYPH_TOUCH = 0.04
"""A piece this close to a body's columns (text heights) belongs to that character."""
GLYPH_MARGIN = 0.3
"""A value's line is looked at this many text heights before and after its box, so an end glyph is whole."""
GLYPH_BAND = 0.65
"""Half the height, in text heights, of the band a value is cut in, around its print's centre: its
characters whole and little of the rows above and below."""
GLYPH_REACH = 1.2
"""Rows looked at above and below a value's line middle, in text heights: room for its band wherever
the print's centre lies within ROW_BAND of the band."""
GLYPH_MAX_WIDTH = 0.75
"""A cut wider than this many text heights is two characters run together: no widths."""
GLYPH_WIDEST = 1.5
"""…and so is one wider than this many times the code's median cut: an O typed for 0 is about 1.3
times as wide as the digits, two digits run together 1.6 times and more."""
DEEPER_CUTS = (1.3, 1.6)
"""Print levels (times `print_level`) a code whose characters ran together is cut again at, in turn."""
GLYPH_PITCH = (0.75, 1.25)
"""Digits stand at one pitch: two neighbouring digits' centres closer or further apart than these
shares of the code's median step mean a character fell apart or the cut is out of step with the
text (see `code_glyphs`)."""


class Cut(NamedTuple):
    """One character cut from a `line_band`, in the band's pixels."""

    left: int
    right: int
    height: int
    """Rows from the cut's top print to its bottom print."""
    ink: int
    """Print pixels in the cut."""
    runs: int
    """Runs of print along its rows: ink / runs is how thick its strokes are across a row."""


@dataclass(frozen=True)
class FieldTraces:
    """One value's print and paper, in units that do not depend on the image's resolution."""

    field: str
    box: Box
    ink_contrast: float | None
    """How much darker the ink is than the paper around it: (paper − ink) / paper."""
    paper_shift: float | None
    """Colour distance (CIELAB ΔE) between the paper inside the box and the ring around it."""
    ink_colour: tuple[float, float] | None = None
    """The hue of the value's ink: CIELAB (a*, b*) of its darkest ink pixels (CORE_SHARE)."""
    row_offset: float | None = None
    """How far the value's print centre (`ink_centre`) sits below its label's along the card's row, in
    the card's text heights: a retyped value seldom lands on the line its label is on."""
    glyphs: tuple[tuple[str, float], ...] = ()
    """Each character of a code's (CODE_FIELDS) letters and digits with the width of its print in
    the card's text heights: one printed character is one glyph, so a letter typed for a digit (O for
    0) stands apart from the same digit elsewhere in the code even where the reader took it for that
    digit. Empty where the print could not be cut into as many characters as were read."""
    digit_height: float | None = None
    """The median height of the value's digits (DIGIT_FIELDS), in the card's text heights: a value
    retyped in another face or size stands out against the card's other dates and numbers."""
    digit_width: float | None = None
    """The median width of the value's broad digits (DIGIT_BROAD), in the card's text heights: one
    face prints its digits as wide for their height at any size, a value retyped in another face
    does not."""
    digit_stroke: float | None = None
    """How thick the strokes of the value's digits are across a row, in the card's text heights: one
    face's digits are as heavy for their height at any size, another face's (bold, light) are not."""
    twice_compressed: float | None = None
    """In a JPEG compressed twice, the share of the value's DCT integers that show the first
    compression, beyond chance (`ocr.compression`): about the card's other values' where the value
    was in the first picture, near 0 where it was typed into the picture afterwards."""


def grown(box: Box, by: float, width: int, height: int) -> tuple[int, int, int, int]:
    """`box` grown by `by` pixels on every side, clipped to the image: (x0, y0, x1, y1)."""
    return (max(0, round(box.x - by)), max(0, round(box.y - by)),
            min(width, round(box.x + box.w + by)), min(height, round(box.y + box.h + by)))


def otsu_level(values: np.ndarray) -> float:
    """The grey level that best splits `values` (any shape, 0–255) into print and paper."""
    level, _ = cv2.threshold(values.astype(np.uint8).reshape(-1, 1), 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return float(level)


def seal_tinted(rgb: np.ndarray) -> np.ndarray:
    """Seal ink, neither print nor paper: red standing out from the rest of `rgb`, as under a warm lamp
    the whole card reads reddish and an absolute margin would leave no paper to measure."""
    tint = redness(rgb, blur=True)
    return tint - max(0, int(np.median(tint))) >= SEAL_TINT_MARGIN


def print_gray(rgb: np.ndarray, seals: Sequence[Box]) -> np.ndarray:
    """Greyscale of the print alone: inside the `seals` (boxes, image pixels), seal-tinted pixels
    (`seal_tinted`, against the seal's own surroundings) through their red channel, in which the
    seal's strokes are nearly as light as paper and black print under them stays dark, so a seal
    stamped across a date does not join its digits. Elsewhere the luminance, untouched by a
    photo's colour fringes."""
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    height, width = gray.shape
    for seal in seals:
        x0, y0, x1, y1 = grown(seal, 0, width, height)
        region = rgb[y0:y1, x0:x1]
        gray[y0:y1, x0:x1] = np.where(seal_tinted(region), region[..., 0], gray[y0:y1, x0:x1])
    return gray


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
    sealed = seal_tinted(region)

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

    contrast = shift = None
    if int(ink.sum()) >= MIN_PIXELS and int(paper_inner.sum()) >= MIN_PIXELS:
        paper_level = float(np.median(luminance[paper_inner]))
        core = np.sort(luminance[ink])[: max(1, int(ink.sum()) // 2)]
        contrast = (paper_level - float(np.median(core))) / max(paper_level, 1.0)
    # In float Lab: 8-bit Lab rounds a* and b* to whole units, the size of the hue differences that matter.
    lab = cv2.cvtColor(region.astype(np.float32) / 255, cv2.COLOR_RGB2LAB)
    if int(paper_inner.sum()) >= MIN_PIXELS and int(paper_ring.sum()) >= MIN_PIXELS:
        shift = float(np.linalg.norm(np.median(lab[paper_inner], axis=0) - np.median(lab[paper_ring], axis=0)))
    colour = ink_colour(lab[local.y:local.y + local.h, local.x:local.x + local.w],
                        sealed[local.y:local.y + local.h, local.x:local.x + local.w])
    return FieldTraces(name, box, contrast, shift, colour)


def ink_colour(lab: np.ndarray, sealed: np.ndarray) -> tuple[float, float] | None:
    """CIELAB (a*, b*) of the print inside the text box (`lab`: its H×W×3 float CIELAB), seal ink left
    out: the median over the box's character-wide strips of each strip's darkest ink, so a
    neighbouring label's character or two caught in the box (a value printed small beside a large
    label is sliced out of its line by character count) do not decide it. Only the box itself: a band
    or rule just outside it would be the darkest print."""
    lightness = lab[..., 0]
    if lightness.size == 0:
        return None
    ink = ~sealed & (lightness < otsu_level(lightness * 2.55) / 2.55)
    height, width = ink.shape
    strips = []
    for x in range(0, width, max(1, height)):
        strip_ink = ink[:, x:x + height]
        if int(strip_ink.sum()) >= MIN_PIXELS:
            strip = lab[:, x:x + height][strip_ink]
            core = strip[strip[:, 0] <= np.quantile(strip[:, 0], CORE_SHARE)]
            strips.append(np.median(core[:, 1:], axis=0))
    if len(strips) < MIN_STRIPS:
        return None
    a, b = np.median(np.array(strips), axis=0)
    return float(a), float(b)


def ink_centre(darkness: np.ndarray) -> float | None:
    """The mean row of the print in an H×W darkness map (`upright_darkness`), each pixel weighed by
    how dark it is: blur spreads a stroke but keeps its centre, where a threshold keeps only the
    darkest cores of thin strokes. None with too little print to tell."""
    rows = darkness.sum(axis=1, dtype=np.float64)
    if rows.sum() < PRINT_DARKNESS * MIN_PIXELS / 2:
        return None
    return float((rows * np.arange(len(rows))).sum() / rows.sum())


def value_direction(box: Box, lines: Sequence[TextLine], text: float) -> float:
    """The direction (degrees, image axes: y down) the value in `box` reads in: the sum of the top
    edges of the engine's lines around it (within NEIGHBOURHOOD text heights), so long lines weigh
    most and the photo's perspective where the value is counts (rows at the top of a card
    photographed at a slant run otherwise than those at its foot). 0 where no line has a quad: the
    engine read the image as it stands."""
    reach = NEIGHBOURHOOD * text
    cx, cy = box.x + box.w / 2, box.y + box.h / 2
    near = [line.quad for line in lines if line.quad
            and math.hypot(line.box.x + line.box.w / 2 - cx, line.box.y + line.box.h / 2 - cy) <= reach]
    dx = sum(quad[1][0] - quad[0][0] for quad in near)
    dy = sum(quad[1][1] - quad[0][1] for quad in near)
    return math.degrees(math.atan2(dy, dx)) if dx or dy else 0.0


def line_start(box: Box, direction: float, text: float) -> tuple[tuple[float, float], float] | None:
    """Where the line of `text`-high print in the upright `box` begins (image pixels), reading in
    `direction`, and its length; None for a box too short to hold such a line. The box holds the
    turned line: box.w = length·|cos| + text·|sin|, box.h the converse."""
    cos, sin = math.cos(math.radians(direction)), math.sin(math.radians(direction))
    length = (box.w - text * abs(sin)) / abs(cos) if abs(cos) >= abs(sin) else (box.h - text * abs(cos)) / abs(sin)
    if length < text / 2:
        return None
    return (box.x + box.w / 2 - length / 2 * cos, box.y + box.h / 2 - length / 2 * sin), length


def upright_darkness(gray: np.ndarray, pivot: tuple[float, float], direction: float, left: float, right: float,
                     rise: float) -> tuple[np.ndarray, tuple[float, float]] | None:
    """The print around `pivot` (image pixels) turned to read left to right, from `left` pixels before
    it to `right` after and `rise` above and below, as how many grey levels each pixel is darker than
    the paper (the region's 90th percentile), with the pivot's place in it; None where that runs off
    the image."""
    radius = max(left, right) + rise
    height, width = gray.shape
    x0, y0 = max(0, round(pivot[0] - radius)), max(0, round(pivot[1] - radius))
    x1, y1 = min(width, round(pivot[0] + radius)), min(height, round(pivot[1] + radius))
    centre = (pivot[0] - x0, pivot[1] - y0)
    if centre[0] + right > x1 - x0:
        return None
    turn = cv2.getRotationMatrix2D(centre, direction, 1.0)
    turned = cv2.warpAffine(gray[y0:y1, x0:x1], turn, (x1 - x0, y1 - y0), flags=cv2.INTER_LINEAR,
                            borderMode=cv2.BORDER_REPLICATE)
    first = max(0, round(centre[0] - left))
    turned = turned[:, first:round(centre[0] + right)]
    darkness = np.clip(np.percentile(turned, 90) - turned.astype(np.float32), 0, None)
    return darkness, (centre[0] - first, centre[1])


def row_offset(gray: np.ndarray, box: Box, direction: float, text: float) -> float | None:
    """The value in `box` against the end of its label before it on its row, read upright
    (`direction`: `value_direction`) on rows `text` pixels high: see `FieldTraces.row_offset`.
    None for a value with no label before it on its row."""
    located = line_start(box, direction, text)
    if located is None:
        return None
    start, length = located
    band = (0.5 + ROW_BAND) * text
    upright = upright_darkness(gray, start, direction, LABEL_REACH * text, min(length, VALUE_HEAD * text), 2 * band)
    if upright is None:
        return None
    darkness, (split_at, middle) = upright
    split, label_end = round(split_at), round(split_at - 0.1 * text)
    if label_end < text:
        return None
    # The band follows the value's own print: a box that took in part of the next line is off centre.
    for _ in range(2):
        top = max(0, round(middle - band))
        value = ink_centre(darkness[top:round(middle + band), split:])
        if value is None:
            return None
        middle = top + value
    row = darkness[max(0, round(middle - band)):round(middle + band)]
    printed = np.flatnonzero((row[:, :label_end] >= PRINT_DARKNESS).sum(axis=0) >= 2)
    if len(printed) == 0:
        return None
    tail = row[:, max(0, round(printed[-1] + 1 - LABEL_TAIL * text)):printed[-1] + 1]
    inked_rows = np.flatnonzero((tail >= PRINT_DARKNESS).sum(axis=1) >= 2)
    if len(inked_rows) == 0 or inked_rows[-1] - inked_rows[0] + 1 < LABEL_MIN_HEIGHT * text:
        return None  # the edge of a label on the row above or below (a value wrapped under its label)
    label, value = ink_centre(tail), ink_centre(row[:, split:])
    if label is None or value is None:
        return None
    return (value - label) / text


def print_level(darkness: np.ndarray) -> float:
    """The darkness from which a band's pixels are print: Otsu's level, at least PRINT_DARKNESS."""
    return max(PRINT_DARKNESS, otsu_level(np.clip(darkness, 0, 255)))


def glyph_columns(darkness: np.ndarray, text: float, deeper: float = 1.0) -> list[Cut]:
    """The characters, left to right, in a band of print `text` pixels high (`line_band`): print
    (`print_level`, times `deeper`) cut where no column holds a character's body or a piece touching
    one (GLYPH_BODY, GLYPH_TOUCH)."""
    inked_pixels = (darkness >= deeper * print_level(darkness)).astype(np.uint8)
    count, _, stats, _ = cv2.connectedComponentsWithStats(inked_pixels, connectivity=8)
    spans = [(stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_LEFT] + stats[i, cv2.CC_STAT_WIDTH],
              stats[i, cv2.CC_STAT_HEIGHT] >= GLYPH_BODY * text) for i in range(1, count)]
    body = np.zeros(darkness.shape[1] + 1, dtype=bool)
    for left, right, is_body in spans:
        body[left:right] |= is_body
    touch = round(GLYPH_TOUCH * text)
    near = np.convolve(body, np.ones(2 * touch + 1), mode="same") > 0
    inked = np.zeros_like(body)
    for left, right, is_body in spans:
        if is_body or near[left:right].any():
            inked[left:right] = True
    edges = np.flatnonzero(np.diff(np.concatenate(([False], inked))))
    cuts = []
    for left, right in zip(edges[::2].tolist(), edges[1::2].tolist(), strict=True):
        print_ = inked_pixels[:, left:right]
        rows = np.flatnonzero(print_.any(axis=1))
        runs = int(np.count_nonzero(np.diff(print_, axis=1, prepend=0) == 1))
        cuts.append(Cut(left, right, int(rows[-1] - rows[0] + 1), int(print_.sum()), runs))
    return cuts


def line_band(gray: np.ndarray, box: Box, direction: float, text: float) -> np.ndarray | None:
    """The print of the line in `box`, read upright (`direction`) on rows `text` pixels high, as a
    darkness map (`upright_darkness`) GLYPH_BAND text heights above and below its centre, scaled to
    GLYPH_TEXT pixels a text height so that low-resolution print is cut as finely as a scan's."""
    located = line_start(box, direction, text)
    if located is None:
        return None
    start, length = located
    margin, half = GLYPH_MARGIN * text, GLYPH_BAND * text
    upright = upright_darkness(gray, start, direction, margin, length + margin, GLYPH_REACH * text)
    if upright is None:
        return None
    darkness, (_, middle) = upright
    top = max(0, round(middle - half - ROW_BAND * text))
    centre = ink_centre(darkness[top:round(middle + half + ROW_BAND * text)])
    if centre is None:
        return None
    top = max(0, round(top + centre - half))
    scale = GLYPH_TEXT / text
    return cv2.resize(darkness[top:round(top + 2 * half)], None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)


def glyph_spans(columns: list[Cut], count: int,
                prefixed: bool = False) -> list[tuple[float, float]] | None:
    """Where the last `count` characters cut from a `line_band` (`glyph_columns`, at GLYPH_TEXT)
    begin and end, in text heights; None where the print was not cut into exactly that many
    characters (more, when the code is `prefixed`: a CJK character before it may fall apart into
    several) or two ran together."""
    as_read = len(columns) > count if prefixed else len(columns) == count
    if not as_read:
        return None
    kept = [(cut.left / GLYPH_TEXT, cut.right / GLYPH_TEXT) for cut in columns[-count:]]
    widths = [right - left for left, right in kept]
    if max(widths) > min(GLYPH_MAX_WIDTH, GLYPH_WIDEST * float(np.median(widths))):
        return None
    return kept


def digit_figures(columns: list[Cut]) -> tuple[float | None, float | None, float | None]:
    """Of the characters cut from a `line_band` (`glyph_columns`, at GLYPH_TEXT) shaped like digits
    (DIGIT_WIDTH, DIGIT_MIN_HEIGHT), in text heights: the median height and the thickness of their
    strokes across a row (print pixels per run of print), None with fewer than MIN_DIGITS; and the
    median width of those that are broad (DIGIT_BROAD), None with fewer than MIN_BROAD. As
    (height, width, stroke)."""
    digits = [cut for cut in columns if DIGIT_WIDTH[0] <= (cut.right - cut.left) / GLYPH_TEXT <= DIGIT_WIDTH[1]
              and cut.height >= DIGIT_MIN_HEIGHT * GLYPH_TEXT]
    if len(digits) < MIN_DIGITS:
        return None, None, None
    height = float(np.median([cut.height for cut in digits])) / GLYPH_TEXT
    stroke = sum(cut.ink for cut in digits) / max(1, sum(cut.runs for cut in digits)) / GLYPH_TEXT
    broad = [(cut.right - cut.left) / GLYPH_TEXT for cut in digits
             if cut.right - cut.left >= DIGIT_BROAD * height * GLYPH_TEXT]
    return height, float(np.median(broad)) if len(broad) >= MIN_BROAD else None, stroke


def digit_steps(spans: list[tuple[float, float]], code: str) -> dict[int, float]:
    """How far apart the centres of digits i and i + 1 of `code` stand, by i, in the cut's units."""
    centres = [(left + right) / 2 for left, right in spans]
    return {i: b - a for i, ((a, b), pair) in enumerate(zip(pairwise(centres), pairwise(code), strict=True))
            if pair[0].isdigit() and pair[1].isdigit()}


def off_step(steps: dict[int, float]) -> list[int]:
    """The places i at which digits i and i + 1 stand closer or further apart (`digit_steps`) than
    the code's pitch, their median step, allows (GLYPH_PITCH)."""
    pitch = float(np.median(list(steps.values()))) if steps else 0.0
    return [i for i, step in steps.items() if not GLYPH_PITCH[0] * pitch <= step <= GLYPH_PITCH[1] * pitch]


def narrow_glyph(steps: dict[int, float], off: list[int]) -> bool:
    """Whether the steps off the pitch (`off_step`) are those either side of one glyph set on a
    narrower advance, both shorter than the pitch (a letter I typed for 1 in a proportional face),
    rather than a character that fell apart beside two that ran together (one step short, the next
    long)."""
    pitch = float(np.median(list(steps.values())))
    beside_one = len(off) == 1 or (len(off) == 2 and off[1] == off[0] + 1)
    return beside_one and all(steps[i] < pitch for i in off)


def code_glyphs(band: np.ndarray, columns: list[Cut], value: str) -> tuple[tuple[str, float], ...]:
    """The code's trailing letters and digits (a province abbreviation before them is left out) with
    their widths (see `FieldTraces.glyphs`), where the cut (`glyph_columns` of the `band`) stands at
    the digits' pitch (`off_step`): characters that fell apart or ran together put it out of step
    with the characters read. One glyph may stand off it (a letter I typed for 1 in a proportional
    face), unless a province abbreviation, which may fall apart into any number of pieces, comes
    first: there the count of pieces does not check the cut. Where it does, a code whose characters
    ran together (a phone photo's blur joins its digits) is cut again from its darker print
    (DEEPER_CUTS): every character then measures narrower alike."""
    found = re.search(r"[0-9A-Za-z]+$", value)
    if found is None:
        return ()
    code, prefixed = found.group(), found.start() > 0
    glyphs = glyphs_at_pitch(columns, code, prefixed)
    if glyphs or prefixed:
        return glyphs
    for deeper in DEEPER_CUTS:
        glyphs = glyphs_at_pitch(glyph_columns(band, GLYPH_TEXT, deeper), code, prefixed=False)
        if glyphs:
            return glyphs
    return ()


def glyphs_at_pitch(columns: list[Cut], code: str, prefixed: bool) -> tuple[tuple[str, float], ...]:
    """`code`'s characters with their widths, where `columns` cut it at its digits' pitch (`code_glyphs`)."""
    spans = glyph_spans(columns, len(code), prefixed=prefixed)
    if spans is None:
        return ()
    steps = digit_steps(spans, code)
    off = off_step(steps)
    if off and (prefixed or not narrow_glyph(steps, off)):
        return ()
    return tuple((char, right - left) for char, (left, right) in zip(code, spans, strict=True))


def field_traces(image: Image.Image, fields: dict[str, FieldReading], lines: Sequence[TextLine] = (),
                 seals: Sequence[Box] = (), compression: CompressionMap | None = None) -> list[FieldTraces]:
    """Traces of every printed value that was read and located, in contract order. Two fields read
    from one printed value (a date that is both first issue and start) are one value, measured once.
    `lines`, the engine's, show which way each value's row runs (`value_direction`) and how tall the
    print is; without them no value's row offset is measured. `seals`, the layout stage's, are read
    through where print is cut (`print_gray`). `compression`, the file's double-JPEG traces, gives each
    value's `twice_compressed`."""
    rgb = np.asarray(image.convert("RGB"))
    gray = print_gray(rgb, seals)
    text = float(np.median([line.height for line in lines])) if lines else 0.0
    measured: dict[Box, FieldTraces] = {}
    for name in CONTRACT_FIELDS:
        reading = fields.get(name)
        if reading is not None and reading.box is not None and reading.value and reading.box not in measured:
            direction = value_direction(reading.box, lines, text)
            offset = row_offset(gray, reading.box, direction, text) if text >= MIN_TEXT else None
            band = line_band(gray, reading.box, direction, text) if name in DIGIT_FIELDS and text >= MIN_TEXT else None
            columns = [] if band is None else glyph_columns(band, GLYPH_TEXT)  # cut once: glyphs and digit figures
            glyphs = code_glyphs(band, columns, reading.value) if columns and name in CODE_FIELDS else ()
            height, width, stroke = digit_figures(columns)
            twice = compression.twice_in(reading.box) if compression else None
            measured[reading.box] = replace(measure(rgb, name, reading.box), row_offset=offset, glyphs=glyphs,
                                            digit_height=height, digit_width=width, digit_stroke=stroke,
                                            twice_compressed=twice)
    return list(measured.values())
