"""Double-JPEG traces on committed cards: a card saved again shows its first compression in every
value, a value retyped before it was saved again does not, and a picture saved once shows none."""

from __future__ import annotations

import io
import json
import random
from pathlib import Path
from statistics import median

import cv2
import numpy as np
import pytest
from PIL import Image, ImageOps

from ocr.compression import ORIENTATIONS, STRIP_ROWS, ZIGZAG_AC, CompressionMap, block_spectra, compression_map
from ocr.engines import get_engine
from ocr.forensics import field_traces
from ocr.layout import observe_layout
from ocr.load import load_image
from ocr.second_look import read_card
from ocr.types import Box
from samples.edits import resaved, retyped
from verification.kinds import load_kinds
from verification.rules.tampering import departures

COMMITTED = Path(__file__).resolve().parents[2] / "samples" / "committed"
LOWRES = ("006_special_equipment_genuine_lowres", "009_special_operation_genuine_lowres")
"""Committed low-resolution copies (JPEG at quality 60–80): saved again finer, they show two compressions."""


def card(stem: str) -> tuple[bytes, dict[str, Box], dict]:
    truth = json.loads((COMMITTED / f"{stem}.json").read_text(encoding="utf-8"))
    boxes = {name: Box(*box) for name, box in truth["field_boxes"].items()}
    return (COMMITTED / f"{stem}.jpg").read_bytes(), boxes, truth


def shares(data: bytes, boxes: dict[str, Box]) -> dict[str, float]:
    found = compression_map(data)
    assert found is not None
    return {name: share for name, box in boxes.items() if (share := found.twice_in(box)) is not None}


@pytest.mark.parametrize("stem", LOWRES)
def test_a_picture_saved_once_shows_no_first_compression(stem):
    data, _, _ = card(stem)
    assert compression_map(data) is None
    png = io.BytesIO()
    Image.open(io.BytesIO(data)).save(png, "PNG")
    assert compression_map(png.getvalue()) is None


@pytest.mark.parametrize("stem", LOWRES)
def test_every_value_of_a_card_saved_again_shows_its_first_compression(stem):
    data, boxes, _ = card(stem)
    found = shares(resaved(data, 92), boxes)
    assert len(found) >= 6
    assert min(found.values()) > 0.25


@pytest.mark.parametrize("stem", LOWRES)
def test_a_value_retyped_before_saving_again_lacks_it(stem):
    data, boxes, truth = card(stem)
    found = shares(retyped(data, boxes["valid_until"], truth["fields"]["valid_until"], random.Random(1), 92), boxes)
    others = [share for name, share in found.items() if name != "valid_until"]
    assert found["valid_until"] < 0.2 < min(others)
    assert median(others) - found["valid_until"] > 0.3


def test_the_map_follows_the_pictures_exif_orientation():
    """A phone stores the picture as the sensor saw it and says in EXIF how to turn it upright; boxes
    are found on the upright picture, the traces in the stored one."""
    data, boxes, truth = card(LOWRES[0])
    edited = retyped(data, boxes["valid_until"], truth["fields"]["valid_until"], random.Random(1), 92)
    stored = compression_map(edited)
    turned = compression_map(with_orientation(edited, 6))  # stored turned a quarter to the left
    width, height = Image.open(io.BytesIO(edited)).size
    for box in boxes.values():
        upright = Box(height - box.y - box.h, box.x, box.h, box.w)
        assert turned.twice_in(upright) == stored.twice_in(box)


@pytest.mark.parametrize("orientation", sorted(ORIENTATIONS))
def test_upright_pixels_map_back_to_the_stored_ones_as_pillow_turns_them(orientation):
    stored = np.arange(5 * 3).reshape(3, 5)
    picture = Image.fromarray(stored.astype(np.int32), mode="I")
    exif = picture.getexif()
    exif[0x0112] = orientation
    picture.info["exif"] = exif.tobytes()
    upright = np.asarray(ImageOps.exif_transpose(picture))
    traces = CompressionMap(np.zeros((1, 1)), np.zeros((1, 1)), np.zeros((1, 1)), {}, (5, 3), orientation)
    ys, xs = np.mgrid[:upright.shape[0], :upright.shape[1]]
    stored_x, stored_y = traces.stored(xs, ys)
    assert (stored[stored_y, stored_x] == upright).all()


def with_orientation(data: bytes, orientation: int) -> bytes:
    """The JPEG with an EXIF orientation segment inserted after its start marker, pixels untouched."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    payload = exif.tobytes()
    return data[:2] + b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload + data[2:]


def departures_read(data: bytes) -> dict[str, float]:
    """Each value's JPEG-trace departure in the tampering rule's units, on the boxes the reader found."""
    kinds = load_kinds()
    loaded = load_image(data)
    lines, fields = read_card(get_engine(), loaded.image, [kind.document_spec for kind in kinds.values()])
    layout = observe_layout(loaded.image, lines, kinds[fields.scheme].document_spec)
    traces = field_traces(loaded.image, fields.fields, lines, layout.seals, compression_map(data))
    return {t.field: departures(t, [p for p in traces if p is not t], set()).get(
        "twice_compressed_share", (None, 0.0))[1] for t in traces}


def test_the_analysis_measures_the_retyped_value_on_the_readers_boxes():
    data, boxes, truth = card(LOWRES[0])
    saved_again = departures_read(resaved(data, 92))
    assert max(saved_again.values()) < 0.7
    retyped_card = departures_read(retyped(data, boxes["valid_until"], truth["fields"]["valid_until"],
                                           random.Random(1), 92))
    assert max(retyped_card, key=retyped_card.get) == "valid_until"
    assert retyped_card["valid_until"] >= 1


def test_block_spectra_are_each_blocks_dct_across_strips():
    rows = STRIP_ROWS + 3
    luma = np.random.default_rng(3).integers(0, 256, (rows * 8 + 5, 72 + 3)).astype(np.uint8)
    spectra = block_spectra(luma)
    assert spectra.shape == (rows, 9, len(ZIGZAG_AC))
    for row, column in ((0, 0), (STRIP_ROWS, 4), (rows - 1, 8)):
        block = luma[row * 8:row * 8 + 8, column * 8:column * 8 + 8].astype(np.float32) - 128
        assert spectra[row, column] == pytest.approx(cv2.dct(block).ravel()[list(ZIGZAG_AC)], abs=1e-3)


def jpeg(picture: Image.Image, quality: int) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def test_grey_and_cmyk_jpegs_are_read_or_passed_over():
    data, boxes, _ = card(LOWRES[0])
    grey = jpeg(Image.open(io.BytesIO(jpeg(Image.open(io.BytesIO(data)).convert("L"), 60))), 92)
    assert min(shares(grey, boxes).values()) > 0.25
    assert compression_map(jpeg(Image.open(io.BytesIO(data)).convert("CMYK"), 92)) is None
