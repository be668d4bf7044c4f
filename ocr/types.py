"""Typed values passed between the reading stages.

Every stage takes and returns these plain dataclasses so each one can be tested on its own and the
verification package can consume the results without knowing how they were produced.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from PIL import Image

CONTRACT_FIELDS = (
    "number", "name", "sex", "id_number", "category", "item",
    "first_issued", "valid_from", "valid_until", "authority",
)
"""The value fields a card carries, in the verdict contract's order."""

Quad = tuple[tuple[float, float], ...]
"""Four corners in image pixels — top-left, top-right, bottom-right, bottom-left of the upright print."""


@dataclass(frozen=True)
class Box:
    """An axis-aligned region in the pixel coordinates of the normalised image."""

    x: int
    y: int
    w: int
    h: int

    def as_list(self) -> list[int]:
        return [self.x, self.y, self.w, self.h]

    def union(self, other: Box) -> Box:
        x0, y0 = min(self.x, other.x), min(self.y, other.y)
        x1 = max(self.x + self.w, other.x + other.w)
        y1 = max(self.y + self.h, other.y + other.h)
        return Box(x0, y0, x1 - x0, y1 - y0)


@dataclass(frozen=True)
class LoadedImage:
    """An upload that passed validation: decoded, EXIF-rotated, RGB, within the pixel cap."""

    image: Image.Image
    format: str
    sha256: str
    size_bytes: int

    @property
    def width(self) -> int:
        return self.image.width

    @property
    def height(self) -> int:
        return self.image.height


@dataclass(frozen=True)
class TextLine:
    """One line of text as an OCR engine read it; confidence is in [0, 1]."""

    text: str
    confidence: float
    box: Box
    layout_box: Box | None = None
    """The same line in the engine's straightened working frame, where rows are level (a tilted
    photo makes `box`, in image pixels, slant across rows). Layout analysis uses it when every line
    has one; None when the engine did not straighten the image."""
    quad: Quad = ()
    """The line's corners in image pixels in the order its text reads — top-left, top-right,
    bottom-right, bottom-left of the upright print — when the engine turned or straightened the image
    to read it (a photo taken upside down runs right to left in `box`); empty when it read the image
    as it stands."""
    char_confidences: tuple[float, ...] = ()
    """Confidence of each character of `text` (spaces included), when the engine reports finer
    than line level; empty otherwise. One doubtful character is enough to doubt a value."""

    @property
    def height(self) -> float:
        """The print's height in image pixels: the quad's side across the text where there is one
        (the image box of a line photographed at a slant is taller than its print), else the box's
        shorter side."""
        if self.quad:
            (left, top), _, _, (left_below, bottom) = self.quad
            return math.hypot(left_below - left, bottom - top)
        return float(min(self.box.w, self.box.h))


@dataclass(frozen=True)
class StripText:
    """Text an engine found in a strip of the image (`OcrEngine.read_strips`): where it lies along the
    strip, as fractions of the strip's length from its start."""

    text: str
    confidence: float
    start: float
    end: float


@dataclass(frozen=True)
class FieldSpec:
    """How one contract field is printed on a kind of card: its labels and the shape of its value."""

    name: str
    labels: tuple[str, ...]
    value_type: str = "text"  # text | name | date | date_range | sex | code
    pattern: re.Pattern[str] | None = None
    """A compiled expression every genuine value fully matches (a code's structure), used to re-read
    letters and digits that print alike where the structure allows only one of them."""
    agencies: tuple[str, ...] = ()
    """For an issuing authority (a place name and an agency): the agencies that issue this kind,
    so a near miss of place or agency is re-read as the real name (`ocr.places`)."""
    heads: tuple[tuple[str, str], ...] = ()
    """For a code whose structure begins with a province's character (construction numbers): each
    such character with the province it stands for (川, 四川), so a head the reader lost is taken
    from the issuing authority's place."""


@dataclass(frozen=True)
class DocumentSpec:
    """What the reader needs to know about one certificate kind: how to recognise it and its labels."""

    scheme: str
    titles: tuple[str, ...]
    fields: tuple[FieldSpec, ...]
    vocabulary: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Known values per field (catalogue names), used to snap noisy readings when close enough."""
    validity_years: int | None = None
    """How long the kind is valid: a validity end read as no calendar day is told by the other end."""


@dataclass(frozen=True)
class FieldReading:
    """A field's normalised value, the raw text it came from, and how sure the reader is."""

    value: str | None
    raw: str | None
    confidence: float
    box: Box | None = None


@dataclass
class ReadFields:
    """The result of field extraction: which kind the text looks like and the fields found."""

    scheme: str | None
    scheme_confidence: float
    fields: dict[str, FieldReading]


@dataclass(frozen=True)
class QrPayload:
    """A decoded QR symbol: its exact text, where it was, and which decoder produced it."""

    text: str
    box: Box | None
    decoder: str


@dataclass
class QrReading:
    """All QR payloads found; `symbol_seen` is true when a symbol was located, even if unreadable."""

    payloads: list[QrPayload]
    symbol_seen: bool
