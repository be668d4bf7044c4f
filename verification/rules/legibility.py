"""Legibility rules: was the card recognised, and were its fields read well enough to be judged?"""

from __future__ import annotations

from ocr.types import CONTRACT_FIELDS
from verification.findings import Finding, finding
from verification.reading import CardReading, CheckContext


def expected_fields(context: CheckContext) -> list[str]:
    """Contract fields the kind prints; a `validity` range stands for its two dates."""
    assert context.kind is not None
    printed = set(context.kind.data["fields"])
    if "validity" in printed:
        printed |= {"valid_from", "valid_until"}
    return [name for name in CONTRACT_FIELDS if name in printed]


def printed_label(context: CheckContext, name: str) -> str:
    """The label a person sees on the card for a contract field (a range's label for its two ends)."""
    assert context.kind is not None
    fields = context.kind.data["fields"]
    if name in fields:
        return fields[name]["labels"][0]
    if name in ("valid_from", "valid_until") and "validity" in fields:
        return fields["validity"]["labels"][0] + ("（起）" if name == "valid_from" else "（止）")
    return name


def check_kind_recognised(reading: CardReading, context: CheckContext) -> list[Finding]:
    if context.kind is not None:
        return []
    return [finding("UNKNOWN_KIND", "The image is not recognisable as any known certificate kind; check the "
                    "photo shows the front of the card, or add the kind's data file.",
                    read=reading.fields.scheme, confidence=round(reading.fields.scheme_confidence, 2))]


def check_fields_legible(reading: CardReading, context: CheckContext) -> list[Finding]:
    if context.kind is None:
        return []
    findings = []
    for name in expected_fields(context):
        field = reading.fields.fields.get(name)
        if field is not None and field.value is not None and field.confidence >= context.min_confidence:
            continue
        findings.append(finding(
            "FIELD_UNREADABLE",
            f"{printed_label(context, name)} could not be read reliably; retake the photo straight on, in even light.",
            field=name, read=field.raw if field else None,
            confidence=round(field.confidence, 2) if field else 0.0,
            expected=f"confidence ≥ {context.min_confidence}",
            box=field.box.as_list() if field and field.box else None,
        ))
    return findings
