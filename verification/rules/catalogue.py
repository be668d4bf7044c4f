"""Catalogue rules: category, item and code must exist and belong together."""

from __future__ import annotations

import unicodedata

from ocr.fields import snap
from verification.findings import Finding, finding
from verification.kinds import CatalogueItem, Kind
from verification.reading import CardReading, CheckContext, box_of, trusted_value


def canonical(text: str) -> str:
    """Compare catalogue names the way they are meant: width, spaces and bracket style ignored."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def catalogue_category(kind: Kind, category: str, item: str | None) -> str | None:
    """The catalogue category a printed category stands for: itself when the catalogue has it; the
    category it is nearest to (as the reader snaps) when the printed item belongs to that one — OCR
    damage the item corroborates ("接与热切制作业" beside 压力焊作业); else None (unknown)."""
    rows = _category_rows(kind, category)
    if rows:
        return rows[0].category
    item_categories = {row.category for row in catalogue_items(kind, item)} if item and kind.has_items else set()
    nearest, _ = snap(canonical(category), [canonical(row.category) for row in kind.catalogue])
    return next((c for c in item_categories if canonical(c) == nearest), None)


def _category_rows(kind: Kind, category: str) -> list[CatalogueItem]:
    """Catalogue rows for a printed category; "其他工种类别（X）" matches its catalogue entry's prefix."""
    wanted = canonical(category)
    return [row for row in kind.catalogue
            if canonical(row.category) == wanted or wanted.startswith(canonical(row.category) + "(")]


def catalogue_items(kind: Kind, item: str) -> list[CatalogueItem]:
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
    item_rows = catalogue_items(kind, item) if item and kind.has_items else []
    known = catalogue_category(kind, category, item) if category else None
    category_rows = _category_rows(kind, known) if known else []
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
