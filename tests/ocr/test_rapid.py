"""RapidOCR engine: rendered cards read upright and turned, levelled layout boxes, seal lettering
dropped, typed failures, and the factory's configured default."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import CARDS
from PIL import Image, ImageEnhance

from ocr import engines
from ocr.engines import EngineUnavailable, RapidOcrEngine, TesseractEngine, get_engine
from ocr.engines.rapid import default_threads, red_dropout_gray, unstacked
from ocr.fields import read_fields
from ocr.geometry import DebugSink
from ocr.layout import find_seals
from ocr.types import Box

MIN_CONFIDENCE = 0.6
LABEL_VALUE = {
    "name": "张伟", "sex": "男", "number": "T11010519491231002X", "category": "电工作业", "item": "低压电工作业",
    "first_issued": "2019-07-25", "valid_from": "2019-07-25", "valid_until": "2025-07-24",
    "authority": "北京市应急管理局",
}


@pytest.fixture(scope="session")
def label_value(rendered_cards) -> Image.Image:
    return rendered_cards["label_value"].image


@pytest.fixture(scope="session")
def label_value_lines(rapid, label_value) -> list:
    return rapid.read(label_value)


def inside(box: Box, image: Image.Image) -> bool:
    return box.x >= 0 and box.y >= 0 and box.w > 0 and box.h > 0 and box.x + box.w <= image.width \
        and box.y + box.h <= image.height


def test_reads_a_rendered_card_with_boxes_inside_the_image(label_value_lines, label_value):
    text = "".join(line.text for line in label_value_lines)
    assert "张伟" in text and LABEL_VALUE["number"] in text
    assert all(inside(line.box, label_value) for line in label_value_lines)
    assert all(0.0 <= line.confidence <= 1.0 for line in label_value_lines)


def test_fields_of_a_rendered_card_are_read_and_trusted(specs, label_value_lines, rendered_cards):
    result = read_fields(label_value_lines, specs.values())
    assert result.scheme == "special_operation"
    assert {name: result.fields[name].value for name in LABEL_VALUE} == LABEL_VALUE
    assert {name: r.confidence for name, r in result.fields.items() if r.confidence < MIN_CONFIDENCE} == {}
    # The name's evidence box holds the centre of where it was drawn.
    x, y, w, h = rendered_cards["label_value"].boxes["name"]
    box = result.fields["name"].box
    assert box.x <= x + w / 2 <= box.x + box.w and box.y <= y + h / 2 <= box.y + box.h


def turned_point(x: float, y: float, size: tuple[int, int], turn: Image.Transpose) -> tuple[float, float]:
    """Where the point (x, y) of an image of `size` lands after `Image.transpose(turn)`."""
    width, height = size
    return {Image.Transpose.ROTATE_90: (y, width - x), Image.Transpose.ROTATE_180: (width - x, height - y),
            Image.Transpose.ROTATE_270: (height - y, x)}[turn]


@pytest.mark.parametrize("turn", [Image.Transpose.ROTATE_90, Image.Transpose.ROTATE_180, Image.Transpose.ROTATE_270])
def test_a_card_photographed_turned_reads_like_the_upright_one(rapid, specs, rendered_cards, label_value, turn):
    """Layout boxes are levelled to the text's reading direction, and the seal's own lettering,
    which lands beside the authority when turned, does not run into it. A value's evidence box is
    where the value lies in the turned image, not where its label does: its line runs right to left
    (upside down) or down the image (a quarter turn)."""
    turned = label_value.transpose(turn)
    lines = rapid.read(turned)
    assert all(inside(line.box, turned) for line in lines)
    assert all(line.layout_box is not None for line in lines)
    result = read_fields(lines, specs.values())
    assert result.scheme == "special_operation"
    assert {name: result.fields[name].value for name in LABEL_VALUE} == LABEL_VALUE
    x, y, w, h = rendered_cards["label_value"].boxes["name"]
    centre_x, centre_y = turned_point(x + w / 2, y + h / 2, label_value.size, turn)
    box = result.fields["name"].box
    assert box.x <= centre_x <= box.x + box.w and box.y <= centre_y <= box.y + box.h
    label_x, label_y = turned_point(x - h, y + h / 2, label_value.size, turn)  # 名 of 姓名, left of the value
    assert not (box.x <= label_x <= box.x + box.w and box.y <= label_y <= box.y + box.h)


def test_two_label_value_pairs_on_one_row_are_split(rapid, specs, rendered_cards):
    card, values = rendered_cards["two_column"], CARDS["two_column"][1]
    fields = read_fields(rapid.read(card.image), specs.values()).fields
    assert (fields["name"].value, fields["sex"].value) == (values["name"], values["sex"])
    assert (fields["category"].value, fields["item"].value) == (values["category"], values["item"])


def test_each_stage_dumps_a_debug_image(rapid, label_value, tmp_path):
    lines = rapid.read(label_value.transpose(Image.Transpose.ROTATE_90), debug=DebugSink(tmp_path))
    assert lines
    assert sorted(p.name for p in tmp_path.iterdir()) == ["01-card.png", "02-rectified.png", "03-upright.png"]
    with Image.open(tmp_path / "03-upright.png") as upright:
        assert upright.width > upright.height  # the quarter turn is undone: the card is landscape again


def quad(x0: int, y0: int, x1: int, y1: int) -> np.ndarray:
    return np.array([(x0, y0), (x1, y0), (x1, y1), (x0, y1)], dtype=np.float64)


def test_a_column_of_stacked_characters_is_cut_where_its_ink_pauses():
    """Two label characters one above the other (姓 over 性), the second drawn as three bars like 三."""
    gray = np.full((200, 100), 255, dtype=np.uint8)
    gray[20:50, 30:60] = 0  # a solid glyph
    for top in (100, 112, 124):  # a glyph with gaps of its own
        gray[top:top + 6, 30:60] = 0
    parts = unstacked(gray, quad(25, 15, 65, 135))
    assert [(p[0, 1], p[2, 1]) for p in parts] == [(20, 50), (100, 130)]  # top and bottom of each glyph
    assert all((p[0, 0], p[1, 0]) == (25, 65) for p in parts)  # across the column's width
    line = quad(10, 10, 90, 40)  # an ordinary line, wider than tall
    assert unstacked(gray, line) == [line]


def test_red_dropout_lightens_seal_ink_and_keeps_black_print():
    rgb = np.array([[[215, 30, 35], [20, 20, 20], [240, 242, 238], [30, 60, 130]]], dtype=np.uint8)
    gray = red_dropout_gray(np.repeat(np.repeat(rgb, 9, axis=0), 9, axis=1))
    seal, black, paper, blue = gray[4, 4], gray[4, 13], gray[4, 22], gray[4, 31]
    assert seal > 200 and black < 40 and paper > 230 and blue < 90


def test_threads_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("CERTGUARD_OCR_THREADS", "3")
    assert default_threads() == 3
    monkeypatch.delenv("CERTGUARD_OCR_THREADS")
    assert default_threads() == 2
    monkeypatch.setenv("CERTGUARD_OCR_THREADS", "many")
    with pytest.raises(ValueError, match="CERTGUARD_OCR_THREADS"):
        default_threads()


def test_a_missing_package_is_a_typed_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "rapidocr_onnxruntime", None)  # import now raises ImportError
    with pytest.raises(EngineUnavailable, match="rapidocr_onnxruntime"):
        RapidOcrEngine()


def test_the_default_engine_follows_certguard_ocr_engine(monkeypatch, rapid):
    monkeypatch.setattr(engines, "_built", {"rapidocr": rapid})  # reuse the loaded models
    monkeypatch.delenv("CERTGUARD_OCR_ENGINE", raising=False)
    assert get_engine() is rapid and get_engine().name == "rapidocr"
    monkeypatch.setenv("CERTGUARD_OCR_ENGINE", "tesseract")
    assert isinstance(get_engine(), TesseractEngine) and get_engine() is get_engine("tesseract")
    monkeypatch.setenv("CERTGUARD_OCR_ENGINE", "nope")
    with pytest.raises(ValueError, match="Unknown OCR engine"):
        get_engine()


SEAL_FIXTURES = Path(__file__).parents[1] / "fixtures" / "seals"


@pytest.mark.parametrize(("image", "value"), [
    # generated cards (samples.generate, seed 4242) whose value the reader once lost to the seal:
    ("date-above-seal-lowres.jpg", "2024-08-17"),  # the seal's faint ring hid the line from the detector
    ("authority-under-seal-phone.jpg", "四川省应急管理厅"),  # print under the seal taken for its lettering
    # (seed 9090) the card's edge lost against white paper and the seal hiding this line from the coarse
    # detector: the card was cut at the lines found, before the line's last characters
    ("validity-by-seal-uncut-card-phone.jpg", "有效期限：2025年08月18日至2031年08月18日"),
])
def test_a_value_touching_the_seal_is_read(rapid, image, value):
    lines = rapid.read(Image.open(SEAL_FIXTURES / image))
    assert value in [line.text for line in lines]


@pytest.mark.parametrize("image", [
    "seal-by-orange-desk-phone.jpg",  # stamped near the card's edge, above an orange desk it once merged with
    "faint-seal-pink-paper-lowres.jpg",  # a low-resolution copy's faint rim on pink paper, once broken apart
    "seal-by-green-desk-phone.jpg",  # (seed 6060) a green desk once raised the whole card's tint to the seal's
])
def test_the_seal_of_a_generated_card_is_found(rapid, image):
    photo = Image.open(SEAL_FIXTURES / image)
    assert len(find_seals(photo, rapid.read(photo))) >= 1


def test_the_seal_of_a_slanted_card_is_told_from_a_red_portrait(rapid):
    """(seed 8181) A card photographed at a slant beside a red-backed portrait: line heights taken
    from the lines' upright image boxes, twice the print's, made the seal too small to count, and
    the portrait's red ground was taken for it."""
    photo = Image.open(SEAL_FIXTURES / "seal-on-slanted-card-phone.jpg")
    seals = find_seals(photo, rapid.read(photo))
    seal_centre, portrait_centre = (596, 564), (575, 190)
    assert [any(covers(seal, point) for seal in seals) for point in (seal_centre, portrait_centre)] == [True, False]


def covers(box: Box, point: tuple[int, int]) -> bool:
    return box.x <= point[0] <= box.x + box.w and box.y <= point[1] <= box.y + box.h


def test_the_seal_of_a_dim_photo_is_found(rapid):
    """The same card photographed in poor light (brightness and contrast at 70%): its seal's tint halves
    with the contrast, and is measured against the photo's own range."""
    photo = Image.open(SEAL_FIXTURES / "faint-seal-phone.jpg")
    assert len(find_seals(photo, rapid.read(photo))) >= 1
    dim = ImageEnhance.Contrast(ImageEnhance.Brightness(photo).enhance(0.7)).enhance(0.7)
    assert len(find_seals(dim, rapid.read(dim))) >= 1
