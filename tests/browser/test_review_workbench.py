"""A reviewer works the queue in Debian's real chromium: queue, item with its finding regions, a decision,
and the audit row it leaves; an inspector is refused the queue; no page shows an ID number whole."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Iterator
from datetime import date

import pytest
from chromium import SCREENSHOTS, chromium_page, log_in
from playwright.sync_api import Page, expect
from review_helpers import add_flagged

from samples.render import render_card
from samples.values import draw_values
from service.storage import get_storage
from verification.kinds import load_kinds

pytestmark = pytest.mark.browser

DESK = {"width": 1280, "height": 900}
FULL_ID = re.compile(r"\d{17}[\dXx]")


def card_png() -> bytes:
    """A clean synthetic 特种作业操作证 from the sample renderer."""
    rng = random.Random(0)
    kind = load_kinds()["special_operation"]
    buffer = io.BytesIO()
    render_card(kind, draw_values(kind, rng, date.today()), rng).image.save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def desk() -> Iterator[Page]:
    with chromium_page(viewport=DESK) as page:
        yield page


@pytest.fixture
def flagged(app, make_user):
    """Two checks of one number by different holders (a duplicate group) and a rejected card, with photos."""
    inspector = make_user("ines", "inspector")
    with app.app_context():
        photo = get_storage().put(card_png())
        rejected = add_flagged(inspector, verdict="reject", codes=("QR_MISMATCH", "TAMPERING"), storage_key=photo)
        first = add_flagged(inspector, codes=("DUPLICATE_NUMBER",), storage_key=photo, minutes=1)
        second = add_flagged(inspector, codes=("DUPLICATE_NUMBER",), name="李四", id_number="110105194912310038",
                             storage_key=photo, minutes=2)
    return {"rejected": rejected.id, "group": [first.id, second.id]}


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def assert_no_full_id(page: Page) -> None:
    assert not FULL_ID.search(page.content()), page.url


def test_a_reviewer_works_an_item_from_the_queue_and_the_audit_shows_it(live_server, desk, make_user, flagged):
    make_user("li", "reviewer")
    make_user("root", "admin")
    page = desk
    page.goto(live_server + "/review")
    log_in(page, "li")
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    items = page.locator(".queue-item")
    expect(items).to_have_count(2)
    expect(items.first).to_have_attribute("data-checks", str(flagged["rejected"]))  # the reject comes first
    expect(items.nth(1)).to_contain_text("Duplicate number · 2 cards")
    assert_no_full_id(page)

    items.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/review/checks/{flagged['rejected']}$"))
    regions = page.locator("svg.regions rect")
    expect(regions).to_have_count(2)
    for index in range(2):
        expect(regions.nth(index)).to_be_visible()
    photo = page.locator("img.card-photo")
    expect(photo).to_have_js_property("complete", True)  # loaded: its natural size is 0 × 0 before
    natural = photo.evaluate("image => [image.naturalWidth, image.naturalHeight]")
    expect(page.locator("svg.regions")).to_have_attribute("viewBox", f"0 0 {natural[0]} {natural[1]}")
    before = regions.first.bounding_box()
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Zoom in").click()
    after = regions.first.bounding_box()
    assert after["width"] == pytest.approx(before["width"] * 2, rel=0.05)  # the regions zoom with the photo
    page.screenshot(path=SCREENSHOTS / "certguard-review-item.png", full_page=True)
    assert_no_full_id(page)

    counterfeit = page.get_by_role("form", name="Counterfeit")
    counterfeit.get_by_label("Category").select_option(label="伪造")
    counterfeit.get_by_label("Note").fill("QR leads to a copied site")
    counterfeit.get_by_role("button", name="Confirm counterfeit").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded: counterfeit.")
    expect(page.locator(".decisions")).to_contain_text("伪造")
    log_out(page)

    log_in(page, "root")
    page.goto(live_server + "/audit?action=decision")
    row = page.locator('tr[data-action="decision"]')
    expect(row).to_have_count(1)
    expect(row).to_contain_text("li")
    expect(row).to_contain_text(f"check #{flagged['rejected']}")
    assert_no_full_id(page)


def test_a_duplicate_group_is_claimed_whole_and_shown_side_by_side(live_server, desk, make_user, flagged):
    make_user("li", "reviewer")
    page = desk
    page.goto(live_server + f"/review/checks/{flagged['group'][1]}")
    log_in(page, "li")
    cards = page.locator(".group-card")
    expect(cards).to_have_count(2)
    for index in range(2):
        image = cards.nth(index).locator("img")
        expect(image).to_have_js_property("complete", True)  # waits for the load: the page may still be fetching it
        assert image.evaluate("image => image.naturalWidth > 0")
    page.get_by_role("button", name="Claim all 2 cards").click()
    expect(page.locator(".review-status")).to_contain_text("Claimed · li")
    page.goto(live_server + "/review?state=claimed")
    expect(page.locator(".queue-item")).to_have_count(1)
    assert_no_full_id(page)


def test_an_inspector_is_refused_the_queue(live_server, desk, make_user, flagged):
    make_user("wang", "inspector")
    page = desk
    page.goto(live_server + "/")
    log_in(page, "wang")
    expect(page.get_by_role("link", name="Review")).to_have_count(0)
    page.goto(live_server + "/review")
    expect(page.get_by_role("heading", name="403 Forbidden")).to_be_visible()
    page.goto(live_server + f"/review/checks/{flagged['rejected']}")
    expect(page.get_by_role("heading", name="403 Forbidden")).to_be_visible()


@pytest.mark.parametrize(("role", "paths"), [
    ("inspector", ["/", "/checks"]),
    ("clerk", ["/checks", "/checks/{rejected}", "/checks/{first}", "/batches"]),
    ("admin", ["/checks", "/checks/{second}", "/audit"]),
])
def test_no_page_shows_a_role_without_reveal_an_id_number(live_server, desk, make_user, flagged, role, paths):
    make_user(role, role)
    page = desk
    page.goto(live_server + "/login")
    log_in(page, role)
    for path in paths:
        response = page.goto(live_server + path.format(rejected=flagged["rejected"], first=flagged["group"][0],
                                                       second=flagged["group"][1]))
        assert response.status == 200, path
        assert not FULL_ID.search(page.locator("body").inner_text()), path
        assert_no_full_id(page)
        expect(page.get_by_role("button", name="Reveal numbers")).to_have_count(0)
