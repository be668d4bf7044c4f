"""Stage 5: find and decode QR symbols; report a symbol that was seen but could not be read.

The first try is zxing-cpp on the grey image: it reads nearly every sharp, flat symbol in a few
milliseconds, so a good photo costs nothing more. Only when it reads nothing do the retries run,
cheapest first, and the first one that yields a payload wins:

1. every symbol a locator found but could not read is resampled on a grid that follows the
   symbol's local distortion (cloth, bent card, lens) and the clean grid is handed back to zxing;
2. zxing (both of its binarizers) on preprocessed variants: a quiet zone added, rescaled,
   contrast-equalised, smoothed, sharpened, binarised, slightly rotated;
3. OpenCV's two QR detectors on the same variants; what they locate also goes through step 1.

Payload text is always what a decoder produced, never reconstructed, because the verification
rules judge the link itself. Error correction (Reed–Solomon) is the consistency check: a decoder
returns text only when the codewords check out. OpenCV's text is taken only when it is ASCII:
OpenCV turns non-UTF-8 byte segments (Shift-JIS, GB 2312) into Latin-1 text, which would be a
wrong payload; zxing transcodes them by ECI or charset detection, and its text, encoded as UTF-8,
is what ZXing's own test suite expects.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import cv2
import numpy as np
import zxingcpp
from PIL import Image

from ocr.types import Box, QrPayload, QrReading

QR_FORMATS = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.MicroQRCode)
FIRST_BINARIZER = zxingcpp.Binarizer.LocalAverage
RETRY_BINARIZERS = (zxingcpp.Binarizer.LocalAverage, zxingcpp.Binarizer.GlobalHistogram)
MAX_RETRY_SIDE = 2000  # variants have at most this many pixels per side; resampling uses full resolution
MAX_OPENCV_SIDE = 2500  # the capped variants, not a large original: OpenCV takes ~0.5 s on 12 megapixels
UPSCALE_BELOW = 1000  # images smaller than this are also tried at twice the size
MODULE_PX = 12  # pixels per module in the frame the resampler straightens a symbol into
GRID_SMOOTHING = (0.0, 1.0, 2.0)  # neighbourhoods (in modules) over which the grid may bend; 0 = rigid
GUESSED_SIZES = tuple(range(21, 58, 4))  # versions 1–10, tried when the locator did not read the version
MIN_SIDE_PX, MAX_SIDE_RATIO = 10, 4.0  # what a located symbol's outline may look like
OPENCV_VARIANTS = ("grey", "quiet-zone", "x0.5", "x2")  # OpenCV is slow; it gets the geometric variants only
IDENTITY = np.array([[1, 0, 0], [0, 1, 0]], dtype=np.float64)


@dataclass(frozen=True)
class Variant:
    """A preprocessed copy of the image and the affine map from image pixels to its pixels."""

    name: str
    image: np.ndarray
    transform: np.ndarray = field(default_factory=lambda: IDENTITY)
    original: bool = False  # the image as given, not preprocessed

    def to_image(self, points: np.ndarray) -> np.ndarray:
        """Points in this variant's pixels, mapped back to the original image."""
        inverse = cv2.invertAffineTransform(self.transform)
        return cv2.transform(points.reshape(-1, 1, 2).astype(np.float64), inverse).reshape(-1, 2)


@dataclass(frozen=True)
class Located:
    """A symbol found but not read: corners (TL, TR, BR, BL) in image pixels, modules per side if known.

    `confirmed` when this alone shows a symbol is there: zxing read its format information
    (BCH-checked) or found it in the image as given, or both OpenCV detectors found it there.
    One OpenCV detector alone also "finds" symbols in printed text and guilloche patterns; such a
    find is only worth a resample.
    """

    corners: np.ndarray
    size: int | None
    confirmed: bool

    @property
    def plausible(self) -> bool:
        """A symbol seen in perspective is a convex quadrilateral with sides of similar length."""
        sides = np.linalg.norm(self.corners - np.roll(self.corners, 1, axis=0), axis=1)
        convex = cv2.isContourConvex(self.corners.astype(np.float32).reshape(-1, 1, 2))
        return bool(convex and sides.min() >= MIN_SIDE_PX and sides.max() <= MAX_SIDE_RATIO * sides.min())

    def overlaps(self, other: Located) -> bool:
        """The two outlines are around the same place (corner order aside)."""
        side = float(np.linalg.norm(self.corners[1] - self.corners[0])) or 1.0
        return float(np.linalg.norm(self.corners.mean(axis=0) - other.corners.mean(axis=0))) < 0.25 * side

    def near(self, other: Located) -> bool:
        side = float(np.linalg.norm(self.corners[1] - self.corners[0])) or 1.0
        return self.size == other.size and float(np.abs(self.corners - other.corners).max()) < 0.05 * side


def box_from_points(points: np.ndarray) -> Box:
    """The axis-aligned box around a symbol's corner points."""
    xs, ys = points[:, 0], points[:, 1]
    x0, y0 = int(np.floor(xs.min())), int(np.floor(ys.min()))
    return Box(x0, y0, max(1, int(np.ceil(xs.max())) - x0), max(1, int(np.ceil(ys.max())) - y0))


def zxing_corners(position: zxingcpp.Position) -> np.ndarray:
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return np.array([(p.x, p.y) for p in corners], dtype=np.float64)


def read_with_zxing(variant: Variant, binarizer: zxingcpp.Binarizer) -> tuple[list[QrPayload], list[Located]]:
    """(decoded payloads, symbols located but not decoded), QR and Micro QR, bytes as plain text."""
    barcodes = zxingcpp.read_barcodes(variant.image, formats=QR_FORMATS, text_mode=zxingcpp.TextMode.Plain,
                                      binarizer=binarizer, return_errors=True)
    payloads, located = [], []
    for barcode in barcodes:
        corners = variant.to_image(zxing_corners(barcode.position))
        if barcode.valid and barcode.text:  # an all-zero data block checks out but carries nothing
            payloads.append(QrPayload(barcode.text, box_from_points(corners), f"zxing-cpp/{variant.name}"))
        else:
            size = symbol_size(str((barcode.extra or {}).get("Version", "")))
            # A Micro QR has one finder square, which dense CJK print imitates (format bits and all):
            # located but unread, it is worth a resample but does not show a symbol is there.
            micro = barcode.format == zxingcpp.BarcodeFormat.MicroQRCode
            located.append(Located(corners, size, confirmed=(variant.original or size is not None) and not micro))
    return payloads, located


def opencv_detectors() -> Iterator[tuple[str, cv2.QRCodeDetector]]:
    yield "opencv", cv2.QRCodeDetector()
    yield "opencv-aruco", cv2.QRCodeDetectorAruco()


def read_with_opencv(variant: Variant) -> tuple[list[QrPayload], list[Located]]:
    """(first ASCII payload, symbols located) from OpenCV's detectors.

    Not OpenCV's curved-surface decoder (`decodeCurved`): in OpenCV 5.0.0 it crashes the process
    (SIGSEGV) on some card images, and on the ZXing black-box set it decoded nothing that the
    resampler (which follows a bent symbol's grid) did not.
    """
    located = []
    for name, detector in opencv_detectors():
        try:
            text, points, _ = detector.detectAndDecode(variant.image)
        except (cv2.error, UnicodeDecodeError):  # unsupported modes (e.g. ECI), non-UTF-8 bytes
            continue
        if points is None:
            continue
        corners = variant.to_image(points.reshape(-1, 2))
        if text and text.isascii():
            return [QrPayload(text, box_from_points(corners), f"{name}/{variant.name}")], located
        located.append(Located(corners, None, confirmed=False))
    if variant.original and len(located) == 2 and located[0].overlaps(located[1]):
        located[0] = replace(located[0], confirmed=True)  # both detectors, independently, in the image as given
    return [], located


def grid_offset(frame: np.ndarray, along_x: bool, smoothing: float) -> np.ndarray:
    """Per module cell, how far (px) the module borders sit from the rigid grid, along x or y.

    Borders repeat every MODULE_PX pixels, so the phase of edge strength at that frequency, summed
    per cell and averaged over `smoothing` cells, is the local offset of the grid. The phase is
    unwrapped from the symbol's edge inwards, so a drift of more than half a module is followed.
    """
    axis = 1 if along_x else 0
    edges = np.abs(cv2.Sobel(frame, cv2.CV_32F, int(along_x), int(not along_x)))
    wave = np.exp(-2j * np.pi * np.arange(frame.shape[axis]) / MODULE_PX)
    weighted = edges * (wave[None, :] if along_x else wave[:, None])
    cells = frame.shape[0] // MODULE_PX
    per_cell = weighted.reshape(cells, MODULE_PX, cells, MODULE_PX).sum(axis=(1, 3))
    real = cv2.GaussianBlur(per_cell.real.astype(np.float32), (0, 0), smoothing)
    imaginary = cv2.GaussianBlur(per_cell.imag.astype(np.float32), (0, 0), smoothing)
    return -np.unwrap(np.arctan2(imaginary, real), axis=axis) * MODULE_PX / (2 * np.pi)


def straighten(gray: np.ndarray, corners: np.ndarray, size: int) -> np.ndarray:
    """The symbol warped to `size` × MODULE_PX pixels square, plus one module of margin on each side."""
    side = size * MODULE_PX
    target = np.array([(0, 0), (side, 0), (side, side), (0, side)], dtype=np.float32) + MODULE_PX
    homography = cv2.getPerspectiveTransform(corners.astype(np.float32), target)
    frame = side + 2 * MODULE_PX
    return cv2.warpPerspective(gray, homography, (frame, frame), flags=cv2.INTER_CUBIC,
                               borderMode=cv2.BORDER_REPLICATE).astype(np.float32)


def module_grids(frame: np.ndarray, size: int) -> Iterator[np.ndarray]:
    """Dark (True) or light per module, once per GRID_SMOOTHING, read at centres moved by the local offset."""
    centre = cv2.blur(frame, (MODULE_PX // 3, MODULE_PX // 3))
    surround = cv2.blur(frame, (5 * MODULE_PX, 5 * MODULE_PX))  # a local threshold against uneven light
    rigid = MODULE_PX + (np.arange(size) + 0.5) * MODULE_PX
    xs, ys = np.meshgrid(rigid, rigid)
    inner = slice(1, size + 1)  # the symbol's cells, without the margin
    for smoothing in GRID_SMOOTHING:
        dx = grid_offset(frame, True, smoothing)[inner, inner] if smoothing else 0
        dy = grid_offset(frame, False, smoothing)[inner, inner] if smoothing else 0
        cols = np.clip(xs + dx, 0, frame.shape[1] - 1).astype(int)
        rows = np.clip(ys + dy, 0, frame.shape[0] - 1).astype(int)
        yield centre[rows, cols] < surround[rows, cols]


def render(modules: np.ndarray, px: int = 4, quiet: int = 4) -> np.ndarray:
    """A clean, upright image of a module grid, with the quiet zone the standard asks for."""
    image = np.pad(np.where(modules, 0, 255).astype(np.uint8), quiet, constant_values=255)
    return np.kron(image, np.ones((px, px), dtype=np.uint8))


def resample(gray: np.ndarray, symbol: Located) -> list[QrPayload]:
    """Read a located symbol by sampling its modules on a grid that bends with it, then decoding with zxing."""
    for size in (symbol.size,) if symbol.size else GUESSED_SIZES:
        for modules in module_grids(straighten(gray, symbol.corners, size), size):
            barcodes = zxingcpp.read_barcodes(render(modules), formats=QR_FORMATS, text_mode=zxingcpp.TextMode.Plain,
                                              is_pure=True)
            texts = [barcode.text for barcode in barcodes if barcode.valid and barcode.text]
            if texts:
                return [QrPayload(texts[0], box_from_points(symbol.corners), "zxing-cpp/resampled")]
    return []


def symbol_size(version: str) -> int | None:
    """Modules per side from zxing's version: '1'–'40' for QR, 'M1'–'M4' for Micro QR."""
    if version.isdigit():
        return 17 + 4 * int(version)
    if version[:1] == "M" and version[1:].isdigit():
        return 9 + 2 * int(version[1:])
    return None


def variants(gray: np.ndarray) -> Iterator[Variant]:
    """Generic retries for symbols that defeat the first read, cheapest and most often useful first."""
    scale = min(1.0, MAX_RETRY_SIDE / max(gray.shape))
    base = gray if scale == 1 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    margin = max(8, max(base.shape) // 10)  # a quiet zone for symbols cropped at the image edge
    padded = cv2.copyMakeBorder(base, margin, margin, margin, margin, cv2.BORDER_CONSTANT, value=255)
    to_padded = np.array([[scale, 0, margin], [0, scale, margin]], dtype=np.float64)

    def derived(name: str, image: np.ndarray, then: np.ndarray = IDENTITY) -> Variant:
        """A variant of `padded`; `then` maps padded pixels to the variant's."""
        return Variant(name, image, np.vstack([then, (0, 0, 1)])[:2] @ np.vstack([to_padded, (0, 0, 1)]))

    yield derived("quiet-zone", padded)
    for factor in (0.5, 2.0) if max(base.shape) < UPSCALE_BELOW else (0.5,):
        interpolation = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
        resized = cv2.resize(padded, None, fx=factor, fy=factor, interpolation=interpolation)
        yield derived(f"x{factor:g}", resized, np.array([[factor, 0, 0], [0, factor, 0]]))
    yield derived("equalised", cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(padded))
    yield derived("median", cv2.medianBlur(padded, 3))
    yield derived("smoothed", cv2.GaussianBlur(padded, (5, 5), 0))
    yield derived("sharpened", cv2.addWeighted(padded, 2.0, cv2.GaussianBlur(padded, (0, 0), 2), -1.0, 0))
    block = max(padded.shape) // 16 | 1
    yield derived("adaptive", cv2.adaptiveThreshold(padded, 255, cv2.ADAPTIVE_THRESH_MEAN_C,
                                                    cv2.THRESH_BINARY, block, 5))
    height, width = padded.shape
    for angle in (15, -15, 30, -30):  # zxing itself tries only quarter turns
        rotation = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        yield derived(f"rotated{angle}", cv2.warpAffine(padded, rotation, (width, height), borderValue=255), rotation)


class Retries:
    """The retry cascade for one image; remembers every symbol located so each is resampled once."""

    def __init__(self, grey: Variant, located: list[Located]) -> None:
        self.grey = grey
        self.located = [symbol for symbol in located if symbol.plausible]
        self.pending = list(self.located)
        self.resampled: list[Located] = []

    @property
    def symbol_seen(self) -> bool:
        return any(symbol.confirmed for symbol in self.located)

    def attempts(self) -> Iterator[list[QrPayload]]:
        """What each retry decoded, in order; the caller stops at the first non-empty one."""
        yield self.resample_pending()
        yield self.found(*read_with_zxing(self.grey, zxingcpp.Binarizer.GlobalHistogram))
        tried = [self.grey]
        for variant in variants(self.grey.image):
            tried.append(variant)
            for binarizer in RETRY_BINARIZERS:
                yield self.found(*read_with_zxing(variant, binarizer))
        for variant in tried:
            if variant.name in OPENCV_VARIANTS and max(variant.image.shape) <= MAX_OPENCV_SIDE:
                yield self.found(*read_with_opencv(variant))

    def found(self, payloads: list[QrPayload], located: list[Located]) -> list[QrPayload]:
        located = [symbol for symbol in located if symbol.plausible]
        self.located += located
        self.pending += located
        return payloads or self.resample_pending()

    def resample_pending(self) -> list[QrPayload]:
        payloads = []
        while self.pending:
            symbol = self.pending.pop(0)
            if not any(symbol.near(done) for done in self.resampled):
                self.resampled.append(symbol)
                payloads += resample(self.grey.image, symbol)
        return payloads


def decode_qr(image: Image.Image) -> QrReading:
    """All QR payloads in `image` (boxes in its pixels); `symbol_seen` also when none could be decoded."""
    grey = Variant("grey", np.ascontiguousarray(np.asarray(image.convert("L"))), original=True)
    payloads, located = read_with_zxing(grey, FIRST_BINARIZER)
    if payloads:
        return QrReading(payloads, symbol_seen=True)
    retries = Retries(grey, located)
    for attempt in retries.attempts():
        if attempt:
            return QrReading(attempt, symbol_seen=True)
    return QrReading([], symbol_seen=retries.symbol_seen)
