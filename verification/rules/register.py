"""Register rules: compare the card with the issuing authority's records, where a register is loaded."""

from __future__ import annotations

from verification.facts import REVOKED_STATUSES
from verification.findings import Finding, finding
from verification.reading import CardReading, CheckContext, box_of, id_number_of, trusted_value
from verification.rules.catalogue import canonical

COMPARED_FIELDS = ("name", "id_number", "category", "item", "first_issued", "valid_until", "authority")


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
        findings.append(finding(
            "REGISTRY_MISMATCH", "The register holds this number with different " + ", ".join(differing) + ".",
            fields=differing,
            read={f: _card_value(reading, context, f) for f in differing},
            expected={f: _register_value(record, f) for f in differing},
        ))
    return findings


def _card_value(reading: CardReading, context: CheckContext, name: str) -> str | None:
    return id_number_of(reading, context) if name == "id_number" else trusted_value(reading, name, context)


def _register_value(record: object, name: str) -> str | None:
    value = getattr(record, name)
    return value.isoformat() if hasattr(value, "isoformat") else value


def _differing_fields(reading: CardReading, context: CheckContext, record: object) -> list[str]:
    """Fields read confidently on the card that the register also holds, and that disagree."""
    differing = []
    for name in COMPARED_FIELDS:
        card, held = _card_value(reading, context, name), _register_value(record, name)
        if card and held and canonical(card) != canonical(held):
            differing.append(name)
    return differing


