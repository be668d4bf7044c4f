"""Masked forms of personal data, for evidence that names someone other than the card's holder.

The pages (`service.web.masking`) show every ID and certificate number in the same masked form.
"""

from __future__ import annotations

KEEP_START, KEEP_END = 6, 4


def mask(value: str) -> str:
    """The value with everything but its first 6 and last 4 characters replaced by asterisks."""
    if len(value) <= KEEP_START + KEEP_END:
        return "*" * len(value)
    return value[:KEEP_START] + "*" * (len(value) - KEEP_START - KEEP_END) + value[-KEEP_END:]


def mask_name(name: str) -> str:
    """A name with only its first character (the surname's) shown: 张三 → 张*, 欧阳修 → 欧**."""
    return name[:1] + "*" * (len(name) - 1)
