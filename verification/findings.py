"""The one catalogue of finding codes, their meaning and default severity.

Codes are stable identifiers: API clients, exports and reviewers' filters key on them, so a code is
never renamed or reused for another meaning.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    """How much a finding weighs in the verdict (see `verdict.py`)."""

    INFO = "info"  # a hint (e.g. retake the photo); does not change the verdict
    WARNING = "warning"  # doubtful: a human should look (verdict at least "suspect")
    ERROR = "error"  # a rule the genuine card cannot break (verdict "reject")


@dataclass(frozen=True)
class CodeInfo:
    severity: Severity
    meaning: str


CATALOGUE: dict[str, CodeInfo] = {
    "NUMBER_INVALID": CodeInfo(Severity.ERROR, "The certificate or ID number does not have the form its kind prescribes."),
    "NUMBER_CHECKSUM": CodeInfo(Severity.ERROR, "The GB 11643 (ISO 7064 MOD 11-2) check digit of the ID number is wrong."),
    "SEX_MISMATCH": CodeInfo(Severity.ERROR, "The printed sex disagrees with the parity of digit 17 of the ID number."),
    "EXPIRED": CodeInfo(Severity.ERROR, "The certificate was no longer valid on the date of the check."),
    "VALIDITY_SPAN": CodeInfo(Severity.WARNING, "The validity period is not the span its kind prescribes."),
    "CATEGORY_UNKNOWN": CodeInfo(Severity.WARNING, "The category or item is not in the kind's catalogue."),
    "CATEGORY_MISMATCH": CodeInfo(Severity.ERROR, "Category, item and code do not belong together."),
    "QR_MISSING": CodeInfo(Severity.WARNING, "No QR symbol was found on a kind that carries one."),
    # A warning, not a hint: the QR is the card's link to the official query, and a symbol left unread is a
    # check not done (a counterfeiter gains by smudging it). Like FIELD_UNREADABLE it asks for a retake and
    # never rejects.
    "QR_UNREADABLE": CodeInfo(Severity.WARNING, "A QR symbol is there but could not be decoded; retake the photo."),
    "QR_UNOFFICIAL_HOST": CodeInfo(Severity.ERROR, "The QR points to a host that is not an official query host."),
    "QR_LOOKALIKE_HOST": CodeInfo(Severity.ERROR, "The QR points to a host that imitates an official query host."),
    "QR_MISMATCH": CodeInfo(Severity.ERROR, "The number in the QR payload differs from the printed number."),
    "REGISTRY_NOT_FOUND": CodeInfo(Severity.WARNING, "The issuing authority's register has no such certificate."),
    "REGISTRY_MISMATCH": CodeInfo(Severity.ERROR, "The register holds this number with different details."),
    "REGISTRY_REVOKED": CodeInfo(Severity.ERROR, "The register marks this certificate revoked, suspended or cancelled."),
    "DUPLICATE_NUMBER": CodeInfo(Severity.WARNING, "The same certificate number was seen with a different holder."),
    "TAMPERING": CodeInfo(Severity.WARNING, "The image shows signs of local editing over a value field."),
    "LAYOUT_MISMATCH": CodeInfo(Severity.WARNING, "The card's layout does not match its kind's template."),
    "FIELD_UNREADABLE": CodeInfo(Severity.WARNING, "A field could not be read with enough confidence; retake the photo."),
    "UNKNOWN_KIND": CodeInfo(Severity.WARNING, "The image is not recognisable as any known certificate kind."),
}


@dataclass(frozen=True)
class Finding:
    """One check's outcome with the evidence a reviewer needs to judge it."""

    code: str
    severity: Severity
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": str(self.severity), "message": self.message, "evidence": self.evidence}


def finding(code: str, message: str, severity: Severity | None = None, **evidence: Any) -> Finding:
    """Build a finding with its catalogue severity, or a lesser one a rule documents (a register
    mismatch that may be a misread); unknown codes are a programming error."""
    info = CATALOGUE[code]
    return Finding(code, severity or info.severity, message, {k: v for k, v in evidence.items() if v is not None})
