"""What the rules may know beyond the card itself, supplied by the caller as plain data.

The service implements these protocols over its database; tests implement them with dictionaries,
so the rules stay pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Protocol

REVOKED_STATUSES = frozenset({"revoked", "suspended", "cancelled"})


@dataclass(frozen=True)
class RegisterRecord:
    """One row of an issuing authority's register extract."""

    scheme: str
    number: str
    name: str | None
    id_number: str | None
    category: str | None
    item: str | None
    first_issued: date | None
    valid_until: date | None
    authority: str | None
    status: str  # valid | revoked | suspended | cancelled | expired


class RegisterLookup(Protocol):
    def schemes(self) -> set[str]:
        """Schemes for which a register extract has been loaded."""

    def find(self, scheme: str, number: str) -> RegisterRecord | None:
        """The register row for this certificate number, if any."""


@dataclass(frozen=True)
class Sighting:
    """One stored check's certificate number and holder, each value only as read with enough confidence."""

    check_id: int | None  # None for the card being checked, not stored yet
    scheme: str
    number: str
    name: str | None
    id_number: str | None


class SightingLookup(Protocol):
    def find(self, scheme: str, number: str) -> list[Sighting]:
        """Every stored check that read this certificate number."""


@dataclass(frozen=True)
class Facts:
    register: RegisterLookup | None = None
    sightings: SightingLookup | None = None


class DictRegister:
    """An in-memory register, for the CLI's `--registry` file and for tests."""

    def __init__(self, records: list[RegisterRecord]) -> None:
        self._rows = {(r.scheme, r.number): r for r in records}

    def schemes(self) -> set[str]:
        return {scheme for scheme, _ in self._rows}

    def find(self, scheme: str, number: str) -> RegisterRecord | None:
        return self._rows.get((scheme, number))


class DictSightings:
    """Sightings held in memory, for tests and for judging a set of readings against each other."""

    def __init__(self, sightings: list[Sighting]) -> None:
        self._sightings = list(sightings)

    def add(self, sighting: Sighting) -> None:
        self._sightings.append(sighting)

    def find(self, scheme: str, number: str) -> list[Sighting]:
        return [s for s in self._sightings if (s.scheme, s.number) == (scheme, number)]
