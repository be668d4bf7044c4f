"""Certificate kinds as data: load and validate the kind files.

Each kind (one YAML file) carries its titles, printed labels, number pattern, validity rule, catalogue
and official hosts. A province adds its variant by dropping another file into a kinds directory
(`CERTGUARD_KINDS_DIR`); no code changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from ocr.types import CONTRACT_FIELDS, DocumentSpec, FieldSpec

BUILTIN_DIR = Path(__file__).parent / "kinds"
_HOST = {"type": "string", "pattern": r"^[a-z0-9.-]+$"}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id", "name", "titles", "number", "fields", "validity", "qr", "catalogue"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*$"},
        "name": {"type": "string", "minLength": 1},
        "agency": {"type": "string"},
        "titles": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 2}},
        "sources": {"type": "object", "additionalProperties": {"type": "string"}},
        "number": {
            "type": "object",
            "required": ["pattern"],
            "additionalProperties": False,
            "properties": {"pattern": {"type": "string"}, "embeds_id_number": {"type": "boolean"}},
        },
        "fields": {
            "type": "object",
            "required": ["name", "number"],
            "additionalProperties": {
                "type": "object",
                "required": ["labels"],
                "additionalProperties": False,
                "properties": {
                    "labels": {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}},
                    "type": {"enum": ["text", "name", "date", "date_range", "sex", "code"]},
                    # An authority's name is a place and an agency: the agencies that issue this kind.
                    "agencies": {"type": "array", "items": {"type": "string", "minLength": 2}},
                },
            },
        },
        "validity": {
            "type": "object",
            "required": ["years"],
            "additionalProperties": False,
            "properties": {
                "years": {"type": "integer", "minimum": 1, "maximum": 50},
                "tolerance_days": {"type": "integer", "minimum": 0, "maximum": 366},
                "review_every_years": {"type": "integer", "minimum": 1},
            },
        },
        "qr": {
            "type": "object",
            "required": ["required", "official_hosts"],
            "additionalProperties": False,
            "properties": {
                "required": {"type": "boolean"},
                "sample_url": {"type": "string"},
                "official_hosts": {"type": "array", "items": _HOST},
                "unconfirmed_hosts": {"type": "array", "items": _HOST},
                "agency_domains": {"type": "array", "items": _HOST},
            },
        },
        "provinces": {
            "type": "object",
            "additionalProperties": {
                "type": "object",
                "required": ["name", "hosts"],
                "additionalProperties": False,
                "properties": {"name": {"type": "string"}, "hosts": {"type": "array", "items": _HOST}},
            },
        },
        # What a genuine card looks like; a card that departs from every template is LAYOUT_MISMATCH.
        "layouts": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["name"],
                "additionalProperties": False,
                "properties": {
                    "name": {"type": "string", "minLength": 1},
                    "title": {"enum": ["top", "any"]},
                    "order": {"type": "array", "items": {"type": "string"}},
                    "max_out_of_order": {"type": "number", "minimum": 0, "maximum": 1},
                    "min_labels": {"type": "integer", "minimum": 0},
                    "seal": {"type": "boolean"},
                },
            },
        },
        "catalogue": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["category"],
                "additionalProperties": False,
                "properties": {
                    "category": {"type": "string", "minLength": 1},
                    "code": {"type": "string"},
                    "items": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name"],
                            "additionalProperties": False,
                            "properties": {"name": {"type": "string"}, "code": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}


class KindFileError(ValueError):
    """A kind file is unreadable or breaks the schema; the message names the file and the key."""


@dataclass(frozen=True)
class CatalogueItem:
    category: str
    category_code: str | None
    item: str | None
    item_code: str | None


@dataclass(frozen=True)
class LayoutTemplate:
    """One way a genuine card of a kind is laid out (a kind file's `layouts` entry)."""

    name: str
    title: str = "top"  # top: the title is above every label; any: anywhere
    order: tuple[str, ...] = ()  # fields in the order their labels are printed, in reading order
    max_out_of_order: float = 0.25  # share of label pairs that may be read in the other order
    min_labels: int = 0  # labels a legible card shows at least
    seal: bool = False  # a red seal is stamped on the face


@dataclass(frozen=True)
class Kind:
    """One certificate kind, as loaded from its file."""

    id: str
    path: Path
    data: dict[str, Any]

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def titles(self) -> tuple[str, ...]:
        return tuple(self.data["titles"])

    @property
    def validity_years(self) -> int:
        return self.data["validity"]["years"]

    @property
    def validity_tolerance_days(self) -> int:
        return self.data["validity"].get("tolerance_days", 0)

    @property
    def embeds_id_number(self) -> bool:
        return bool(self.data["number"].get("embeds_id_number", False))

    @cached_property
    def number_pattern(self) -> re.Pattern[str]:
        """Matched whole (`fullmatch`); ASCII, so `\\d` is 0–9 and not any script's digits."""
        return re.compile(self.data["number"]["pattern"], re.ASCII)

    @property
    def qr_required(self) -> bool:
        return self.data["qr"]["required"]

    @property
    def sample_qr_url(self) -> str | None:
        return self.data["qr"].get("sample_url")

    @property
    def provinces(self) -> dict[str, dict[str, Any]]:
        return self.data.get("provinces", {})

    @property
    def number_heads(self) -> tuple[tuple[str, str], ...]:
        """(character, province) for each province character a number may begin with."""
        if "province" not in self.number_pattern.groupindex:
            return ()
        return tuple((head, province["name"]) for head, province in self.provinces.items())

    @cached_property
    def official_hosts(self) -> frozenset[str]:
        """Exact hosts whose pages are official query pages for this kind (provincial ones included)."""
        hosts = set(self.data["qr"]["official_hosts"])
        for province in self.provinces.values():
            hosts.update(province["hosts"])
        return frozenset(hosts)

    @property
    def agency_domains(self) -> tuple[str, ...]:
        return tuple(self.data["qr"].get("agency_domains", []))

    @cached_property
    def catalogue(self) -> tuple[CatalogueItem, ...]:
        """Every (category, item) pair the kind allows, with codes; item is None for item-less kinds."""
        rows: list[CatalogueItem] = []
        for entry in self.data["catalogue"]:
            items = entry.get("items") or [None]
            for item in items:
                rows.append(CatalogueItem(
                    entry["category"], entry.get("code"),
                    item["name"] if item else None, item.get("code") if item else None,
                ))
        return tuple(rows)

    @property
    def has_items(self) -> bool:
        return any(row.item for row in self.catalogue)

    @cached_property
    def layouts(self) -> tuple[LayoutTemplate, ...]:
        return tuple(LayoutTemplate(t["name"], t.get("title", "top"), tuple(t.get("order", ())),
                                    t.get("max_out_of_order", 0.25), t.get("min_labels", 0), t.get("seal", False))
                     for t in self.data.get("layouts", ()))

    @cached_property
    def document_spec(self) -> DocumentSpec:
        """The part of the kind the reader needs: titles, labels and known values."""
        fields = tuple(
            FieldSpec(name, tuple(spec["labels"]), spec.get("type", "text"),
                      self.number_pattern if name == "number" else None, tuple(spec.get("agencies", ())),
                      self.number_heads if name == "number" else ())
            for name, spec in self.data["fields"].items()
        )
        categories = tuple(dict.fromkeys(row.category for row in self.catalogue))
        items = tuple(dict.fromkeys(row.item for row in self.catalogue if row.item))
        item_codes = tuple(dict.fromkeys(row.item_code for row in self.catalogue if row.item_code))
        vocabulary = {"category": categories, "item": items + item_codes}
        return DocumentSpec(self.id, self.titles, fields, vocabulary, self.validity_years)


def load_kind(path: Path) -> Kind:
    """Read and validate one kind file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise KindFileError(f"{path.name}: cannot read kind file: {exc}") from exc
    validator = jsonschema.Draft202012Validator(SCHEMA)
    error = next(iter(sorted(validator.iter_errors(data), key=lambda e: list(e.path))), None)
    if error is not None:
        key = ".".join(str(part) for part in error.absolute_path) or "(top level)"
        raise KindFileError(f"{path.name}: {key}: {error.message}")
    if data["id"] != path.stem:
        raise KindFileError(f"{path.name}: id: {data['id']!r} must equal the file name {path.stem!r}")
    try:
        re.compile(data["number"]["pattern"])
    except re.error as exc:
        raise KindFileError(f"{path.name}: number.pattern: invalid regular expression: {exc}") from exc
    unknown = set(data["fields"]) - set(CONTRACT_FIELDS) - {"validity", "archive_number", "review_date"}
    if unknown:
        raise KindFileError(f"{path.name}: fields.{sorted(unknown)[0]}: not a known field name")
    for i, template in enumerate(data.get("layouts", ())):
        stray = [name for name in template.get("order", ()) if name not in data["fields"]]
        if stray:
            raise KindFileError(f"{path.name}: layouts.{i}.order: {stray[0]!r} is not one of the kind's fields")
    return Kind(data["id"], path, data)


def load_kinds(*extra_dirs: Path | str | None) -> dict[str, Kind]:
    """Load the built-in kinds plus any kind files in `extra_dirs` (later files override by id)."""
    kinds: dict[str, Kind] = {}
    for directory in (BUILTIN_DIR, *(Path(d) for d in extra_dirs if d)):
        for path in sorted(directory.glob("*.yaml")):
            kind = load_kind(path)
            kinds[kind.id] = kind
    return kinds
