"""Debian's real chromium driven by Playwright: a page to drive, and logging in on it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path("/tmp")


@contextmanager
def chromium_page(**context_options: Any) -> Iterator[Page]:
    """A page in headless Debian chromium with the given browser-context options (viewport, touch…)."""
    if not CHROMIUM.exists():
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser.new_context(**context_options).new_page()
        browser.close()


def log_in(page: Page, username: str) -> None:
    """Fill and send the login form the page shows (the test users' password is pw-<name>)."""
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(f"pw-{username}")
    page.get_by_role("button", name="Log in").click()
