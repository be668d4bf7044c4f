"""Masked display of ID and certificate numbers (PIPL: show the least that does the job).

A number keeps its first 6 and last 4 characters, e.g. ``110105********002X``. A later issue adds a
reveal permission; until then every page shows the masked form.
"""

from __future__ import annotations

import re

from verification.privacy import mask

SENSITIVE_FIELDS = frozenset({"number", "id_number"})

# An ID number (17 digits + check character) or a certificate number such as T110105…, 豫A012019000123,
# wherever it appears inside free text: finding messages, QR payloads, evidence.
_NUMBER_IN_TEXT = re.compile(r"(?:[\u4e00-\u9fa5][A-Z])?[A-Z]?\d{11,}[\dXx]?")


def mask_numbers(text: str) -> str:
    """Free text with every embedded ID or certificate number masked."""
    return _NUMBER_IN_TEXT.sub(lambda match: mask(match.group()), text)
