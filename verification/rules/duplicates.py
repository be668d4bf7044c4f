"""Duplicates (转借/冒用): one certificate number seen with different holders.

The caller supplies the earlier sightings of a number (`Facts.sightings`); the same card or the same
holder seen again is not a duplicate. Only values read with enough confidence are compared, so an
unreadable name never makes two checks of one card look like two people.
"""

from __future__ import annotations

from collections.abc import Iterable

from verification.facts import Sighting
from verification.findings import Finding, finding
from verification.privacy import mask, mask_name
from verification.reading import CardReading, CheckContext, box_of, id_number_of, trusted_value
from verification.rules.catalogue import canonical

HOLDER_FIELDS = ("name", "id_number")
FIELD_WORDS = {"name": "name", "id_number": "ID number"}


def check_duplicates(reading: CardReading, context: CheckContext) -> list[Finding]:
    sightings, kind = context.facts.sightings, context.kind
    number = trusted_value(reading, "number", context)
    if sightings is None or kind is None or number is None:
        return []
    own = Sighting(None, kind.id, number, trusted_value(reading, "name", context), id_number_of(reading, context))
    found = duplicate_finding(own, sightings.find(kind.id, number), box=box_of(reading, "number"))
    return [found] if found else []


def differing_holder_fields(one: Sighting, other: Sighting) -> list[str]:
    """The holder fields both sightings read and that disagree; a value not read differs from nothing."""
    return [name for name in HOLDER_FIELDS
            if getattr(one, name) and getattr(other, name)
            and _same_form(getattr(one, name)) != _same_form(getattr(other, name))]


def duplicate_finding(own: Sighting, sightings: Iterable[Sighting], box: list[int] | None = None) -> Finding | None:
    """DUPLICATE_NUMBER for `own` when another sighting of its number names a different holder.

    `sightings` may include `own` itself (same check id), which is skipped. The evidence names the
    other checks and what differed; the other holders' values are masked, since whoever sees this
    check may not be allowed to see theirs.
    """
    clashes = [(other, differing) for other in sightings
               if (other.scheme, other.number) == (own.scheme, own.number)
               and (own.check_id is None or other.check_id != own.check_id)
               and (differing := differing_holder_fields(own, other))]
    if not clashes:
        return None
    differs = [name for name in HOLDER_FIELDS if any(name in differing for _, differing in clashes)]
    checks = sorted({other.check_id for other, _ in clashes if other.check_id is not None})
    other_names = _distinct(mask_name(o.name) for o, differing in clashes if "name" in differing and o.name)
    other_ids = _distinct(mask(o.id_number) for o, differing in clashes if "id_number" in differing and o.id_number)
    where = f" (check{'s' if len(checks) > 1 else ''} {', '.join(map(str, checks))})" if checks else ""
    return finding(
        "DUPLICATE_NUMBER",
        f"This certificate number was also read with a different {' and '.join(FIELD_WORDS[d] for d in differs)}"
        f"{where}: one of the cards may be lent or counterfeit (转借/冒用).",
        field="number", read=own.number, box=box, checks=checks or None, differs=differs,
        other_names=other_names or None, other_id_numbers=other_ids or None,
    )


def _same_form(value: str) -> str:
    return canonical(value).upper()


def _distinct(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
