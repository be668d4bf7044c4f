"""Scoring one reading against its ground truth, and adding scores up. Pure: no OCR, no files.

Counting rule (the report states it too): a field of an image is *counted* when
  1. the ground truth gives it a value (non-null: the generator prints it on the card),
  2. the card's true kind file defines it (`kind.data["fields"]`; the `validity` date range stands for
     `valid_from` and `valid_until`), and
  3. the generator did not deliberately make it unreadable (`render.unreadable_fields`).
A counted field is *exact* when the reader's value equals the ground-truth string character for
character (dates as ISO). A missing field, or one read as None, is wrong. The denominator depends
only on the ground truth, never on what an engine recognised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ocr.types import ReadFields

CAPTURES = ("scan", "phone", "lowres")
"""The capture conditions (`samples.capture`) the benches generate their cards in, in report order."""
TRUSTED_CONFIDENCE = 0.6
"""`verification.reading.DEFAULT_MIN_CONFIDENCE`: a value read at least this confidently is judged
by the rules, so a wrong one can raise a false alarm."""
RANGE_FIELDS = {"validity": ("valid_from", "valid_until")}


@dataclass(frozen=True)
class Truth:
    """The part of a sample's ground-truth file the bench needs."""

    image: str
    scheme: str | None
    capture: str
    fields: Mapping[str, str | None]
    unreadable: tuple[str, ...] = ()


def load_truth(image_path: Path) -> Truth:
    """The ground truth written beside an image (`NAME.json` next to `NAME.jpg|png`)."""
    data: dict[str, Any] = json.loads(image_path.with_suffix(".json").read_text(encoding="utf-8"))
    return Truth(image_path.name, data["scheme"], data["capture"], data["fields"],
                 tuple(data.get("render", {}).get("unreadable_fields", ())))


def defined_fields(kind_fields: Iterable[str]) -> frozenset[str]:
    """Contract field names a kind file prints: its field keys, with `validity` expanded."""
    names: set[str] = set()
    for name in kind_fields:
        names.update(RANGE_FIELDS.get(name, (name,)))
    return frozenset(names)


def counted_fields(truth: Truth, kind_fields: Mapping[str, Iterable[str]]) -> tuple[str, ...]:
    """The fields of `truth` that are scored (see the module docstring), in ground-truth order.
    `kind_fields` maps kind id → the keys of that kind file's `fields`."""
    if truth.scheme is None or truth.scheme not in kind_fields:
        return ()
    defined = defined_fields(kind_fields[truth.scheme])
    return tuple(name for name, value in truth.fields.items()
                 if value is not None and name in defined and name not in truth.unreadable)


@dataclass(frozen=True)
class FieldOutcome:
    expected: str
    value: str | None
    confidence: float

    @property
    def exact(self) -> bool:
        return self.value == self.expected

    @property
    def trusted_wrong(self) -> bool:
        """Wrong, yet confident enough to be judged: the false-alarm risk."""
        return not self.exact and self.value is not None and self.confidence >= TRUSTED_CONFIDENCE


@dataclass(frozen=True)
class ImageScore:
    image: str
    capture: str
    scheme: str | None
    scheme_read: str | None
    seconds: float
    fields: Mapping[str, FieldOutcome]

    @property
    def kind_correct(self) -> bool:
        return self.scheme_read == self.scheme

    @property
    def all_exact(self) -> bool:
        """Every counted field exact; None for an image with no counted field (a document of no kind)."""
        return all(o.exact for o in self.fields.values()) if self.fields else None


def score_image(truth: Truth, read: ReadFields, seconds: float,
                kind_fields: Mapping[str, Iterable[str]]) -> ImageScore:
    outcomes = {}
    for name in counted_fields(truth, kind_fields):
        reading = read.fields.get(name)
        outcomes[name] = FieldOutcome(truth.fields[name], reading.value if reading else None,
                                      reading.confidence if reading else 0.0)
    return ImageScore(truth.image, truth.capture, truth.scheme, read.scheme, seconds, outcomes)


@dataclass
class Ratio:
    hits: int = 0
    total: int = 0

    def add(self, hit: bool) -> None:
        self.hits += int(hit)
        self.total += 1

    @property
    def percent(self) -> float | None:
        return 100.0 * self.hits / self.total if self.total else None


@dataclass
class Tally:
    """Scores of a group of images (one engine, one set, one capture or all)."""

    images: int = 0
    seconds: float = 0.0
    kinds: Ratio = field(default_factory=Ratio)
    all_fields: Ratio = field(default_factory=Ratio)
    per_field: dict[str, Ratio] = field(default_factory=dict)
    trusted_wrong: int = 0
    missing: int = 0

    def add(self, score: ImageScore) -> None:
        self.images += 1
        self.seconds += score.seconds
        self.kinds.add(score.kind_correct)
        if score.all_exact is not None:
            self.all_fields.add(score.all_exact)
        for name, outcome in score.fields.items():
            self.per_field.setdefault(name, Ratio()).add(outcome.exact)
            self.trusted_wrong += outcome.trusted_wrong
            self.missing += outcome.value is None

    @property
    def fields_counted(self) -> int:
        return sum(r.total for r in self.per_field.values())

    @property
    def seconds_per_image(self) -> float | None:
        return self.seconds / self.images if self.images else None

    @property
    def images_per_second(self) -> float | None:
        return self.images / self.seconds if self.seconds else None

    def worst_field(self) -> tuple[str, Ratio] | None:
        """The field with the lowest exact-match share (ties: fewest hits, then name)."""
        rated = [(name, r) for name, r in self.per_field.items() if r.total]
        return min(rated, key=lambda item: (item[1].percent, item[1].hits, item[0])) if rated else None


def tally(scores: Iterable[ImageScore]) -> Tally:
    total = Tally()
    for score in scores:
        total.add(score)
    return total
