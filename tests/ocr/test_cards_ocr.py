"""End to end on rendered cards: Tesseract reads them and the fields come out right, with evidence
boxes where the values were drawn, also when the card is photographed tilted, shaded or sideways."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import CARDS, EQUIPMENT, OPERATOR
from PIL import Image

from ocr.fields import read_fields
from ocr.load import load_image
from ocr.types import Box, ReadFields

MIN_CONFIDENCE = 0.6  # what verification trusts by default

OPERATOR_FIELDS = {
    "name": "张伟", "sex": "男", "number": "T11010519491231002X", "category": "电工作业", "item": "低压电工作业",
    "first_issued": "2019-07-25", "valid_from": "2019-07-25", "valid_until": "2025-07-24",
    "authority": "北京市应急管理局",
}
EXPECTED = {
    "label_value": ("special_operation", OPERATOR_FIELDS),
    "two_column": ("special_operation", {**OPERATOR_FIELDS, "review_date": "2022-07-25"}),
    "value_below": ("special_equipment", {
        "name": "李娜", "number": "510602197603143578", "item": "Q2", "first_issued": "2019-07-25",
        "valid_from": "2019-07-25", "valid_until": "2023-07-24", "authority": "沈阳市市场监督管理局"}),
}
DRAWN_AS = {"valid_from": "validity", "valid_until": "validity"}


def read(engine, specs, image: Image.Image) -> ReadFields:
    return read_fields(engine.read(image), specs.values())


def assert_fields(result: ReadFields, scheme: str, expected: dict[str, str]) -> None:
    assert result.scheme == scheme
    assert {name: result.fields[name].value if name in result.fields else None for name in expected} == expected
    confidences = {name: result.fields[name].confidence for name in expected}
    assert {name: value for name, value in confidences.items() if value < MIN_CONFIDENCE} == {}


def same_place(reading_box: Box, drawn: tuple[int, int, int, int]) -> bool:
    """Either box holds the other's centre (a range end's box lies inside the drawn range)."""
    drawn_box = Box(*drawn)

    def holds(outer: Box, inner: Box) -> bool:
        cx, cy = inner.x + inner.w / 2, inner.y + inner.h / 2
        return outer.x <= cx <= outer.x + outer.w and outer.y <= cy <= outer.y + outer.h

    return holds(reading_box, drawn_box) or holds(drawn_box, reading_box)


@pytest.mark.parametrize("layout", sorted(CARDS))
def test_fields_are_read_from_each_layout(specs, card_lines, layout):
    scheme, expected = EXPECTED[layout]
    assert_fields(read_fields(card_lines[layout], specs.values()), scheme, expected)


@pytest.mark.parametrize("layout", sorted(CARDS))
def test_evidence_boxes_cover_the_drawn_values(specs, card_lines, rendered_cards, layout):
    result = read_fields(card_lines[layout], specs.values())
    drawn = rendered_cards[layout].boxes
    misplaced = {name: (reading.box.as_list(), drawn[DRAWN_AS.get(name, name)])
                 for name, reading in result.fields.items()
                 if DRAWN_AS.get(name, name) in drawn and not same_place(reading.box, drawn[DRAWN_AS.get(name, name)])}
    assert misplaced == {}


def test_the_seal_over_a_value_does_not_hide_it(specs, card_lines):
    # label_value stamps its seal across the authority and the end of the validity range.
    fields = read_fields(card_lines["label_value"], specs.values()).fields
    assert (fields["authority"].value, fields["valid_until"].value) == (OPERATOR_FIELDS["authority"], "2025-07-24")


def photographed(card: Image.Image) -> Image.Image:
    """The card tilted 3° on a dark desk, lit from one side, saved as a mid-quality JPEG."""
    desk = Image.new("RGB", (1500, 1100), (88, 72, 55))
    desk.paste(card.rotate(3, expand=True, fillcolor=(88, 72, 55), resample=Image.Resampling.BICUBIC), (220, 200))
    pixels = np.asarray(desk).astype(float) * np.linspace(0.6, 1.0, desk.width)[None, :, None]
    buffer = io.BytesIO()
    Image.fromarray(pixels.astype(np.uint8)).save(buffer, "JPEG", quality=60)
    return load_image(buffer.getvalue()).image


@pytest.mark.parametrize("layout", sorted(CARDS))
def test_a_tilted_shaded_photo_is_read_and_nothing_wrong_is_confident(engine, specs, rendered_cards, layout):
    """Through a photo some values may become unreadable (the seal's ring crossing a digit), but a
    wrong value must never come with a confidence verification would trust."""
    scheme, expected = EXPECTED[layout]
    result = read(engine, specs, photographed(rendered_cards[layout].image))
    assert result.scheme == scheme
    trusted = {name: reading.value for name, reading in result.fields.items()
               if name in expected and reading.confidence >= MIN_CONFIDENCE}
    assert {name: value for name, value in trusted.items() if value != expected[name]} == {}
    assert len(trusted) >= 2 / 3 * len(expected)


def test_exif_orientation_6_reads_the_same_as_the_upright_card(engine, specs, rendered_cards):
    # Phones store the sensor's landscape pixels and an Orientation tag; 6 = "rotate 90° clockwise".
    stored = rendered_cards["label_value"].image.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    buffer = io.BytesIO()
    stored.save(buffer, "JPEG", quality=92, exif=exif)
    loaded = load_image(buffer.getvalue())
    assert loaded.image.size == rendered_cards["label_value"].image.size
    assert_fields(read(engine, specs, loaded.image), *EXPECTED["label_value"])


def test_fixture_values_match_what_the_cards_print():
    assert OPERATOR["number"] == OPERATOR_FIELDS["number"] and EQUIPMENT["item"] == "Q2"
