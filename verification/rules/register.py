"""Register rules: compare the card with the issuing authority's records, where a register is loaded.

Names, ID numbers and dates must agree exactly: they are what a forger changes; a name (beside an ID
number that agrees) or an authority one character printed alike off the register's, or a date whose
day alone is one digit off, is only noted. A category or item agrees when it stands for the
register's in the catalogue, OCR damage corroborated by the card's other fields as the catalogue rule
accepts it (`verification.rules.catalogue`); an authority when it names the register's place exactly
and its agency within the reader's snapping distance (a character dropped, 乡 read as 多).
"""

from __future__ import annotations

from ocr.fields import SNAP_THRESHOLD, similarity
from ocr.lookalikes import printed_alike
from ocr.places import known_place, one_edit_apart, place_names, split_agency
from verification.facts import REVOKED_STATUSES
from verification.findings import Finding, Severity, finding
from verification.kinds import Kind
from verification.reading import CardReading, CheckContext, box_of, id_number_of, trusted_value
from verification.rules.catalogue import canonical, catalogue_items, known_category, known_items

COMPARED_FIELDS = ("name", "id_number", "category", "item", "first_issued", "valid_until", "authority")
DATE_FIELDS = ("first_issued", "valid_until")


def check_register(reading: CardReading, context: CheckContext) -> list[Finding]:
    register, kind = context.facts.register, context.kind
    number = trusted_value(reading, "number", context)
    if register is None or kind is None or number is None or kind.id not in register.schemes():
        return []
    record = register.find(kind.id, number)
    if record is None:
        return [finding("REGISTRY_NOT_FOUND", "The issuing authority's register has no certificate with this number "
                        "(new certificates can take a few days to appear).", field="number", read=number,
                        box=box_of(reading, "number"))]
    findings = []
    if record.status in REVOKED_STATUSES:
        findings.append(finding("REGISTRY_REVOKED", f"The register marks this certificate {record.status}.",
                                field="number", read=number, expected="valid", status=record.status))
    if record.status == "expired":
        findings.append(finding("EXPIRED", "The register marks this certificate expired.",
                                field="valid_until", read=trusted_value(reading, "valid_until", context),
                                status=record.status))
    differing = _differing_fields(reading, context, record)
    if differing:
        read = {f: _card_value(reading, context, f) for f in differing}
        expected = {f: _register_value(record, f) for f in differing}
        names = ", ".join(differing)
        expiry_agrees = "valid_until" not in differing and record.valid_until is not None \
            and _card_value(reading, context, "valid_until") is not None
        if all(misread_alike(f, read[f], expected[f], reading, context, record) for f in differing):
            severity, message = Severity.INFO, (
                f"The register's {names} differs from the card's by one character printed alike or one digit of "
                "the day: a misread, noted for the record.")
        elif all(near_miss(f, read[f], expected[f], kind, expiry_agrees) for f in differing):
            severity, message = Severity.WARNING, (
                f"The register holds this number with different {names}. Each differs as a misread does (a "
                "character off, no real place, an earlier expiry, a first issue a digit off beside the register's "
                "expiry): compare the card by eye.")
        else:
            severity, message = None, f"The register holds this number with different {names}."
        findings.append(finding("REGISTRY_MISMATCH", message, severity=severity, fields=differing, read=read,
                                expected=expected))
    return findings


def near_miss(name: str, card: str, held: str, kind: Kind, expiry_agrees: bool) -> bool:
    """Whether the card's value differs from the register's as a misread does: a name one character
    off (`one_glyph_apart`), an authority naming no real place (`misread_place`), an expiry before
    the register's — a card that runs out sooner than its record gains its holder nothing; it is a
    digit misread or an earlier issue of the card, where an alteration always runs later — or a
    first-issue date one digit off while the expiry read agrees with the register's: the card then
    claims the validity its record holds, and an altered span is VALIDITY_SPAN's to judge. Nothing
    else is."""
    if name == "name":
        return one_glyph_apart(card, held)
    if name == "authority":
        return misread_place(card, authority_agencies(kind))
    if name == "valid_until":
        return card < held  # ISO dates
    if name == "first_issued":
        return expiry_agrees and one_edit_apart(card, held)  # ISO dates: one digit replaced
    return False


def misread_alike(name: str, card: str, held: str, reading: CardReading, context: CheckContext,
                  record: object) -> bool:
    """Whether a name or an authority differs from the register's by one character printed alike (钱梅风
    for 钱梅凤, 潮北省 for 湖北省), or a date in one digit of its day alone (2023-07-01 for 2023-07-11):
    the register's own text misread, as no forger changes one stroke of a name, and days of validity
    gain the holder nothing (as for a span off by days, `verification.rules.dates.DAY_SLIP`). A name
    counts only beside an ID number the register holds too: that names the person."""
    if name == "name":
        return identified(reading, context, record) and printed_alike(card, held)
    if name in DATE_FIELDS:
        return card[:8] == held[:8] and one_edit_apart(card, held)  # ISO dates: year and month agree
    return name == "authority" and printed_alike(card, held)


def identified(reading: CardReading, context: CheckContext, record: object) -> bool:
    """Whether the card's ID number was read and is the register's: the holder is the registered person."""
    card, held = id_number_of(reading, context), _register_value(record, "id_number")
    return card is not None and held is not None and canonical(card) == canonical(held)


def misread_place(card: str, agencies: tuple[str, ...]) -> bool:
    """An authority that names no real place followed by one of the kind's agencies — 潮北省 for
    湖北省, or print too damaged to split ("山东市和建设厅"): a misread, as forgers copy real
    authorities. One naming another real place (河北省) is another authority and differs."""
    split = split_agency(canonical(card), agencies)
    return split is None or not known_place(split[0], place_names())


def one_glyph_apart(card: str, held: str) -> bool:
    """Names one character apart that share at least two (one misread, dropped or extra glyph: 钱梅风 for
    钱梅凤, 吴辉军 for 吴辉), or two-character names whose differing characters print alike (问洁 for 闫洁,
    `ocr.lookalikes`): the reader's commonest slips. A lent card shows a whole other name; two-character
    names one apart in characters that do not look alike (张伟, 张强) are two people and still differ
    outright. Such a mismatch sends the card to a human instead of rejecting it."""
    if not one_edit_apart(card, held):
        return False
    return max(len(card), len(held)) >= 3 or printed_alike(card, held)


def _card_value(reading: CardReading, context: CheckContext, name: str) -> str | None:
    return id_number_of(reading, context) if name == "id_number" else trusted_value(reading, name, context)


def _register_value(record: object, name: str) -> str | None:
    value = getattr(record, name)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _differing_fields(reading: CardReading, context: CheckContext, record: object) -> list[str]:
    """Fields read confidently on the card that the register also holds, and that disagree.

    A category or item the catalogue does not know is left to CATEGORY_UNKNOWN: a value no genuine
    card prints is either a forgery that rule already sends to a human or a misread (a category run
    into the next label), and set against the register it would reject a genuine card."""
    differing = []
    for name in COMPARED_FIELDS:
        card, held = _card_value(reading, context, name), _register_value(record, name)
        if card and held and _in_catalogue(name, reading, context) \
                and not _agrees(name, card, held, context.kind, reading, context):
            differing.append(name)
    return differing


def _in_catalogue(name: str, reading: CardReading, context: CheckContext) -> bool:
    """Whether a category or item is one the kind's catalogue knows; any other field is."""
    if name == "category":
        return known_category(reading, context) is not None
    if name == "item":
        return not context.kind.has_items or bool(known_items(reading, context))
    return True


def _agrees(name: str, card: str, held: str, kind: Kind, reading: CardReading, context: CheckContext) -> bool:
    if canonical(card) == canonical(held):
        return True
    if name == "category":
        known = known_category(reading, context)
        return known is not None and canonical(known) == canonical(held)
    if name == "item":
        return bool(set(catalogue_items(kind, held)) & set(known_items(reading, context)))
    if name == "authority":
        return _same_authority(card, held, authority_agencies(kind))
    return False


def authority_agencies(kind: Kind) -> tuple[str, ...]:
    return next((spec.agencies for spec in kind.document_spec.fields if spec.name == "authority"), ())


def _same_authority(card: str, held: str, agencies: tuple[str, ...]) -> bool:
    """The card names the register's place exactly, and the register's agency near enough for OCR damage
    ("陕西省房和城多建设厅" for 陕西省住房和城乡建设厅); another province or agency differs."""
    agency = next((a for a in agencies if canonical(held).endswith(canonical(a))), None)
    if agency is None:
        return False
    place = canonical(held)[: -len(canonical(agency))]
    return canonical(card).startswith(place) and similarity(canonical(card)[len(place):], agency) >= SNAP_THRESHOLD


