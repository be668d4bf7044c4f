"""Helpers for tests that call the JSON API."""

from __future__ import annotations


def bearer(token: str) -> dict[str, str]:
    """The header that presents an API token."""
    return {"Authorization": f"Bearer {token}"}
