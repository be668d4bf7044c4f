"""preprocess: seal suppression keeps black text, scaling brings cards into Tesseract's range."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from ocr.preprocess import MAX_LONG_SIDE, MIN_LONG_SIDE, ocr_scale, prepare_for_tesseract, suppress_red_seal


def stamped_text() -> Image.Image:
    """Black bars (text strokes) under a red ring stamped with multiply blending, like ink on toner."""
    card = Image.new("RGB", (200, 100), (240, 244, 238))
    ImageDraw.Draw(card).rectangle((20, 40, 180, 55), fill=(25, 25, 25))
    seal = Image.new("RGB", card.size, (255, 255, 255))
    ImageDraw.Draw(seal).ellipse((60, 10, 140, 90), outline=(215, 30, 35), width=8)
    return ImageChops.multiply(card, seal)


def test_red_seal_pixels_turn_white_and_black_text_under_them_survives():
    cleaned = np.asarray(suppress_red_seal(stamped_text()))
    assert cleaned[12, 100].tolist() == [255, 255, 255]  # top of the ring, on paper
    assert cleaned[47, 63].max() < 60  # where the ring crosses the text stroke
    assert cleaned[47, 30].max() < 60  # text away from the seal
    assert cleaned[80, 20].tolist() == [240, 244, 238]  # paper away from the seal


def test_neutral_and_other_colours_are_left_alone():
    swatches = Image.new("RGB", (3, 1))
    swatches.putdata([(0, 90, 200), (128, 128, 128), (200, 180, 60)])
    assert np.array_equal(np.asarray(suppress_red_seal(swatches)), np.asarray(swatches))


def test_scale_targets_the_long_side():
    assert ocr_scale(1000, 640) == MIN_LONG_SIDE / 1000
    assert ocr_scale(640, 1000) == MIN_LONG_SIDE / 1000
    assert ocr_scale(2000, 1200) == 1.0
    assert ocr_scale(4000, 3000) == MAX_LONG_SIDE / 4000


def test_prepared_image_is_grey_scaled_and_reports_its_scale():
    prepared = prepare_for_tesseract(stamped_text())
    assert prepared.image.mode == "L"
    assert prepared.image.size == (MIN_LONG_SIDE, MIN_LONG_SIDE // 2)
    assert prepared.scale == MIN_LONG_SIDE / 200
