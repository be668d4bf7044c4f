"""The second look: strips beside labels read without a value, placed by the label's line, and read again."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from ocr.fields import read_fields
from ocr.second_look import bare_label_strips, lost, read_card
from ocr.types import Box, FieldReading, ReadFields, StripText, TextLine

FIXTURES = Path(__file__).parents[1] / "fixtures" / "second-look"


def line(text: str, x: int, y: int, w: int, h: int = 20, quad: tuple = ()) -> TextLine:
    """A line whose layout box is its image box unless corners are given."""
    return TextLine(text, 0.99, Box(x, y, w, h), layout_box=Box(x, y, w, h), quad=quad)


def card(sex_row: list[TextLine]) -> list[TextLine]:
    return [line("特种作业操作证", 100, 10, 300), line("姓名：张伟", 50, 60, 100), *sex_row,
            line("证号：T11010519491231002X", 50, 140, 330), line("签发机关：北京市应急管理局", 50, 180, 240)]


def strips_of(lines, specs):
    spec = specs["special_operation"]
    return bare_label_strips(lines, spec, read_fields(lines, [spec]))


def test_a_label_read_without_a_value_gets_a_strip_to_the_prints_right_edge(specs):
    [strip] = strips_of(card([line("性别：", 50, 100, 60)]), specs)
    assert strip.fields == ("sex",) and strip.replaces == ()
    assert (strip.start, strip.end) == (110, 380)  # after the label's line, to the widest row's end


def test_no_strip_where_the_next_label_leaves_no_room_for_a_value(specs):
    """Less than two rows' height: a strip that narrow, cut out, would stand on end."""
    assert strips_of(card([line("性别：", 50, 100, 60), line("初领日期：2019-07-25", 140, 100, 130)]), specs) == []


def test_a_strip_stops_at_the_next_label_on_its_row(specs):
    [strip] = strips_of(card([line("性别：", 50, 100, 60), line("初领日期：2019-07-25", 250, 100, 130)]), specs)
    assert strip.fields == ("sex",) and (strip.start, strip.end) == (110, 250)


@pytest.mark.parametrize("sex_row", [
    [line("性别：男", 50, 100, 80)],  # read: nothing to look at again
    [line("性别：", 50, 100, 60), line("性别：男", 50, 220, 80)],  # read beside another of its labels
])
def test_no_strip_where_the_field_was_read(specs, sex_row):
    assert strips_of(card(sex_row), specs) == []


def test_an_unreadable_value_on_a_line_of_its_own_is_replaced_by_what_the_strip_shows(specs):
    value = line("2022年03月171日1", 130, 100, 150)  # a date with a digit lost: read, but no date
    [strip] = strips_of(card([line("初领日期：", 50, 100, 70), value]), specs)
    assert strip.fields == ("first_issued",) and strip.replaces == (value,)


def test_a_range_with_one_end_unreadable_is_looked_at_again(specs):
    value = line("2025年12124日至2031年12月24日", 130, 100, 250)
    [strip] = strips_of(card([line("有效期：", 50, 100, 60), value]), specs)
    assert strip.fields == ("validity",) and strip.replaces == (value,)


def test_a_second_look_that_loses_a_value_read_before_is_not_taken():
    before = ReadFields("special_operation", 1.0, {"sex": FieldReading("男", "男", 0.9),
                                                   "name": FieldReading(None, "", 0)})
    assert lost(before, ReadFields("special_operation", 1.0, {"name": FieldReading("张伟", "张伟", 0.9)}))
    assert not lost(before, ReadFields("special_operation", 1.0, {"sex": FieldReading("男", "男", 0.9),
                                                                  "name": FieldReading("张伟", "张伟", 0.9)}))


def test_an_unreadable_value_on_its_labels_line_is_left(specs):
    assert strips_of(card([line("初领日期：2022年03月171日1", 50, 100, 220)]), specs) == []


def test_a_strip_is_placed_in_the_image_along_its_labels_corners(specs):
    """A card photographed a quarter turn round: the label's print runs down the image, and so does its strip."""
    turned = ((500.0, 50.0), (500.0, 110.0), (480.0, 110.0), (480.0, 50.0))  # layout x → image y, y → −x
    [strip] = strips_of(card([line("性别：", 50, 100, 60, quad=turned)]), specs)
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = strip.quad(strip.start, strip.start + 30)
    assert (x0, y0) == pytest.approx((500, 110)) and (x1, y1) == pytest.approx((500, 140))
    assert (x2, y2) == pytest.approx((480, 140)) and (x3, y3) == pytest.approx((480, 110))
    found = strip.text_line(StripText("男", 0.98, 0.0, 30 / 270), (600, 600))
    assert found.layout_box == Box(110, 100, 30, 20) and found.box == Box(480, 110, 20, 30)


@pytest.mark.parametrize(("image", "expected"), [
    # (seed 20261125) a lone 男 beside 性别 the card-wide detector did not find
    ("lone-sex-value-phone.jpg", {"sex": "男"}),
    # (seed 7171) faint black print under the seal, its tint taken for the seal's own lettering and dropped
    ("values-under-seal-phone.jpg", {"valid_from": "2024-02-27", "valid_until": "2030-02-26",
                                     "authority": "上海市应急管理局"}),
    # (seed 4242) 2025年05月17日 read as 2025年05月171日1 on a line of its own
    ("date-digit-lost-phone.jpg", {"valid_from": "2025-05-17"}),
])
def test_values_the_first_reading_missed_are_read_at_a_second_look(rapid, specs, image, expected):
    photo = Image.open(FIXTURES / image).convert("RGB")
    first = read_fields(rapid.read(photo), list(specs.values()))
    _, second = read_card(rapid, photo, list(specs.values()))
    assert all(first.fields.get(name) is None or first.fields[name].value is None for name in expected)
    assert {name: second.fields[name].value for name in expected} == expected
