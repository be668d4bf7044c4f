"""decode_qr: payloads only from a decoder, boxes in image pixels, unreadable symbols still noticed."""

from __future__ import annotations

import numpy as np
import qrcode
from PIL import Image, ImageDraw, ImageOps

from ocr import qr
from ocr.qr import decode_qr

URL = "https://cx.mem.gov.cn/special?index=0&certNum=T11010519491231002X"
MODULE, BORDER, AT = 4, 2, (620, 380)


def card_with_qr(text: str = URL) -> Image.Image:
    card = Image.new("RGB", (1000, 640), (236, 244, 238))
    card.paste(qrcode.make(text, box_size=MODULE, border=BORDER).get_image().convert("RGB"), AT)
    return card


def symbol_box(card_text: str = URL) -> tuple[int, int, int]:
    modules = qrcode.make(card_text, box_size=1, border=0).get_image().size[0]
    return AT[0] + BORDER * MODULE, AT[1] + BORDER * MODULE, modules * MODULE


def test_a_printed_qr_is_decoded_exactly_with_its_box():
    reading = decode_qr(card_with_qr())
    assert reading.symbol_seen
    assert [p.text for p in reading.payloads] == [URL]
    x, y, side = symbol_box()
    box = reading.payloads[0].box
    assert abs(box.x - x) <= 2 and abs(box.y - y) <= 2 and abs(box.w - side) <= 3 and abs(box.h - side) <= 3


def test_non_ascii_payload_is_returned_as_text():
    assert decode_qr(card_with_qr("证号:T11010519491231002X")).payloads[0].text == "证号:T11010519491231002X"


def test_inverted_and_rotated_symbols_are_read():
    card = card_with_qr()
    assert decode_qr(ImageOps.invert(card)).payloads[0].text == URL
    assert decode_qr(card.rotate(90, expand=True)).payloads[0].text == URL


def test_no_symbol_means_no_payload_and_nothing_seen():
    reading = decode_qr(Image.new("RGB", (400, 300), "white"))
    assert (reading.payloads, reading.symbol_seen) == ([], False)


def test_a_damaged_symbol_is_seen_but_yields_no_payload():
    card = card_with_qr()
    x, y, side = symbol_box()
    ImageDraw.Draw(card).rectangle((x + side // 5, y + side // 5, x + side * 3 // 5, y + side * 3 // 4), fill="white")
    reading = decode_qr(card)
    assert (reading.payloads, reading.symbol_seen) == ([], True)


def test_opencv_decodes_when_zxing_finds_nothing(monkeypatch):
    monkeypatch.setattr(qr, "read_with_zxing", lambda gray: ([], False))
    reading = decode_qr(card_with_qr())
    assert [p.text for p in reading.payloads] == [URL]
    assert reading.payloads[0].decoder.startswith("opencv")
    x, y, side = symbol_box()
    assert abs(reading.payloads[0].box.x - x) <= 3 and abs(reading.payloads[0].box.w - side) <= 4


def test_opencv_variants_map_boxes_back_from_the_upscaled_image():
    points = np.array([[200, 100], [400, 100], [400, 300], [200, 300]], dtype=np.float32)
    assert qr.box_from_points(points, scale=2.0).as_list() == [100, 50, 100, 100]
