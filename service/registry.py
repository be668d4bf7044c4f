"""Issuing authorities' register extracts: read them from CSV, keep them in the database, look them up.

Certificate and ID numbers are personal data, so error messages name the line and the column,
never the value.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import func, select, tuple_
from sqlalchemy.orm import Session

from service.models import RegisterEntry, utcnow
from verification.facts import RegisterRecord

COLUMNS = tuple(f.name for f in fields(RegisterRecord))
STATUSES = frozenset({"valid", "revoked", "suspended", "cancelled", "expired"})
DATE_COLUMNS = ("first_issued", "valid_until")
MAX_ERRORS = 20
IMPORT_BATCH = 500


class RegisterFileError(ValueError):
    """A register CSV that cannot be imported; `errors` lists every bad line found (up to a limit)."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class ImportCounts:
    added: int
    updated: int


def read_register_csv(path: Path, schemes: Iterable[str]) -> list[RegisterRecord]:
    """Every row of a register CSV as a record, or RegisterFileError naming each bad line.

    `schemes` are the certificate kinds a row may name. The file is all or nothing: one bad row
    and no row is returned.
    """
    known = set(schemes)
    errors: list[str] = []
    records: list[RegisterRecord] = []
    first_line: dict[tuple[str, str], int] = {}
    with open(path, encoding="utf-8-sig", newline="") as file:
        reader = csv.DictReader(file)
        header = reader.fieldnames or []
        if set(header) != set(COLUMNS):
            missing, unknown = sorted(set(COLUMNS) - set(header)), sorted(set(header) - set(COLUMNS))
            raise RegisterFileError([f"line 1: the header must name the columns {','.join(COLUMNS)}"
                                     + (f"; missing: {', '.join(missing)}" if missing else "")
                                     + (f"; unknown: {', '.join(unknown)}" if unknown else "")])
        for row in reader:
            line = reader.line_num
            try:
                record = _record(row, known)
            except ValueError as exc:
                errors.append(f"line {line}: {exc}")
            else:
                key = (record.scheme, record.number)
                if key in first_line:
                    errors.append(f"line {line}: number: the same certificate is already on line {first_line[key]}")
                first_line.setdefault(key, line)
                records.append(record)
            if len(errors) >= MAX_ERRORS:
                errors.append("(stopped after the first errors)")
                break
    if errors:
        raise RegisterFileError(errors)
    return records


def _record(row: dict[str, str | None], schemes: set[str]) -> RegisterRecord:
    if None in row:
        raise ValueError("more cells than columns")
    values = {name: (row[name] or "").strip() or None for name in COLUMNS}
    if values["scheme"] not in schemes:
        raise ValueError(f"scheme: must be one of {', '.join(sorted(schemes))}")
    if not values["number"]:
        raise ValueError("number: is empty")
    if values["status"] not in STATUSES:
        raise ValueError(f"status: must be one of {', '.join(sorted(STATUSES))}")
    for name in DATE_COLUMNS:
        try:
            values[name] = date.fromisoformat(values[name]) if values[name] else None
        except ValueError:
            raise ValueError(f"{name}: not a date in the form YYYY-MM-DD") from None
    return RegisterRecord(**values)


def import_records(session: Session, records: list[RegisterRecord], source_file: str) -> ImportCounts:
    """Add or replace register rows by (scheme, number), in one transaction."""
    added = updated = 0
    imported_at = utcnow()
    for start in range(0, len(records), IMPORT_BATCH):
        chunk = records[start:start + IMPORT_BATCH]
        keys = [(r.scheme, r.number) for r in chunk]
        existing = {(e.scheme, e.number): e for e in session.scalars(
            select(RegisterEntry).where(tuple_(RegisterEntry.scheme, RegisterEntry.number).in_(keys)))}
        for record in chunk:
            entry = existing.get((record.scheme, record.number))
            if entry is None:
                entry = RegisterEntry()
                session.add(entry)
                added += 1
            else:
                updated += 1
            _fill(entry, record, source_file, imported_at)
    session.commit()
    return ImportCounts(added, updated)


def add_record(session: Session, record: RegisterRecord, source_file: str) -> RegisterEntry:
    """Add or replace one register row by (scheme, number), uncommitted: the caller commits it with
    what caused it (an authority's answer and its audit row)."""
    entry = session.scalars(select(RegisterEntry).where(
        RegisterEntry.scheme == record.scheme, RegisterEntry.number == record.number)).one_or_none()
    if entry is None:
        entry = RegisterEntry()
        session.add(entry)
    _fill(entry, record, source_file, utcnow())
    return entry


def _fill(entry: RegisterEntry, record: RegisterRecord, source_file: str, imported_at: datetime) -> None:
    for name, value in asdict(record).items():
        setattr(entry, name, value)
    entry.source_file, entry.imported_at = source_file, imported_at


class SqlRegister:
    """The imported register as the rules see it (`verification.facts.RegisterLookup`)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._schemes: set[str] | None = None

    def schemes(self) -> set[str]:
        if self._schemes is None:
            self._schemes = set(self._distinct_schemes())
        return self._schemes

    def _distinct_schemes(self) -> Iterator[str]:
        """Each scheme by one index seek past the previous one: SELECT DISTINCT would read every row,
        which with a million rows costs a check ~50 ms (bench/register.py)."""
        scheme = self._session.scalar(select(func.min(RegisterEntry.scheme)))
        while scheme is not None:
            yield scheme
            scheme = self._session.scalar(select(func.min(RegisterEntry.scheme)).where(RegisterEntry.scheme > scheme))

    def find(self, scheme: str, number: str) -> RegisterRecord | None:
        entry = self._session.scalars(select(RegisterEntry).where(
            RegisterEntry.scheme == scheme, RegisterEntry.number == number)).one_or_none()
        if entry is None:
            return None
        return RegisterRecord(**{name: getattr(entry, name) for name in COLUMNS})
