"""Masked ID and certificate numbers (PIPL: show the least that does the job).

A number keeps its first 6 and last 4 characters, e.g. ``110105********002X``. Pages, API answers
and exports show `masked` contracts; only a user with the reveal permission, asking with a purpose
that is audited, sees one whole.
"""

from __future__ import annotations

import re
from typing import Any

from verification.privacy import mask

SENSITIVE_FIELDS = frozenset({"number", "id_number"})

# An ID number (17 digits + check character) or a certificate number such as T110105…, 豫A012019000123,
# wherever it appears inside free text: finding messages, QR payloads, evidence.
_NUMBER_IN_TEXT = re.compile(r"(?:[\u4e00-\u9fa5][A-Z])?[A-Z]?\d{11,}[\dXx]?")


def mask_numbers(text: str) -> str:
    """Free text with every embedded ID or certificate number masked."""
    return _NUMBER_IN_TEXT.sub(lambda match: mask(match.group()), text)


def masked(data: Any) -> Any:
    """A copy of a verdict contract, or any JSON-like value, with every ID and certificate number masked.

    A number field, and the reading of one in a finding's evidence, is masked whole (OCR may have
    garbled it past recognition); numbers inside any other text are found and masked.
    """
    if isinstance(data, dict):
        whole = SENSITIVE_FIELDS | ({"read"} if data.get("field") in SENSITIVE_FIELDS else set())
        return {key: mask(value) if key in whole and isinstance(value, str) else masked(value)
                for key, value in data.items()}
    if isinstance(data, list):
        return [masked(value) for value in data]
    if isinstance(data, str):
        return mask_numbers(data)
    return data
