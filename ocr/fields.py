"""Stage 4: text lines → which kind of card, and its fields, by title and label anchors.

Nothing here knows a particular kind: titles, labels, value types and vocabularies all come from
the `DocumentSpec`s passed in, so a new kind file is read without code changes.

Layout model: lines are merged into visual rows (a label and its value may come back as separate
lines when far apart). Labels are found in a row's text with whitespace ignored ("姓　名" = "姓名"),
but only where a label can start (row start, after a gap or a separator), so a label word inside a
value ("其他工种类别") does not cut it. A value is what follows its label on the row up to the next
label; when nothing follows, the value is in the next row down, inside the label's column (stacked
"label over value" and table layouts).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from difflib import SequenceMatcher
from itertools import combinations, product

from ocr.lookalikes import look_alike, printed_alike
from ocr.normalise import (
    DIGIT_LOOKALIKES,
    add_years,
    date_spans,
    id_check_digit_ok,
    impossible_dates,
    normalise_code,
    normalise_sex,
    normalise_text,
    range_ends,
    to_half_width,
)
from ocr.places import fix_authority, one_edit_apart
from ocr.types import Box, DocumentSpec, FieldReading, FieldSpec, ReadFields, TextLine

CLASSIFY_THRESHOLD = 0.75
"""Minimum title similarity to call a kind; below it the card is unrecognised, not guessed."""
SNAP_THRESHOLD = 0.75
"""Minimum similarity to replace a category/item reading by the vocabulary term it resembles (one
wrong character in a four-character term)."""
SNAP_MARGIN = 0.05
"""How much closer the chosen term must be than the next one; catalogues hold near-twins such as
氧化工艺作业/过氧化工艺作业 (similarity 0.92), where a noisy reading must not pick one at random."""
PREFIX_QUALITY = 0.9
"""Snap quality of a reading that is a whole term followed by debris."""
SPECKED_LABEL_QUALITY = 0.95
"""Match quality of a label with a stray separator inside it."""
FUZZY_LABEL_MIN_LENGTH = 4
"""Labels this long may match with one wrong character (发证机天 for 发证机关); shorter ones must be exact."""
MID_LINE_LABEL_MIN_LENGTH = 4
"""A label run on after a value without a gap or colon must be this long to count (see `run_on_label_at`)."""
TALL_LINE_FACTOR = 2.5
"""A line this many times taller than the median line is a picture read as text, not a text line."""
SHORT_LINE_FACTOR = 0.35
"""A line flatter than this fraction of the median line is a rule or an edge read as text."""
JUNK_CONFIDENCE = 0.5
DEBRIS_MAX_LENGTH = 2
"""A separate piece of text of at most DEBRIS_MAX_LENGTH characters at either end of a value, read
with less confidence than JUNK_CONFIDENCE, is debris (a seal or portrait remnant beside the value)."""
BELOW_ROW_GAP = 2.5
"""How far below a label (in label heights) its value may sit when nothing follows it on the row."""
IMPRINT_MARK = "监制"
"""How the card's imprint ends ("住房和城乡建设部监制": made under the ministry's supervision), or
read one character off ("惠制"): print of the card stock, never a holder's value, though it sits
below the last label."""
ID_CHECKSUM_CONFIDENCE = 0.9
"""Confidence floor for an 18-character ID whose GB 11643 check digit holds: any single misread
character breaks MOD 11-2, so a reading that passes is very likely exact."""
AMBIGUOUS_ID_QUALITY = 0.6
"""Quality of an ID reading whose lookalike characters admit several checksum-valid readings."""
EXTRA_DATES_QUALITY = 0.7
"""Quality of a date field whose text holds more than one date (the first one is taken)."""
SPLIT_DATE_QUALITY = 0.6
"""Quality of a date with a visible gap inside it, where a character was probably lost."""
SURE_CHARACTER = 0.85
"""Engine confidence above which a character that differs from a vocabulary term was printed so."""

SPAN_QUALITY = 0.8
"""A validity end told by the other end and the kind's span (`ends_from_span`), as a share of the
other end's confidence."""
UNLABELLED_QUALITY = 0.8
"""A value found by its form alone on a row without a label counts as read under a label matched this
well (`read_by_form`)."""
FORM_TYPES = ("sex", "code")
"""Value types whose form can name their field without a label."""
MIN_TERM_LENGTH = 3
"""Catalogue terms shorter than this (item codes such as Q2) name no field by their form alone."""
MAX_TERM_DEBRIS = 4
"""Characters of a misread label that may precede a catalogue term found without its label."""
MAX_LABEL_FRAGMENT = 3
"""A row without a label may start with this many characters of one, up to a separator (号:)."""
RANGE_ENDS = ("valid_from", "valid_until")
"""The fields a `date_range` value (有效期 2024年…至2030年…) is read into."""
SEPARATORS = set(":;,|/\\'\"`“”‘’、。．·•-_★☆")
"""Characters between a label and its value, or OCR debris around a value (a seal's star); never
part of one."""
_ID_SHAPE = re.compile(r"[A-Z]?[0-9A-Za-z|!]{17}[0-9Xx×Kk]")
# Characters read for ID digits; a letter in an ID is always a misread, so each reading is tried.
ID_LOOKALIKES = {
    "O": "0", "o": "0", "D": "0", "Q": "09", "U": "0", "I": "1", "l": "1", "i": "1", "|": "1", "!": "1",
    "L": "1", "Z": "27", "z": "27", "S": "5", "s": "5", "B": "83", "G": "6", "b": "6", "q": "9", "g": "9",
    "A": "4", "T": "7", "J": "1",
}
PRINT_ALIKES = {"0": "O", "1": "I", "8": "B", "5": "S", "2": "Z", "6": "G"}
"""Digits and the letters printed alike in the sans-serif faces cards use. Where a code's structure
(`FieldSpec.pattern`) wants a letter, a digit read there is re-read as its letter. Never the other
way: a letter where the structure wants a digit is a typing slip a forger leaves, for the rules."""
PATTERN_FIT_QUALITY = 0.9
MIN_NAME_CHARS = 2
"""A person's name has a family name and a given name: one character read is a name not fully read."""
HEAD_STAND_IN = "中"
"""Any CJK character: put where a code's structure begins with one, to ask whether the rest fits."""
MAX_HEAD_PIECES = 3
"""A CJK character the reader could not read comes out as up to this many Latin letters and digits
(冀 as "J1I"), or as nothing."""
STROKE_READINGS = ("I", "l", "1", "|")
"""What a lone vertical stroke beside a CJK character reads as."""
ID_CHECK_LOOKALIKES = {"x": "X", "×": "X", "K": "X", "k": "X"}
MAX_ID_READINGS = 4  # a wrong reading passes MOD 11-2 one time in 11: more candidates than this and a
# unique pass would no longer single out the printed number


# --- rows of glyphs ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Glyph:
    """One character of a row: its approximate box in the layout frame (for geometry) and in image
    pixels (for evidence), the engine's confidence in it, its line, and whether a gap precedes it."""

    char: str
    box: Box
    image_box: Box
    confidence: float
    line: TextLine
    gap_before: bool


@dataclass(frozen=True)
class Row:
    """Lines at the same height, left to right, as a sequence of glyphs without whitespace."""

    glyphs: tuple[Glyph, ...]
    box: Box

    @property
    def text(self) -> str:
        return "".join(g.char for g in self.glyphs)


def advance(char: str) -> float:
    """A character's width relative to a CJK ideograph: Latin letters and digits are about half."""
    return 0.55 if char.isascii() else 1.0


def slice_box(box: Box, start: float, end: float) -> Box:
    """The part of a line's box between fractions `start` and `end` of its width."""
    return Box(round(box.x + start * box.w), box.y, max(1, round((end - start) * box.w)), box.h)


def slice_quad(line: TextLine, start: float, end: float) -> Box:
    """The image box of the part of a line between fractions `start` and `end` of its text, along the
    line's corners in reading order (`TextLine.quad`): a line photographed upside down or a quarter
    turn round runs right to left or down the image. Clipped to the line's image box."""
    (tlx, tly), (trx, try_), (brx, bry), (blx, bly) = line.quad
    xs = [tlx + (trx - tlx) * t for t in (start, end)] + [blx + (brx - blx) * t for t in (start, end)]
    ys = [tly + (try_ - tly) * t for t in (start, end)] + [bly + (bry - bly) * t for t in (start, end)]
    box = line.box
    x0 = min(max(math.floor(min(xs)), box.x), box.x + box.w - 1)
    y0 = min(max(math.floor(min(ys)), box.y), box.y + box.h - 1)
    x1 = min(max(math.ceil(max(xs)), x0 + 1), box.x + box.w)
    y1 = min(max(math.ceil(max(ys)), y0 + 1), box.y + box.h)
    return Box(int(x0), int(y0), int(x1 - x0), int(y1 - y0))


def line_glyphs(line: TextLine, layout: bool) -> list[Glyph]:
    """A line's characters, half-width, with boxes interpolated along it (engines give line boxes
    only), in the layout frame when `layout` and the line has one, and in the image along the line's
    corners when the engine gives them (`slice_quad`)."""
    frame = line.layout_box if layout and line.layout_box else line.box
    per_char = line.char_confidences if len(line.char_confidences) == len(line.text) else None
    chars = [(char, per_char[i] if per_char else line.confidence, i)
             for i, original in enumerate(line.text) for char in to_half_width(original)]
    total = max(sum(advance(char) for char, _, _ in chars), 1e-9)
    glyphs, position = [], 0.0
    for char, confidence, i in chars:
        start, position = position, position + advance(char) / total
        if not char.isspace():
            gap_before = i == 0 or line.text[i - 1].isspace()
            image_box = slice_quad(line, start, position) if line.quad else slice_box(line.box, start, position)
            glyphs.append(Glyph(char, slice_box(frame, start, position), image_box, confidence, line, gap_before))
    return glyphs


def vertical_overlap(a: Box, b: Box) -> float:
    """Overlap of two boxes' vertical extents as a fraction of the shorter one."""
    overlap = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(overlap, 0) / max(min(a.h, b.h), 1)


def build_rows(lines: Iterable[TextLine]) -> list[Row]:
    """Group lines into rows by vertical overlap, top to bottom; each row reads left to right.

    Geometry is taken from the lines' layout boxes when all have one (rows are level there even
    in a tilted photo). Lines far taller or flatter than text (a portrait read as one huge glyph,
    a ruling line read as "|" or "_") are dropped. A row is anchored on its first line rather than
    growing with each member, so one oversized line cannot pull several rows together.
    """
    kept = [line for line in lines if line.text.strip()]
    layout = bool(kept) and all(line.layout_box is not None for line in kept)
    placed = [(glyph_box(glyphs), glyphs) for line in kept if (glyphs := line_glyphs(line, layout))]
    if not placed:
        return []
    heights = sorted(box.h for box, _ in placed)
    typical = heights[len(heights) // 2]
    groups: list[tuple[Box, list[tuple[Box, list[Glyph]]]]] = []
    for box, glyphs in sorted(placed, key=lambda item: item[0].y + item[0].h / 2):
        if not SHORT_LINE_FACTOR * typical <= box.h <= TALL_LINE_FACTOR * typical:
            continue
        for anchor, members in groups:
            if vertical_overlap(anchor, box) >= 0.5:
                members.append((box, glyphs))
                break
        else:
            groups.append((box, [(box, glyphs)]))
    rows = []
    for _, members in groups:
        ordered = sorted(members, key=lambda item: item[0].x)
        row_glyphs: list[Glyph] = []
        for i, (_, glyphs) in enumerate(ordered):
            following = ordered[i + 1] if i + 1 < len(ordered) else None
            row_glyphs.extend(without_overlap(glyphs, *following) if following else glyphs)
        rows.append(Row(tuple(row_glyphs), glyph_box(row_glyphs)))
    return sorted(rows, key=lambda row: row.box.y)


def without_overlap(glyphs: Sequence[Glyph], next_box: Box, next_glyphs: Sequence[Glyph]) -> list[Glyph]:
    """A line's glyphs less a tail the next line on the row also read.

    Where a detector splits a row into overlapping boxes ("批准日期：2" and "2025-07-27"), the
    character in the overlap is recognised twice. A tail is dropped only when it reaches over the next
    box (by any amount: the glyphs' boxes are estimated from character widths, a narrow colon's
    half-width estimate shifts the last one by several pixels) and spells that box's first
    characters, so touching but distinct text is kept."""
    tail = 0
    while tail < len(glyphs) and glyphs[-1 - tail].box.x + glyphs[-1 - tail].box.w > next_box.x:
        tail += 1
    for size in range(tail, 0, -1):
        if [g.char for g in glyphs[-size:]] == [g.char for g in next_glyphs[:size]]:
            return list(glyphs[:-size])
    return list(glyphs)


# --- classification ------------------------------------------------------------------------------

def compact(text: str) -> str:
    return re.sub(r"\s+", "", to_half_width(text))


def title_similarity(title: str, text: str) -> float:
    """Best similarity of `title` to any window of `text` of about its length (difflib ratio)."""
    title = compact(title)
    if not title or not text:
        return 0.0
    best = 0.0
    for size in range(max(1, len(title) - 2), len(title) + 3):
        for start in range(0, max(len(text) - size, 0) + 1):
            window = text[start:start + size]
            matcher = SequenceMatcher(None, title, window, autojunk=False)
            if matcher.real_quick_ratio() > best and matcher.quick_ratio() > best:
                best = max(best, matcher.ratio())
    return best


def spec_score(spec: DocumentSpec, text: str) -> tuple[float, int]:
    """How well the best of a spec's titles matches, and that title's length (the tie-breaker)."""
    return max(((title_similarity(title, text), len(compact(title))) for title in spec.titles), default=(0.0, 0))


def is_title_line(text: str, spec: DocumentSpec) -> bool:
    """Whether a line of text, as a whole, is the kind's title (a label and value that share words with it,
    "种类：特种设备安全管理作业项目：A", are not). A title is never part of a value, but
    on a tilted photo its tall line shares a row with the first value beside it ("姓名付春永" took the
    title on as the name's continuation)."""
    text = compact(text)
    return any(SequenceMatcher(None, compact(title), text, autojunk=False).ratio() >= CLASSIFY_THRESHOLD
               for title in spec.titles)


def classify(lines: Sequence[TextLine], specs: Iterable[DocumentSpec]) -> tuple[str | None, float]:
    """The scheme whose title the text matches best, with the similarity; None below the threshold.

    Only titles count, so any kind file with its own title is recognised. On equal similarity the
    longer title wins, because matching more characters is stronger evidence.
    """
    text = "".join(row.text for row in build_rows(lines))
    scored = [(spec_score(spec, text), spec.scheme) for spec in specs]
    if not scored:
        return None, 0.0
    (score, _), scheme = max(scored, key=lambda item: (round(item[0][0], 3), item[0][1]))
    return (scheme if score >= CLASSIFY_THRESHOLD else None), round(score, 3)


# --- labels --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelHit:
    """A label found in a row: glyph span [start, end), the fields it feeds, match quality, and the
    label as read."""

    row: int
    start: int
    end: int
    fields: tuple[str, ...]
    quality: float
    text: str

    def box(self, rows: Sequence[Row]) -> Box:
        return glyph_box(rows[self.row].glyphs[self.start:self.end])


def label_table(spec: DocumentSpec) -> dict[str, tuple[str, ...]]:
    """Compact label text → the fields printed under it (one label may feed two fields)."""
    table: dict[str, list[str]] = {}
    for field_spec in spec.fields:
        for label in field_spec.labels:
            names = table.setdefault(compact(label), [])
            if field_spec.name not in names:
                names.append(field_spec.name)
    return {label: tuple(names) for label, names in table.items() if label}


def can_start_label(glyphs: Sequence[Glyph], i: int) -> bool:
    """A label starts a row, follows a visible gap, or follows a separator; never mid-word."""
    return i == 0 or glyphs[i].gap_before or glyphs[i - 1].char in SEPARATORS


def match_label_at(text: str, i: int, table: dict[str, tuple[str, ...]]) -> tuple[str, float, int] | None:
    """(label, quality, characters consumed) at text[i:]: exact (longest first), unless a longer
    label with one wrong character ends at a colon there ("有效期结乘日期:" is 有效期结束日期, not
    有效期 and a value); else with a stray separator or stroke inside it ("有/效期", "有效1期限": a
    speck read as a slash or a 1); else with one wrong character if that is unambiguous."""
    exact = [label for label in table if text.startswith(label, i)]
    if exact:
        label = max(exact, key=len)
        longer = one_wrong_label_at(text, i, table, [other for other in table if len(other) > len(label)
                                                     and text[i + len(other):i + len(other) + 1] == ":"])
        return longer or (label, 1.0, len(label))
    specks = SEPARATORS | set(STROKE_READINGS)
    specked = [label for label in table if len(label) >= 2 and (window := text[i:i + len(label) + 1])
               and len(window) == len(label) + 1
               and any(window[k] in specks and window[:k] + window[k + 1:] == label for k in range(1, len(label)))]
    if specked:
        label = max(specked, key=len)
        return label, SPECKED_LABEL_QUALITY, len(label) + 1
    return one_wrong_label_at(text, i, table, table)


def one_wrong_label_at(text: str, i: int, table: dict[str, tuple[str, ...]],
                       labels: Iterable[str]) -> tuple[str, float, int] | None:
    """(label, quality, characters consumed) for the one of `labels` at least FUZZY_LABEL_MIN_LENGTH
    long that text[i:] spells with one wrong character, when all such labels feed the same fields
    (the longest of them); else None."""
    fuzzy = {}
    for label in labels:
        if len(label) < FUZZY_LABEL_MIN_LENGTH:
            continue
        window = text[i:i + len(label)]
        if len(window) == len(label) and sum(a != b for a, b in zip(window, label, strict=True)) == 1:
            fuzzy[label] = table[label]
    if len(set(fuzzy.values())) != 1:
        return None
    label = max(fuzzy, key=len)
    return label, 1 - 1 / len(label), len(label)


def run_on_label_at(text: str, i: int, table: dict[str, tuple[str, ...]],
                    value_before: bool) -> tuple[str, float, int] | None:
    """(label, quality, characters consumed) for a label printed right after the previous field's
    value with no visible gap, as one engine line ("作业种类：气瓶作业持证项目：P"): accepted when exact
    and either followed by a colon, or at least MID_LINE_LABEL_MIN_LENGTH long, after a value
    (`value_before`) and followed by text, or the sex label after a value and followed by nothing but
    男 or 女 ("姓名汪佳性别女"); or with one wrong character (`one_wrong_label_at`) when that long, after a
    value and followed by a colon ("烟花爆竹安全作业维操项目:…" for 准操项目).

    So a label word ending a value ("…其他工种类别") or a short label inside one is not a label.
    """
    exact = [label for label in table if text.startswith(label, i)]
    if not exact:
        fuzzy = one_wrong_label_at(text, i, table, table)
        if fuzzy is None or not value_before or fuzzy[2] < MID_LINE_LABEL_MIN_LENGTH \
                or text[i + fuzzy[2]:i + fuzzy[2] + 1] != ":":
            return None
        return fuzzy
    label = max(exact, key=len)
    end = i + len(label)
    followed_by_colon = end < len(text) and text[end] == ":"
    run_on_after_value = len(label) >= MID_LINE_LABEL_MIN_LENGTH and value_before and end < len(text)
    sex_after_name = "sex" in table[label] and value_before and text[end:] and normalise_sex(text[end:]) == text[end:]
    return (label, 1.0, len(label)) if followed_by_colon or run_on_after_value or sex_after_name else None


def crosses_into_label(glyphs: Sequence[Glyph], text: str, start: int, end: int,
                       table: dict[str, tuple[str, ...]]) -> bool:
    """Whether text[start:end] runs into a label that starts inside it and ends beyond it: one that
    begins the next engine line, or one followed by a colon (a label nested in it, 证号 in 身份证号,
    is part of it). "锅炉作业" + "项目代号：…" spells 作业项目, which is no
    label there. A letter-spaced label cut into lines ("姓" + "名：张伟") is still one label."""
    for j in range(start + 1, end):
        starting = [label for label in table if text.startswith(label, j) and j + len(label) > end]
        new_line = glyphs[j].line is not glyphs[j - 1].line
        if starting and (new_line or any(text[j + len(label):j + len(label) + 1] == ":" for label in starting)):
            return True
    return False


def find_labels(rows: Sequence[Row], table: dict[str, tuple[str, ...]]) -> list[LabelHit]:
    """All label occurrences, row by row, left to right, without overlaps."""
    hits = []
    for r, row in enumerate(rows):
        text, i, value_before = row.text, 0, False
        while i < len(text):
            if can_start_label(row.glyphs, i):
                found = match_label_at(text, i, table)
            else:
                found = run_on_label_at(text, i, table, value_before)
                if found and any(text[j:i + found[2]] in table for j in range(i + 1, i + found[2])):
                    found = None  # its tail is a label too: the head ends the value ("气瓶作业|项目代号")
            if found is not None and crosses_into_label(row.glyphs, text, i, i + found[2], table):
                found = None
            if found is None:
                # Text after a label that is not a separator: that label has a value.
                value_before = value_before or (any(h.row == r for h in hits) and text[i] not in SEPARATORS)
                i += 1
                continue
            label, quality, length = found
            hits.append(LabelHit(r, i, i + length, table[label], quality, text[i:i + length]))
            i += length
            value_before = False
    return hits


# --- values --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RawValue:
    """The glyphs read as one label's value."""

    glyphs: tuple[Glyph, ...]
    label: LabelHit

    @property
    def text(self) -> str:
        """As read, with a space where the engine saw a gap."""
        return "".join((" " if g.gap_before and i else "") + g.char for i, g in enumerate(self.glyphs))

    @property
    def chars(self) -> str:
        """The characters alone, one per glyph."""
        return "".join(g.char for g in self.glyphs)

    def part(self, start: int, end: int) -> RawValue:
        return RawValue(self.glyphs[start:end], self.label)

    @property
    def engine_confidence(self) -> float:
        """Mean and minimum character confidence, weighted equally: one doubtful character (a
        stroke lost under the seal) makes the value doubtful, while a low score shared with debris
        in the same engine word does not sink an otherwise clean value."""
        scores = [g.confidence for g in self.glyphs]
        return (sum(scores) / len(scores) + min(scores)) / 2

    @property
    def box(self) -> Box:
        """Where the value is in image pixels (the evidence box)."""
        return glyph_box(self.glyphs, image=True)


def glyph_box(glyphs: Sequence[Glyph], image: bool = False) -> Box:
    """The union of the glyphs' layout boxes, or of their image boxes when `image`."""
    boxes = [g.image_box if image else g.box for g in glyphs]
    box = boxes[0]
    for other in boxes[1:]:
        box = box.union(other)
    return box


def trim(glyphs: Sequence[Glyph]) -> tuple[Glyph, ...]:
    """Drop separators and quotes around a value (the colon after a label, ruling-line debris)."""
    start, end = 0, len(glyphs)
    while start < end and glyphs[start].char in SEPARATORS:
        start += 1
    while end > start and glyphs[end - 1].char in SEPARATORS:
        end -= 1
    return tuple(glyphs[start:end])


def drop_debris(glyphs: Sequence[Glyph]) -> tuple[Glyph, ...]:
    """Remove short low-confidence pieces (runs from another engine line) at either end of a value.

    A longer doubtful piece is kept: it is more likely the rest of the value read badly, and
    dropping it would leave a confident but truncated value."""
    runs: list[list[Glyph]] = []
    for glyph in glyphs:
        if runs and runs[-1][0].line is glyph.line:
            runs[-1].append(glyph)
        else:
            runs.append([glyph])
    def debris(run: list[Glyph]) -> bool:
        return len(run) <= DEBRIS_MAX_LENGTH and run[0].line.confidence < JUNK_CONFIDENCE

    while len(runs) > 1 and debris(runs[-1]):
        runs.pop()
    while len(runs) > 1 and debris(runs[0]):
        runs.pop(0)
    return trim([g for run in runs for g in run])


def clean_value(glyphs: Sequence[Glyph]) -> tuple[Glyph, ...]:
    return drop_debris(trim(glyphs))


def value_right_of(hit: LabelHit, rows: Sequence[Row], hits_in_row: Sequence[LabelHit]) -> tuple[Glyph, ...]:
    """Glyphs after the label on its row, up to the next label."""
    following = [h.start for h in hits_in_row if h.start >= hit.end]
    return clean_value(rows[hit.row].glyphs[hit.end:min(following, default=len(rows[hit.row].glyphs))])


def column_of(hit: LabelHit, rows: Sequence[Row], hits_in_row: Sequence[LabelHit]) -> tuple[float, float]:
    """The x-range a value under this label may occupy: from the label's left edge (with a margin
    for centred values) to halfway towards the next label on the row."""
    box = hit.box(rows)
    left = box.x - 1.5 * box.h
    right = float("inf")
    for other in hits_in_row:
        other_box = other.box(rows)
        if other.start >= hit.end:
            right = min(right, (box.x + box.w + other_box.x) / 2)
        elif other.end <= hit.start:
            left = max(left, (other_box.x + other_box.w + box.x) / 2)
    return left, right


def centre_x(box: Box) -> float:
    return box.x + box.w / 2


def is_imprint(text: str) -> bool:
    tail = text[-len(IMPRINT_MARK):]
    return len(text) > len(IMPRINT_MARK) and (tail == IMPRINT_MARK or one_edit_apart(tail, IMPRINT_MARK))


def value_below(hit: LabelHit, rows: Sequence[Row], hits: Sequence[LabelHit]) -> tuple[Glyph, ...]:
    """Glyphs in the label's column on the nearest row below, up to any label there.

    Text under the column that follows a label of its own row is that label's value, and a label
    directly below means this one's value is not below: both end the search.
    """
    box = hit.box(rows)
    left, right = column_of(hit, rows, [h for h in hits if h.row == hit.row])
    for r in range(hit.row + 1, len(rows)):
        if rows[r].box.y - (box.y + box.h) > BELOW_ROW_GAP * box.h:
            return ()
        row_hits = [h for h in hits if h.row == r]
        picked: list[Glyph] = []
        for i, glyph in enumerate(rows[r].glyphs):
            if not left <= centre_x(glyph.box) < right:
                continue
            if any(h.start <= i for h in row_hits):
                break
            picked.append(glyph)
        if not picked and any(left <= centre_x(h.box(rows)) < right for h in row_hits):
            return ()
        value = clean_value(picked)
        if is_imprint("".join(g.char for g in value)):
            return ()
        if value:
            return value
    return ()


def label_value(hit: LabelHit, rows: Sequence[Row], hits: Sequence[LabelHit]) -> tuple[Glyph, ...]:
    """The glyphs read as one label's value: beside it, or under it when nothing but debris is beside."""
    glyphs = value_right_of(hit, rows, [h for h in hits if h.row == hit.row])
    if all(g.confidence < JUNK_CONFIDENCE for g in glyphs):
        glyphs = value_below(hit, rows, hits) or glyphs
    return glyphs


def raw_values(rows: Sequence[Row], hits: Sequence[LabelHit]) -> dict[str, list[RawValue]]:
    """Each field's candidate values, in reading order, from every occurrence of its labels."""
    candidates: dict[str, list[RawValue]] = {}
    for hit in hits:
        glyphs = label_value(hit, rows, hits)
        if glyphs:
            for name in hit.fields:
                candidates.setdefault(name, []).append(RawValue(glyphs, hit))
    return candidates


# --- typed values --------------------------------------------------------------------------------

def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def snap_score(term: str, value: str) -> float:
    """Similarity of a reading to a term; a reading that starts with the whole term (debris after
    it, such as an unrecognised neighbouring label) counts as PREFIX_QUALITY."""
    score = similarity(term, value)
    if len(value) > len(term) and value.startswith(term):
        score = max(score, PREFIX_QUALITY)
    return score


def surely_printed(term: str, value: str, confidences: Sequence[float] | None) -> bool:
    """Whether the engine was sure of a character where the reading differs from `term`.

    Then the difference is on the card, not a misreading: a forged category one character off a
    real one ("高空作业" for 高处作业) must stay as printed. Debris after a whole term is exempt, and
    so is a symbol no catalogue name prints (矿#下 for 矿井下: a character's strokes read as "#"), and
    a character in place of one it prints alike (加氧 for 加氢, 矿并下 for 矿井下: `ocr.lookalikes`),
    which the recogniser swaps with confidence.
    """
    if confidences is None or value.startswith(term):
        return False
    opcodes = SequenceMatcher(None, value, term, autojunk=False).get_opcodes()
    return any(confidences[i] >= SURE_CHARACTER and not stray_symbol(value[i])
               and not (i2 - i1 == j2 - j1 and look_alike(value[i], term[j1 + i - i1]))
               for tag, i1, i2, j1, j2 in opcodes if tag in ("replace", "delete") for i in range(i1, i2))


def stray_symbol(char: str) -> bool:
    """An ASCII mark that is neither letter, digit nor bracket: never print of a catalogue name."""
    return char.isascii() and not char.isalnum() and char not in "()[]"


def snap(value: str, vocabulary: Sequence[str], confidences: Sequence[float] | None = None,
         threshold: float = SNAP_THRESHOLD) -> tuple[str, float]:
    """(term, similarity) for the vocabulary term the reading resembles, if similar enough (from
    `threshold` up), clearly closer than any other term (or, among terms as close, the only one a
    character printed alike away: 加氧 is 加氢, not 氧化), and not surely printed differently; else
    (value as read, 1.0). `confidences`, when given, holds the engine's confidence in each character of
    `value`."""
    ranked = sorted(((snap_score(term, value), term) for term in set(vocabulary)), reverse=True)
    if not ranked:
        return value, 1.0
    best, term = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    if best >= threshold and best - runner_up < SNAP_MARGIN:
        # Terms as close as each other: the one a character printed alike away is the one misread.
        alike = [(score, t) for score, t in ranked if best - score < SNAP_MARGIN and printed_alike(value, t)]
        if len(alike) == 1:
            (best, term), runner_up = alike[0], 0.0
    if best >= threshold and best - runner_up >= SNAP_MARGIN and not surely_printed(term, value, confidences):
        return term, best
    return value, 1.0


def lookalike_term(code: str, vocabulary: Sequence[str]) -> str | None:
    """The one vocabulary code that `code` is, read with print-alike letters where the term has digits
    (NI for the item code N1); None when it is a term already, or none or several are."""
    if code in vocabulary:
        return None
    found = {term for term in vocabulary if len(term) == len(code) and all(
        read == printed or (printed.isdigit() and DIGIT_LOOKALIKES.get(read) == printed)
        for read, printed in zip(code, term, strict=True))}
    return found.pop() if len(found) == 1 else None


def id_readings(code: str) -> list[str]:
    """Every reading of an ID-shaped code with its lookalike letters replaced by digits; none when
    so many characters are doubtful that the check digit could no longer single one out."""
    prefix = code[0] if len(code) == 19 else ""
    body = code[len(prefix):]
    options = [ID_LOOKALIKES.get(char, char) for char in body[:-1]]
    options.append(ID_CHECK_LOOKALIKES.get(body[-1], ID_LOOKALIKES.get(body[-1], body[-1])))
    if math.prod(len(option) for option in options) > MAX_ID_READINGS:
        return []
    return [prefix + "".join(combo) for combo in product(*options)]


def strip_debris(code: str) -> str:
    """An over-long ID-like reading without trailing characters that cannot end an ID (a seal
    stroke read as 息, an edge read as L) and without leading punctuation."""
    while len(code) > 19 and code[-1] not in "0123456789Xx×":
        code = code[:-1]
    return code.lstrip("".join(SEPARATORS))


def resolve_code(raw: str) -> tuple[str, float, bool]:
    """(value, quality, checksum_holds) for a code. An 18-character ID (optionally after a letter
    prefix such as 证号's "T") is chosen among its lookalike readings by its GB 11643 check digit.

    Only letters are re-read: swapping one digit for another would always find some valid number,
    and would hide the wrong check digit a forger left. Debris after the ID is dropped only when
    what remains has a valid check digit.
    """
    value = normalise_code(raw)
    shaped = re.sub(r"\s+", "", to_half_width(raw)).strip("".join(SEPARATORS))
    core = strip_debris(shaped)
    if not _ID_SHAPE.fullmatch(core):
        return value, 1.0, False
    valid = [r for r in id_readings(core) if id_check_digit_ok(r[-18:])]
    if len(valid) == 1:
        return valid[0], 1.0, True
    if len(valid) > 1:
        return value, AMBIGUOUS_ID_QUALITY, False
    return value, 1.0, False


def fit_pattern(value: str, pattern: re.Pattern[str], printed: str | None = None,
                label: str = "") -> tuple[str, float]:
    """(value, quality) of a code that should fully match `pattern`: when it does not, but the code
    as `printed` (before digit lookalikes were repaired) does, that; or when reading one or two digits
    as their print-alike letters (0→O, 1→I, …) makes exactly one reading fit, that reading at
    PATTERN_FIT_QUALITY; or when the code starts with its `label`'s last character and fits without
    it — that character read twice where the detector's boxes overlap ("证号：号鄂F09…", the left half
    of 鄂 read as 号) — the rest at PATTERN_FIT_QUALITY; or when the structure begins with a CJK
    character (a province) that was read as Latin pieces or lost, and the rest fits, the value at
    quality 0: unreadable, a retake, as no forger types a Latin letter for the province; otherwise the
    value as read at full quality, for the rules to judge (a forger's malformed number must stay
    malformed).

    The printed code comes first because the repair takes a letter between a CJK character and a
    digit for a digit: the city letter D of 苏D10… became 0, which the print-alike step made O."""
    if not value or pattern.fullmatch(value):
        return value, 1.0
    if printed and pattern.fullmatch(printed):
        return printed, 1.0
    doubtful = [i for i, char in enumerate(value) if char in PRINT_ALIKES]
    for count in (1, 2):
        fits = set()
        for positions in combinations(doubtful, count):
            chars = list(value)
            for i in positions:
                chars[i] = PRINT_ALIKES[chars[i]]
            if pattern.fullmatch(candidate := "".join(chars)):
                fits.add(candidate)
        if fits:
            return (fits.pop(), PATTERN_FIT_QUALITY) if len(fits) == 1 else (value, 1.0)
    if label and value.startswith(label[-1]) and pattern.fullmatch(value[1:]):
        return value[1:], PATTERN_FIT_QUALITY
    if head_unread(value, pattern):
        return value, 0.0
    return value, 1.0


def head_unread(value: str, pattern: re.Pattern[str]) -> bool:
    """Whether `value` fits `pattern` once its first few Latin letters and digits, or none, stand for
    the one CJK character the structure begins with, or once a stroke read after that character
    (川 as "川I": its last stroke read again as a letter) is left out."""
    return any(pattern.fullmatch(HEAD_STAND_IN + rest) for rest in rests_after_lost_head(value)) \
        or (not value[:1].isascii() and (rest := rest_after_stroke(value)) is not None
            and pattern.fullmatch(value[:1] + rest) is not None)


def rests_after_lost_head(value: str) -> list[str]:
    """What follows a first character the reader lost: after none, or one to MAX_HEAD_PIECES Latin
    letters and digits it was read as."""
    return [value[pieces:] for pieces in range(MAX_HEAD_PIECES + 1)
            if not value[:pieces] or (value[:pieces].isascii() and value[:pieces].isalnum())]


def rest_after_stroke(value: str) -> str | None:
    """What follows the first character and a stroke of it read again as a letter (川I), if one is there."""
    return value[2:] if value[1:2] in STROKE_READINGS else None


def head_from_authority(value: str, field_spec: FieldSpec, authority: str | None) -> str | None:
    """The code with the province character it begins with taken from the issuing authority, where the
    reader lost it (read as Latin pieces, or dropped) or read it with its own last stroke again (川 as
    "川I"): the one character of `field_spec.heads` whose province the authority names. None when the
    authority names no such province or two (贵州: 贵 and 黔), or the rest does not fit."""
    heads = [head for head, province in field_spec.heads if authority and authority.startswith(province)]
    if len(heads) != 1 or field_spec.pattern is None:
        return None
    head = heads[0]
    rests = rests_after_lost_head(value)
    if value[:1] == head and (stroke := rest_after_stroke(value)) is not None:
        rests.append(stroke)
    return next((head + rest for rest in rests if field_spec.pattern.fullmatch(head + rest)), None)


@dataclass(frozen=True)
class Typed:
    """A normalised value, how well the text fitted its type, whether a check digit corroborates it,
    and the glyph span it came from when only part of the raw value was used."""

    value: str | None
    quality: float
    corroborated: bool = False
    span: tuple[int, int] | None = None


def date_quality(glyphs: Sequence[Glyph]) -> float:
    """SPLIT_DATE_QUALITY when a date's characters have a visible gap inside them: a character was
    lost there ("2025年1 月" for 11月), so the date that still parses is doubtful."""
    return SPLIT_DATE_QUALITY if any(g.gap_before for g in glyphs[1:]) else 1.0


def typed_date(candidate: RawValue) -> Typed:
    """The first date in the value, judged on its own characters."""
    spans = date_spans(candidate.chars)
    if not spans:
        return Typed(None, 0.0)
    iso, start, end = spans[0]
    quality = (1.0 if len(spans) == 1 else EXTRA_DATES_QUALITY) * date_quality(candidate.glyphs[start:end])
    return Typed(iso, quality, span=(start, end))


def typed_value(candidate: RawValue, field_spec: FieldSpec, vocabulary: Sequence[str],
                authority: str | None = None) -> Typed:
    """Normalise one raw value by its field's type; None when it does not have the type's shape.
    `authority`: the issuing authority as read, for a code whose province character was lost."""
    kind, raw = field_spec.value_type, candidate.text
    if kind == "date":
        return typed_date(candidate)
    if kind == "sex":
        sex = normalise_sex(raw)
        return Typed(sex, 1.0 if sex else 0.0)
    if kind == "code":
        value, quality, checksum = resolve_code(raw)
        if field_spec.pattern and not checksum:
            value, fit_quality = fit_pattern(value, field_spec.pattern, normalise_code(raw, repair_lookalikes=False),
                                             candidate.label.text)
            if not fit_quality and (headed := head_from_authority(value, field_spec, authority)) is not None:
                value, fit_quality = headed, PATTERN_FIT_QUALITY
            quality *= fit_quality
        if vocabulary and value and (term := lookalike_term(value, vocabulary)) is not None:
            value, quality = term, quality * PATTERN_FIT_QUALITY
        elif vocabulary and value:
            value, snap_quality = snap(value, vocabulary)
            quality *= snap_quality
        return Typed(value or None, quality, checksum)
    text = normalise_text(raw)
    if field_spec.agencies and text:
        text, quality = fix_authority(text, field_spec.agencies)
        return Typed(text, quality)
    if vocabulary and text:
        confidences = [g.confidence for g in candidate.glyphs] if text == candidate.chars else None
        text, quality = snap(text, vocabulary, confidences)
        return Typed(text, quality)
    if kind == "name" and len(text) < MIN_NAME_CHARS:
        return Typed(text or None, 0.0)
    return Typed(text or None, 1.0 if text else 0.0)


def reading_for(candidate: RawValue, field_spec: FieldSpec, vocabulary: Sequence[str],
                authority: str | None = None) -> FieldReading:
    """A FieldReading whose confidence is engine confidence × label match × value quality."""
    typed = typed_value(candidate, field_spec, vocabulary, authority)
    source = candidate.part(*typed.span) if typed.span else candidate
    confidence = source.engine_confidence * candidate.label.quality * typed.quality
    if typed.corroborated:
        confidence = max(confidence, ID_CHECKSUM_CONFIDENCE * candidate.label.quality)
    return FieldReading(typed.value, candidate.text, round(confidence, 4), source.box)


def range_readings(candidate: RawValue) -> dict[str, FieldReading]:
    """valid_from and valid_until from one printed range, each with the confidence and box of its
    own characters. An end that could not be read is None with confidence 0 and keeps the raw
    text for the reviewer."""
    readings = {}
    for name, span in zip(RANGE_ENDS, range_ends(candidate.chars), strict=True):
        if span is None:
            readings[name] = FieldReading(None, candidate.text, 0.0, candidate.box)
            continue
        iso, start, end = span
        part = candidate.part(start, end)
        confidence = part.engine_confidence * candidate.label.quality * date_quality(part.glyphs)
        readings[name] = FieldReading(iso, candidate.text, round(confidence, 4), part.box)
    return readings


def best_reading(readings: Iterable[FieldReading]) -> FieldReading | None:
    """Prefer a reading with a value, then the more confident one; ties keep the earlier."""
    best = None
    for reading in readings:
        if best is None or (reading.value is not None, reading.confidence) > (best.value is not None, best.confidence):
            best = reading
    return best


def unlabelled_values(rows: Sequence[Row], hits: Sequence[LabelHit]) -> list[tuple[Glyph, ...]]:
    """The text of each row where no label was found, less a leading fragment of a label that ends
    in a separator (号: when 证号 lost its first character)."""
    values = []
    for r, row in enumerate(rows):
        if any(h.row == r for h in hits):
            continue
        ends = [i for i, g in enumerate(row.glyphs[:MAX_LABEL_FRAGMENT + 1]) if g.char in SEPARATORS]
        value = clean_value(row.glyphs[ends[-1] + 1:] if ends else row.glyphs)
        if value:
            values.append(value)
    return values


def ending_term(glyphs: tuple[Glyph, ...], vocabulary: Sequence[str]) -> tuple[Glyph, ...] | None:
    """The glyphs of the longest vocabulary term (of MIN_TERM_LENGTH characters or more) that ends
    the row, when at most a label's debris (MAX_TERM_DEBRIS characters) precedes it: 工人利种建筑电工
    is 建筑电工, its label 工种 printed wide apart and misread."""
    chars = "".join(g.char for g in glyphs)
    terms = [t for t in vocabulary if len(t) >= MIN_TERM_LENGTH and chars.endswith(t)]
    term = max(terms, key=len, default=None)
    if term is None or len(chars) - len(term) > MAX_TERM_DEBRIS:
        return None
    return glyphs[len(chars) - len(term):]


def by_form(glyphs: tuple[Glyph, ...], field_spec: FieldSpec, vocabulary: Sequence[str]) -> FieldReading | None:
    """A reading of a value found without its label, when its form alone names the field: a lone 男 or
    女, an ID number its check digit corroborates, a code that fits its kind's pattern as printed, or a
    whole catalogue term ending the row."""
    if field_spec.value_type == "text":
        term = ending_term(glyphs, vocabulary)
        if term is None:
            return None
        glyphs = term
    candidate = RawValue(glyphs, LabelHit(-1, 0, 0, (field_spec.name,), UNLABELLED_QUALITY, ""))
    if field_spec.value_type == "sex" and len(glyphs) != 1:
        return None
    typed = typed_value(candidate, field_spec, vocabulary)
    if typed.value is None:
        return None
    if field_spec.value_type == "code" and not typed.corroborated and not (
            field_spec.pattern and typed.quality >= 1.0 and field_spec.pattern.fullmatch(typed.value)):
        return None
    return reading_for(candidate, field_spec, vocabulary)


def read_by_form(rows: Sequence[Row], hits: Sequence[LabelHit], spec: DocumentSpec,
                 found: dict[str, FieldReading]) -> dict[str, FieldReading]:
    """Fields no label gave, read from rows without a label where exactly one value has the form of
    exactly one such field (a 性别 label lost, 男 left on its row). Of catalogue terms nested in one
    another (电工作业 ends 低压电工作业) the longest names the field."""
    wanted = [f for f in spec.fields if f.name not in found
              and (f.value_type in FORM_TYPES or (f.value_type == "text" and spec.vocabulary.get(f.name)))]
    readings: dict[str, list[FieldReading]] = {}
    for value in unlabelled_values(rows, hits):
        fitting = {f.name: reading for f in wanted
                   if (reading := by_form(value, f, spec.vocabulary.get(f.name, ()))) is not None}
        longest = max((len(reading.raw or "") for reading in fitting.values()), default=0)
        fitting = {name: reading for name, reading in fitting.items() if len(reading.raw or "") == longest}
        if len(fitting) == 1:
            [(name, reading)] = fitting.items()
            readings.setdefault(name, []).append(reading)
    return {name: only for name, (only, *others) in readings.items() if not others}


def authority_read(spec: DocumentSpec, found: dict[str, list[FieldReading]]) -> str | None:
    """The issuing authority as best read so far (the field whose spec names agencies)."""
    for field_spec in spec.fields:
        if field_spec.agencies and (best := best_reading(found.get(field_spec.name, []))) is not None:
            return best.value
    return None


def labelled_rows(lines: Sequence[TextLine], spec: DocumentSpec) -> tuple[list[Row], list[LabelHit]]:
    """The rows values are read from (every line but the title's) and the labels found in them."""
    rows = build_rows([line for line in lines if not is_title_line(line.text, spec)])
    return rows, find_labels(rows, label_table(spec))


def ends_from_span(fields: dict[str, FieldReading], years: int) -> dict[str, FieldReading]:
    """A validity end read as no calendar day (2026-69-07, 2028-02-41: a digit misread) that is one
    digit from the only day the other end and the kind's span allow — `years` on, or a day less —
    is that day, at SPAN_QUALITY of the other end's confidence: the span corroborates it as the check
    digit does an ID number. Only an impossible day is told: a card whose span was altered prints a
    real one, which is read as printed and judged."""
    start, end = RANGE_ENDS
    told = {}
    for known, unread, direction in ((start, end, 1), (end, start, -1)):
        other, reading = fields.get(known), fields.get(unread)
        if other is None or other.value is None or reading is None or reading.value is not None or not reading.raw:
            continue
        day = add_years(date.fromisoformat(other.value), direction * years)
        allowed = {day.isoformat(), (day - direction * timedelta(days=1)).isoformat()}
        near = {iso for iso in allowed for read in impossible_dates(reading.raw) if one_edit_apart(read, iso)}
        if len(near) == 1:
            told[unread] = FieldReading(near.pop(), reading.raw, round(other.confidence * SPAN_QUALITY, 4), reading.box)
    return told


def extract_fields(lines: Sequence[TextLine], spec: DocumentSpec) -> ReadFields:
    """Read every field of `spec` that can be found; fields not found are absent from the result.

    A `date_range` field yields `valid_from` and `valid_until`; where the kind also prints those
    on their own, the more confident reading wins.
    """
    rows = build_rows(lines)
    value_rows, hits = labelled_rows(lines, spec)
    candidates = raw_values(value_rows, hits)
    found: dict[str, list[FieldReading]] = {}
    # Codes that begin with a province's character come last: an unread head is taken from the authority.
    for field_spec in sorted(spec.fields, key=lambda f: bool(f.heads)):
        vocabulary = spec.vocabulary.get(field_spec.name, ())
        authority = authority_read(spec, found) if field_spec.heads else None
        for candidate in candidates.get(field_spec.name, []):
            if field_spec.value_type == "date_range":
                for name, reading in range_readings(candidate).items():
                    found.setdefault(name, []).append(reading)
            else:
                found.setdefault(field_spec.name, []).append(reading_for(candidate, field_spec, vocabulary, authority))
    fields = {name: best for name, readings in found.items() if (best := best_reading(readings)) is not None}
    fields |= read_by_form(value_rows, hits, spec, fields)
    if spec.validity_years:
        fields |= ends_from_span(fields, spec.validity_years)
    text = "".join(row.text for row in rows)
    score = spec_score(spec, text)[0]
    return ReadFields(spec.scheme, round(score, 3), fields)


def read_fields(lines: Sequence[TextLine], specs: Iterable[DocumentSpec]) -> ReadFields:
    """Classify the card by title, then extract that kind's fields; unrecognised → no fields."""
    specs = list(specs)
    scheme, confidence = classify(lines, specs)
    if scheme is None:
        return ReadFields(None, confidence, {})
    spec = next(s for s in specs if s.scheme == scheme)
    result = extract_fields(lines, spec)
    return ReadFields(scheme, confidence, result.fields)
