"""Geometry stages on synthetic pictures: text axis, card outline on clutter, corner order, rectification."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from ocr.geometry import DebugSink, content_quad, corners_for_reading, find_card, half_turn, reading_axis, rectify


def rotated_box(cx: float, cy: float, length: float, thickness: float, degrees: float) -> np.ndarray:
    """A text-line box (TL, TR, BR, BL) of `length`×`thickness` centred on (cx, cy), turned `degrees`."""
    a = math.radians(degrees)
    along, across = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
    centre = np.array([cx, cy])
    half_l, half_t = along * length / 2, across * thickness / 2
    return np.array([centre - half_l - half_t, centre + half_l - half_t,
                     centre + half_l + half_t, centre - half_l + half_t])


def card_photo(degrees: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """A grey photo: a cluttered mid-grey desk, a light card turned `degrees` with dark text bars on
    it and a dark frame of other objects. Returns (image, card corners TL TR BR BL, text boxes)."""
    rng = np.random.default_rng(seed)
    image = np.full((480, 640), 110, np.uint8)
    for _ in range(12):  # clutter: bars and blobs of other greys
        x, y = rng.integers(0, 600), rng.integers(0, 440)
        cv2.rectangle(image, (int(x), int(y)), (int(x + rng.integers(20, 120)), int(y + rng.integers(5, 40))),
                      int(rng.integers(40, 200)), -1)
    card = rotated_box(320, 240, 400, 250, degrees)
    cv2.fillPoly(image, [card.astype(np.int32)], 235)
    a = math.radians(degrees)
    along, across = np.array([math.cos(a), math.sin(a)]), np.array([-math.sin(a), math.cos(a)])
    texts = []
    for row in range(5):
        centre = np.array([320, 240]) + across * (row - 2) * 40 - along * 40
        box = rotated_box(*centre, 220, 18, degrees)
        cv2.fillPoly(image, [box.astype(np.int32)], 30)
        texts.append(box)
    return image, card, texts


@pytest.mark.parametrize("degrees", [0, 8, -6, 90])
def test_reading_axis_follows_long_text_boxes(degrees):
    boxes = [rotated_box(100, 50 + 30 * i, 200, 20, degrees) for i in range(4)]
    boxes.append(rotated_box(300, 300, 20, 20, 45))  # one character: no axis, no vote
    axis = reading_axis(boxes)
    assert math.degrees(min(abs(axis - math.radians(degrees % 180)),
                            math.pi - abs(axis - math.radians(degrees % 180)))) < 0.5


@pytest.mark.parametrize("degrees", [0, 7, -9])
def test_the_card_outline_is_found_on_a_cluttered_desk(degrees):
    image, card, texts = card_photo(degrees)
    outline = find_card(image, texts, reading_axis(texts))
    assert outline is not None
    corners = corners_for_reading(outline, reading_axis(texts))
    assert np.abs(corners - card).max() < 6


def test_no_outline_when_no_shape_holds_the_text():
    image = np.full((480, 640), 120, np.uint8)
    texts = [rotated_box(320, 200 + 40 * i, 220, 18, 0) for i in range(3)]
    for box in texts:
        cv2.fillPoly(image, [box.astype(np.int32)], 30)
    assert find_card(image, texts, 0.0) is None
    # The fallback is the text's own rectangle with a margin, inside the image.
    quad = content_quad(texts, image.shape)
    assert quad[:, 0].min() < 210 and quad[:, 0].max() > 430 and (quad >= 0).all()


def test_corners_are_ordered_for_the_reading_direction():
    square = np.array([[100.0, 100.0], [300.0, 100.0], [300.0, 200.0], [100.0, 200.0]])
    shuffled = square[[2, 0, 3, 1]]
    assert (corners_for_reading(shuffled, 0.0) == square).all()
    # Text running down the image (a card turned a quarter clockwise): its top-left is the image's
    # top-right corner.
    assert (corners_for_reading(square, math.pi / 2)[0] == [300.0, 100.0]).all()


def test_rectify_levels_a_tilted_card_and_maps_points_back():
    image, card, texts = card_photo(8)
    axis = reading_axis(texts)
    flat = rectify(image, corners_for_reading(card, axis), long_side=800)
    height, width = flat.pixels.shape
    assert abs(width / height - 400 / 250) < 0.02
    # The text rows are level: each bar's dark pixels span few rows of the rectified card.
    dark_rows = np.where((flat.pixels < 80).sum(axis=1) > 0.3 * width)[0]
    assert len(dark_rows) > 0 and np.diff(dark_rows).max() > 10
    back = flat.to_source(np.array([[0.0, 0.0], [width, height]]))
    assert np.abs(back - card[[0, 2]]).max() < 2


def test_rectify_keeps_points_outside_the_outline_and_never_enlarges():
    image = np.zeros((300, 400), np.uint8)
    frame = np.array([[100.0, 100.0], [300.0, 100.0], [300.0, 200.0], [100.0, 200.0]])
    flat = rectify(image, frame, long_side=1000, keep=np.array([[100.0, 50.0]]), margin=10)
    assert flat.pixels.shape == (160, 210)  # 50 px above the frame and a 10 px margin round that point
    small = rectify(image, frame, long_side=100)
    assert small.pixels.shape == (50, 100)


def test_half_turn_maps_back_to_the_same_source_points():
    image, card, _ = card_photo(0)
    flat = rectify(image, card, long_side=800)
    turned = half_turn(flat)
    height, width = turned.pixels.shape
    assert np.abs(turned.to_source(np.array([[width, height]])) - card[0]).max() < 1


def test_debug_sink_writes_numbered_stage_images_only_when_given_a_directory(tmp_path, monkeypatch):
    monkeypatch.delenv("CERTGUARD_OCR_DEBUG_DIR", raising=False)
    silent = DebugSink()
    silent.dump("card", np.zeros((4, 4), np.uint8))
    assert not silent
    sink = DebugSink(tmp_path / "stages")
    sink.dump("card", np.zeros((20, 30), np.uint8), [np.array([[1, 1], [10, 1], [10, 10], [1, 10]])])
    sink.dump("rectified", np.zeros((20, 30, 3), np.uint8))
    assert sorted(p.name for p in (tmp_path / "stages").iterdir()) == ["01-card.png", "02-rectified.png"]
    monkeypatch.setenv("CERTGUARD_OCR_DEBUG_DIR", str(tmp_path / "env"))
    assert DebugSink()
