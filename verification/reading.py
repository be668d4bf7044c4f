"""What verification receives: the reader's output plus the context of the check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ocr.forensics import FieldTraces
from ocr.layout import ObservedLayout
from ocr.types import FieldReading, QrReading, ReadFields
from verification.facts import Facts
from verification.kinds import Kind

DEFAULT_MIN_CONFIDENCE = 0.6


@dataclass(frozen=True)
class CardReading:
    """Everything read from one image."""

    fields: ReadFields
    qr: QrReading
    layout: ObservedLayout | None = None
    traces: tuple[FieldTraces, ...] = ()
    """Print and paper measurements of each value field (`ocr.forensics`), for the tampering rule."""


@dataclass(frozen=True)
class CheckContext:
    """The kind the card claims to be, outside facts, and the date the check is judged on."""

    kind: Kind | None
    facts: Facts
    as_of: date
    min_confidence: float = DEFAULT_MIN_CONFIDENCE


def trusted_value(reading: CardReading, name: str, context: CheckContext) -> str | None:
    """A field's value only when it was read confidently enough to be judged; never a guess."""
    field = reading.fields.fields.get(name)
    if field is None or field.value is None or field.confidence < context.min_confidence:
        return None
    return field.value


def trusted_date(reading: CardReading, name: str, context: CheckContext) -> date | None:
    value = trusted_value(reading, name, context)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def box_of(reading: CardReading, name: str) -> list[int] | None:
    field: FieldReading | None = reading.fields.fields.get(name)
    return field.box.as_list() if field and field.box else None


def id_number_of(reading: CardReading, context: CheckContext) -> str | None:
    """The holder's ID number: printed on its own, or embedded in the certificate number."""
    kind = context.kind
    if kind is not None and kind.embeds_id_number:
        number = trusted_value(reading, "number", context)
        match = kind.number_pattern.fullmatch(number) if number else None
        return match.group("id_number") if match and "id_number" in match.groupdict() else None
    return trusted_value(reading, "id_number", context)
