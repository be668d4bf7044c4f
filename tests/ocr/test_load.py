"""load_image: sniffed types only, pixel caps from the header, corrupt input → stable error codes."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image

from ocr.load import ImageRejected, load_image, sniff_format


def encode(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def png_declaring(width: int, height: int) -> bytes:
    """A well-formed PNG of a few hundred bytes whose header declares width×height greyscale pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = zlib.compress(b"\x00" * 1024, 9)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


def rejected_code(data: bytes, **limits) -> str:
    with pytest.raises(ImageRejected) as caught:
        load_image(data, **limits)
    assert isinstance(caught.value, ValueError)
    return caught.value.code


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_accepted_formats_decode_to_rgb_with_hash_of_the_original_bytes(fmt):
    data = encode(Image.new("RGB", (120, 80), (10, 120, 200)), fmt)
    loaded = load_image(data)
    assert (loaded.format, loaded.image.mode, loaded.width, loaded.height) == (fmt, "RGB", 120, 80)
    assert loaded.sha256 == hashlib.sha256(data).hexdigest()
    assert loaded.size_bytes == len(data)


def test_zero_bytes_is_empty():
    assert rejected_code(b"") == "empty"


def test_more_bytes_than_the_cap_is_too_large_before_any_parsing():
    assert rejected_code(b"\x89PNG\r\n\x1a\n" + b"\x00" * 200, max_bytes=100) == "too_large"


@pytest.mark.parametrize("data", [
    b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>",
    b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n",
    b"<?php echo 'x'; ?>",
], ids=["html", "pdf", "php"])
def test_non_images_are_unsupported_whatever_they_claim_to_be(data):
    assert rejected_code(data) == "unsupported_type"


@pytest.mark.parametrize("fmt", ["GIF", "BMP", "TIFF", "ICO"])
def test_image_formats_outside_the_allow_list_are_unsupported(fmt):
    assert rejected_code(encode(Image.new("RGB", (32, 32), "white"), fmt)) == "unsupported_type"


def test_sniffing_uses_magic_bytes_only():
    assert sniff_format(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "WEBP"
    assert sniff_format(b"RIFF\x00\x00\x00\x00AVI LIST") is None
    assert sniff_format(b"GIF89a") is None


def test_truncated_jpeg_is_corrupt():
    noisy = Image.effect_noise((300, 200), 80).convert("RGB")
    data = encode(noisy, "JPEG", quality=90)
    assert rejected_code(data[: len(data) // 2]) == "corrupt"


def test_jpeg_magic_followed_by_garbage_is_corrupt():
    assert rejected_code(b"\xff\xd8\xff\xe0" + b"not really a jpeg" * 20) == "corrupt"


def test_png_with_a_broken_chunk_crc_is_corrupt():
    data = bytearray(png_declaring(16, 16))
    data[29] ^= 0xFF  # inside the IHDR CRC
    assert rejected_code(bytes(data)) == "corrupt"


def test_tiny_png_declaring_30000_by_30000_is_refused_from_its_header():
    data = png_declaring(30000, 30000)
    assert len(data) < 1024
    assert rejected_code(data) == "too_many_pixels"


def test_150_megapixel_image_is_refused_even_when_our_own_cap_would_allow_it():
    # 150 MP is above Pillow's warning limit (~89 MP) but below its hard error (~179 MP): Pillow on
    # its own would only warn and decode; the promoted warning refuses it.
    assert rejected_code(png_declaring(15000, 10000), max_pixels=10**9) == "too_many_pixels"


def test_our_pixel_cap_applies_below_pillows_limits():
    assert rejected_code(png_declaring(8000, 6000)) == "too_many_pixels"  # 48 MP > 40 MP default
    assert rejected_code(encode(Image.new("RGB", (100, 100)), "PNG"), max_pixels=9999) == "too_many_pixels"


def test_exif_orientation_6_is_applied_to_the_pixels():
    # Stored landscape with a red block at the top-left; orientation 6 means "rotate 90° clockwise
    # to display", so the upright image is portrait with the red block at the top-right.
    stored = Image.new("RGB", (60, 40), "white")
    stored.paste((255, 0, 0), (0, 0, 20, 20))
    exif = Image.Exif()
    exif[0x0112] = 6
    loaded = load_image(encode(stored, "JPEG", quality=95, exif=exif))
    assert loaded.image.size == (40, 60)
    red, green, blue = loaded.image.getpixel((35, 5))
    assert red > 200 and green < 60 and blue < 60
    assert loaded.image.getpixel((5, 5))[1] > 200


def test_alpha_is_composited_on_white():
    rgba = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    rgba.putpixel((1, 1), (0, 0, 0, 255))
    rgba.putpixel((2, 2), (0, 0, 0, 128))
    image = load_image(encode(rgba, "PNG")).image
    assert image.mode == "RGB"
    assert image.getpixel((0, 0)) == (255, 255, 255)
    assert image.getpixel((1, 1)) == (0, 0, 0)
    assert 120 <= image.getpixel((2, 2))[0] <= 135


def test_palette_transparency_is_composited_on_white():
    palette = Image.new("P", (8, 8), 0)
    palette.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    palette.info["transparency"] = 0
    assert load_image(encode(palette, "PNG", transparency=0)).image.getpixel((3, 3)) == (255, 255, 255)


def test_sixteen_bit_greyscale_is_scaled_not_clipped():
    wide = Image.new("I;16", (4, 4), 32768)
    assert load_image(encode(wide, "PNG")).image.getpixel((0, 0)) == (128, 128, 128)
