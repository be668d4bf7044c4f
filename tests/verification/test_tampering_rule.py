"""TAMPERING from value traces: a value standing apart from the card's others is flagged with its box."""

from __future__ import annotations

from dataclasses import replace
from math import exp

import pytest
from helpers import context, genuine

from ocr.forensics import FieldTraces
from ocr.layout import ObservedLayout
from ocr.types import Box
from verification.rules.tampering import HUE_SPREAD, ROW_SPREAD, SUSPECT_SCORE, UNITS, check_tampering
from verification.verify import verify

NAMES = ("number", "name", "category", "item", "valid_until")
CONTRAST, PAPER, HUE = 0.8, 0.5, (1.0, -1.0)  # every value's measurements unless changed

FAINT = UNITS["ink_contrast_ratio"]
HUE_UNIT = UNITS["ink_hue_distance"]
PAPER_UNIT = UNITS["paper_shift_excess"]


def traces(**odd) -> tuple[FieldTraces, ...]:
    """Alike values in a column; `odd` maps a field to changed measurements."""
    rows = []
    for i, name in enumerate(NAMES):
        base = FieldTraces(name, Box(100, 60 * i, 300, 30), CONTRAST, PAPER, HUE)
        rows.append(replace(base, **odd.get(name, {})))
    return tuple(rows)


def fainter(units: float) -> dict:
    return {"ink_contrast": CONTRAST * (1 - units * FAINT)}


def tinted(units: float) -> dict:
    return {"paper_shift": PAPER + units * PAPER_UNIT}


def hued(units: float) -> dict:
    return {"ink_colour": (HUE[0] + units * HUE_UNIT, HUE[1])}


def tampering(reading_traces, seals=()) -> list:
    layout = ObservedLayout("特种作业操作证", 1.0, 0.99, True, (), seals)
    reading = replace(genuine("special_operation"), traces=reading_traces, layout=layout)
    return check_tampering(reading, context("special_operation"))


def flagged(reading_traces, seals=()) -> list[str]:
    return [f.evidence["field"] for f in tampering(reading_traces, seals)]


def test_alike_values_raise_nothing():
    assert tampering(traces()) == []


def test_faint_ink_is_flagged_with_the_fields_box():
    found = tampering(traces(number=fainter(SUSPECT_SCORE + 0.2)))
    assert [(f.code, f.evidence["field"]) for f in found] == [("TAMPERING", "number")]
    assert found[0].evidence["box"] == [100, 0, 300, 30]
    assert found[0].evidence["ink_contrast_ratio"] == pytest.approx(1 - (SUSPECT_SCORE + 0.2) * FAINT, abs=0.01)
    assert found[0].evidence["score"] == pytest.approx(SUSPECT_SCORE + 0.2, abs=0.05)
    assert "fainter" in found[0].message
    assert tampering(traces(number=fainter(SUSPECT_SCORE - 0.3))) == []


def test_small_departures_together_are_a_paste_each_alone_is_not():
    """A forger matches paper and ink roughly: a little fainter, a little off in hue, on paper a
    little off. Each alone is within what genuine values show; together they are flagged, and the
    message names each that weighs a unit or more."""
    share = SUSPECT_SCORE / 3 + 0.1
    each = {**fainter(share), **tinted(share), **hued(share)}
    found = tampering(traces(number=each))
    assert [f.evidence["field"] for f in found] == ["number"]
    assert all(word in found[0].message for word in ("fainter", "hue", "paper"))
    for alone in (fainter(share), tinted(share), hued(share)):
        assert tampering(traces(number=alone)) == []


def test_faint_ink_under_a_seal_is_not_flagged():
    """The seal's strokes overprint the value and are masked out of its ink, leaving it fainter."""
    faint = traces(name=fainter(SUSPECT_SCORE + 0.5))
    assert flagged(faint) == ["name"]
    assert tampering(faint, seals=(Box(250, 40, 200, 200),)) == []


def test_foreign_paper_is_flagged_unless_under_a_seal():
    odd = traces(name=tinted(SUSPECT_SCORE + 0.5))
    assert flagged(odd) == ["name"]
    assert tampering(odd, seals=(Box(250, 40, 200, 200),)) == []


def test_ink_of_another_hue_is_flagged_unless_under_a_seal():
    bluish = {"ink_colour": (HUE[0] + (SUSPECT_SCORE + 0.5) * HUE_UNIT, HUE[1] - 2.0)}
    found = tampering(traces(number=bluish))
    assert [(f.evidence["field"], f.evidence["ink_hue_distance"]) for f in found] == [
        ("number", pytest.approx((((SUSPECT_SCORE + 0.5) * HUE_UNIT) ** 2 + 4) ** 0.5, abs=0.1))]
    assert "another hue" in found[0].message
    assert tampering(traces(number=hued(SUSPECT_SCORE - 0.3))) == []
    assert tampering(traces(name=bluish), seals=(Box(250, 40, 200, 200),)) == []


def test_a_hue_apart_by_less_than_coloured_light_spreads_the_others_is_not_a_paste():
    """A phone photo under coloured light spreads the values' hues; one value must stand apart by
    more than the others differ among themselves."""
    odd = hued(SUSPECT_SCORE + 0.5)
    apart = (SUSPECT_SCORE + 0.5) * HUE_UNIT
    spread = 2 * apart / SUSPECT_SCORE / HUE_SPREAD  # the others' median distance from their centre, doubled
    lit = {"name": {"ink_colour": (HUE[0], HUE[1] + spread)}, "category": {"ink_colour": (HUE[0], HUE[1] - spread)},
           "valid_until": {"ink_colour": (HUE[0] + spread, HUE[1])}}
    assert flagged(traces(number=odd)) == ["number"]
    assert tampering(traces(number=odd, **lit)) == []


def test_a_peer_under_a_seal_is_no_hue_baseline():
    """Seal ink mixes into the print beneath it: a sealed value's hue neither flags nor clears another."""
    off = hued(SUSPECT_SCORE + 0.5)
    rows = traces(item=off, valid_until=off)
    assert tampering(rows) == []  # item and valid_until are nearest neighbours and alike: shade, not a paste
    seal_over_valid_until = (Box(350, 230, 100, 60),)
    assert flagged(rows, seals=seal_over_valid_until) == ["item"]


def test_tampering_makes_the_verdict_suspect():
    reading = replace(genuine("special_operation"), traces=traces(number={"ink_contrast": 0.2}))
    report = verify(reading, context("special_operation"))
    assert "TAMPERING" in [f.code for f in report.findings] and report.verdict == "suspect"


def test_shade_over_neighbouring_values_is_not_a_paste():
    """Two values side by side both faint, or both on tinted paper: lighting, which touches neighbours
    alike; the same on one value alone is flagged."""
    faint = fainter(SUSPECT_SCORE + 0.5)
    assert flagged(traces(item=faint)) == ["item"]
    assert tampering(traces(item=faint, valid_until=faint)) == []
    paper = tinted(SUSPECT_SCORE + 0.5)
    assert flagged(traces(item=paper)) == ["item"]
    assert tampering(traces(item=paper, valid_until=paper)) == []


def test_faint_print_is_weighed_against_print_no_larger():
    """Small print blurs fainter than large in a low-resolution copy: dates printed smaller are not
    weighed against the larger values, while a large value fainter than smaller ones is flagged."""
    faint = fainter(SUSPECT_SCORE + 0.5)
    rows = list(traces(item=faint, valid_until=faint))
    rows[3] = replace(rows[3], box=Box(100, 180, 200, 20))  # item printed smaller
    rows[4] = replace(rows[4], box=Box(400, 180, 200, 20))  # valid_until too, on the same row
    assert tampering(tuple(rows)) == []
    rows = list(traces(number=faint))
    rows[0] = replace(rows[0], box=Box(100, 0, 300, 40))  # the number printed larger, and fainter
    assert flagged(tuple(rows)) == ["number"]


def test_a_quarter_turned_photo_weighs_text_height_by_the_boxes_short_side():
    """On a photo turned a quarter the lines run down the image: their boxes' heights are the
    values' lengths, not their text heights, which are the boxes' widths."""
    faint = fainter(SUSPECT_SCORE + 0.5)
    upright = traces(number=faint)
    turned = tuple(replace(t, box=Box(60 * i, 100, 30, 100 + 50 * i)) for i, t in enumerate(upright))
    assert flagged(turned) == ["number"]


ROW_UNIT = UNITS["row_offset_residual"]


def test_a_value_off_its_labels_line_is_flagged():
    """A retyped value seldom lands on the line its label is printed on, while the printer set every
    other value alike on its label's line."""
    level = {name: {"row_offset": 0.02 * (i % 2)} for i, name in enumerate(NAMES)}
    found = tampering(traces(**{**level, "number": {"row_offset": (SUSPECT_SCORE + 0.5) * ROW_UNIT}}))
    assert [f.evidence["field"] for f in found] == ["number"]
    assert "off the line" in found[0].message
    assert found[0].evidence["row_offset_residual"] == pytest.approx((SUSPECT_SCORE + 0.5) * ROW_UNIT, abs=0.03)
    assert tampering(traces(**{**level, "number": {"row_offset": (SUSPECT_SCORE - 0.5) * ROW_UNIT}})) == []


def test_a_value_off_its_line_by_no_more_than_the_others_scatter_is_not_flagged():
    """A curled card or a lens bends the rows: every value sits off its label's line a little, and one
    must stand further off than ROW_SPREAD times their scatter."""
    off = (SUSPECT_SCORE + 0.5) * ROW_UNIT
    scatter = off / ROW_SPREAD / SUSPECT_SCORE * 1.5
    bent = {"name": {"row_offset": scatter}, "category": {"row_offset": -scatter},
            "item": {"row_offset": scatter}, "valid_until": {"row_offset": -scatter}}
    assert tampering(traces(**bent, number={"row_offset": off})) == []
    level = {name: {"row_offset": 0.0} for name in bent}
    assert flagged(traces(**level, number={"row_offset": off})) == ["number"]


HEIGHT_UNIT = UNITS["digit_height_ratio"]
DIGITS = 0.6  # every date's and code's digit height, in text heights


def digit_rows(number: float, **others: float) -> tuple[FieldTraces, ...]:
    """The number and three dates with digit heights; `others` changes a date's."""
    rows = [FieldTraces("number", Box(100, 0, 300, 30), CONTRAST, PAPER, HUE, digit_height=number)]
    for i, name in enumerate(("first_issued", "valid_from", "valid_until"), start=1):
        rows.append(FieldTraces(name, Box(100, 60 * i, 300, 30), CONTRAST, PAPER, HUE,
                                digit_height=others.get(name, DIGITS)))
    return tuple(rows)


def test_a_number_printed_taller_than_every_date_is_flagged():
    """A retyped number in another face or size; a number printed shorter (a long value fitted to its
    space) is no sign, nor a number as tall as one of the dates."""
    taller = DIGITS * exp((SUSPECT_SCORE + 0.2) * HEIGHT_UNIT)
    found = tampering(digit_rows(taller))
    assert [f.evidence["field"] for f in found] == ["number"]
    assert found[0].evidence["digit_height_ratio"] == pytest.approx(taller / DIGITS, abs=0.01)
    assert "taller" in found[0].message
    assert tampering(digit_rows(DIGITS * exp((SUSPECT_SCORE - 0.3) * HEIGHT_UNIT))) == []
    assert tampering(digit_rows(DIGITS / 1.5)) == []
    assert tampering(digit_rows(taller, valid_until=taller)) == []


def test_only_codes_are_judged_by_their_digits_height_and_against_enough_peers():
    assert tampering(digit_rows(DIGITS, valid_until=DIGITS * 1.5)) == []  # a date's print is not judged so
    few = digit_rows(DIGITS * 1.5)
    assert tampering(few[:3]) == []  # two dates are too few to set a number against


FACES = {  # departure: (the figure it compares, every value's figure in text heights, its message's words)
    "digit_proportion_ratio": ("digit_width", 0.4, "broader or narrower"),
    "digit_weight_ratio": ("digit_stroke", 0.16, "heavier or lighter"),
}
BROAD = FACES["digit_proportion_ratio"][1]


def face_rows(figure: str, number: float, dates: int = 3, **others: float) -> tuple[FieldTraces, ...]:
    """The number and `dates` dates with digits DIGITS tall; `number` and `others` set their `figure`
    (a FieldTraces attribute), the dates' defaulting to FACES' figure."""
    usual = next(value for attribute, value, _ in FACES.values() if attribute == figure)
    rows = [FieldTraces("number", Box(100, 0, 300, 30), CONTRAST, PAPER, HUE, digit_height=DIGITS, **{figure: number})]
    for i, name in enumerate(("first_issued", "valid_from", "valid_until")[:dates], start=1):
        rows.append(FieldTraces(name, Box(100, 60 * i, 300, 30), CONTRAST, PAPER, HUE,
                                digit_height=DIGITS, **{figure: others.get(name, usual)}))
    return tuple(rows)


@pytest.mark.parametrize("unit", FACES)
@pytest.mark.parametrize("direction", [1, -1], ids=["more", "less"])
def test_a_number_whose_digits_are_unlike_every_dates_is_flagged(unit, direction):
    """A number retyped in another face: its digits broader or narrower, heavier or lighter, for their
    height than any date's, whatever its size. Nearly as unlike, or as alike as one date, is no sign."""
    figure, usual, words = FACES[unit]
    apart = usual * exp(direction * (SUSPECT_SCORE + 0.2) * UNITS[unit])
    found = tampering(face_rows(figure, apart))
    assert [f.evidence["field"] for f in found] == ["number"]
    assert found[0].evidence[unit] == pytest.approx(apart / usual, abs=0.01)
    assert words in found[0].message
    assert tampering(face_rows(figure, usual * exp(direction * (SUSPECT_SCORE - 0.3) * UNITS[unit]))) == []
    assert tampering(face_rows(figure, apart, valid_from=apart)) == []


@pytest.mark.parametrize("unit", FACES)
def test_only_codes_are_judged_by_their_digits_face_and_against_two_peers_at_least(unit):
    figure, usual, _ = FACES[unit]
    assert tampering(face_rows(figure, usual, valid_until=usual * 2.6)) == []  # a date's print is not judged so
    assert flagged(face_rows(figure, usual * 2.6, dates=2)) == ["number"]  # a card printing two dates only
    assert tampering(face_rows(figure, usual * 2.6, dates=1)) == []
    unmeasured = replace(face_rows(figure, usual * 2.6)[0], digit_height=None)
    assert tampering((unmeasured, *face_rows(figure, usual)[1:])) == []


def test_digits_under_a_seal_are_a_baseline_like_any_others():
    """The forensics read a sealed date's digits through the seal (`ocr.forensics.print_gray`), so a
    number printed like it is printed like one of the card's dates."""
    apart = BROAD * 1.6
    rows = face_rows("digit_width", apart, valid_until=apart)
    seal = Box(80, 170, 340, 40)  # over valid_until's row only
    assert tampering(rows, seals=(seal,)) == []
    assert flagged(face_rows("digit_width", apart), seals=(seal,)) == ["number"]


def compressed(share: float, **odd: float) -> tuple[FieldTraces, ...]:
    """Alike values of a JPEG compressed twice, each showing the first compression as `share`, or
    as `odd` says for a field."""
    return traces(**{name: {"twice_compressed": odd.get(name, share)} for name in NAMES})


TWICE_UNIT = UNITS["twice_compressed_share"]


def test_a_value_lacking_the_pictures_first_compression_is_flagged():
    """Typed into the photo after it was taken: its print never went through the first JPEG."""
    retyped = compressed(0.6, valid_until=0.6 - (SUSPECT_SCORE + 0.5) * TWICE_UNIT)
    found = tampering(retyped)
    assert [f.evidence["field"] for f in found] == ["valid_until"]
    assert found[0].evidence["twice_compressed_share"] == pytest.approx(0.6 - (SUSPECT_SCORE + 0.5) * TWICE_UNIT,
                                                                        abs=0.01)
    assert "typed in after it was taken" in found[0].message


def test_a_value_showing_the_first_compression_more_than_the_others_is_no_sign():
    assert tampering(compressed(0.3, valid_until=0.9)) == []
    assert tampering(compressed(0.6, valid_until=0.6 - (SUSPECT_SCORE - 0.5) * TWICE_UNIT)) == []


def test_a_value_under_a_seal_is_judged_by_its_jpeg_traces_alone():
    """The seal was in the first picture as much as the print beside it; its ink still changes the
    value's print, so a sealed value's faint ink is no sign."""
    seal = (Box(250, 40, 200, 200),)  # over name and category
    retyped = compressed(0.6, name=0.6 - (SUSPECT_SCORE + 0.5) * TWICE_UNIT)
    assert flagged(retyped, seals=seal) == ["name"]
    faint = replace(compressed(0.6)[1], **fainter(SUSPECT_SCORE + 0.5))
    rows = (compressed(0.6)[0], faint, *compressed(0.6)[2:])
    assert flagged(rows) == ["name"]
    assert tampering(rows, seals=seal) == []


def test_too_few_values_with_jpeg_traces_give_no_baseline():
    rows = traces(number={"twice_compressed": 0.6}, name={"twice_compressed": 0.6},
                  valid_until={"twice_compressed": 0.0})
    assert tampering(rows) == []
