"""The layout stage on hand-built lines and a drawn card: title row, label order, seals."""

from __future__ import annotations

from PIL import Image, ImageDraw

from ocr.layout import find_seals, observe_layout
from ocr.types import Box, DocumentSpec, FieldSpec, TextLine

SPEC = DocumentSpec("demo", ("特种作业操作证",), (
    FieldSpec("name", ("姓名",)), FieldSpec("sex", ("性别",)), FieldSpec("number", ("证号",)),
    FieldSpec("authority", ("签发机关",)),
))


def line(text: str, row: int, x: int = 60) -> TextLine:
    return TextLine(text, 0.98, Box(x, 40 + 60 * row, 30 * len(text), 36))


def card(seal: bool) -> Image.Image:
    image = Image.new("RGB", (900, 560), (236, 240, 232))
    if seal:
        ImageDraw.Draw(image).ellipse((560, 300, 760, 500), outline=(200, 30, 30), width=10)
    return image


BODY = [line("姓名：张三", 1), line("性别：男", 2), line("证号：T11010519491231002X", 3), line("签发机关：北京市应急管理局", 4)]


def test_title_on_top_labels_in_order_and_the_seal():
    observed = observe_layout(card(seal=True), [line("特种作业操作证", 0, x=300), *BODY], SPEC)
    assert observed.title == "特种作业操作证" and observed.title_similarity == 1.0
    assert observed.title_above_labels is True
    assert observed.label_order == ("name", "sex", "number", "authority")
    assert len(observed.seals) == 1
    seal = observed.seals[0]
    assert abs(seal.x - 560) <= 12 and abs(seal.w - 200) <= 24


def test_title_at_the_foot_and_no_seal():
    lines = [*BODY[::-1], line("特种作业操作证", 5, x=300)]
    lines = [TextLine(item.text, item.confidence, Box(item.box.x, 40 + 60 * i, item.box.w, 36))
             for i, item in enumerate(lines)]
    observed = observe_layout(card(seal=False), lines, SPEC)
    assert observed.title_above_labels is False
    assert observed.label_order == ("authority", "number", "sex", "name")
    assert observed.seals == ()


def test_a_reddish_desk_is_not_a_seal_and_does_not_hide_one():
    image = Image.new("RGB", (900, 700), (170, 120, 90))  # a reddish wooden desk fills the photo
    ImageDraw.Draw(image).rectangle((100, 100, 800, 600), fill=(238, 214, 206))  # pinkish card
    assert find_seals(image, BODY) == ()
    ImageDraw.Draw(image).ellipse((560, 330, 740, 510), outline=(205, 40, 40), width=9)
    assert len(find_seals(image, BODY)) == 1


def test_a_slanted_line_is_as_high_as_its_print_not_its_image_box():
    """A 300 × 30 px line turned 30°: its upright image box is 176 px high, its print 30."""
    corners = ((0.0, 150.0), (259.8, 0.0), (274.8, 26.0), (15.0, 176.0))  # reading order
    slanted = TextLine("有效期限", 0.98, Box(0, 0, 275, 176), quad=corners)
    assert round(slanted.height) == 30
    assert TextLine("有效期限", 0.98, Box(0, 0, 275, 30)).height == 30  # no corners: the box's shorter side
