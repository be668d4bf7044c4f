"""Run every rule over one card reading and produce the verdict contract."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ocr.types import CONTRACT_FIELDS
from verification.facts import Sighting
from verification.findings import Finding, Severity
from verification.reading import CardReading, CheckContext, id_number_of, trusted_value
from verification.rules import (
    catalogue,
    dates,
    duplicates,
    layout,
    legibility,
    numbers,
    qr_links,
    register,
    tampering,
)
from verification.rules.duplicates import duplicate_finding
from verification.verdict import decide

Rule = Callable[[CardReading, CheckContext], list[Finding]]

RULES: tuple[Rule, ...] = (
    legibility.check_kind_recognised,
    legibility.check_fields_legible,
    numbers.check_number_pattern,
    numbers.check_id_number,
    numbers.check_glyph_widths,
    numbers.check_sex_parity,
    numbers.check_age_at_first_issue,
    numbers.check_number_parts,
    dates.check_validity_span,
    dates.check_date_order,
    dates.check_expiry,
    catalogue.check_catalogue,
    catalogue.check_number_category_code,
    qr_links.check_qr_presence,
    qr_links.check_qr_hosts,
    qr_links.check_qr_number,
    register.check_register,
    duplicates.check_duplicates,
    layout.check_layout,
    tampering.check_tampering,
)


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    verdict: str


def verify(reading: CardReading, context: CheckContext, rules: tuple[Rule, ...] = RULES) -> Report:
    findings = [f for rule in rules for f in rule(reading, context)]
    return Report(findings, decide(findings))


def contract(source: str, reading: CardReading, context: CheckContext, report: Report) -> dict[str, Any]:
    """The verdict JSON shared by the API, the CLI and exports.

    Fields below the confidence threshold are null here (their raw reading is in the
    FIELD_UNREADABLE finding's evidence): the contract never presents a guess as fact.
    """
    fields: dict[str, str | None] = {name: trusted_value(reading, name, context) for name in CONTRACT_FIELDS}
    if context.kind is not None and context.kind.embeds_id_number:
        fields["id_number"] = id_number_of(reading, context)
    if context.kind is not None and not context.kind.has_items:
        fields["item"] = None
    confidence = {name: round(reading.fields.fields[name].confidence, 3)
                  for name in CONTRACT_FIELDS if name in reading.fields.fields}
    return {
        "source": source,
        "scheme": context.kind.id if context.kind else None,
        "fields": fields,
        "field_confidence": confidence,
        "qr": {"payloads": [p.text for p in reading.qr.payloads]},
        "findings": [f.to_dict() for f in report.findings],
        "verdict": report.verdict,
    }


def rejudge(result: dict[str, Any], code: str, findings: list[Finding]) -> dict[str, Any]:
    """A stored contract with its `code` findings replaced by `findings`, and the verdict decided again.

    For findings that depend on other checks (DUPLICATE_NUMBER): a later check can change an earlier one.
    """
    kept = [f for f in result["findings"] if f["code"] != code]
    merged = kept + [f.to_dict() for f in findings]
    verdict = decide(Finding(f["code"], Severity(f["severity"]), f["message"], f["evidence"]) for f in merged)
    return {**result, "findings": merged, "verdict": verdict}


def duplicates_judged_again(result: dict[str, Any], own: Sighting, sightings: list[Sighting]) -> dict[str, Any]:
    """A stored contract with DUPLICATE_NUMBER decided again against every sighting of its number (its
    own among them), keeping the box its finding pointed at; the verdict decided again."""
    previous = next((f for f in result["findings"] if f["code"] == "DUPLICATE_NUMBER"), None)
    found = duplicate_finding(own, sightings, box=previous["evidence"].get("box") if previous else None)
    return rejudge(result, "DUPLICATE_NUMBER", [found] if found else [])
