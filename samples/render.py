"""Render a certificate face from a kind file and card values.

`design_card` turns a kind and its values into a `Design`: the title, the label/value rows in the
kind's field order (labels picked among the kind's spelling variants, dates in one of the styles seen
on cards), the QR payload and the seal text. `render_design` lays a design out in one of the genuine
`Layout`s with a per-card `Style` (fonts, sizes, spacing, colours) and records where each contract
field's value was printed. Nothing here is specific to one kind: a new kind file renders as it is.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from ocr.normalise import add_years
from ocr.types import Box
from samples import draw
from samples.fonts import Face, font, pick_face
from samples.values import CardValues, shares_label
from verification.kinds import Kind

CARD_SIZE = (1011, 638)  # ID-1 (85.6 × 54 mm) at 300 dpi
PAPER_SIZE = (1240, 874)  # A5 landscape printout of an e-certificate at 150 dpi
DATE_STYLES = ("iso", "cn", "cn_short", "dot")
RANGE_JOINERS = (" 至 ", "至", " 至 ", "  至  ")
TEXT_FIELDS = ("number", "name", "sex", "id_number", "category", "item", "authority")  # printed as they are
SHORT_VALUE_CHARS = 8  # values up to this length may share a line with another short row
MIN_TEXT_FIT = 0.75  # shrink all text at most this much to fit the longest line; longer values shrink alone


@dataclass(frozen=True)
class Row:
    """One printed label/value pair; `spans` maps contract fields to character ranges of `value`."""

    key: str
    label: str
    value: str
    spans: tuple[tuple[str, int, int], ...] = ()


@dataclass(frozen=True)
class Design:
    """What a document says, independent of where and how it is printed."""

    title: str
    rows: tuple[Row, ...]
    seal_text: str
    seal_centre: str = ""
    qr_payload: str | None = None
    qr_damaged: bool = False
    photo: bool = True
    watermark: str = ""
    footer: str = ""


@dataclass(frozen=True)
class Layout:
    """Where the blocks go. Genuine cards use `GENUINE_LAYOUTS`; forgeries may use others."""

    name: str
    title_at: str = "top"  # top | bottom
    photo_side: str = "left"  # left | right
    qr_slot: str = "under_photo"  # under_photo | far_corner
    columns: int = 1  # 2 puts consecutive short rows side by side
    shuffled: bool = False  # rows out of the kind's order


GENUINE_LAYOUTS = tuple(
    Layout(f"title-top/photo-{side}/qr-{slot}/{cols}col", "top", side, slot, cols)
    for side, slot, cols in itertools.product(("left", "right"), ("under_photo", "far_corner"), (1, 2))
)
FORGED_LAYOUT = Layout("title-bottom/shuffled", title_at="bottom", photo_side="right", qr_slot="far_corner",
                       shuffled=True)


@dataclass(frozen=True)
class Style:
    """How a card is printed: form, paper tint, faces, colours and label typography."""

    form: str  # card | paper
    tint: draw.RGB
    title_face: Face
    label_face: Face
    value_face: Face
    title_color: draw.RGB
    label_color: draw.RGB
    value_color: draw.RGB
    label_gap: str  # inserted between the characters of short labels, or "justify"
    colon: str
    aligned: bool  # values start at one x; otherwise each right after its label
    header_band: draw.RGB | None
    text_scale: float

    @property
    def size(self) -> tuple[int, int]:
        return CARD_SIZE if self.form == "card" else PAPER_SIZE


@dataclass
class RenderedCard:
    """A rendered face plus where things landed, in the pixel coordinates of `image`."""

    image: Image.Image
    field_boxes: dict[str, Box]
    title: str
    layout: Layout
    style: Style
    qr_box: Box | None = None
    row_boxes: dict[str, Box] = field(default_factory=dict)


def pick_style(rng: random.Random) -> Style:
    """A fresh style per card, so no reader can tune itself to one typeface, spacing or colour."""
    label_face = pick_face(rng, "label")
    return Style(
        form="card" if rng.random() < 0.75 else "paper",
        tint=rng.choice(draw.PAPER_TINTS),
        title_face=pick_face(rng, "title"),
        label_face=label_face,
        value_face=pick_face(rng, "value") if rng.random() < 0.6 else label_face,
        title_color=rng.choice(((178, 24, 30), (150, 20, 24), (24, 48, 120), (20, 20, 20))),
        label_color=rng.choice(((20, 20, 20), (40, 40, 48), (28, 50, 110))),
        value_color=rng.choice(((10, 10, 10), (25, 25, 25), (20, 20, 40))),
        label_gap=rng.choice(("", "", " ", "\u3000", "justify")),
        colon=rng.choice(("", "：", "：", ":")),
        aligned=rng.random() < 0.7,
        header_band=rng.choice((None, None, None, (30, 90, 60), (26, 60, 130), (160, 30, 35))),
        text_scale=rng.uniform(0.88, 1.08),
    )


def format_date(day: date, style: str) -> str:
    if style == "iso":
        return day.isoformat()
    if style == "cn":
        return f"{day.year}年{day.month:02d}月{day.day:02d}日"
    if style == "cn_short":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day:%Y.%m.%d}"


def design_card(kind: Kind, values: CardValues, rng: random.Random, *, qr_payload: str | None = None,
                qr_damaged: bool = False) -> Design:
    """The rows a card of `kind` prints for `values`, in the kind's field order."""
    fields = kind.data["fields"]
    date_style = rng.choice(DATE_STYLES)
    as_range = "validity" in fields and not ({"valid_from", "valid_until"} <= fields.keys() and rng.random() < 0.3)
    merged_from = shares_label(kind, "first_issued", "valid_from")

    def label_of(*names: str) -> str:
        common = set.intersection(*(set(fields[n]["labels"]) for n in names))
        return rng.choice([label for label in fields[names[0]]["labels"] if label in common])

    def date_row(day: date, *spanned: str) -> Row:
        text = format_date(day, date_style)
        return Row(spanned[0], label_of(*spanned), text, tuple((f, 0, len(text)) for f in spanned))

    rows: list[Row] = []
    for name in fields:
        if name == "validity" and as_range:
            start, end = format_date(values.valid_from, date_style), format_date(values.valid_until, date_style)
            joiner = rng.choice(RANGE_JOINERS)
            text = start + joiner + end
            spans = (("valid_from", 0, len(start)), ("valid_until", len(text) - len(end), len(text)))
            rows.append(Row(name, label_of(name), text, spans))
        elif name == "first_issued":
            spanned = ("first_issued", "valid_from") if merged_from else ("first_issued",)
            rows.append(date_row(values.first_issued, *spanned))
        elif name == "valid_from" and not as_range and not merged_from:
            rows.append(date_row(values.valid_from, "valid_from"))
        elif name == "valid_until" and not as_range:
            rows.append(date_row(values.valid_until, "valid_until"))
        elif name == "review_date" and "review_every_years" in kind.data["validity"] and rng.random() < 0.5:
            due = add_years(values.valid_from, kind.data["validity"]["review_every_years"])
            rows.append(Row(name, label_of(name), format_date(due, date_style)))
        elif name == "archive_number" and rng.random() < 0.7:
            archive = f"TS{rng.randrange(10**12, 10**13)}" if rng.random() < 0.7 else values.number
            rows.append(Row(name, label_of(name), archive))
        elif name in TEXT_FIELDS:
            value = getattr(values, name)
            if value:
                rows.append(Row(name, label_of(name), value, ((name, 0, len(value)),)))
    return Design(
        title=rng.choice(kind.titles), rows=tuple(rows), seal_text=values.authority,
        seal_centre=rng.choice(("", "", "专用章", "证书专用章")), qr_payload=qr_payload, qr_damaged=qr_damaged,
        watermark=_issuer(kind), footer=f"{_issuer(kind)}监制" if rng.random() < 0.4 else "",
    )


def _issuer(kind: Kind) -> str:
    """The national body named on the card (the first of a kind's `agency` alternatives)."""
    return kind.data.get("agency", kind.name).split(" /")[0]


def render_card(kind: Kind, values: CardValues, rng: random.Random, *, qr_payload: str | None = None,
                qr_damaged: bool = False, layout: Layout | None = None, style: Style | None = None) -> RenderedCard:
    """Render one face of a card of `kind` showing `values` (and a QR symbol when a payload is given)."""
    design = design_card(kind, values, rng, qr_payload=qr_payload, qr_damaged=qr_damaged)
    return render_design(design, rng, layout=layout, style=style)


def render_design(design: Design, rng: random.Random, *, layout: Layout | None = None,
                  style: Style | None = None) -> RenderedCard:
    """Lay out and print `design`; returns the image and each contract field's value box."""
    style = style or pick_style(rng)
    layout = layout or rng.choice(GENUINE_LAYOUTS)
    width, height = style.size
    margin = round(width * rng.uniform(0.04, 0.055))
    card = Image.fromarray(draw.security_background(width, height, style.tint, rng))
    if design.watermark:
        draw.watermark(card, design.watermark, style.label_face, draw.tinted(style.tint, 60, rng), rng)
    pen = ImageDraw.Draw(card)
    if style.form == "paper":
        _frame(pen, width, height, margin // 2, draw.tinted(style.tint, 90, rng))
    top, bottom = _print_title(pen, design.title, style, layout, margin, rng)
    if design.footer:
        size = round(height * 0.03)
        pen.text((width / 2, height - margin * 0.45), design.footer, font=font(style.label_face, size),
                 fill=style.label_color, anchor="ms")
        bottom = min(bottom, round(height - margin * 0.45 - size * 1.4))

    photo_w = round(width * rng.uniform(0.16, 0.19)) if design.photo else 0
    photo_h = round(photo_w * rng.uniform(1.25, 1.33))
    photo_x = margin if layout.photo_side == "left" else width - margin - photo_w
    photo_y = top + rng.randint(0, max(0, height // 40))
    if design.photo:
        card.paste(draw.portrait(photo_w, photo_h, rng), (photo_x, photo_y))

    qr_box = None
    if design.qr_payload:
        qr_box = _print_qr(card, design, layout, style, rng, margin, (photo_x, photo_y, photo_w, photo_h), bottom)
    blocks = [b for b in (Box(photo_x, photo_y, photo_w, photo_h) if design.photo else None, qr_box) if b]
    rows = list(design.rows)
    if layout.shuffled:
        rng.shuffle(rows)
    field_boxes, row_boxes = _print_rows(pen, rows, style, layout, rng, (margin, top, width - margin, bottom), blocks)

    pixels = np.asarray(card).copy()
    anchor = row_boxes.get("authority") or row_boxes.get("validity") or next(reversed(row_boxes.values()), None)
    if design.seal_text and anchor is not None:
        _stamp(pixels, design, style, anchor, qr_box, rng)
    return RenderedCard(Image.fromarray(pixels), field_boxes, design.title, layout, style, qr_box, row_boxes)


def _frame(pen: ImageDraw.ImageDraw, width: int, height: int, inset: int, color: draw.RGB) -> None:
    """The double rule around a printed e-certificate."""
    pen.rectangle((inset, inset, width - inset, height - inset), outline=color, width=4)
    pen.rectangle((inset + 9, inset + 9, width - inset - 9, height - inset - 9), outline=color, width=1)


def _print_title(pen: ImageDraw.ImageDraw, title: str, style: Style, layout: Layout, margin: int,
                 rng: random.Random) -> tuple[int, int]:
    """Print the title; returns the vertical band (top, bottom) left for the body."""
    width, height = style.size
    size = round(height * rng.uniform(0.058, 0.075) * (1.15 if style.form == "paper" else 1.0))
    face = font(style.title_face, size)
    while face.getlength(title) > width - 2.4 * margin:
        size -= 2
        face = font(style.title_face, size)
    band = style.header_band if layout.title_at == "top" else None
    if layout.title_at == "top":
        y = margin * 0.9 + size / 2
        if band:
            pen.rectangle((0, 0, width, y + size * 0.9), fill=band)
        pen.text((width / 2, y), title, font=face, fill=(250, 246, 230) if band else style.title_color, anchor="mm")
        return round(y + size * (1.3 if band else 1.1)), height - margin
    y = height - margin * 0.9 - size / 2
    pen.text((width / 2, y), title, font=face, fill=style.title_color, anchor="mm")
    return round(margin * 1.1), round(y - size * 1.1)


def _print_qr(card: Image.Image, design: Design, layout: Layout, style: Style, rng: random.Random, margin: int,
              photo: tuple[int, int, int, int], bottom: int) -> Box:
    """Print the QR symbol under the photo or in the far bottom corner; returns its box."""
    width, height = style.size
    modules = draw.qr_modules(design.qr_payload or "")
    quiet = 2
    module_px = max(3, min(6, round(height * 0.3 / (modules.shape[0] + 2 * quiet))))
    if design.qr_damaged:
        modules = draw.smear_data_area(modules, rng)
    symbol = draw.qr_image(modules, module_px, quiet)
    if design.qr_damaged:
        symbol = draw.smudge_symbol(symbol, module_px, rng)
    side = symbol.width
    photo_x, photo_y, photo_w, photo_h = photo
    fits_under_photo = design.photo and photo_y + photo_h + 8 + side <= bottom
    if layout.qr_slot == "under_photo" and fits_under_photo:
        x = photo_x + (photo_w - side) // 2
        y = photo_y + photo_h + rng.randint(8, max(8, bottom - photo_y - photo_h - side))
    else:
        on_right = layout.photo_side == "left" or not design.photo
        x = width - margin - side if on_right else margin
        y = bottom - side - rng.randint(0, height // 60)
    card.paste(symbol.convert("RGB"), (x, y))
    return Box(x, y, side, side)


def _label_text(label: str, style: Style) -> str:
    if style.label_gap and style.label_gap != "justify" and len(label) <= 3:
        label = style.label_gap.join(label)
    return label + style.colon


def _print_rows(pen: ImageDraw.ImageDraw, rows: list[Row], style: Style, layout: Layout, rng: random.Random,
                area: tuple[int, int, int, int], blocks: list[Box]) -> tuple[dict[str, Box], dict[str, Box]]:
    """Print the rows as lines (two short rows may share a line) around the photo and QR blocks.

    Blocks on the left push the whole label column right (labels stay aligned); blocks on the right
    only shorten the lines beside them. Text is set smaller when a line would not fit, as a designer
    would. Returns the field and row value boxes.
    """
    x0, top, x1, bottom = area
    gap = round(style.size[0] * 0.03)
    middle = (x0 + x1) / 2
    x0 = max([x0] + [b.x + b.w + gap for b in blocks if b.x + b.w / 2 < middle])
    right_blocks = [b for b in blocks if b.x + b.w / 2 >= middle]
    lines = _group_lines(rows, layout.columns)
    pitch = min((bottom - top) / max(1, len(lines)), style.size[1] * 0.105)
    first_y = top + (bottom - top - pitch * len(lines)) * rng.uniform(0.1, 0.6) + pitch / 2
    placed: list[tuple[Row, float, float, float, bool]] = []  # row, x0, x1, y, shares its line
    for i, line in enumerate(lines):
        y = first_y + i * pitch
        right = _line_end(x1, y - pitch / 2, y + pitch / 2, right_blocks, gap)
        half = (x0 + right) / 2
        slots = [(x0, right)] if len(line) == 1 else [(x0, half), (half, right)]
        placed += [(row, sx0, sx1, y, len(line) > 1) for row, (sx0, sx1) in zip(line, slots, strict=True)]

    size = round(pitch * rng.uniform(0.5, 0.6) * style.text_scale)
    fit = min((sx1 - sx0) / _row_width(row, style, size, rows, shared) for row, sx0, sx1, _y, shared in placed)
    size = round(size * min(1.0, max(fit, MIN_TEXT_FIT)))
    field_boxes: dict[str, Box] = {}
    row_boxes: dict[str, Box] = {}
    for row, sx0, sx1, y, shared in placed:
        jitter = rng.uniform(-0.04, 0.04) * size
        box, spans = _print_row(pen, row, style, size, _label_column(style, size, rows, shared), sx0, sx1, y + jitter)
        row_boxes[row.key] = box
        field_boxes.update(spans)
    return field_boxes, row_boxes


def _label_column(style: Style, size: int, rows: list[Row], shared: bool) -> float | None:
    """The width of the aligned label column, or None when the value follows its label directly."""
    if not style.aligned or shared:
        return None
    label_font = font(style.label_face, size)
    return max(label_font.getlength(_label_text(r.label, style)) for r in rows) + size * 0.6


def _value_offset(row: Row, style: Style, size: int, label_column: float | None) -> float:
    """How far right of the line start the value begins."""
    if label_column:
        return label_column
    return font(style.label_face, size).getlength(_label_text(row.label, style)) + size * (0.3 if style.colon else 0.7)


def _value_size(style: Style, size: int) -> int:
    return size + (1 if style.value_face != style.label_face else 0)


def _row_width(row: Row, style: Style, size: int, rows: list[Row], shared: bool) -> float:
    value_width = font(style.value_face, _value_size(style, size)).getlength(row.value)
    return _value_offset(row, style, size, _label_column(style, size, rows, shared)) + value_width


def _line_end(x1: float, line_top: float, line_bottom: float, blocks: list[Box], gap: float) -> float:
    """Where a line must stop so as not to run into a block beside it."""
    beside = [b.x - gap for b in blocks if b.y < line_bottom and b.y + b.h > line_top]
    return min([x1, *beside])


def _is_short(row: Row) -> bool:
    return len(row.value) <= SHORT_VALUE_CHARS and len(row.label) <= 4


def _group_lines(rows: list[Row], columns: int) -> list[list[Row]]:
    lines: list[list[Row]] = []
    for row in rows:
        if columns == 2 and _is_short(row) and lines and len(lines[-1]) == 1 and _is_short(lines[-1][0]):
            lines[-1].append(row)
        else:
            lines.append([row])
    return lines


def _print_row(pen: ImageDraw.ImageDraw, row: Row, style: Style, size: int, label_column: float | None,
               x0: float, x1: float, y: float) -> tuple[Box, dict[str, Box]]:
    """Print label then value on the line centred at `y`; returns the value's ink box and its field spans."""
    label_font = font(style.label_face, size)
    if style.label_gap == "justify" and label_column and len(row.label) > 1:
        _justify(pen, row.label, style.colon, label_font, x0, label_column - size * 0.6, y, style.label_color)
    else:
        pen.text((x0, y), _label_text(row.label, style), font=label_font, fill=style.label_color, anchor="lm")
    value_x = x0 + _value_offset(row, style, size, label_column)
    value_size = _value_size(style, size)
    value_font = font(style.value_face, value_size)
    while value_font.getlength(row.value) > x1 - value_x and value_size > size * 0.5:
        value_size -= 1
        value_font = font(style.value_face, value_size)
    pen.text((value_x, y), row.value, font=value_font, fill=style.value_color, anchor="lm")
    left, upper, right, lower = pen.textbbox((value_x, y), row.value, font=value_font, anchor="lm")
    box = Box(round(left), round(upper), round(right - left), round(lower - upper))
    spans = {}
    for name, start, end in row.spans:
        if start == 0 and end == len(row.value):
            spans[name] = box
        else:
            span_left = round(value_x + value_font.getlength(row.value[:start]))
            span_right = round(value_x + value_font.getlength(row.value[:end]))
            spans[name] = Box(span_left, box.y, span_right - span_left, box.h)
    return box, spans


def _justify(pen: ImageDraw.ImageDraw, label: str, colon: str, face: ImageFont.FreeTypeFont, x0: float,
             width: float, y: float, color: draw.RGB) -> None:
    """Spread the label's characters over `width`, as cards align 2- and 4-character labels."""
    width = max(width - face.getlength(colon), face.getlength(label))
    step = (width - face.getlength(label[-1])) / (len(label) - 1)
    for i, char in enumerate(label):
        pen.text((x0 + i * step, y), char, font=face, fill=color, anchor="lm")
    pen.text((x0 + width, y), colon, font=face, fill=color, anchor="lm")


def _overlaps(cx: float, cy: float, diameter: float, box: Box) -> bool:
    """Whether a seal of `diameter` centred at (cx, cy) would touch `box` (compared as squares)."""
    r = diameter / 2
    return box.x - r < cx < box.x + box.w + r and box.y - r < cy < box.y + box.h + r


def _stamp(pixels: np.ndarray, design: Design, style: Style, anchor: Box, qr_box: Box | None,
           rng: random.Random) -> None:
    """Press the issuer's seal over the end of the anchor row, partly covering its text."""
    height, width = pixels.shape[:2]
    diameter = round(height * rng.uniform(0.25, 0.31))
    impression = draw.seal(diameter, design.seal_text, design.seal_centre, style.title_face, rng)
    cx = anchor.x + anchor.w * rng.uniform(0.45, 0.95)
    cy = anchor.y + anchor.h / 2 + rng.uniform(-0.3, 0.2) * diameter
    if qr_box and _overlaps(cx, cy, diameter, qr_box):
        # ink over the symbol would make a genuine QR unreadable: move the seal beside it
        cx = qr_box.x - diameter * 0.52 if cx < qr_box.x + qr_box.w / 2 else qr_box.x + qr_box.w + diameter * 0.52
    cx = min(max(cx, diameter * 0.55), width - diameter * 0.55)
    cy = min(max(cy, diameter * 0.55), height - diameter * 0.55)
    draw.multiply(pixels, impression, round(cx - impression.width / 2), round(cy - impression.height / 2))
