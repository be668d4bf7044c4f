"""Catalogue rules: category, item and code must exist and belong together.

A category the catalogue does not hold as read may still stand for the catalogue category the card's
other fields point to — its item's, its number's 工种 code's — when it is nearer that name than any
other: from the reader's own snapping distance (SNAP_THRESHOLD), or from UNSURE_SNAP when the engine
doubted the reading, as OCR drops and swaps characters of long names on phone photos. An item the
engine doubted may likewise stand for the item of the card's category it is nearest to; an item read
surely must be the catalogue's as read.
"""

from __future__ import annotations

import unicodedata

from ocr.fields import SNAP_THRESHOLD, snap
from verification.findings import Finding, finding
from verification.kinds import CatalogueItem, Kind
from verification.reading import CardReading, CheckContext, box_of, trusted_value

UNSURE_READING = 0.9
"""A category or item read with less confidence than this is one the engine doubted."""
UNSURE_SNAP = 0.55
"""How similar a doubted reading must be to the name the card's other fields point to, to stand for it:
"大测乐设集作" beside item Y1 is 大型游乐设施作业 (0.57), "矿鲜下电气作" beside 煤矿安全作业 is
煤矿井下电气作业 (0.71). "#下气作业" there stays unknown: 煤气作业, of another category, is nearer."""


def canonical(text: str) -> str:
    """Compare catalogue names the way they are meant: width, spaces and bracket style ignored."""
    return "".join(unicodedata.normalize("NFKC", text).split())


def catalogue_category(kind: Kind, category: str, pointed: set[str], threshold: float = SNAP_THRESHOLD) -> str | None:
    """The catalogue category a printed category stands for: itself when the catalogue has it; the
    category it is nearest to (as the reader snaps, from `threshold` up) when the card's other fields
    point to that one (`pointed`: "接与热切制作业" beside the item 压力焊作业); else None (unknown)."""
    rows = _category_rows(kind, category)
    if rows:
        return rows[0].category
    nearest, _ = snap(canonical(category), [canonical(row.category) for row in kind.catalogue], threshold=threshold)
    return next((c for c in pointed if canonical(c) == nearest), None)


def _category_rows(kind: Kind, category: str) -> list[CatalogueItem]:
    """Catalogue rows for a printed category; "其他工种类别（X）" matches its catalogue entry's prefix."""
    wanted = canonical(category)
    return [row for row in kind.catalogue
            if canonical(row.category) == wanted or wanted.startswith(canonical(row.category) + "(")]


def catalogue_items(kind: Kind, item: str, category: str | None = None) -> list[CatalogueItem]:
    """Catalogue rows for a printed item: its name, its code (Q2), or both ("Q2 起重机司机"); else, given
    the card's `category` for a doubted item, the rows of the item name it is nearest to (from
    UNSURE_SNAP up) when that item belongs to the category."""
    wanted = canonical(item)

    def matches(row: CatalogueItem) -> bool:
        code = canonical(row.item_code or "")
        return wanted in {canonical(row.item or ""), code, code + canonical(row.item or "")} - {""}

    rows = [row for row in kind.catalogue if row.item and matches(row)]
    if rows or category is None:
        return rows
    nearest, _ = snap(wanted, [canonical(row.item) for row in kind.catalogue if row.item], threshold=UNSURE_SNAP)
    return [row for row in kind.catalogue if row.item and row.category == category and canonical(row.item) == nearest]


def doubted(reading: CardReading, name: str) -> bool:
    """Whether the engine doubted a field's reading (confidence below UNSURE_READING)."""
    field = reading.fields.fields.get(name)
    return field is not None and field.confidence < UNSURE_READING


def number_category_code(reading: CardReading, context: CheckContext) -> str | None:
    """The 工种 code the card's number embeds (建筑施工 numbers), or None."""
    kind, number = context.kind, trusted_value(reading, "number", context)
    match = kind.number_pattern.fullmatch(number) if kind and number else None
    return match.groupdict().get("category_code") if match else None


def pointed_categories(reading: CardReading, context: CheckContext) -> set[str]:
    """The categories the card's other fields name: its item's, and its number's 工种 code's."""
    kind, item, code = context.kind, trusted_value(reading, "item", context), number_category_code(reading, context)
    pointed = {row.category for row in catalogue_items(kind, item)} if item and kind.has_items else set()
    return pointed | {row.category for row in kind.catalogue if code and row.category_code == code}


def known_category(reading: CardReading, context: CheckContext) -> str | None:
    """The catalogue category the card's category stands for; None when unread or unknown."""
    category = trusted_value(reading, "category", context)
    if not category:
        return None
    return catalogue_category(context.kind, category, pointed_categories(reading, context),
                              UNSURE_SNAP if doubted(reading, "category") else SNAP_THRESHOLD)


def known_items(reading: CardReading, context: CheckContext) -> list[CatalogueItem]:
    """The catalogue rows the card's item stands for; none when unread, unknown or the kind has no items."""
    kind, item = context.kind, trusted_value(reading, "item", context)
    if not item or not kind.has_items:
        return []
    return catalogue_items(kind, item, known_category(reading, context) if doubted(reading, "item") else None)


def check_catalogue(reading: CardReading, context: CheckContext) -> list[Finding]:
    kind = context.kind
    if kind is None:
        return []
    category, item = trusted_value(reading, "category", context), trusted_value(reading, "item", context)
    item_rows = known_items(reading, context)
    known = known_category(reading, context)
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
    kind, code = context.kind, number_category_code(reading, context)
    category = trusted_value(reading, "category", context)
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
