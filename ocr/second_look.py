"""A second look at labels read without a usable value: the strip beside each is read again on its own.

A detector that sees the whole card at once can miss a lone character (性别 女) or a short value
beside its label, and a recogniser can lose a digit of a date; cut out level and enlarged to one
row, the strip shows them plainly. Only labels with a field missing (absent, or read but unreadable)
get a second look, so a card read whole costs nothing more, and its reading is taken only if it
loses nothing the first reading had.

`read_card` is the one way lines and fields are read from a photo: `engine.read`, `read_fields`,
and this second look where it finds something.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from PIL import Image

from ocr.engines.base import OcrEngine
from ocr.fields import RANGE_ENDS, Glyph, LabelHit, Row, glyph_box, label_value, labelled_rows, read_fields
from ocr.geometry import image_box
from ocr.types import Box, DocumentSpec, Quad, ReadFields, StripText, TextLine

MIN_STRIP_WIDTH = 2
"""A strip narrower than this many row heights holds no value (and, cut out, would stand on end)."""
STRIP_GROW = 0.25
"""A strip reaches this share of its row's height above and below it: a value's print can sit a little
higher or lower than its label's."""


@dataclass(frozen=True)
class Strip:
    """Where a bare label's value should be: along its line in the layout frame from `start` to `end`,
    and the same span's corners in the image."""

    fields: tuple[str, ...]
    line: TextLine
    start: float
    end: float
    replaces: tuple[TextLine, ...] = ()
    """Lines an unreadable value was read from, which what the strip shows takes the place of."""

    def point(self, x: float, y: float) -> tuple[float, float]:
        """A layout-frame point mapped into the image along the line's corners (extended past them)."""
        frame = self.line.layout_box or self.line.box
        quad = self.line.quad or corners(self.line.box)
        t, s = (x - frame.x) / max(frame.w, 1), (y - frame.y) / max(frame.h, 1)
        (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = quad
        top = (tlx + t * (trx - tlx), tly + t * (try_ - tly))
        bottom = (blx + t * (brx - blx), bly + t * (bry - bly))
        return top[0] + s * (bottom[0] - top[0]), top[1] + s * (bottom[1] - top[1])

    def quad(self, start: float, end: float, grow: float = 0.0) -> Quad:
        """Image corners of the part of the strip between layout x `start` and `end`, `grow` rows taller."""
        frame = self.line.layout_box or self.line.box
        top, bottom = frame.y - grow * frame.h, frame.y + (1 + grow) * frame.h
        return (self.point(start, top), self.point(end, top), self.point(end, bottom), self.point(start, bottom))

    def text_line(self, found: StripText, image_size: tuple[int, int]) -> TextLine:
        """What the engine found in the strip as a line of the card, in the image and the layout frame."""
        start = self.start + found.start * (self.end - self.start)
        end = self.start + found.end * (self.end - self.start)
        quad = self.quad(start, end)
        layout = None
        if self.line.layout_box is not None:
            frame = self.line.layout_box
            layout = Box(round(start), frame.y, max(1, round(end - start)), frame.h)
        return TextLine(found.text, found.confidence, image_box(np.asarray(quad), *image_size), layout_box=layout,
                        quad=quad if self.line.quad else ())


def corners(box: Box) -> Quad:
    return ((box.x, box.y), (box.x + box.w, box.y), (box.x + box.w, box.y + box.h), (box.x, box.y + box.h))


def missing(names: Iterable[str], spec: DocumentSpec, read: ReadFields) -> bool:
    """Whether a field a label feeds (either end of a date range) is missing from what was read."""
    ranges = {field.name for field in spec.fields if field.value_type == "date_range"}
    wanted = [end for name in names for end in (RANGE_ENDS if name in ranges else (name,))]
    return any(read.fields.get(name) is None or read.fields[name].value is None for name in wanted)


def lost(before: ReadFields, after: ReadFields) -> bool:
    """Whether a field read before is missing after."""
    return any(reading.value is not None and (after.fields.get(name) is None or after.fields[name].value is None)
               for name, reading in before.fields.items())


def bare_label_strips(lines: Sequence[TextLine], spec: DocumentSpec, read: ReadFields) -> list[Strip]:
    """A strip beside each bare label — one with a field missing from what was read — from the
    label's own line to the next label on the row, or to the right edge of the print.

    A label with nothing beside it gets one; so does one whose value, read but unreadable, lies on
    lines of its own between the label and the next (a date with a digit lost): a good reading in the
    strip takes those lines' place. A value sharing the label's line, or read below it, is left."""
    rows, hits = labelled_rows(lines, spec)
    if not rows:
        return []
    right_edge = max(row.box.x + row.box.w for row in rows)
    strips = []
    for hit in hits:
        if not missing(hit.fields, spec, read):
            continue
        row = rows[hit.row]
        following = min((h.start for h in hits if h.row == hit.row and h.start >= hit.end), default=len(row.glyphs))
        strip = strip_beside(hit, row, following, right_edge)
        replaces = lines_replaced(label_value(hit, rows, hits), hit, row, following)
        if strip is not None and replaces is not None:
            strips.append(replace(strip, replaces=replaces))
    return strips


def strip_beside(hit: LabelHit, row: Row, following: int, right_edge: float) -> Strip | None:
    """The strip right of a label: it starts after the label's own line (a colon or debris read with
    it), and stops at the next label on the row (at glyph `following`), or at the print's right edge;
    None if narrower than MIN_STRIP_WIDTH rows."""
    line = row.glyphs[hit.end - 1].line
    label_box = glyph_box([g for g in row.glyphs[hit.start:following] if g.line is line])
    end = row.glyphs[following].box.x if following < len(row.glyphs) else right_edge
    start = label_box.x + label_box.w
    if end - start < MIN_STRIP_WIDTH * label_box.h:
        return None
    return Strip(hit.fields, line, start, end)


def lines_replaced(value: Sequence[Glyph], hit: LabelHit, row: Row, following: int) -> tuple[TextLine, ...] | None:
    """The lines an unreadable value was read from, which a second look's reading replaces: lines
    wholly on the label's row between it and the next label (glyph `following`), not the label's own.
    None when the value lies elsewhere; nothing to replace when there is no value."""
    lines = list({id(g.line): g.line for g in value}.values())
    outside = [*row.glyphs[:hit.end], *row.glyphs[following:]]
    for line in lines:
        if any(g.line is line for g in outside) or not any(g.line is line for g in row.glyphs[hit.end:following]):
            return None
    return tuple(lines)


def second_look(engine: OcrEngine, image: Image.Image, lines: Sequence[TextLine], spec: DocumentSpec,
                read: ReadFields) -> tuple[list[TextLine], list[TextLine]]:
    """Lines found beside bare labels, and the lines they replace (none where every label has a value)."""
    strips = bare_label_strips(lines, spec, read)
    if not strips:
        return [], []
    found = engine.read_strips(image, [strip.quad(strip.start, strip.end, STRIP_GROW) for strip in strips])
    looked = [(strip, texts) for strip, texts in zip(strips, found, strict=True) if texts]
    return ([strip.text_line(text, image.size) for strip, texts in looked for text in texts],
            [line for strip, _ in looked for line in strip.replaces])


def read_card(engine: OcrEngine, image: Image.Image,
              specs: Sequence[DocumentSpec]) -> tuple[list[TextLine], ReadFields]:
    """The card's lines and fields, with a second look beside labels read without a value."""
    lines = engine.read(image)
    read = read_fields(lines, specs)
    spec = next((s for s in specs if s.scheme == read.scheme), None)
    if spec is None:
        return lines, read
    found, replaced = second_look(engine, image, lines, spec, read)
    if not found:
        return lines, read
    looked = [*(line for line in lines if not any(line is old for old in replaced)), *found]
    read_again = read_fields(looked, specs)
    if lost(read, read_again):  # a second look never loses a value the first reading had
        return lines, read
    return looked, read_again
