"""Agency feeds in the browser: the demo data manager sends a school's file with bad rows,
watches the import, reads what was rejected and why, and deals with the rejects.

Every feed page is screenshotted and checked with axe-core (no serious or critical
violations) and for console errors and Content-Security-Policy violations.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from joinedup.children.feeds import importing
from joinedup.children.models import Feed, FeedStatus, RejectedRow
from joinedup.demo.feeds import SPECS, write_demo_feeds
from tests.browser.support import PageChecker, sign_in

pytestmark = pytest.mark.browser

SCHOOL = next(spec for spec in SPECS if spec.key == "brookfield_school")


@pytest.fixture
def held_import(monkeypatch):
    """Holds each feed's background import before it checks any row, until released, so
    the progress display can be seen (and checked) before the result replaces it."""
    release = threading.Event()
    check_rows = importing.check_rows

    def held(**kwargs):
        release.wait(timeout=30)
        return check_rows(**kwargs)

    monkeypatch.setattr(importing, "check_rows", held)
    yield release
    release.set()


def read_download(path: str | Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8-sig"))))


def test_data_manager_sends_a_feed_and_deals_with_its_rejects(
    page: Page, demo, checker: PageChecker, tmp_path: Path, held_import: threading.Event, settings
) -> None:
    settings.FEEDS_RUN_IN_BACKGROUND = True  # as in the running service
    (school_file,) = [
        written for written in write_demo_feeds(tmp_path) if written.agency == SCHOOL.agency
    ]

    # A data manager must give a two-factor code.
    sign_in(page, "datamanager", demo.password, checker)
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Agency feeds").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agency feeds")
    checker.check("datamanager-feeds-index")

    # The format, and the template to start from.
    page.get_by_role("link", name="The file format and templates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("The feed format")
    checker.check("datamanager-feeds-format")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the template as a CSV file").click()
    template = read_download(download.value.path())
    assert template[0][:3] == ["Record ID", "Given name", "Family name"] and len(template) == 2

    # The school's system uses its own headings: say which is which.
    page.goto(reverse("children:feeds:index"))
    page.get_by_role("link", name="Your column mapping").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Column mapping")
    checker.check("datamanager-feeds-mapping")
    for heading, key in SCHOOL.mapping.items():
        page.locator(f"main form [name='{key}']").fill(heading)
    page.get_by_role("button", name="Save the mapping").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "column mapping for Brookfield Community Primary School has been saved"
    )

    # Upload the school's file, with its bad rows.
    page.get_by_role("link", name="Upload a file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a file of records")
    checker.check("datamanager-feeds-upload")
    page.get_by_label("Upload a file").set_input_files(school_file.path)
    page.get_by_role("button", name="Upload and import").click()

    # The import runs in the background; the page shows its progress and polls.
    expect(page.get_by_role("heading", level=1)).to_have_text(school_file.path.name)
    progress = page.locator("#feed-progress")
    expect(progress).to_have_attribute("hx-trigger", "every 1s")
    expect(progress.get_by_role("progressbar")).to_be_visible()
    checker.check("datamanager-feeds-progress")
    held_import.set()
    results = page.get_by_role("table", name="What happened to each row")
    expect(results).to_be_visible(timeout=20_000)  # htmx reloads the page when it is done
    expect(page.locator("#feed-progress")).to_have_count(0)
    checker.check("datamanager-feeds-result")

    feed = Feed.objects.get(agency__name=SCHOOL.agency)
    assert feed.status == FeedStatus.DONE and feed.rows_rejected == 3
    rejects = page.get_by_role("table", name="Rejected rows, by line in the file")
    for reject in RejectedRow.objects.filter(feed=feed):
        row = rejects.get_by_role("row").filter(has_text=reject.reason)
        expect(row).to_have_count(1)
        expect(row.get_by_role("cell").nth(0)).to_have_text(str(reject.line_number))
        expect(row.get_by_role("cell").nth(1)).to_have_text(reject.column or "—")
    expect(rejects).to_contain_text("There is no record ID.")
    expect(rejects).to_contain_text("There is no name")
    expect(
        page.get_by_role("table", name=re.compile("^Each value that is not valid"))
    ).to_contain_text("31/02/2016")

    # The rejects file: the school's own columns, then where each row was and why.
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the 3 rejected rows still to correct (CSV)").click()
    rows = read_download(download.value.path())
    assert rows[0][: len(SCHOOL.mapping)] == list(SCHOOL.mapping)
    assert rows[0][-3:] == ["Rejection reference", "Line in original file", "Reason for rejection"]
    assert len(rows) == 4 and "There is no record ID." in [row[-1] for row in rows]

    # One rejected row is not needed again: mark it as dealt with, with the reason.
    first = RejectedRow.objects.filter(feed=feed).order_by("line_number").first()
    rejects.get_by_role("link", name=f"Mark as dealt with (line {first.line_number})").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Mark line {first.line_number} as dealt with"
    )
    page.get_by_role("button", name="Mark as dealt with").click()
    expect(page.locator(".govuk-error-summary")).to_contain_text("Enter why this row")
    checker.check("datamanager-feeds-deal-with-reject-error")
    page.get_by_label("Why does this row not need to be sent again?").fill(
        "The pupil left before the file was sent."
    )
    page.get_by_role("button", name="Mark as dealt with").click()
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "is marked as dealt with"
    )
    expect(page.get_by_role("table", name="Rejected rows, by line in the file")).to_contain_text(
        "The pupil left before the file was sent."
    )
    expect(
        page.get_by_role("link", name="Download the 2 rejected rows still to correct (CSV)")
    ).to_be_visible()
    checker.check("datamanager-feeds-result-after-dealing-with")
    checker.assert_no_problems()
