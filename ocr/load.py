"""Stage 1: bytes from an upload → a validated, upright RGB image.

The type is sniffed from the bytes themselves (a filename or Content-Type is a copy of what the
client sent), and Pillow is asked to use only the matching decoder, so no other plugin ever parses
untrusted input. Allowed: JPEG, PNG and WEBP, which is what phones and scanners' "save as image"
produce. TIFF is **not** allowed: the security checklist (C8 item 5) lists it among the formats
to refuse, libtiff brings many codecs and multi-page containers, and scanners can export PNG
instead.

Pixel limits are enforced from the header before any pixel is decoded: our own cap (`max_pixels`,
40 MP by default, ample for a phone photo of a card) and Pillow's decompression-bomb warning
promoted to an error, so a 150-MP image is refused even though Pillow alone would only warn. The
promotion uses `warnings.catch_warnings`, which is process-global; our own cap, checked right after
the header is parsed, does not depend on it, so the limit holds in threaded workers too.
Truncated or corrupt data fails at decode time: `LOAD_TRUNCATED_IMAGES` is never set.
"""

from __future__ import annotations

import hashlib
import io
import warnings

from PIL import Image, ImageOps, UnidentifiedImageError

from ocr.types import LoadedImage

DEFAULT_MAX_PIXELS = 40_000_000
DEFAULT_MAX_BYTES = 25 * 2**20
ALLOWED_FORMATS = ("JPEG", "PNG", "WEBP")

# What Pillow and its codecs raise on malformed or truncated data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, KeyError, ZeroDivisionError)


class ImageRejected(ValueError):
    """The upload is not a usable image; `code` is stable and meant for programs, `message` for people.

    Codes: empty, too_large, unsupported_type, corrupt, too_many_pixels.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


def sniff_format(data: bytes) -> str | None:
    """The Pillow format name the magic bytes announce, if it is one we accept."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


def load_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS, max_bytes: int = DEFAULT_MAX_BYTES) -> LoadedImage:
    """Validate and decode an upload; raises `ImageRejected` for anything that is not a usable image."""
    if not data:
        raise ImageRejected("empty", "The file is empty.")
    if len(data) > max_bytes:
        raise ImageRejected("too_large", f"The file is larger than {max_bytes // 2**20} MB.")
    image_format = sniff_format(data)
    if image_format is None:
        raise ImageRejected("unsupported_type", "Only JPEG, PNG and WEBP photos are accepted.")
    image = _decode(data, image_format, max_pixels)
    return LoadedImage(image=image, format=image_format, sha256=hashlib.sha256(data).hexdigest(),
                       size_bytes=len(data))


def _decode(data: bytes, image_format: str, max_pixels: int) -> Image.Image:
    """Open with the one sniffed decoder, check the declared size, then decode, rotate and flatten."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            opened = Image.open(io.BytesIO(data), formats=[image_format])
        except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
            raise ImageRejected("too_many_pixels", "The image has too many pixels.") from exc
        except (UnidentifiedImageError, *_DECODE_ERRORS) as exc:
            raise ImageRejected("corrupt", "The file could not be read as an image.") from exc
        with opened:
            width, height = opened.size
            if width * height > max_pixels:
                raise ImageRejected(
                    "too_many_pixels", f"The image is {width}×{height} pixels; the limit is {max_pixels:,} pixels.")
            try:
                opened.load()
                upright = ImageOps.exif_transpose(opened)
                return to_rgb(upright)
            except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
                raise ImageRejected("too_many_pixels", "The image has too many pixels.") from exc
            except _DECODE_ERRORS as exc:
                raise ImageRejected("corrupt", "The image data is damaged or truncated.") from exc


def to_rgb(image: Image.Image) -> Image.Image:
    """RGB with any transparency composited onto white, the colour of the card stock behind it."""
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # 16-bit and float greyscale: scale to 8 bits rather than clip, or the card would turn white.
        return image.point(lambda value: value / 256).convert("L").convert("RGB")
    return image.convert("RGB")
