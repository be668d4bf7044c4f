"""decode_qr: payloads only from a decoder, boxes in image pixels, unreadable symbols still noticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageDraw, ImageOps

from ocr import qr
from ocr.qr import Located, Variant, decode_qr

URL = "https://cx.mem.gov.cn/special?index=0&certNum=T11010519491231002X"
MODULE, BORDER, AT = 4, 2, (620, 380)
COMMITTED = Path(__file__).resolve().parents[2] / "samples" / "committed"


def card_with_qr(text: str | bytes = URL) -> Image.Image:
    card = Image.new("RGB", (1000, 640), (236, 244, 238))
    card.paste(qrcode.make(text, box_size=MODULE, border=BORDER).get_image().convert("RGB"), AT)
    return card


def symbol_box(card_text: str = URL) -> tuple[int, int, int]:
    modules = qrcode.make(card_text, box_size=1, border=0).get_image().size[0]
    return AT[0] + BORDER * MODULE, AT[1] + BORDER * MODULE, modules * MODULE


def crumpled(text: str, amplitude: float, module: int = 6) -> np.ndarray:
    """A symbol whose middle ripples by `amplitude` pixels while its corners stay put, like cloth."""
    image = np.asarray(qrcode.make(text, box_size=module, border=4).get_image().convert("L"))
    height, width = image.shape
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    bump = np.sin(np.pi * xs / width) * np.sin(np.pi * ys / height)
    map_x = xs + amplitude * bump * np.sin(4 * np.pi * ys / height)
    map_y = ys + amplitude * bump * np.sin(4 * np.pi * xs / width)
    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderValue=255)


def zxing_alone(gray: np.ndarray) -> list[str]:
    return [b.text for b in zxingcpp.read_barcodes(gray, formats=qr.QR_FORMATS, text_mode=zxingcpp.TextMode.Plain)]


def no_zxing_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    """zxing on whole images and variants finds nothing; resampling still decodes with zxing."""
    monkeypatch.setattr(qr, "read_with_zxing", lambda variant, binarizer: ([], []))


def test_a_printed_qr_is_decoded_exactly_with_its_box():
    reading = decode_qr(card_with_qr())
    assert reading.symbol_seen
    assert [p.text for p in reading.payloads] == [URL]
    x, y, side = symbol_box()
    box = reading.payloads[0].box
    assert abs(box.x - x) <= 2 and abs(box.y - y) <= 2 and abs(box.w - side) <= 3 and abs(box.h - side) <= 3


def test_non_ascii_payload_is_returned_as_text():
    assert decode_qr(card_with_qr("证号:T11010519491231002X")).payloads[0].text == "证号:T11010519491231002X"


def test_shift_jis_bytes_are_transcoded_not_read_as_latin_1():
    text = "証明書番号：ＱＲコード"
    assert [p.text for p in decode_qr(card_with_qr(text.encode("shift_jis"))).payloads] == [text]


def test_inverted_and_rotated_symbols_are_read():
    card = card_with_qr()
    assert decode_qr(ImageOps.invert(card)).payloads[0].text == URL
    assert decode_qr(card.rotate(90, expand=True)).payloads[0].text == URL


def test_no_symbol_means_no_payload_and_nothing_seen():
    reading = decode_qr(Image.new("RGB", (400, 300), "white"))
    assert (reading.payloads, reading.symbol_seen) == ([], False)


@pytest.mark.parametrize("sample", ["013_construction_operation_expired_phone.jpg",
                                    "017_special_operation_qr_missing_scan.jpg"])
def test_printed_text_that_one_locator_mistakes_for_a_symbol_is_not_a_symbol(sample):
    with Image.open(COMMITTED / sample) as photo:
        reading = decode_qr(photo)
    assert (reading.payloads, reading.symbol_seen) == ([], False)


def test_a_damaged_symbol_is_seen_but_yields_no_payload():
    card = card_with_qr()
    x, y, side = symbol_box()
    ImageDraw.Draw(card).rectangle((x + side // 5, y + side // 5, x + side * 3 // 5, y + side * 3 // 4), fill="white")
    reading = decode_qr(card)
    assert (reading.payloads, reading.symbol_seen) == ([], True)


def test_a_rippled_symbol_zxing_cannot_read_is_resampled_and_read():
    gray = crumpled(URL, amplitude=4)
    assert zxing_alone(gray) == []
    reading = decode_qr(Image.fromarray(gray))
    assert [(p.text, p.decoder) for p in reading.payloads] == [(URL, "zxing-cpp/resampled")]
    box = reading.payloads[0].box
    assert abs(box.x - 24) <= 3 and abs(box.w - 37 * 6) <= 4


def test_the_bending_grid_reads_modules_a_rigid_grid_misses():
    gray = crumpled(URL, amplitude=4)
    symbol = next(s for s in qr.read_with_zxing(Variant("grey", gray, original=True), qr.FIRST_BINARIZER)[1]
                  if s.size == 37)
    expected = qrcode.QRCode(border=0)
    expected.add_data(URL)
    truth = np.array(expected.get_matrix())
    rigid, bending, *_ = qr.module_grids(qr.straighten(gray, symbol.corners, 37), 37)
    assert (rigid != truth).sum() > 50
    assert (bending != truth).sum() == 0


def test_opencv_decodes_ascii_when_zxing_finds_nothing(monkeypatch):
    no_zxing_reads(monkeypatch)
    reading = decode_qr(card_with_qr())
    assert [p.text for p in reading.payloads] == [URL]
    assert reading.payloads[0].decoder.startswith("opencv")
    x, y, side = symbol_box()
    assert abs(reading.payloads[0].box.x - x) <= 3 and abs(reading.payloads[0].box.w - side) <= 4


def test_opencv_latin_1_text_is_refused_and_its_corners_are_resampled(monkeypatch):
    text = "証明書番号：ＱＲコード"
    card = card_with_qr(text.encode("shift_jis"))
    gray = np.ascontiguousarray(np.asarray(card.convert("L")))
    opencv_text = cv2.QRCodeDetector().detectAndDecode(gray)[0]
    assert opencv_text and opencv_text != text  # what OpenCV alone would have returned
    no_zxing_reads(monkeypatch)
    reading = decode_qr(card)
    assert [(p.text, p.decoder) for p in reading.payloads] == [(text, "zxing-cpp/resampled")]


def test_every_variant_maps_a_decoded_box_back_to_image_pixels():
    gray = np.ascontiguousarray(np.asarray(card_with_qr().convert("L")))
    x, y, side = symbol_box()
    checked = 0
    for variant in qr.variants(gray):
        payloads, _ = qr.read_with_zxing(variant, qr.FIRST_BINARIZER)
        if not payloads:
            continue
        box = payloads[0].box
        assert payloads[0].text == URL
        assert abs(box.x + box.w / 2 - (x + side / 2)) <= 4, variant.name
        assert abs(box.y + box.h / 2 - (y + side / 2)) <= 4, variant.name
        checked += 1
    assert checked >= 8


@pytest.mark.parametrize(("corners", "plausible"), [
    ([(0, 0), (100, 0), (100, 100), (0, 100)], True),
    ([(10, 0), (120, 30), (100, 140), (0, 100)], True),  # in perspective
    ([(0, 0), (100, 100), (100, 0), (0, 100)], False),  # crossed
    ([(0, 0), (100, 0), (100, 8), (0, 8)], False),  # a line of text
    ([(0, 0), (0, 0), (0, 0), (0, 0)], False),
])
def test_only_square_like_outlines_are_taken_for_symbols(corners, plausible):
    assert Located(np.array(corners, dtype=np.float64), 21, confirmed=True).plausible is plausible


@pytest.mark.parametrize(("version", "size"), [("1", 21), ("3", 29), ("40", 177), ("M2", 13), ("", None), ("R7", None)])
def test_symbol_size_from_zxing_version(version, size):
    assert qr.symbol_size(version) == size


def test_boxes_are_the_bounds_of_the_corner_points():
    points = np.array([[200.4, 100], [400, 100.2], [400, 300], [200, 299.5]])
    assert qr.box_from_points(points).as_list() == [200, 100, 200, 200]


def test_a_card_that_crashed_opencvs_curved_decoder_is_read_without_crashing_the_process():
    """OpenCV 5.0.0's decodeCurved died with SIGSEGV on this genuine generated scan; a worker must survive it."""
    image = Path(__file__).resolve().parents[1] / "fixtures" / "qr" / "opencv-curved-crash.jpg"
    script = ("import sys; from PIL import Image; from ocr.qr import decode_qr; "
              "print(decode_qr(Image.open(sys.argv[1])).symbol_seen)")
    run = subprocess.run([sys.executable, "-c", script, str(image)], capture_output=True, text=True, timeout=120,
                         cwd=Path(__file__).resolve().parents[2])
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "False"  # the card (a special-equipment scan) carries no QR symbol


def test_dense_print_that_looks_like_a_micro_qr_is_not_a_symbol():
    """A generated card with no QR: zxing once located a Micro QR (format bits and all) in its CJK
    print, and the check asked for a retake of a QR that is not there."""
    image = Image.open(Path(__file__).resolve().parents[1] / "fixtures" / "qr" / "no-qr-dense-print-lowres.jpg")
    reading = decode_qr(image)
    assert reading.payloads == [] and reading.symbol_seen is False
