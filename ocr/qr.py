"""Stage 5: find and decode QR symbols; report a symbol that was seen but could not be read.

zxing-cpp goes first (fast, tries rotations and inversion itself). OpenCV's detectors are the
fallback, run on a few preprocessed variants; the first decode wins. Payload text is exactly what
a decoder produced, never reconstructed, because the verification rules judge the link itself.
"""

from __future__ import annotations

from collections.abc import Iterator

import cv2
import numpy as np
import zxingcpp
from PIL import Image

from ocr.types import Box, QrPayload, QrReading

QR_FORMATS = (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.MicroQRCode)


def box_from_points(points: np.ndarray, scale: float = 1.0) -> Box:
    """The axis-aligned box around a symbol's corner points, in the caller's pixels."""
    xs, ys = points[:, 0] / scale, points[:, 1] / scale
    x0, y0 = int(np.floor(xs.min())), int(np.floor(ys.min()))
    return Box(x0, y0, max(1, int(np.ceil(xs.max())) - x0), max(1, int(np.ceil(ys.max())) - y0))


def zxing_position(position: zxingcpp.Position) -> np.ndarray:
    corners = (position.top_left, position.top_right, position.bottom_right, position.bottom_left)
    return np.array([(p.x, p.y) for p in corners], dtype=np.float32)


def read_with_zxing(gray: np.ndarray) -> tuple[list[QrPayload], bool]:
    """(decoded payloads, whether any symbol was located), QR and Micro QR only, bytes as plain text."""
    barcodes = zxingcpp.read_barcodes(gray, formats=QR_FORMATS, text_mode=zxingcpp.TextMode.Plain,
                                      return_errors=True)
    payloads = [QrPayload(b.text, box_from_points(zxing_position(b.position)), "zxing-cpp")
                for b in barcodes if b.valid and b.text]
    return payloads, bool(barcodes)


def opencv_variants(gray: np.ndarray) -> Iterator[tuple[str, np.ndarray, float]]:
    """(name, image, scale) variants that rescue small, low-contrast or inverted symbols."""
    yield "gray", gray, 1.0
    upscaled = cv2.resize(gray, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    yield "upscaled", upscaled, 2.0
    _, otsu = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    yield "otsu", otsu, 1.0
    yield "inverted", cv2.bitwise_not(otsu), 1.0


def opencv_detectors() -> Iterator[tuple[str, cv2.QRCodeDetector]]:
    yield "opencv", cv2.QRCodeDetector()
    if hasattr(cv2, "QRCodeDetectorAruco"):
        yield "opencv-aruco", cv2.QRCodeDetectorAruco()


def read_with_opencv(gray: np.ndarray) -> tuple[list[QrPayload], bool]:
    """(first decoded payload, whether any detector located a symbol) over variants and detectors."""
    seen = False
    for variant, image, scale in opencv_variants(gray):
        for name, detector in opencv_detectors():
            text, points, _ = detector.detectAndDecode(image)
            if points is None:
                continue
            seen = True
            if text:
                box = box_from_points(points.reshape(-1, 2), scale)
                return [QrPayload(text, box, f"{name}/{variant}")], True
    return [], seen


def decode_qr(image: Image.Image) -> QrReading:
    """All QR payloads in `image` (boxes in its pixels); `symbol_seen` also when none could be decoded."""
    gray = np.asarray(image.convert("L"))
    payloads, seen_by_zxing = read_with_zxing(gray)
    if payloads:
        return QrReading(payloads, symbol_seen=True)
    payloads, seen_by_opencv = read_with_opencv(gray)
    return QrReading(payloads, symbol_seen=seen_by_zxing or seen_by_opencv)
