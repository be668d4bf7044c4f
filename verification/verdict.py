"""The one place where finding severities become a verdict."""

from __future__ import annotations

from collections.abc import Iterable

from verification.findings import Finding, Severity

VERDICTS = ("pass", "suspect", "reject")


def decide(findings: Iterable[Finding]) -> str:
    """Any error rejects; any warning sends the card to a human; hints alone pass."""
    severities = {f.severity for f in findings}
    if Severity.ERROR in severities:
        return "reject"
    if Severity.WARNING in severities:
        return "suspect"
    return "pass"
