"""Catalogue rules: category, item and code must exist and belong together."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from difflib import SequenceMatcher

from verification.findings import Finding, finding
from verification.kinds import CatalogueItem, Kind
from verification.reading import CardReading, CheckContext, box_of, trusted_value

# How near a reading must be to a term to be that term damaged by OCR (a character dropped, one glyph
# taken for a similar one), and how much nearer than any other term: the values the reading stage
# snaps a reading to its vocabulary with (ocr.fields SNAP_THRESHOLD, SNAP_MARGIN).
OCR_NEAR, OCR_MARGIN = 0.75, 0.05


def canonical(text: str) -> str:
    """Compare catalogue names the way they are meant: width, spaces and bracket style ignored."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, canonical(a), canonical(b), autojunk=False).ratio()


def nearest_term(read: str, terms: Iterable[str]) -> str | None:
    """The one term `read` is a copy of, exact or damaged by OCR: near enough and clearly nearer than
    any other term. A reading that is itself a term is that term, however near the others are."""
    ranked = sorted(((similarity(read, term), term) for term in set(terms)), reverse=True)
    if not ranked or ranked[0][0] < OCR_NEAR:
        return None
    best, term = ranked[0]
    if best < 1.0 and len(ranked) > 1 and best - ranked[1][0] < OCR_MARGIN:
        return None
    return term


def _category_rows(kind: Kind, category: str) -> list[CatalogueItem]:
    """Catalogue rows for a printed category; "其他工种类别（X）" matches its catalogue entry's prefix."""
    wanted = canonical(category)
    return [row for row in kind.catalogue
            if canonical(row.category) == wanted or wanted.startswith(canonical(row.category) + "(")]


def _item_rows(kind: Kind, item: str) -> list[CatalogueItem]:
    """Catalogue rows for a printed item: its name, its code (Q2), or both ("Q2 起重机司机")."""
    wanted = canonical(item)

    def matches(row: CatalogueItem) -> bool:
        code = canonical(row.item_code or "")
        return wanted in {canonical(row.item or ""), code, code + canonical(row.item or "")} - {""}

    return [row for row in kind.catalogue if row.item and matches(row)]


def check_catalogue(reading: CardReading, context: CheckContext) -> list[Finding]:
    kind = context.kind
    if kind is None:
        return []
    category, item = trusted_value(reading, "category", context), trusted_value(reading, "item", context)
    item_rows = _item_rows(kind, item) if item and kind.has_items else []
    category_rows = _category_rows(kind, category) if category else []
    if category and not category_rows and item_rows:
        category_rows = _corroborated_rows(kind, category, item_rows)
    findings = []
    if category and not category_rows:
        findings.append(finding("CATEGORY_UNKNOWN", f"作业类别 {category} is not in the {kind.name} catalogue.",
                                field="category", read=category, box=box_of(reading, "category")))
    if item and kind.has_items and not item_rows:
        findings.append(finding("CATEGORY_UNKNOWN", f"项目 {item} is not in the {kind.name} catalogue.",
                                field="item", read=item, box=box_of(reading, "item")))
    if category_rows and item_rows and not set(category_rows) & set(item_rows):
        findings.append(finding(
            "CATEGORY_MISMATCH", f"项目 {item} does not belong to 作业类别 {category}.",
            field="item", read=item, expected=sorted({row.item for row in category_rows if row.item}),
            box=box_of(reading, "item"),
        ))
    return findings


def _corroborated_rows(kind: Kind, category: str, item_rows: list[CatalogueItem]) -> list[CatalogueItem]:
    """Catalogue rows for a category misread by OCR ("接与热切制作业") when the item printed beside it,
    found in the catalogue, belongs to the category it is nearest to: the item corroborates it.
    An invented category stays unknown: no item of the catalogue names it."""
    nearest = nearest_term(category, (row.category for row in kind.catalogue))
    return _category_rows(kind, nearest) if nearest in {row.category for row in item_rows} else []


def check_number_category_code(reading: CardReading, context: CheckContext) -> list[Finding]:
    """Kinds whose number embeds the category code (建筑施工: 2-digit 工种 code) must agree with it."""
    kind, number = context.kind, trusted_value(reading, "number", context)
    category = trusted_value(reading, "category", context)
    match = kind.number_pattern.fullmatch(number) if kind and number else None
    code = match.groupdict().get("category_code") if match else None
    if not code or not category:
        return []
    rows = _category_rows(kind, category)
    if not rows or any(row.category_code == code for row in rows):
        return []
    named = [row.category for row in kind.catalogue if row.category_code == code]
    return [finding(
        "CATEGORY_MISMATCH", f"证号 carries 工种 code {code}, but the card prints 工种 {category}.",
        field="category", read=category, expected=named[0] if named else f"a category with code {code}",
        box=box_of(reading, "category"),
    )]
