"""Stage: where a JPEG that was compressed twice was compressed only once (double-JPEG traces).

A photo edited on a screen — a date or the number covered and typed again — and saved as JPEG once
more carries two compressions where it was left alone and one where it was retyped: the retyped print
was never in the first file. Each compression rounds every 8×8 block's DCT coefficients to multiples
of a step, one per frequency. Rounded to a coarser first step and then to the file's own, a
coefficient can only land on the file's multiples that lie nearest some multiple of the first step
(with steps 2 and 5: 0, ±2, ±5, ±7, ±10 … and never ±1, ±3 …); rounded once, it lands on any. This
is the aligned double-JPEG trace of Bianchi and Piva ("Image forgery localization via block-grained
analysis of JPEG artifacts", IEEE TIFS 2012), counted rather than modelled:

- The luma plane exactly as the decoder gave it (no colour conversion) is cut into the file's 8×8
  blocks and each block's DCT divided by the file's quantisation table: the integers the file holds.
- Per low frequency, the first step is the one whose reachable integers hold the most of the file's
  non-zero integers beyond chance; chance is what one compression gives, simulated from the same
  picture's DCT on a grid shifted 4 pixels off the file's ("calibration": off the grid no step shows).
  A frequency where no first step stands out by MIN_SCORE is dropped, and a picture with fewer than
  MIN_FREQUENCIES kept (a photo straight from the camera) is taken as compressed once.
- Each block keeps how many of its non-zero integers the first step reaches, how many chance would
  reach, and how many there are; a value's figure (`CompressionMap.twice_in`) is the share beyond
  chance over the blocks its box covers: about the card's own for print that was in the first file,
  near 0 for print typed in after it.

Not seen: a second compression coarser than the first (only a coarser first step leaves gaps), a
picture cropped or scaled between its two compressions (the grids no longer line up: non-aligned
double JPEG), and one saved twice with the same table.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ocr.types import Box

BLOCK = 8
ZIGZAG_AC = (1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5)
"""The 15 lowest AC frequencies (natural-order indices, zigzag): the ones print leaves non-zero."""
FIRST_STEPS = range(2, 33)
"""The first compression's steps tried for each frequency (those coarser than the file's own)."""
MIN_SCORE = 0.5
"""A frequency is kept when its first step reaches this share of the non-zero integers that chance
leaves unreached. On 90 dev camera originals no more than one frequency of any picture was kept."""
MIN_FREQUENCIES = 4
"""Fewer kept frequencies than this: the picture is taken as compressed once, and nothing is measured."""
STRIP_ROWS = 32
"""Block rows transformed at once."""
MIN_COEFFICIENTS = 100
"""A value whose blocks hold fewer non-zero integers at the kept frequencies gives no figure…"""
MIN_CAPACITY = 20.0
"""…nor one of whose integers one compression would leave fewer than this unreached (expected): where
the first step is barely coarser than the file's, it reaches nearly every integer by chance, and a
few integers pushed off it by rounding would swing the share."""
ORIENTATIONS = {
    2: ((-1, 0, 1, 0), (0, 1, 0, 0)), 3: ((-1, 0, 1, 0), (0, -1, 0, 1)), 4: ((1, 0, 0, 0), (0, -1, 0, 1)),
    5: ((0, 1, 0, 0), (1, 0, 0, 0)), 6: ((0, 1, 0, 0), (-1, 0, 0, 1)), 7: ((0, -1, 1, 0), (-1, 0, 0, 1)),
    8: ((0, -1, 1, 0), (1, 0, 0, 0)),
}
"""EXIF orientation → how an upright pixel (x, y) maps back to the stored picture: each stored
coordinate as (a, b, c, d) meaning a·x + b·y + c·(stored width − 1) + d·(stored height − 1)."""


def _dct_matrix() -> np.ndarray:
    k, n = np.meshgrid(np.arange(BLOCK), np.arange(BLOCK), indexing="ij")
    matrix = np.sqrt(2 / BLOCK) * np.cos(np.pi * (2 * n + 1) * k / (2 * BLOCK))
    matrix[0] /= np.sqrt(2)
    return matrix


SPECTRUM = np.kron(_dct_matrix(), _dct_matrix())[list(ZIGZAG_AC)]
"""Rows: the ZIGZAG_AC frequencies of the 2-D DCT of an 8×8 block flattened row by row."""


@dataclass(frozen=True)
class CompressionMap:
    """Per 8×8 block of the stored picture: the first compression's traces in its integers."""

    reached: np.ndarray
    """(block rows, block columns) non-zero integers at the kept frequencies that the first step reaches."""
    by_chance: np.ndarray
    """…that one compression would reach by chance (expected counts)."""
    counted: np.ndarray
    """…non-zero integers at the kept frequencies."""
    first_steps: dict[int, int]
    """Natural-order frequency → the first compression's step found for it (the kept frequencies)."""
    stored_size: tuple[int, int]
    """The stored picture's width and height, before its EXIF orientation is applied."""
    orientation: int = 1

    def twice_in(self, box: Box) -> float | None:
        """The share beyond chance of the non-zero integers under `box` (upright coordinates) that the
        first step reaches: 1 all, 0 as by chance. None below MIN_COEFFICIENTS or MIN_CAPACITY."""
        ys, xs = np.mgrid[box.y:box.y + box.h, box.x:box.x + box.w]
        xs, ys = self.stored(xs.ravel(), ys.ravel())
        rows, columns = ys // BLOCK, xs // BLOCK
        inside = (rows >= 0) & (columns >= 0) & (rows < self.counted.shape[0]) & (columns < self.counted.shape[1])
        blocks = np.unique(rows[inside] * self.counted.shape[1] + columns[inside])
        reached, by_chance, counted = (a.ravel()[blocks].sum() for a in (self.reached, self.by_chance, self.counted))
        if counted < MIN_COEFFICIENTS or counted - by_chance < MIN_CAPACITY:
            return None
        return float((reached - by_chance) / (counted - by_chance))

    def stored(self, xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Upright pixel coordinates → the stored picture's."""
        if self.orientation not in ORIENTATIONS:
            return xs, ys
        width, height = self.stored_size
        stored_x, stored_y = (a * xs + b * ys + c * (width - 1) + d * (height - 1)
                              for a, b, c, d in ORIENTATIONS[self.orientation])
        return stored_x, stored_y


def compression_map(data: bytes) -> CompressionMap | None:
    """The double-compression traces of a JPEG file (already accepted by `ocr.load.load_image`);
    None for another format, or for a picture that shows one compression only."""
    if not data.startswith(b"\xff\xd8\xff"):
        return None
    with Image.open(io.BytesIO(data), formats=["JPEG"]) as opened:
        table = opened.quantization.get(0) if opened.quantization else None
        orientation = opened.getexif().get(0x0112, 1)
        if table is None or opened.mode not in ("L", "RGB"):
            return None
        opened.draft("YCbCr" if opened.mode == "RGB" else "L", opened.size)  # decode without colour conversion
        luma = np.asarray(opened)[..., 0] if opened.mode == "YCbCr" else np.asarray(opened)
        size = opened.size
    coefficients = block_spectra(luma)
    calibration = block_spectra(luma[BLOCK // 2:, BLOCK // 2:])
    if min(calibration.shape[:2]) < 2:
        return None
    reached, by_chance, counted = (np.zeros(coefficients.shape[:2]) for _ in range(3))
    first_steps = {}
    for index, frequency in enumerate(ZIGZAG_AC):
        step = table[frequency]
        held = np.rint(coefficients[..., index] / step)
        found = first_step(held, np.rint(calibration[..., index].ravel() / step), step)
        if found is not None:
            first_steps[frequency], chance = found
            nonzero = held != 0
            reached += nonzero & reachable(held, first_steps[frequency], step)
            by_chance += nonzero * chance
            counted += nonzero
    if len(first_steps) < MIN_FREQUENCIES:
        return None
    return CompressionMap(reached, by_chance, counted, first_steps, size, orientation)


def block_spectra(luma: np.ndarray) -> np.ndarray:
    """(block rows, block columns, ZIGZAG_AC) DCT coefficients of the whole 8×8 blocks, a strip of
    STRIP_ROWS block rows at a time (a 12-megapixel photo would otherwise take ~300 MB in floats)."""
    rows, columns = luma.shape[0] // BLOCK, luma.shape[1] // BLOCK
    spectra = np.empty((rows, columns, len(ZIGZAG_AC)), dtype=np.float32)
    for top in range(0, rows, STRIP_ROWS):
        strip = luma[top * BLOCK:min(top + STRIP_ROWS, rows) * BLOCK, :columns * BLOCK] - 128.0
        blocks = strip.reshape(-1, BLOCK, columns, BLOCK).transpose(0, 2, 1, 3).reshape(-1, BLOCK * BLOCK)
        spectra[top:top + STRIP_ROWS] = np.einsum("bp,fp->bf", blocks, SPECTRUM, optimize=False).reshape(
            -1, columns, len(ZIGZAG_AC))  # not BLAS: its threads would contend with other worker processes
    return spectra


def reachable(integers: np.ndarray, first: int | np.ndarray, step: int) -> np.ndarray:
    """Whether each integer is one that rounding a multiple of `first` to a multiple of `step` gives."""
    nearest = np.rint(integers * step / first)
    return np.any([np.abs((nearest + shift) * first / step - integers) <= 0.5 for shift in (-1, 0, 1)], axis=0)


def first_step(held: np.ndarray, once: np.ndarray, step: int) -> tuple[int, float] | None:
    """For one frequency: the first step that reaches the most of the file's non-zero integers `held`
    beyond chance, and that chance (the share of `once`, one compression's non-zero integers, it
    reaches); None where no step stands out by MIN_SCORE."""
    (held, held_counts), (once, once_counts) = (np.unique(a[a != 0], return_counts=True) for a in (held, once))
    firsts = np.arange(max(step + 1, FIRST_STEPS.start), FIRST_STEPS.stop)[:, None]
    if held_counts.sum() < MIN_COEFFICIENTS or once_counts.sum() < MIN_COEFFICIENTS or not firsts.size:
        return None
    chance = reachable(once[None, :], firsts, step) @ once_counts / once_counts.sum()
    share = reachable(held[None, :], firsts, step) @ held_counts / held_counts.sum()
    score = np.where(chance < 1, (share - chance) / np.maximum(1 - chance, 1e-9), -1.0)
    best = int(np.argmax(score))
    return None if score[best] < MIN_SCORE else (int(firsts[best, 0]), float(chance[best]))
