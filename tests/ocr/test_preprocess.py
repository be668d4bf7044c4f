"""preprocess: seal suppression keeps black text; scale, skew, lighting and pictures are handled,
and boxes map back to the loaded image."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageChops, ImageDraw

from ocr.preprocess import (
    MAX_LONG_SIDE,
    MIN_LONG_SIDE,
    blank_graphics,
    estimate_skew,
    flatten_illumination,
    ocr_scale,
    prepare_for_tesseract,
    seal_free_gray,
)
from ocr.types import Box


def stamped_text() -> Image.Image:
    """Black bars (text strokes) under a red ring stamped with multiply blending, like ink on toner."""
    card = Image.new("RGB", (200, 100), (240, 244, 238))
    ImageDraw.Draw(card).rectangle((20, 40, 180, 55), fill=(25, 25, 25))
    seal = Image.new("RGB", card.size, (255, 255, 255))
    ImageDraw.Draw(seal).ellipse((60, 10, 140, 90), outline=(215, 30, 35), width=8)
    return ImageChops.multiply(card, seal)


def striped_page(size: tuple[int, int] = (1000, 640)) -> Image.Image:
    """Rows of short dark dashes, like lines of text."""
    page = Image.new("L", size, 245)
    draw = ImageDraw.Draw(page)
    for y in range(80, size[1] - 60, 56):
        for x in range(60, size[0] - 80, 44):
            draw.rectangle((x, y, x + 30, y + 24), fill=30)
    return page


def test_red_seal_pixels_turn_white_and_black_text_under_them_survives():
    gray = seal_free_gray(stamped_text())
    assert gray[12, 100] == 255  # top of the ring, on paper
    assert gray[47, 63] < 60  # where the ring crosses the text stroke
    assert gray[47, 30] < 60  # text away from the seal
    assert abs(int(gray[80, 20]) - 242) <= 2  # paper away from the seal keeps its luminance


def test_the_seals_reddish_rim_reads_as_paper_through_the_red_channel():
    rim = Image.new("RGB", (40, 40), (240, 205, 205))  # anti-aliased or JPEG-smeared seal ink
    assert seal_free_gray(rim)[20, 20] == 240


def test_neutral_and_other_colours_keep_their_luminance():
    swatches = Image.new("RGB", (3, 1))
    swatches.putdata([(0, 90, 200), (128, 128, 128), (200, 180, 60)])
    assert np.array_equal(seal_free_gray(swatches), np.asarray(swatches.convert("L")))


def test_white_lettering_on_a_red_title_band_becomes_dark_on_light():
    card = Image.new("RGB", (600, 400), (245, 240, 230))
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, 599, 70), fill=(165, 25, 30))
    draw.rectangle((200, 25, 400, 45), fill=(255, 255, 255))  # a stroke of the white title
    gray = seal_free_gray(card)
    assert gray[35, 300] < 40  # the lettering is now dark
    assert gray[10, 50] > 150  # the band is now light
    assert abs(int(gray[300, 300]) - 240) <= 3  # the card below is untouched


def test_scale_targets_the_long_side():
    assert ocr_scale(1000, 640) == MIN_LONG_SIDE / 1000
    assert ocr_scale(640, 1000) == MIN_LONG_SIDE / 1000
    assert ocr_scale(2000, 1200) == 1.0
    assert ocr_scale(4000, 3000) == MAX_LONG_SIDE / 4000


@pytest.mark.parametrize("angle", [-4.0, -1.5, 0.0, 2.0, 5.0])
def test_skew_is_measured_as_the_rotation_that_levels_the_rows(angle):
    tilted = striped_page().rotate(angle, expand=True, fillcolor=245, resample=Image.Resampling.BICUBIC)
    assert estimate_skew(np.asarray(tilted)) == pytest.approx(-angle, abs=0.25)


def test_uneven_lighting_is_flattened_and_ink_stays_dark():
    page = np.asarray(striped_page()).astype(float)
    shaded = (page * np.linspace(0.5, 1.0, page.shape[1])[None, :]).astype(np.uint8)
    flat = flatten_illumination(shaded)
    paper_left, paper_right = flat[40, 20], flat[40, 980]
    assert abs(int(paper_left) - int(paper_right)) < 20 and paper_left > 220
    assert flat[90, 70] < 80  # a dash at the dark end


def test_pictures_are_blanked_and_text_sized_ink_is_kept():
    page = np.asarray(striped_page()).copy()
    page[100:300, 700:880] = 90  # a portrait-sized solid block
    cleaned = blank_graphics(page)
    assert (cleaned[100:300, 700:880] == 255).all()
    assert cleaned[90, 70] == 30  # a dash
    assert cleaned[80:105, 60:91].min() == 30


def test_prepared_image_is_grey_and_boxes_map_back_to_the_original():
    card = Image.fromarray(np.asarray(striped_page())).convert("RGB").rotate(
        3, expand=True, fillcolor=(245, 245, 245), resample=Image.Resampling.BICUBIC)
    prepared = prepare_for_tesseract(card)
    assert prepared.image.mode == "L"
    assert max(prepared.image.size) >= MIN_LONG_SIDE
    # A box around the whole prepared image covers the whole original (and a little more, being
    # the axis-aligned box of a rotated rectangle).
    whole = prepared.to_original(Box(0, 0, *prepared.image.size))
    assert whole.x <= 0 and whole.y <= 0
    assert whole.x + whole.w >= card.width and whole.y + whole.h >= card.height


def test_without_skew_the_transform_is_the_scale():
    prepared = prepare_for_tesseract(stamped_text())
    factor = MIN_LONG_SIDE / 200
    assert prepared.to_original(Box(80, 160, 160, 80)) == Box(round(80 / factor), round(160 / factor),
                                                              round(160 / factor), round(80 / factor))
