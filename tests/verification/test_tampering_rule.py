"""TAMPERING from value traces: a value standing apart from the card's others is flagged with its box."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import context, genuine

from ocr.forensics import FieldTraces
from ocr.layout import ObservedLayout
from ocr.types import Box
from verification.rules.tampering import FAINT_INK, HUE_SPREAD, INK_HUE, PAPER_SHIFT, check_tampering
from verification.verify import verify

NAMES = ("number", "name", "category", "item", "valid_until")


def traces(**odd) -> tuple[FieldTraces, ...]:
    """Alike values; `odd` maps a field to changed measurements."""
    rows = []
    for i, name in enumerate(NAMES):
        base = FieldTraces(name, Box(100, 60 * i, 300, 30), 0.8, 0.5, (1.0, -1.0))
        rows.append(replace(base, **odd.get(name, {})))
    return tuple(rows)


def tampering(reading_traces, seals=()) -> list:
    layout = ObservedLayout("特种作业操作证", 1.0, 0.99, True, (), seals)
    reading = replace(genuine("special_operation"), traces=reading_traces, layout=layout)
    return check_tampering(reading, context("special_operation"))


def test_alike_values_raise_nothing():
    assert tampering(traces()) == []


def test_faint_ink_is_flagged_with_the_fields_box():
    found = tampering(traces(number={"ink_contrast": 0.8 * FAINT_INK * 0.9}))
    assert [(f.code, f.evidence["field"]) for f in found] == [("TAMPERING", "number")]
    assert found[0].evidence["box"] == [100, 0, 300, 30]
    assert found[0].evidence["ink_contrast_ratio"] == pytest.approx(0.9 * FAINT_INK, abs=0.01)


def test_faint_ink_under_a_seal_is_not_flagged():
    """The seal's strokes overprint the value and are masked out of its ink, leaving it fainter."""
    faint = traces(name={"ink_contrast": 0.8 * FAINT_INK * 0.9})
    assert [f.evidence["field"] for f in tampering(faint)] == ["name"]
    assert tampering(faint, seals=(Box(250, 40, 200, 200),)) == []


def test_foreign_paper_is_flagged_unless_under_a_seal():
    odd = traces(name={"paper_shift": 0.5 + PAPER_SHIFT + 1})
    assert [f.evidence["field"] for f in tampering(odd)] == ["name"]
    assert tampering(odd, seals=(Box(250, 40, 200, 200),)) == []


def test_ink_of_another_hue_is_flagged_unless_under_a_seal():
    bluish = {"ink_colour": (1.0 + INK_HUE, -1.0 - 2.0)}
    found = tampering(traces(number=bluish))
    assert [(f.evidence["field"], f.evidence["ink_hue_distance"]) for f in found] == [
        ("number", pytest.approx(((INK_HUE) ** 2 + 4) ** 0.5, abs=0.1))]
    assert "another hue" in found[0].message
    assert tampering(traces(number={"ink_colour": (1.0 + 0.8 * INK_HUE, -1.0)})) == []
    assert tampering(traces(name=bluish), seals=(Box(250, 40, 200, 200),)) == []


def test_a_hue_apart_by_less_than_coloured_light_spreads_the_others_is_not_a_paste():
    """A phone photo under coloured light spreads the values' hues; one value must stand apart by far
    more than the others differ among themselves."""
    odd = {"ink_colour": (1.0 + INK_HUE + 1.0, -1.0)}
    spread = 2 * (INK_HUE + 1.0) / HUE_SPREAD  # the others' median distance from their centre, doubled
    lit = {"name": {"ink_colour": (1.0, -1.0 + spread)}, "category": {"ink_colour": (1.0, -1.0 - spread)},
           "valid_until": {"ink_colour": (1.0 + spread, -1.0)}}
    assert [f.evidence["field"] for f in tampering(traces(number=odd))] == ["number"]
    assert tampering(traces(number=odd, **lit)) == []


def test_a_peer_under_a_seal_is_no_hue_baseline():
    """Seal ink mixes into the print beneath it: a sealed value's hue neither flags nor clears another."""
    rows = traces(item={"ink_colour": (1.0 + INK_HUE, -1.0)}, valid_until={"ink_colour": (1.0 + INK_HUE, -1.0)})
    assert tampering(rows) == []  # item and valid_until are nearest neighbours and alike: shade, not a paste
    seal_over_valid_until = (Box(350, 230, 100, 60),)
    assert [f.evidence["field"] for f in tampering(rows, seals=seal_over_valid_until)] == ["item"]


def test_tampering_makes_the_verdict_suspect():
    reading = replace(genuine("special_operation"), traces=traces(number={"ink_contrast": 0.3}))
    report = verify(reading, context("special_operation"))
    assert "TAMPERING" in [f.code for f in report.findings] and report.verdict == "suspect"


def test_shade_over_neighbouring_values_is_not_a_paste():
    """Two values side by side both faint, or both on tinted paper: lighting, which touches neighbours
    alike; the same on one value alone is flagged."""
    faint = {"ink_contrast": 0.8 * FAINT_INK * 0.9}
    assert [f.evidence["field"] for f in tampering(traces(item=faint))] == ["item"]
    assert tampering(traces(item=faint, valid_until=faint)) == []
    tinted = {"paper_shift": 0.5 + PAPER_SHIFT + 1}
    assert [f.evidence["field"] for f in tampering(traces(item=tinted))] == ["item"]
    assert tampering(traces(item=tinted, valid_until=tinted)) == []


def test_faint_small_print_is_compared_with_print_of_its_size():
    """A card that prints its dates smaller: in a low-resolution copy small print blurs fainter, so
    the dates are weighed against each other, not against the larger values; a faint value among
    values of its own size is still flagged."""
    small = {"ink_contrast": 0.8 * FAINT_INK * 0.9}
    rows = list(traces(item=small, valid_until=small))
    rows[3] = replace(rows[3], box=Box(100, 180, 200, 20))  # item printed smaller
    rows[4] = replace(rows[4], box=Box(400, 180, 200, 20))  # valid_until too, on the same row
    assert tampering(tuple(rows)) == []
    assert [f.evidence["field"] for f in tampering(traces(item=small))] == ["item"]
