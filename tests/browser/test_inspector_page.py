"""An inspector on a phone: log in, photograph a card, read the verdict — in Debian's real chromium."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from chromium import SCREENSHOTS, chromium_page, log_in
from playwright.sync_api import Page, expect

from samples.render import render_card
from samples.values import draw_values
from verification.kinds import load_kinds

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
# Runs after certguard.js's submit listener; sessionStorage outlives the page it was written on.
RECORD_BUSY_STATE = """document.addEventListener("submit", () => {
    const button = document.querySelector("[data-busy-form] button[type=submit]");
    sessionStorage.setItem("busy", JSON.stringify({disabled: button.disabled, label: button.innerText}));
})"""


@pytest.fixture
def card_photo(tmp_path: Path) -> Path:
    """A clean synthetic 特种作业操作证 (the same one tests/web uses): this test is about the pages."""
    rng = random.Random(0)
    kind = load_kinds()["special_operation"]
    path = tmp_path / "card.png"
    render_card(kind, draw_values(kind, rng, date.today()), rng).image.save(path)
    return path


@pytest.fixture
def phone() -> Iterator[Page]:
    """A page in headless chromium with a 375×812 touch screen."""
    with chromium_page(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True) as page:
        yield page


def assert_fits_the_screen(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_inspector_checks_a_card_on_a_phone(live_server, phone, make_user, card_photo):
    make_user("wang", "inspector")
    page = phone
    page.goto(live_server + "/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    log_in(page, "wang")
    expect(page.get_by_role("heading", name="Check a certificate")).to_be_visible()
    assert_fits_the_screen(page)

    page.locator('input[type=file][capture="environment"]').set_input_files(card_photo)
    page.screenshot(path=SCREENSHOTS / "certguard-check-375.png", full_page=True)
    page.evaluate(RECORD_BUSY_STATE)
    page.get_by_role("button", name="Check certificate").click()
    expect(page).to_have_url(re.compile(r"/checks/\d+$"), timeout=30_000)
    assert page.evaluate("JSON.parse(sessionStorage.getItem('busy'))") == {"disabled": True, "label": "Checking…"}
    expect(page.locator(".verdict .verdict-chip")).to_have_text(re.compile("Pass|Suspect|Reject"))
    expect(page.locator('[data-field="name"]')).to_be_visible()
    expect(page.locator('[data-field="number"]')).to_be_visible()
    photo = page.locator("img.card-photo")
    expect(photo).to_have_js_property("complete", True)  # waits for the load: the page may still be fetching it
    assert photo.evaluate("image => image.naturalWidth > 0")
    assert not re.search(r"\d{17}[\dXx]", page.locator("main").inner_text())
    assert_fits_the_screen(page)
    page.screenshot(path=SCREENSHOTS / "certguard-result-375.png", full_page=True)

    page.get_by_role("link", name="Past checks").click()
    expect(page.locator(".check-list a")).to_have_count(1)
    assert_fits_the_screen(page)
