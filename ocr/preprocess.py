"""Image preparation before OCR, in order: scale to Tesseract's size range; go grey while separating
colours (the red seal drops out, a reversed-out title band turns into dark print); straighten small
skew; divide out uneven lighting; blank out pictures (portrait, QR code).

Geometry changes (scale, rotation) are kept as one affine transform, so boxes found on the prepared
image map back to the pixels of the loaded image (RapidOCR keeps an `op_record` for the same reason).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from ocr.types import Box

# Tesseract reads best when capital letters are ~20–40 px tall. On a card photographed so that it
# fills the frame, a long side of ~1600–2400 px puts body text there; far smaller images lose
# strokes, far larger ones only cost time.
MIN_LONG_SIDE = 1600
MAX_LONG_SIDE = 2400

# A pixel belongs to the seal when red clearly dominates both other channels. Black text under the
# seal stays dark in all three channels, so it survives the separation.
SEAL_MIN_RED = 100
SEAL_MIN_RED_MARGIN = 50
SEAL_TINT_MARGIN = 20  # red above green and blue by this much: seal-tinted, read through the red channel
# A title band: a solid red or dark strip at least this wide for its height, covering this share
# of the image (more would be the desk around the card, not a band on it).
BAND_DARK_LEVEL = 110
BAND_MIN_ASPECT = 3.0
BAND_MIN_AREA = 0.02
BAND_MAX_AREA = 0.35
BAND_MIN_FILL = 0.6

# Skew search: hand-held photos are rarely more than a few degrees off; beyond MAX_SKEW the
# projection method is unreliable and the card should be retaken. Below MIN_SKEW rotating costs
# more (resampling blur) than it gains.
MAX_SKEW = 8.0
MIN_SKEW = 0.3
ANALYSIS_SIDE = 500  # long side of the thumbnail used to measure skew and lighting

# Pictures on the card (the portrait, a QR code) are solid blobs of ink several text lines tall.
# Left in, Tesseract's block mode reads them as characters glued to the text beside them.
GRAPHIC_MIN_HEIGHT = 2.5  # in median ink-component heights (titles are ~1.7, a portrait or QR code far more)
GRAPHIC_MIN_FILL = 0.2  # ink fraction of the bounding box; frames and ruling lines stay below it
GRAPHIC_INK_LEVEL = 200  # grey level below which a pixel is ink once the paper is flattened to white
GRAPHIC_MAX_AREA = 0.15  # of the image: a portrait is ~6 % of a card; anything larger is the
# background around a photographed card, or a dark card, and must stay


@dataclass(frozen=True)
class PreparedImage:
    """The image handed to the engine and the affine transform from loaded-image pixels to its pixels."""

    image: Image.Image
    transform: np.ndarray  # 2×3
    source_size: tuple[int, int]  # (width, height) of the loaded image

    def to_original(self, box: Box) -> Box:
        """A box on the prepared image as the axis-aligned box it covers on the loaded image,
        clipped to that image (a straightened image has blank corners outside it)."""
        inverse = cv2.invertAffineTransform(self.transform)
        corners = np.array([[box.x, box.y], [box.x + box.w, box.y], [box.x, box.y + box.h],
                            [box.x + box.w, box.y + box.h]], dtype=np.float64)
        mapped = corners @ inverse[:, :2].T + inverse[:, 2]
        width, height = self.source_size
        x0, y0 = np.clip(np.floor(mapped.min(axis=0)), 0, [width - 1, height - 1]).astype(int)
        x1, y1 = np.clip(np.ceil(mapped.max(axis=0)), 0, [width, height]).astype(int)
        return Box(int(x0), int(y0), max(1, int(x1 - x0)), max(1, int(y1 - y0)))


def ocr_scale(width: int, height: int) -> float:
    """The factor that brings the long side into [MIN_LONG_SIDE, MAX_LONG_SIDE]; 1.0 if already there."""
    long_side = max(width, height)
    if long_side < MIN_LONG_SIDE:
        return MIN_LONG_SIDE / long_side
    if long_side > MAX_LONG_SIDE:
        return MAX_LONG_SIDE / long_side
    return 1.0


def red_mask(rgb: np.ndarray) -> np.ndarray:
    """Boolean mask of pixels where red dominates (seal ink), for an H×W×3 uint8 array."""
    channels = rgb.astype(np.int16)
    red, green, blue = channels[..., 0], channels[..., 1], channels[..., 2]
    return (red >= SEAL_MIN_RED) & (red - np.maximum(green, blue) >= SEAL_MIN_RED_MARGIN)


def title_bands(mask: np.ndarray) -> np.ndarray:
    """Mask of the solid strips in `mask` with the lettering inside them: a title band printed in a
    dark or red colour with its title reversed out in white. A seal is a thin ring, star and
    lettering, never a solid strip.

    Each strip is filled to its outline (so the white letters it encloses belong to it) but not to
    its bounding box, whose corners outside rounded ends would turn into dark blots."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    bands = np.zeros(mask.shape, dtype=np.uint8)
    for label, (x, y, w, h, area) in enumerate(stats[1:], start=1):
        strip = w >= BAND_MIN_ASPECT * h and BAND_MIN_AREA * mask.size <= w * h <= BAND_MAX_AREA * mask.size
        if strip and area >= BAND_MIN_FILL * w * h:
            outline, _ = cv2.findContours((labels == label).astype(np.uint8), cv2.RETR_EXTERNAL,
                                          cv2.CHAIN_APPROX_SIMPLE)
            cv2.drawContours(bands, outline, -1, 1, thickness=cv2.FILLED)
    return bands.astype(bool)


def seal_free_gray(image: Image.Image) -> np.ndarray:
    """Greyscale in which the red seal disappears and lettering on a coloured band turns dark on light.

    Colour separation: seal-red pixels turn white; merely reddish ones (the seal's anti-aliased rim,
    JPEG's colour smear around it) take their red channel instead of their luminance, where seal ink
    is nearly as light as paper while black text, even under the seal, stays dark. Inside a solid
    red or dark title band the luminance is inverted instead, so its white title reads as dark print
    on paper (Tesseract reads light-on-dark text poorly, and the seal rule would erase a red band).
    """
    rgb = np.asarray(image.convert("RGB"))
    seal = red_mask(rgb)
    # Decide the tint on a smoothed image: a seal's tint is a coherent area, sensor noise is not.
    channels = cv2.GaussianBlur(rgb, (0, 0), 1.5).astype(np.int16)
    redness = channels[..., 0] - np.maximum(channels[..., 1], channels[..., 2])
    luminance = np.asarray(image.convert("L"))
    gray = np.where(redness >= SEAL_TINT_MARGIN, rgb[..., 0], luminance).astype(np.uint8)
    gray[seal] = 255
    bands = title_bands(seal | (luminance < BAND_DARK_LEVEL))
    if bands.any():
        # Inverted, the band is mid-grey; scale its typical (background) level up to paper white.
        inverted = 255 - luminance[bands].astype(np.float32)
        gray[bands] = np.clip(inverted * (255 / max(float(np.median(inverted)), 1.0)), 0, 255).astype(np.uint8)
    return gray


def thumbnail(gray: np.ndarray) -> np.ndarray:
    factor = ANALYSIS_SIDE / max(gray.shape)
    if factor >= 1:
        return gray
    return cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


def estimate_skew(gray: np.ndarray) -> float:
    """The rotation in degrees (counter-clockwise positive, as `cv2.getRotationMatrix2D` takes it)
    that levels the text: the one that makes the rows of ink sharpest (projection-profile method)."""
    small = thumbnail(gray)
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = ink.astype(np.float32)
    centre = (small.shape[1] / 2, small.shape[0] / 2)

    def sharpness(angle: float) -> float:
        matrix = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rows = cv2.warpAffine(ink, matrix, (small.shape[1], small.shape[0])).sum(axis=1)
        return float(np.sum(np.diff(rows) ** 2))

    coarse = max(np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 0.5), key=sharpness)
    return float(max(np.arange(coarse - 0.5, coarse + 0.51, 0.1), key=sharpness))


def flatten_illumination(gray: np.ndarray) -> np.ndarray:
    """Divide out smooth uneven lighting (a shadow or lamp gradient across a photographed card).

    Tesseract binarises with one global threshold, so a card lit from one side loses its dark half.
    The paper's brightness is modelled as a quadratic surface fitted to the upper envelope of a
    thumbnail (text removed by a max filter; darker areas such as the portrait or a desk dropped
    over a few refits), so only lighting is divided out, never content.
    """
    small = cv2.dilate(thumbnail(gray), np.ones((5, 5), np.uint8)).astype(np.float64)
    design = quadratic_terms(small.shape)
    values = small.ravel()
    keep = np.ones(values.shape, dtype=bool)
    for _ in range(4):
        coefficients, *_ = np.linalg.lstsq(design[keep], values[keep], rcond=None)
        keep = values >= design @ coefficients - 10
    # The surface is smooth, so evaluating it on the thumbnail and enlarging it loses nothing.
    surface = (design @ coefficients).reshape(small.shape).astype(np.float32)
    paper = cv2.resize(surface, (gray.shape[1], gray.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(gray.astype(np.float32) * (255 / np.maximum(paper, 1.0)), 0, 255).astype(np.uint8)


def quadratic_terms(shape: tuple[int, ...]) -> np.ndarray:
    """Columns 1, x, y, x², xy, y² for every pixel of an image of `shape`, x and y scaled to [0, 1)."""
    rows, cols = np.mgrid[0:shape[0], 0:shape[1]]
    x, y = cols.ravel() / shape[1], rows.ravel() / shape[0]
    return np.stack([np.ones_like(x), x, y, x * x, x * y, y * y], axis=1)


def blank_graphics(gray: np.ndarray) -> np.ndarray:
    """A copy with the bounding boxes of picture-like ink blobs painted white (see GRAPHIC_*).

    Expects flattened lighting (paper ≈ 255), so anything clearly darker than paper counts as ink,
    including mid-grey picture areas that a global Otsu threshold would put on the paper side.
    """
    _, ink = cv2.threshold(gray, GRAPHIC_INK_LEVEL, 255, cv2.THRESH_BINARY_INV)
    count, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    components = stats[1:]
    sized = components[components[:, cv2.CC_STAT_AREA] >= 20]
    if count <= 1 or len(sized) == 0:
        return gray
    typical = float(np.median(sized[:, cv2.CC_STAT_HEIGHT]))
    cleaned = gray.copy()
    for x, y, w, h, area in components:
        picture_sized = min(w, h) > GRAPHIC_MIN_HEIGHT * typical and w * h < GRAPHIC_MAX_AREA * gray.size
        if picture_sized and area > GRAPHIC_MIN_FILL * w * h:
            cleaned[y:y + h, x:x + w] = 255
    return cleaned


def rotation(shape: tuple[int, ...], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The affine matrix rotating an image of `shape` by `angle` about its centre, with the canvas
    grown so no corner is cut off, and the new (width, height)."""
    height, width = shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_width, new_height = int(round(height * sin + width * cos)), int(round(height * cos + width * sin))
    matrix[0, 2] += new_width / 2 - width / 2
    matrix[1, 2] += new_height / 2 - height / 2
    return matrix, (new_width, new_height)


def prepare_for_tesseract(image: Image.Image) -> PreparedImage:
    """Resize into Tesseract's comfortable range, remove the red seal, go grey, straighten small
    skew, flatten the lighting and blank out pictures."""
    source_size = image.size
    scale = ocr_scale(image.width, image.height)
    transform = np.array([[scale, 0.0, 0.0], [0.0, scale, 0.0]])
    if scale != 1.0:
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.LANCZOS if scale < 1 else Image.Resampling.BICUBIC)
    gray = seal_free_gray(image)
    angle = estimate_skew(gray)
    if abs(angle) >= MIN_SKEW:
        matrix, size = rotation(gray.shape, angle)
        gray = cv2.warpAffine(gray, matrix, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT,
                              borderValue=255)
        transform = matrix @ np.vstack([transform, [0.0, 0.0, 1.0]])
    return PreparedImage(Image.fromarray(blank_graphics(flatten_illumination(gray))), transform, source_size)
