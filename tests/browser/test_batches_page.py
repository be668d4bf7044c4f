"""A clerk uploads a ZIP of scans on the batches page, watches the progress bar fill, downloads the CSV —
in Debian's real chromium, against the app served over HTTP with a job consumer running beside it."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from chromium import SCREENSHOTS, chromium_page, log_in
from PIL import Image
from playwright.sync_api import Page, expect

from service.jobs import EmbeddedConsumer, get_jobs

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1024, "height": 768}
ITEMS = 4


@pytest.fixture
def scans_zip(tmp_path: Path) -> Path:
    """Blank pages: this test is about the page and its progress bar, not about reading."""
    image = io.BytesIO()
    Image.new("RGB", (64, 40), "white").save(image, format="PNG")
    path = tmp_path / "scans.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(ITEMS):
            archive.writestr(f"box-1/{index}.png", image.getvalue())
    return path


@pytest.fixture
def job_consumer(app) -> Iterator[EmbeddedConsumer]:
    """A job consumer beside the served app, so a batch runs while the page watches it."""
    with app.app_context():
        consumer = EmbeddedConsumer(get_jobs().huey, workers=1, periodic=False, max_delay=0.2)
    consumer.start()
    yield consumer
    consumer.stop(graceful=True)


@pytest.fixture
def browser_page() -> Iterator[Page]:
    with chromium_page(viewport=DESKTOP, accept_downloads=True) as page:
        yield page


def test_clerk_runs_a_batch_and_downloads_its_results(job_consumer, live_server, browser_page, make_user, scans_zip,
                                                      tmp_path):
    make_user("zhao", "clerk")
    page = browser_page
    page.goto(live_server + "/login")
    log_in(page, "zhao")
    page.get_by_role("link", name="Batches").click()
    expect(page.get_by_role("heading", name="Batches 批量核验")).to_be_visible()

    page.get_by_label("ZIP, PDF, TIFF or image").set_input_files(scans_zip)
    page.get_by_role("button", name="Start batch").click()
    expect(page).to_have_url(re.compile(r"/batches/\d+$"))
    bar = page.locator(".batch-progress progress")
    expect(bar).to_be_visible()
    expect(page.locator('[data-count="state"]')).to_have_text("done", timeout=30_000)
    expect(bar).to_have_attribute("max", str(ITEMS))
    expect(bar).to_have_attribute("value", str(ITEMS))
    expect(page.locator(".check-list.items li")).to_have_count(ITEMS)
    expect(page.get_by_role("button", name="Cancel batch")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "certguard-batch-done.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    rows = list(csv.DictReader(io.StringIO(saved.read_text(encoding="utf-8"))))
    assert [row["origin"] for row in rows] == [f"scans.zip!/box-1/{index}.png" for index in range(ITEMS)]
    assert all(row["state"] == "done" and row["verdict"] and row["page"].startswith(live_server) for row in rows)
