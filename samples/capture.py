"""Turn a rendered card into the image an inspector would upload: a flatbed scan, a phone photo, or a
small low-resolution copy (as forwarded through chat apps).

Each capture returns the encoded bytes plus where the card is in the result: its four corners (card
top-left, top-right, bottom-right, bottom-left) and, for flat captures, each field's value box.
"""

from __future__ import annotations

import io
import math
import random
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ocr.types import Box
from samples.render import RenderedCard

PHONE_FRAME = (1280, 960)
LOWRES_CARD_WIDTH = (570, 630)
ROTATIONS = (0, 90, 180, 270)


@dataclass(frozen=True)
class Capture:
    """An encoded capture and the card's geometry in it; `rotation` is clockwise degrees of the content."""

    data: bytes
    extension: str  # png | jpg
    card_quad: tuple[float, ...]  # x0, y0, … x3, y3
    field_boxes: dict[str, Box] | None
    rotation: int


def scan(card: RenderedCard, rng: random.Random) -> Capture:
    """A flatbed scan at the card's native 300 dpi: white bed around the card, slight noise and softness."""
    nprng = _numpy_rng(rng)
    pixels = np.asarray(card.image)
    offset = (rng.randint(20, 60), rng.randint(20, 60))
    bed_size = (pixels.shape[1] + offset[0] + rng.randint(20, 60), pixels.shape[0] + offset[1] + rng.randint(20, 60))
    bed = np.full((bed_size[1], bed_size[0], 3), rng.randint(236, 250), np.float32)
    _lay_flat(bed, pixels, _card_mask(card), offset)
    bed = cv2.GaussianBlur(bed, (0, 0), rng.uniform(0.3, 0.6))
    bed = bed * rng.uniform(0.96, 1.02) + nprng.normal(0, rng.uniform(1.0, 2.2), bed.shape[:2])[..., None]
    quad = _quad_of_rect(offset, pixels.shape)
    return Capture(_jpeg(bed, rng.randint(90, 95)), "jpg", quad, _moved(card.field_boxes, offset, 1.0), 0)


def lowres(card: RenderedCard, rng: random.Random) -> Capture:
    """A small, recompressed copy: the card about 600 px wide, strong JPEG."""
    scale = rng.randint(*LOWRES_CARD_WIDTH) / card.image.width
    small = card.image.resize((round(card.image.width * scale), round(card.image.height * scale)),
                              Image.Resampling.LANCZOS)
    pixels = np.asarray(small)
    offset = (rng.randint(0, 16), rng.randint(0, 16))
    canvas = np.full((pixels.shape[0] + 2 * offset[1], pixels.shape[1] + 2 * offset[0], 3), 245, np.float32)
    mask = cv2.resize(_card_mask(card), (pixels.shape[1], pixels.shape[0]), interpolation=cv2.INTER_AREA)
    _lay_flat(canvas, pixels, mask, offset)
    return Capture(_jpeg(canvas, rng.randint(60, 80)), "jpg", _quad_of_rect(offset, pixels.shape),
                   _moved(card.field_boxes, offset, scale), 0)


def phone(card: RenderedCard, rng: random.Random) -> Capture:
    """A hand-held photo: the card in perspective on a cluttered desk, uneven light, blur, noise, JPEG,
    and sometimes the whole picture turned by a multiple of 90°."""
    nprng = _numpy_rng(rng)
    width, height = PHONE_FRAME
    frame = desk(width, height, rng, nprng)
    pixels = np.asarray(card.image).astype(np.float32)
    quad = _card_quad_in_frame(pixels.shape, (width, height), rng)
    source = np.float32([[0, 0], [pixels.shape[1], 0], [pixels.shape[1], pixels.shape[0]], [0, pixels.shape[0]]])
    warp = cv2.getPerspectiveTransform(source, quad)
    warped = cv2.warpPerspective(pixels, warp, (width, height), flags=cv2.INTER_AREA)
    mask = cv2.warpPerspective(_card_mask(card), warp, (width, height), flags=cv2.INTER_LINEAR)
    shadow = cv2.GaussianBlur(np.roll(mask, (rng.randint(4, 14), rng.randint(-8, 8)), axis=(0, 1)), (0, 0), 9)
    frame *= 1.0 - 0.35 * shadow[..., None]
    mask = mask[..., None]
    frame = frame * (1.0 - mask) + warped * mask
    frame *= _lighting(width, height, rng)[..., None] * np.float32([rng.uniform(0.92, 1.05) for _ in range(3)])
    frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(0.6, 1.4))
    frame += nprng.normal(0, rng.uniform(2.0, 5.0), (height, width)).astype(np.float32)[..., None]
    rotation = rng.choice(ROTATIONS) if rng.random() < 0.4 else 0
    frame, corners = _rotate(frame, quad, rotation)
    return Capture(_jpeg(frame, rng.randint(60, 90)), "jpg", tuple(round(float(v), 1) for v in corners.ravel()),
                   None, rotation)


CAPTURES = {"scan": scan, "phone": phone, "lowres": lowres}


def desk(width: int, height: int, rng: random.Random, nprng: np.random.Generator) -> np.ndarray:
    """A desk surface (wood grain or a plain top) with paper, a mug, a pen or a phone lying about."""
    if rng.random() < 0.5:
        frame = _wood(width, height, rng, nprng)
    else:
        top = np.float32(rng.choice(((205, 205, 200), (60, 62, 66), (235, 232, 225), (60, 110, 80), (150, 160, 170))))
        frame = np.empty((height, width, 3), np.float32)
        frame[:] = top
        frame += _soft_noise(width, height, 64, 64, nprng)[..., None] * 7
    for _ in range(rng.randint(2, 6)):
        _clutter(frame, rng)
    return frame


def _wood(width: int, height: int, rng: random.Random, nprng: np.random.Generator) -> np.ndarray:
    """Wood grain: long, gently wavy streaks running along one axis of the frame."""
    light = np.float32([rng.randint(150, 200), rng.randint(100, 140), rng.randint(60, 90)])
    dark = light * rng.uniform(0.6, 0.8)
    along_x = rng.random() < 0.5
    across = np.arange(height, dtype=np.float32)[:, None] if along_x else np.arange(width, dtype=np.float32)[None, :]
    cells = (260, 26) if along_x else (26, 260)
    wave = across + _soft_noise(width, height, *cells, nprng) * rng.uniform(10, 25)
    rings = 0.5 + 0.5 * np.sin(wave / rng.uniform(6, 14))
    streaks = _soft_noise(width, height, *(c // 10 for c in cells), nprng)
    grain = np.clip(0.7 * rings ** rng.uniform(1.5, 3.0) + 0.3 * (0.5 + 0.5 * streaks), 0, 1)
    return light + (dark - light) * grain[..., None]


def _soft_noise(width: int, height: int, cell_x: int, cell_y: int, nprng: np.random.Generator) -> np.ndarray:
    """Smooth noise in about [-1, 1] with features about `cell_x` × `cell_y` pixels."""
    coarse = nprng.uniform(-1, 1, (height // cell_y + 2, width // cell_x + 2)).astype(np.float32)
    return cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)


def _clutter(frame: np.ndarray, rng: random.Random) -> None:
    height, width = frame.shape[:2]
    color = tuple(float(rng.randint(20, 250)) for _ in range(3))
    cx, cy = rng.uniform(-0.1, 1.1) * width, rng.uniform(-0.1, 1.1) * height
    shape = rng.choice(("sheet", "mug", "pen", "phone"))
    if shape in ("sheet", "phone"):
        w, h = (rng.uniform(0.3, 0.6) * width, rng.uniform(0.4, 0.8) * height) if shape == "sheet" else (150, 300)
        box = cv2.boxPoints(((cx, cy), (w, h), rng.uniform(0, 180))).astype(np.int32)
        fill = (rng.uniform(225, 250),) * 3 if shape == "sheet" else (25.0, 25.0, 30.0)
        cv2.fillConvexPoly(frame, box, fill, lineType=cv2.LINE_AA)
    elif shape == "mug":
        radius = rng.randint(60, 140)
        cv2.circle(frame, (round(cx), round(cy)), radius, color, -1, lineType=cv2.LINE_AA)
        cv2.circle(frame, (round(cx), round(cy)), round(radius * 0.8), tuple(c * 0.4 for c in color), -1,
                   lineType=cv2.LINE_AA)
    else:
        angle = rng.uniform(0, math.pi)
        dx, dy = math.cos(angle) * 160, math.sin(angle) * 160
        cv2.line(frame, (round(cx - dx), round(cy - dy)), (round(cx + dx), round(cy + dy)), color, rng.randint(8, 14),
                 lineType=cv2.LINE_AA)


def _card_quad_in_frame(card_shape: tuple[int, ...], frame: tuple[int, int], rng: random.Random) -> np.ndarray:
    """Corners of the card in the photo: scaled, turned a little, in mild perspective, inside the frame."""
    width, height = frame
    aspect = card_shape[0] / card_shape[1]
    for _ in range(50):
        card_w = rng.uniform(0.55, 0.8) * width
        card_h = card_w * aspect
        angle = math.radians(rng.uniform(-10, 10))
        cx, cy = width * rng.uniform(0.42, 0.58), height * rng.uniform(0.42, 0.58)
        corners = []
        for ux, uy in ((-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)):
            x, y = ux * card_w, uy * card_h
            x, y = x * math.cos(angle) - y * math.sin(angle), x * math.sin(angle) + y * math.cos(angle)
            jitter = 0.05 * card_w
            corners.append((cx + x + rng.uniform(-jitter, jitter), cy + y + rng.uniform(-jitter, jitter)))
        quad = np.float32(corners)
        if quad[:, 0].min() > 10 and quad[:, 1].min() > 10 and quad[:, 0].max() < width - 10 \
                and quad[:, 1].max() < height - 10:
            return quad
    raise RuntimeError("could not place the card inside the photo")


def _lighting(width: int, height: int, rng: random.Random) -> np.ndarray:
    """A linear light fall-off in a random direction times a soft vignette."""
    ys = np.linspace(-1, 1, height, dtype=np.float32)[:, None]
    xs = np.linspace(-1, 1, width, dtype=np.float32)[None, :]
    angle = rng.uniform(0, 2 * math.pi)
    ramp = 1.0 + rng.uniform(0.08, 0.22) * (xs * math.cos(angle) + ys * math.sin(angle))
    vignette = 1.0 - rng.uniform(0.05, 0.2) * (xs**2 + ys**2) / 2
    return (ramp * vignette * rng.uniform(0.85, 1.05)).astype(np.float32)


def _rotate(frame: np.ndarray, quad: np.ndarray, rotation: int) -> tuple[np.ndarray, np.ndarray]:
    """Turn the picture clockwise by `rotation` degrees and move the corner points with it."""
    height, width = frame.shape[:2]
    x, y = quad[:, 0], quad[:, 1]
    if rotation == 90:
        return cv2.rotate(frame, cv2.ROTATE_90_CLOCKWISE), np.stack([height - y, x], axis=1)
    if rotation == 180:
        return cv2.rotate(frame, cv2.ROTATE_180), np.stack([width - x, height - y], axis=1)
    if rotation == 270:
        return cv2.rotate(frame, cv2.ROTATE_90_COUNTERCLOCKWISE), np.stack([y, width - x], axis=1)
    return frame, quad


def _card_mask(card: RenderedCard) -> np.ndarray:
    """Coverage of the card in its own image: rounded corners for a PVC card, square for paper."""
    height, width = card.image.height, card.image.width
    mask = np.zeros((height, width), np.float32)
    radius = round(width * 0.037) if card.style.form == "card" else 1
    cv2.rectangle(mask, (radius, 0), (width - 1 - radius, height - 1), 1.0, -1)
    cv2.rectangle(mask, (0, radius), (width - 1, height - 1 - radius), 1.0, -1)
    for cx, cy in ((radius, radius), (width - 1 - radius, radius), (radius, height - 1 - radius),
                   (width - 1 - radius, height - 1 - radius)):
        cv2.circle(mask, (cx, cy), radius, 1.0, -1, lineType=cv2.LINE_AA)
    return mask


def _lay_flat(canvas: np.ndarray, pixels: np.ndarray, mask: np.ndarray, offset: tuple[int, int]) -> None:
    """Place the card on a flat background (scanner bed) at `offset`, with a faint edge shadow."""
    x, y = offset
    h, w = pixels.shape[:2]
    region = canvas[y : y + h, x : x + w]
    edge = cv2.GaussianBlur(np.roll(mask, (2, 2), axis=(0, 1)), (0, 0), 1.5)[..., None]
    region *= 1.0 - 0.25 * edge
    region[:] = region * (1.0 - mask[..., None]) + pixels.astype(np.float32) * mask[..., None]


def _quad_of_rect(offset: tuple[int, int], shape: tuple[int, ...]) -> tuple[float, ...]:
    x, y = offset
    h, w = shape[:2]
    return (float(x), float(y), float(x + w), float(y), float(x + w), float(y + h), float(x), float(y + h))


def _moved(boxes: dict[str, Box], offset: tuple[int, int], scale: float) -> dict[str, Box]:
    dx, dy = offset
    return {name: Box(round(b.x * scale) + dx, round(b.y * scale) + dy, max(1, round(b.w * scale)),
                      max(1, round(b.h * scale))) for name, b in boxes.items()}


def _numpy_rng(rng: random.Random) -> np.random.Generator:
    return np.random.default_rng(rng.getrandbits(64))


def _jpeg(pixels: np.ndarray, quality: int) -> bytes:
    buffer = io.BytesIO()
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    image.save(buffer, "JPEG", quality=quality, optimize=True)
    return buffer.getvalue()
