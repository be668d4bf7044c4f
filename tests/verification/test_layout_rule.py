"""LAYOUT_MISMATCH from observed layouts: each departure named, genuine layouts left alone."""

from __future__ import annotations

from dataclasses import replace

import pytest
from helpers import KINDS, context, genuine

from ocr.layout import ObservedLayout
from ocr.types import Box
from verification.kinds import KindFileError, load_kind
from verification.rules.layout import check_layout, out_of_order

SEAL = (Box(600, 400, 160, 160),)


def observed(kind_id: str, **changes) -> ObservedLayout:
    """A card that fits its kind's first template: title on top, labels in order, sealed."""
    template = KINDS[kind_id].layouts[0]
    base = ObservedLayout(KINDS[kind_id].titles[0], 1.0, 0.99, True, template.order[:6], SEAL)
    return replace(base, **changes)


def layout_codes(kind_id: str, layout: ObservedLayout) -> list:
    reading = replace(genuine(kind_id), layout=layout)
    return check_layout(reading, context(kind_id))


@pytest.mark.parametrize("kind_id", sorted(KINDS))
def test_a_card_that_fits_its_template_passes(kind_id):
    assert layout_codes(kind_id, observed(kind_id)) == []


@pytest.mark.parametrize("kind_id", sorted(KINDS))
@pytest.mark.parametrize(("change", "named"), [
    ({"title_above_labels": False}, "not above the fields"),
    ({"seals": ()}, "no red seal"),
    ({"title_similarity": 0.8}, "not the kind's title"),
])
def test_each_departure_is_named(kind_id, change, named):
    findings = layout_codes(kind_id, observed(kind_id, **change))
    assert [f.code for f in findings] == ["LAYOUT_MISMATCH"]
    assert any(named in departure for departure in findings[0].evidence["departures"])
    assert findings[0].evidence["template"] == KINDS[kind_id].layouts[0].name


def test_shuffled_labels_depart_but_one_swap_does_not():
    order = KINDS["special_operation"].layouts[0].order
    one_swap = (order[1], order[0], *order[2:8])
    assert layout_codes("special_operation", observed("special_operation", label_order=one_swap)) == []
    reversed_order = tuple(reversed(order[:8]))
    findings = layout_codes("special_operation", observed("special_operation", label_order=reversed_order))
    assert "labels out of order" in findings[0].message
    assert f"{reversed_order[0]} before {reversed_order[1]}" in findings[0].message


def test_a_doubtfully_read_title_is_not_called_misspelt():
    """Unreadable is not forged: a poorly read title alone raises nothing."""
    assert layout_codes("special_operation", observed("special_operation", title_similarity=0.8,
                                                      title_confidence=0.6)) == []


def test_too_few_labels_depart():
    findings = layout_codes("special_operation", observed("special_operation", label_order=("name", "sex")))
    assert "only 2 of the labels" in findings[0].message


def test_no_observation_or_no_template_raises_nothing():
    assert check_layout(genuine("special_operation"), context("special_operation")) == []


def test_out_of_order_counts_pairs_of_template_fields_only():
    assert out_of_order(("a", "b", "c"), ("a", "b", "c")) == (0.0, [])
    share, swapped = out_of_order(("c", "x", "a", "b"), ("a", "b", "c"))
    assert swapped == [("c", "a"), ("c", "b")] and share == pytest.approx(2 / 3)


def test_a_province_adds_a_template_as_data(tmp_path):
    """A second template a card fits is enough: a province's variant is data, not code."""
    data = KINDS["special_operation"].path.read_text(encoding="utf-8")
    variant = data.replace("layouts:\n", "layouts:\n  - name: title at the foot\n    title: any\n    seal: true\n", 1)
    path = tmp_path / "special_operation.yaml"
    path.write_text(variant, encoding="utf-8")
    kind = load_kind(path)
    reading = replace(genuine("special_operation"), layout=observed("special_operation", title_above_labels=False))
    assert check_layout(reading, replace(context("special_operation"), kind=kind)) == []


def test_a_template_naming_an_unknown_field_is_refused(tmp_path):
    data = KINDS["special_operation"].path.read_text(encoding="utf-8")
    path = tmp_path / "special_operation.yaml"
    path.write_text(data.replace("order: [name,", "order: [nmae,", 1), encoding="utf-8")
    with pytest.raises(KindFileError, match="layouts.0.order: 'nmae'"):
        load_kind(path)
