"""Value forensics on a drawn card: a pasted patch with faint retyped text stands apart, genuine values do not."""

from __future__ import annotations

import math
import random
from dataclasses import replace
from math import dist

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from ocr.forensics import (
    GLYPH_MAX_WIDTH,
    GLYPH_TEXT,
    digit_steps,
    field_traces,
    glyph_columns,
    glyph_spans,
    line_band,
    measure,
    narrow_glyph,
    off_step,
    print_gray,
    value_direction,
)
from ocr.types import Box, FieldReading, TextLine
from samples.draw import multiply, seal
from samples.fonts import Face, font, installed_faces, pick_face
from verification.rules.numbers import ODD_GLYPH, odd_glyphs
from verification.rules.tampering import SUSPECT_SCORE, UNITS

VALUES = {"name": "张三丰", "number": "T11010519491231002X", "category": "电工作业", "valid_until": "2028-02-29"}


def drawn_card(tampered: str | None = None, inks: dict[str, tuple[int, int, int]] | None = None,
               ) -> tuple[Image.Image, dict[str, FieldReading]]:
    """A striped security background with four values; `tampered` is pasted over with flat paper and
    retyped; `inks` prints a value in another ink."""
    rng = np.random.default_rng(7)
    ys, xs = np.mgrid[0:520, 0:900]
    stripes = (np.sin((xs + 0.4 * ys) / 9.0) > 0.85).astype(np.float32)
    paper = np.array([232, 238, 226], np.float32) - 30 * stripes[..., None] + rng.normal(0, 2, (520, 900, 1))
    image = Image.fromarray(np.clip(paper, 0, 255).astype(np.uint8))
    pen = ImageDraw.Draw(image)
    face = font(pick_face(random.Random(1), "value"), 34)
    fields = {}
    for row, (name, text) in enumerate(VALUES.items()):
        origin = (80, 60 + 100 * row)
        if name == tampered:
            left, top, right, bottom = pen.textbbox(origin, text, font=face)
            pen.rectangle((left - 14, top - 14, right + 24, bottom + 14), fill=(246, 236, 236))
            pen.text(origin, text, font=face, fill=(120, 120, 130))
        else:
            pen.text(origin, text, font=face, fill=(inks or {}).get(name, (15, 15, 15)))
        left, top, right, bottom = pen.textbbox(origin, text, font=face)
        fields[name] = FieldReading(text, text, 0.99, Box(left, top, right - left, bottom - top))
    return image, fields


def test_genuine_values_measure_alike():
    image, fields = drawn_card()
    traces = field_traces(image, fields)
    assert [t.field for t in traces] == ["number", "name", "category", "valid_until"]
    contrasts = [t.ink_contrast for t in traces]
    assert max(contrasts) - min(contrasts) < 0.1
    assert all(t.paper_shift is not None and t.paper_shift < 2.0 for t in traces)


def test_warm_lit_paper_is_paper_not_seal_ink():
    """Under a warm lamp the whole card reads reddish: only red standing out from the value's own
    surroundings is a seal's, or no paper would be left to measure."""
    image, fields = drawn_card()
    warm = np.clip(np.asarray(image).astype(np.float32) * [1.1, 0.93, 0.9], 0, 255).astype(np.uint8)
    traces = field_traces(Image.fromarray(warm), fields)
    assert all(t.paper_shift is not None and t.paper_shift < 2.0 for t in traces)
    contrasts = [t.ink_contrast for t in traces]
    assert max(contrasts) - min(contrasts) < 0.1


def test_one_value_read_as_two_fields_is_measured_once():
    """A date printed once and read as both first issue and start is one value to compare and report."""
    image, fields = drawn_card()
    fields["valid_from"] = fields["valid_until"]
    assert [t.field for t in field_traces(image, fields)] == ["number", "name", "category", "valid_from"]


def test_a_pasted_patch_shows_in_ink_and_paper():
    image, fields = drawn_card(tampered="number")
    traces = {t.field: t for t in field_traces(image, fields)}
    others = [t for name, t in traces.items() if name != "number"]
    assert traces["number"].ink_contrast < 0.75 * min(t.ink_contrast for t in others)
    assert traces["number"].paper_shift > 6.0 + max(t.paper_shift for t in others)


def test_a_value_at_the_image_edge_or_blank_is_measured_without_failing():
    blank = np.full((60, 200, 3), 240, np.uint8)
    traces = measure(blank, "name", Box(0, 0, 200, 60))
    assert traces.ink_contrast is None


def test_ink_of_another_hue_is_measured_apart():
    """A value retyped in a dark blue ink, as dark as the printer's black: its hue, not its contrast,
    tells it from the others, which measure alike."""
    image, fields = drawn_card(inks={"number": (20, 20, 70)})
    traces = {t.field: t for t in field_traces(image, fields)}
    others = [t.ink_colour for name, t in traces.items() if name != "number"]
    assert max(dist(a, b) for a in others for b in others) < 1.5
    # far enough apart to be flagged on hue alone
    assert min(dist(traces["number"].ink_colour, other) for other in others) > SUSPECT_SCORE * UNITS["ink_hue_distance"]


def test_a_labels_character_caught_in_the_box_does_not_decide_the_hue():
    """A value sliced out of its line by character count can take in the end of a large label printed
    in another colour: the hue is the median over character-wide strips, so it stays the value's."""
    image, fields = drawn_card()
    pen = ImageDraw.Draw(image)
    box = fields["category"].box
    label_glyph = (box.x - 2, box.y, box.x + box.h - 4, box.y + box.h)
    pen.rectangle(label_glyph, fill=(0, 0, 90))  # bold navy print, darker than the value's
    grown = replace(fields["category"], box=Box(box.x - 2, box.y, box.w + 2, box.h))
    traces = {t.field: t for t in field_traces(image, {**fields, "category": grown})}
    assert dist(traces["category"].ink_colour, traces["name"].ink_colour) < UNITS["ink_hue_distance"]  # under one unit


def test_a_one_character_value_has_no_hue():
    """Too few strokes to outvote a label character caught in its box: 性别 男 is not judged on hue."""
    image = Image.new("RGB", (300, 120), (235, 235, 228))
    pen = ImageDraw.Draw(image)
    face = font(pick_face(random.Random(1), "value"), 40)
    pen.text((40, 40), "男", font=face, fill=(15, 15, 15))
    left, top, right, bottom = pen.textbbox((40, 40), "男", font=face)
    traces = measure(np.asarray(image), "sex", Box(left, top, right - left, bottom - top))
    assert traces.ink_contrast is not None and traces.ink_colour is None


LABELS = {"name": "姓名:", "number": "证号:", "category": "作业类别:", "valid_until": "有效期至:"}
SIZE = 30


def labelled_card(dropped: str | None = None) -> tuple[Image.Image, dict[str, FieldReading], list[TextLine]]:
    """Labels in a column and values beside them on the same lines; `dropped` printed a fifth of a
    text height below its label's line, as a retyped value lands."""
    image = Image.new("RGB", (760, 420), (238, 236, 228))
    pen = ImageDraw.Draw(image)
    face = font(pick_face(random.Random(3), "value"), SIZE)
    fields, lines = {}, []
    for row, (name, label) in enumerate(LABELS.items()):
        y = 60 + 90 * row
        pen.text((40, y), label, font=face, fill=(20, 20, 20), anchor="lm")
        value_y = y + (0.2 * SIZE if name == dropped else 0)
        pen.text((240, value_y), VALUES[name], font=face, fill=(20, 20, 20), anchor="lm")
        left, top, right, bottom = pen.textbbox((240, value_y), VALUES[name], font=face, anchor="lm")
        box = Box(left, top, right - left, bottom - top)
        fields[name] = FieldReading(VALUES[name], VALUES[name], 0.99, box)
        lines.append(TextLine(label + VALUES[name], 0.99, Box(40, top, right - 40, bottom - top)))
    return image, fields, lines


def turned_over(image: Image.Image, fields: dict[str, FieldReading], lines: list[TextLine]):
    """The card photographed upside down: boxes in the turned image's pixels, lines with quads in
    the order their text reads (from the image's bottom right)."""
    width, height = image.size

    def turned(box: Box) -> Box:
        return Box(width - box.x - box.w, height - box.y - box.h, box.w, box.h)

    def quad(box: Box):
        right, bottom = width - box.x, height - box.y
        return ((right, bottom), (right - box.w, bottom), (right - box.w, bottom - box.h), (right, bottom - box.h))

    return (image.rotate(180),
            {name: replace(field, box=turned(field.box)) for name, field in fields.items()},
            [replace(line, box=turned(line.box), quad=quad(line.box)) for line in lines])


def test_a_value_off_its_labels_line_measures_apart_upright_or_upside_down():
    image, fields, lines = labelled_card(dropped="number")
    for card in ((image, fields, lines), turned_over(image, fields, lines)):
        offsets = {t.field: t.row_offset for t in field_traces(*card)}
        others = [offsets[name] for name in LABELS if name != "number"]
        assert max(others) - min(others) < 0.08  # CJK and digits sit a little differently
        assert offsets["number"] - max(others) == pytest.approx(0.2 * SIZE / lines[0].height, abs=0.06)


def test_without_the_engines_lines_no_row_offset_is_measured():
    image, fields, _ = labelled_card()
    assert all(t.row_offset is None for t in field_traces(image, fields))


def test_a_values_row_runs_the_way_the_lines_around_it_do():
    """A card photographed at a slant: rows at its top run otherwise than rows at its foot, and a
    value's row offset is measured along the rows near it, long lines weighing most."""
    def line(x: float, y: float, length: float, degrees: float) -> TextLine:
        dx, dy = length * math.cos(math.radians(degrees)), length * math.sin(math.radians(degrees))
        box = Box(round(min(x, x + dx)), round(min(y, y + dy)), round(abs(dx)) + 1, round(abs(dy)) + 20)
        return TextLine("行", 0.99, box, quad=((x, y), (x + dx, y + dy), (x + dx, y + dy + 20), (x, y + dy + 20)))

    top = [line(100, 100, 400, 8.0), line(100, 140, 120, 2.0)]
    foot = [line(100, 900, 600, 0.0), line(100, 940, 600, 0.0)]
    value = Box(300, 110, 150, 40)
    assert value_direction(value, [*top, *foot], text=20) == pytest.approx(
        math.degrees(math.atan2(400 * math.sin(math.radians(8)) + 120 * math.sin(math.radians(2)),
                                400 * math.cos(math.radians(8)) + 120 * math.cos(math.radians(2)))))
    assert value_direction(Box(300, 910, 150, 40), [*top, *foot], text=20) == pytest.approx(0.0)
    assert value_direction(value, [TextLine("行", 0.99, Box(100, 100, 400, 20))], text=20) == 0.0


VALUE_FACES = [face for face in installed_faces() if "value" in face.roles]


def coded_card(printed: str, face, read: str | None = None, size: int = SIZE):
    """证号 and its label on one line, the number `printed` (the reader took it for `read`)."""
    image = Image.new("RGB", (900, 160), (238, 236, 228))
    pen = ImageDraw.Draw(image)
    typeface = font(face, size)
    pen.text((40, 80), "证号:", font=typeface, fill=(20, 20, 20), anchor="lm")
    pen.text((200, 80), printed, font=typeface, fill=(20, 20, 20), anchor="lm")
    left, top, right, bottom = pen.textbbox((200, 80), printed, font=typeface, anchor="lm")
    value = read or printed
    fields = {"number": FieldReading(value, value, 0.99, Box(left, top, right - left, bottom - top))}
    _, line_top, _, line_bottom = pen.textbbox((40, 80), "证号:", font=typeface, anchor="lm")
    return image, fields, [TextLine("证号:" + value, 0.99, Box(40, line_top, right - 40, line_bottom - line_top))]


@pytest.mark.parametrize("face", VALUE_FACES, ids=lambda face: face.name)
def test_a_codes_characters_are_cut_out_one_by_one_and_the_same_digit_measures_alike(face):
    image, fields, lines = coded_card("T11010519491231002X", face)
    glyphs = field_traces(image, fields, lines)[0].glyphs
    assert "".join(char for char, _ in glyphs) == "T11010519491231002X"
    assert all(0 < width < GLYPH_MAX_WIDTH for _, width in glyphs)
    for digit in "019":
        widths = [width for char, width in glyphs if char == digit]
        assert max(widths) - min(widths) < 0.05
    assert odd_glyphs(glyphs) == []


SLIPS = [(face, printed, place) for face in VALUE_FACES if "mono" not in face.name
         for printed, place in [("T1101O519491231002X", 5), ("T110I0519491231002X", 4)]
         if "I" not in printed or "serif" not in face.name]


@pytest.mark.parametrize(("face", "printed", "place"), SLIPS, ids=lambda v: getattr(v, "name", str(v)))
def test_a_letter_typed_for_a_digit_is_printed_unlike_that_digit(face, printed, place):
    """The reader takes the O for 0, the I for 1 (the code fits its form); its print is another glyph.
    (A monospaced face sets O and 0 in one cell, alike in width, and a serif face's I is about as
    wide as its 1: those slips are not seen there.)"""
    read = "T11010519491231002X"
    image, fields, lines = coded_card(printed, face, read=read)
    glyphs = field_traces(image, fields, lines)[0].glyphs
    others = [width for at, (char, width) in enumerate(glyphs) if char == read[place] and at != place]
    assert abs(glyphs[place][1] - float(np.median(others))) > ODD_GLYPH
    assert [odd.places for odd in odd_glyphs(glyphs)] == [(place + 1,)]


def test_neighbouring_digits_stand_at_one_pitch_but_for_one_glyph():
    def cut(advances: list[float]) -> list[tuple[float, float]]:
        edges = np.cumsum([0.0, *advances])
        return [(left + 0.05, right - 0.05) for left, right in zip(edges, edges[1:], strict=False)]

    def steps(advances: list[float], code: str = "12345678") -> dict[int, float]:
        return digit_steps(cut(advances), code)

    assert off_step(steps([0.5] * 8)) == []
    assert off_step(steps([0.5, 0.5, 0.5, 0.2, 0.5, 0.5, 0.5, 0.5])) == [2, 3]  # an I set narrow
    assert off_step(steps([0.5, 0.5, 0.22, 0.22, 0.5, 0.5, 0.5, 0.5])) == [1, 2, 3]  # a 0 fallen in two
    assert off_step(steps([0.2, 0.5, 0.5, 0.5], "T123")) == []  # a letter's step is not held to the digits' pitch
    narrow_i = steps([0.5, 0.5, 0.5, 0.2, 0.5, 0.5, 0.5, 0.5])
    assert narrow_glyph(narrow_i, off_step(narrow_i))
    fell_apart_beside_a_merge = steps([0.5, 0.5, 0.15, 0.85, 0.5, 0.5, 0.5, 0.5])  # a 3 in two, its half run into a 0
    assert off_step(fell_apart_beside_a_merge) == [1, 3]
    assert not narrow_glyph(fell_apart_beside_a_merge, [1, 3])
    assert not narrow_glyph(narrow_i, [2, 3, 4])


def test_a_cut_much_wider_than_the_others_is_two_characters_run_together():
    def band(widths: list[int]) -> np.ndarray:
        darkness = np.zeros((62, 40 + 30 * len(widths) + sum(widths)), np.float32)
        left = 20
        for width in widths:
            darkness[12:46, left:left + width] = 200.0
            left += width + 30
        return darkness

    assert glyph_spans(glyph_columns(band([20] * 8), GLYPH_TEXT), 8) is not None
    o_for_0 = band([20, 20, 20, 26, 20, 20, 20, 20])  # 1.3 times as wide
    assert glyph_spans(glyph_columns(o_for_0, GLYPH_TEXT), 8) is not None
    assert glyph_spans(glyph_columns(band([20, 20, 20, 34, 20, 20, 20, 20]), GLYPH_TEXT), 8) is None


def test_print_that_cannot_be_cut_into_the_characters_read_gives_no_widths():
    face = VALUE_FACES[0]
    image, fields, lines = coded_card("T11010519491231002X", face, read="T1101051949123102X")  # one 0 missed
    assert field_traces(image, fields, lines)[0].glyphs == ()
    run_together = coded_card("T11010519491231002X", face, size=14)[0].resize((450, 80), Image.BOX)
    fields = {"number": replace(fields["number"], value="T11010519491231002X",
                                box=Box(*(round(v / 2) for v in fields["number"].box.as_list())))}
    lines = [replace(lines[0], box=Box(20, fields["number"].box.y, 300, fields["number"].box.h))]
    assert field_traces(run_together, fields, lines)[0].glyphs == ()


@pytest.mark.parametrize(("name", "blur"), [("noto-sans", 1.5), ("noto-sans-bold", 2.0)])
def test_a_code_whose_characters_ran_together_is_cut_from_its_darker_print(name, blur):
    """Out of focus, neighbouring digits join at the usual print level; their cores stay apart, and
    every character cut from them measures narrower alike, so the I typed for 1 still stands out."""
    face = next((face for face in VALUE_FACES if face.name == name), None)
    if face is None:
        pytest.skip(f"needs fonts-noto-cjk's {name} face")
    image, fields, lines = coded_card("T110I0519491231002X", face, read="T11010519491231002X")
    blurred = image.filter(ImageFilter.GaussianBlur(blur))
    text = float(np.median([line.height for line in lines]))
    band = line_band(print_gray(np.asarray(blurred), ()), fields["number"].box, 0.0, text)
    assert len(glyph_columns(band, GLYPH_TEXT)) < len("T11010519491231002X")  # ran together at the usual level
    glyphs = field_traces(blurred, fields, lines)[0].glyphs
    assert "".join(char for char, _ in glyphs) == "T11010519491231002X"
    assert [odd.places for odd in odd_glyphs(glyphs)] == [(5,)]


DATED = {"number": ("证号:", "T11010519491231002X"), "first_issued": ("初领日期:", "2019年10月17日"),
         "valid_from": ("有效期起:", "2025年10月17日"), "valid_until": ("有效期至:", "2031年10月16日")}


DATED_FACE = pick_face(random.Random(3), "value")


def dated_card(number_scale: float = 1.0, number_face: Face | None = None, **printed: str):
    """证号 and three dates in one face and size, one row each; the number printed `number_scale` as
    large and in `number_face` if given, `printed` values in place of the usual."""
    image = Image.new("RGB", (900, 420), (238, 236, 228))
    pen = ImageDraw.Draw(image)
    face = DATED_FACE
    fields, lines = {}, []
    for row, (name, (label, value)) in enumerate(DATED.items()):
        value, y = printed.get(name, value), 60 + 90 * row
        pen.text((40, y), label, font=font(face, SIZE), fill=(20, 20, 20), anchor="lm")
        typeface = font(number_face or face, round(SIZE * number_scale)) if name == "number" else font(face, SIZE)
        pen.text((240, y), value, font=typeface, fill=(20, 20, 20), anchor="lm")
        left, top, right, bottom = pen.textbbox((240, y), value, font=typeface, anchor="lm")
        fields[name] = FieldReading(value, value, 0.99, Box(left, top, right - left, bottom - top))
        _, line_top, _, line_bottom = pen.textbbox((40, y), label, font=font(face, SIZE), anchor="lm")
        lines.append(TextLine(label + value, 0.99, Box(40, line_top, right - 40, line_bottom - line_top)))
    return image, fields, lines


def test_the_digits_of_dates_and_numbers_in_one_face_measure_one_height():
    heights = {t.field: t.digit_height for t in field_traces(*dated_card())}
    assert all(height is not None for height in heights.values())
    assert max(heights.values()) / min(heights.values()) < 1.04  # the dates' 年 and 月 are not taken for digits


def test_a_number_printed_larger_has_taller_digits():
    heights = {t.field: t.digit_height for t in field_traces(*dated_card(number_scale=1.25))}
    dates = [heights[name] for name in ("first_issued", "valid_from", "valid_until")]
    assert heights["number"] / float(np.median(dates)) == pytest.approx(1.25, abs=0.06)


def test_a_date_without_digits_has_no_digit_height():
    """长期 (no expiry) is all CJK: its characters are too wide to be taken for digits."""
    heights = {t.field: t.digit_height for t in field_traces(*dated_card(valid_until="长期有效"))}
    assert heights["valid_until"] is None and heights["valid_from"] is not None


def stamped(image: Image.Image, box: Box, seed: int) -> tuple[Image.Image, Box]:
    """`image` with the generator's red seal pressed over `box`, multiplied as ink over ink; and
    where the seal lies."""
    pixels = np.asarray(image).copy()
    impression = seal(200, "某某市应急管理局", "专用章", DATED_FACE, random.Random(seed))
    x, y = round(box.x + box.w * 0.6 - impression.width / 2), round(box.y + box.h / 2 + 40 - impression.height / 2)
    multiply(pixels, impression, x, y)
    return Image.fromarray(pixels), Box(x, y, impression.width, impression.height)


@pytest.mark.parametrize("seed", range(1, 5))
def test_a_seal_stamped_across_a_date_leaves_its_digits_as_they_were(seed):
    """The seal's red strokes are not print: they would join the digits, standing them taller and heavier."""
    image, fields, lines = dated_card()
    sealed, seal_box = stamped(image, fields["valid_until"].box, seed)
    plain = {t.field: t for t in field_traces(image, fields, lines)}["valid_until"]
    under = {t.field: t for t in field_traces(sealed, fields, lines, [seal_box])}["valid_until"]
    assert under.digit_height == pytest.approx(plain.digit_height, rel=0.04)
    assert under.digit_width == pytest.approx(plain.digit_width, rel=0.06)
    assert under.digit_stroke == pytest.approx(plain.digit_stroke, rel=0.05)


FACE_FIGURES = {"proportion": "digit_width", "weight": "digit_stroke"}
"""What a face keeps at any size: its digits' width and their strokes' thickness, for their height."""


def number_against_dates(figure: str, **card) -> float:
    """log(the number's `figure` (FACE_FIGURES) / the dates' median one) on a `dated_card`."""
    traces = {t.field: t for t in field_traces(*dated_card(**card))}
    ratios = {name: getattr(t, FACE_FIGURES[figure]) / t.digit_height for name, t in traces.items()}
    return math.log(ratios["number"] / float(np.median([ratios[name] for name in DATED if name != "number"])))


@pytest.mark.parametrize(("figure", "within"), [("proportion", 0.07), ("weight", 0.2)])
@pytest.mark.parametrize("scale", [0.85, 1.0, 1.25])
def test_digits_in_one_face_keep_their_proportion_and_weight_at_any_size(figure, within, scale):
    """A long number fitted small to its space, or printed large, is still the card's face."""
    assert abs(number_against_dates(figure, number_scale=scale)) < within


def face_named(name: str):
    face = next((face for face in installed_faces() if face.name == name), None)
    if face is None or face == DATED_FACE:
        pytest.skip(f"needs fonts-noto-cjk's {name} face beside the dates' {DATED_FACE.name}")
    return face


def test_a_number_retyped_in_another_face_has_digits_of_another_proportion():
    """The monospaced face's digits are narrow for their height beside a proportional sans face's."""
    assert number_against_dates("proportion", number_face=face_named("noto-sans-mono")) < -0.15


def test_a_number_retyped_in_a_regular_face_beside_bold_dates_is_lighter():
    if DATED_FACE.name != "noto-sans-bold":
        pytest.skip("the dates are not printed bold")
    assert number_against_dates("weight", number_face=face_named("noto-sans")) < -0.3
