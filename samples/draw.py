"""Drawing primitives for synthetic cards: security background, seal, photo, QR symbol, defects.

Everything works on numpy RGB arrays or PIL images at card resolution and takes its randomness from
the caller's generator, so a card is a pure function of its seed.
"""

from __future__ import annotations

import math
import random

import cv2
import numpy as np
import qrcode
from PIL import Image, ImageDraw

from samples.fonts import Face, font

RGB = tuple[int, int, int]

PAPER_TINTS: tuple[RGB, ...] = ((226, 240, 226), (226, 236, 246), (246, 241, 226), (246, 232, 232), (247, 247, 243))
INK_RED_RANGE = ((196, 228), (20, 52), (30, 62))
SEAL_ARC_DEGREES = 250.0  # ring text runs over the top of the seal, leaving the bottom open
QR_FINDER_MODULES = 9  # finder (7) + separator (1) + format information (1) at three corners


def tinted(color: RGB, amount: int, rng: random.Random) -> RGB:
    """`color` darkened by about `amount` with a little per-channel jitter."""
    return tuple(max(0, min(255, c - amount + rng.randint(-6, 6))) for c in color)  # type: ignore[return-value]


def security_background(width: int, height: int, tint: RGB, rng: random.Random) -> np.ndarray:
    """A light guilloche background: two crossing wave families and a rosette over a tinted gradient."""
    ys = np.arange(height, dtype=np.float32)[:, None]
    xs = np.arange(width, dtype=np.float32)[None, :]
    coverage = np.zeros((height, width), np.float32)
    for _ in range(2):
        wavelength = rng.uniform(0.05, 0.12) * width
        bend = rng.uniform(1.5, 4.0)
        period = rng.uniform(0.25, 0.6) * height
        phase = rng.uniform(0, 2 * math.pi)
        slope = rng.uniform(-0.4, 0.4)
        wave = np.sin(2 * np.pi * (xs + slope * ys) / wavelength + bend * np.sin(2 * np.pi * ys / period + phase))
        np.maximum(coverage, _line_coverage(wave, rng.uniform(0.05, 0.09)) * rng.uniform(0.35, 0.6), out=coverage)
    cx, cy = rng.uniform(0.3, 0.7) * width, rng.uniform(0.35, 0.65) * height
    radius = np.hypot(xs - cx, ys - cy)
    petals = rng.randint(6, 14)
    rosette = np.sin(radius / rng.uniform(5, 9) + rng.uniform(2, 5) * np.sin(petals * np.arctan2(ys - cy, xs - cx)))
    fade = np.clip(1.0 - radius / (0.45 * width), 0, 1)
    np.maximum(coverage, _line_coverage(rosette, 0.07) * 0.45 * fade, out=coverage)
    shade = 1.0 + 0.03 * (xs / width - 0.5) * rng.choice((-1, 1)) + 0.02 * (ys / height - 0.5)
    paper = np.array(tint, np.float32) * shade[..., None]
    line_color = np.array(tinted(tint, rng.randint(25, 45), rng), np.float32)
    paper += (line_color - paper) * coverage[..., None]
    return np.clip(paper, 0, 255).astype(np.uint8)


def _line_coverage(wave: np.ndarray, width: float) -> np.ndarray:
    """Anti-aliased coverage of the zero set of a wave (where its absolute value is below `width`)."""
    return np.clip(1.0 - np.abs(wave) / width, 0, 1)


def watermark(image: Image.Image, text: str, face: Face, color: RGB, rng: random.Random) -> None:
    """Faint repeated text across the card, as printed security backgrounds carry the issuer's name.

    Drawn at half resolution and scaled up: it is faint and soft on real cards too.
    """
    width, height = image.width // 2, image.height // 2
    size = max(8, height // rng.randint(22, 30))
    layer = Image.new("L", (width * 2, height * 2), 0)
    pen = ImageDraw.Draw(layer)
    tile = text + "\u3000\u3000"
    line = tile * (layer.width // (size * len(tile)) + 2)
    step_y = int(size * rng.uniform(2.5, 3.5))
    for row, y in enumerate(range(0, layer.height, step_y)):
        pen.text(((row % 2) * size * 2 - size * 2, y), line, font=font(face, size), fill=255)
    layer = layer.rotate(rng.uniform(-25, 25), resample=Image.Resampling.BILINEAR)
    mask = layer.crop((width // 2, height // 2, width // 2 + width, height // 2 + height)).resize(image.size)
    strength = rng.uniform(0.05, 0.09)
    image.paste(Image.new("RGB", image.size, color), mask=mask.point(lambda v: round(v * strength)))


def seal(diameter: int, ring_text: str, centre_text: str, face: Face, rng: random.Random) -> Image.Image:
    """A red round official seal (RGBA): rim, five-pointed star, text along the upper arc, uneven ink."""
    size = diameter + 8
    ink = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(ink)
    c = size / 2
    rim = max(3, round(diameter * rng.uniform(0.03, 0.045)))
    draw.ellipse((c - diameter / 2, c - diameter / 2, c + diameter / 2, c + diameter / 2), outline=255, width=rim)
    draw.polygon(_star_points(c, c, diameter * 0.16), fill=255)
    char_size = round(diameter * 0.13)
    text_radius = diameter / 2 - rim - char_size * 0.75
    longest_arc = math.radians(SEAL_ARC_DEGREES) * text_radius
    char_size = max(8, min(char_size, round(longest_arc / (1.08 * len(ring_text)))))
    text_radius = diameter / 2 - rim - char_size * 0.75
    step = math.degrees(char_size * 1.08 / text_radius)
    span = min(SEAL_ARC_DEGREES, step * (len(ring_text) - 1))
    for i, char in enumerate(ring_text):
        theta = -span / 2 + (span * i / max(1, len(ring_text) - 1))
        glyph = Image.new("L", (char_size * 2, char_size * 2), 0)
        ImageDraw.Draw(glyph).text((char_size, char_size), char, font=font(face, char_size), fill=255, anchor="mm")
        glyph = glyph.rotate(-theta, resample=Image.Resampling.BILINEAR)
        gx = c + text_radius * math.sin(math.radians(theta)) - char_size
        gy = c - text_radius * math.cos(math.radians(theta)) - char_size
        ink.paste(255, (round(gx), round(gy)), glyph)
    if centre_text:
        small = max(8, round(diameter * 0.1))
        draw.text((c, c + diameter * 0.27), centre_text, font=font(face, small), fill=255, anchor="mm")
    ink = ink.rotate(rng.uniform(-30, 30), resample=Image.Resampling.BILINEAR)
    nprng = np.random.default_rng(rng.getrandbits(32))
    texture = cv2.GaussianBlur(nprng.random((size, size), dtype=np.float32), (0, 0), 1.2)
    texture = np.clip((texture - texture.min()) / (np.ptp(texture) + 1e-6) * 1.6 - 0.1, 0.25, 1.0)
    alpha = np.asarray(ink, np.float32) * texture * rng.uniform(0.75, 0.92)
    color = [rng.randint(*span_) for span_ in INK_RED_RANGE]
    rgba = np.dstack([np.full((size, size), ch, np.uint8) for ch in color] + [alpha.astype(np.uint8)])
    return Image.fromarray(rgba, "RGBA")


def _star_points(cx: float, cy: float, radius: float) -> list[tuple[float, float]]:
    points = []
    for k in range(10):
        r = radius if k % 2 == 0 else radius * 0.382
        a = math.radians(-90 + 36 * k)
        points.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    return points


def multiply(card: np.ndarray, overlay: Image.Image, x: int, y: int) -> None:
    """Print an RGBA overlay onto `card` like ink: multiply, so text underneath stays visible."""
    rgba = np.asarray(overlay, np.float32) / 255.0
    h, w = rgba.shape[:2]
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(card.shape[1], x + w), min(card.shape[0], y + h)
    if x0 >= x1 or y0 >= y1:
        return
    part = rgba[y0 - y : y1 - y, x0 - x : x1 - x]
    factor = 1.0 - part[..., 3:4] * (1.0 - part[..., :3])
    card[y0:y1, x0:x1] = (card[y0:y1, x0:x1].astype(np.float32) * factor).astype(np.uint8)


def portrait(width: int, height: int, rng: random.Random) -> Image.Image:
    """An ID-photo placeholder: plain backdrop with a grey head-and-shoulders silhouette."""
    backdrop = rng.choice(((250, 250, 250), (198, 222, 243), (70, 130, 200), (196, 48, 48)))
    image = Image.new("RGB", (width, height), backdrop)
    draw = ImageDraw.Draw(image)
    grey = rng.randint(95, 150)
    body = (grey, grey, grey + rng.randint(-8, 8))
    cx = width * rng.uniform(0.46, 0.54)
    draw.ellipse((cx - width * 0.5, height * 0.72, cx + width * 0.5, height * 1.35), fill=body)
    draw.rectangle((cx - width * 0.09, height * 0.5, cx + width * 0.09, height * 0.8), fill=body)
    head_w, head_h = width * rng.uniform(0.19, 0.23), height * rng.uniform(0.2, 0.24)
    draw.ellipse((cx - head_w, height * 0.43 - head_h, cx + head_w, height * 0.43 + head_h), fill=body)
    hair = max(0, grey - 60)
    draw.chord((cx - head_w, height * 0.43 - head_h, cx + head_w, height * 0.43 + head_h * 0.6),
               180, 360, fill=(hair, hair, hair))
    return image


def qr_modules(payload: str) -> np.ndarray:
    """The module matrix (True = dark) of a QR symbol for `payload`, without quiet zone."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(payload)
    code.make(fit=True)
    return np.array(code.get_matrix(), dtype=bool)


def smear_data_area(modules: np.ndarray, rng: random.Random) -> np.ndarray:
    """Flip far more data modules than error correction can repair, keeping finders and format intact.

    The symbol still looks like (and is located as) a QR code, but no decoder can recover its text.
    """
    n = modules.shape[0]
    data = np.ones_like(modules)
    f = QR_FINDER_MODULES
    data[:f, :f] = data[:f, n - f + 1 :] = data[n - f + 1 :, :f] = False
    data[6, :] = data[:, 6] = False
    nprng = np.random.default_rng(rng.getrandbits(32))
    flips = data & (nprng.random(modules.shape) < 0.45)
    return modules ^ flips


def qr_image(modules: np.ndarray, module_px: int, quiet: int) -> Image.Image:
    """The symbol as a greyscale image with a white quiet zone of `quiet` modules."""
    padded = np.pad(modules, quiet, constant_values=False)
    pixels = np.where(padded, 20, 250).astype(np.uint8)
    return Image.fromarray(np.kron(pixels, np.ones((module_px, module_px), np.uint8)), "L")


def smudge_symbol(symbol: Image.Image, module_px: int, rng: random.Random) -> Image.Image:
    """Drag the ink of the data area sideways, as a thumb or a wet wipe would."""
    pixels = np.asarray(symbol).copy()
    inner = slice(QR_FINDER_MODULES * module_px, pixels.shape[0] - QR_FINDER_MODULES * module_px)
    band = pixels[inner, :]
    pixels[inner, :] = cv2.blur(band, (module_px * rng.randint(2, 4), 1))
    return Image.fromarray(pixels, "L")


def glare(card: np.ndarray, box: tuple[int, int, int, int], rng: random.Random) -> None:
    """A specular highlight that washes out everything inside `box` (a photo taken under a lamp)."""
    _blob(card, box, rng, np.array([255, 255, 252], np.float32), peak=0.98)


def smudge(card: np.ndarray, box: tuple[int, int, int, int], rng: random.Random) -> None:
    """A dirty smear (oil, ink, wear) that hides everything inside `box`."""
    x, y, w, h = box
    pad = max(4, h // 3)
    region = card[max(0, y - pad) : y + h + pad, max(0, x - pad) : x + w + pad]
    region[:] = cv2.GaussianBlur(region, (0, 0), max(2.0, h / 6))
    grime = np.array([rng.randint(70, 120), rng.randint(60, 100), rng.randint(40, 80)], np.float32)
    _blob(card, box, rng, grime, peak=0.97)


def _blob(card: np.ndarray, box: tuple[int, int, int, int], rng: random.Random, color: np.ndarray, peak: float) -> None:
    """Blend `color` in a soft ellipse that fully covers `box` and fades outside it."""
    x, y, w, h = box
    cx, cy = x + w / 2 + rng.uniform(-0.05, 0.05) * w, y + h / 2
    rx, ry = w * rng.uniform(0.62, 0.75), h * rng.uniform(1.0, 1.4)
    x0, x1 = max(0, int(cx - 1.3 * rx)), min(card.shape[1], int(cx + 1.3 * rx) + 1)
    y0, y1 = max(0, int(cy - 1.3 * ry)), min(card.shape[0], int(cy + 1.3 * ry) + 1)
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    d = ((xs - cx) / rx) ** 2 + ((ys - cy) / ry) ** 2
    alpha = np.minimum(peak, 1.4 * peak * np.clip(1.6 - d, 0, 1) ** 0.6)[..., None]
    region = card[y0:y1, x0:x1]
    region[:] = (region * (1 - alpha) + color * alpha).astype(np.uint8)
