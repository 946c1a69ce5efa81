"""Issue 6's emergency access, in the browser: a practitioner with no relationship to a
child gets emergency (break-glass) access with a reason; the partnership's data
protection lead is alerted at once, finds it waiting on their home page, and reviews it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from joinedup.sharing.models import BreakGlassAccess
from tests.browser.support import PageChecker, PageMonitor, sign_in

pytestmark = pytest.mark.browser


def test_emergency_access_alerts_the_data_protection_lead_who_reviews_it(
    page: Page, second_page: Page, demo, checker: PageChecker
) -> None:
    child = demo.child_not_involved_with("grace.adeyemi")
    lead_checker = PageChecker(second_page, PageMonitor(second_page))
    lead_checker.problems = checker.problems
    lead_checker.minor_findings = checker.minor_findings

    # Opening a child outside her relationships, Grace is refused and offered the ways in.
    sign_in(page, "grace.adeyemi", demo.password, checker)
    response = page.goto(reverse("children:detail", args=[child.pk]))
    assert response is not None and response.status == 403
    checker.check("break-glass-refused", expected_status=403)
    page.locator("#emergency-access").get_by_role("link", name="get emergency access").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Emergency access to a child's record"
    )
    page.get_by_role("button", name="Start emergency access").click()
    page.wait_for_load_state("load")
    checker.check("break-glass-reason-required", expected_status=400)
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    page.get_by_label("What is the emergency, and why can you not wait?").fill(
        "Police called at 9pm: the child is missing and we need the family's contacts now."
    )
    page.get_by_role("button", name="Start emergency access").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text(child.full_name)
    expect(page.locator("#break-glass")).to_contain_text("emergency access until")
    checker.check("break-glass-child-page")

    # The data protection lead was told at once, and reviews it.
    sign_in(second_page, "ruth.kershaw", demo.password, lead_checker)
    expect(second_page.locator("#header-notifications")).to_contain_text("(1")
    expect(second_page.locator("#break-glass-to-review")).to_contain_text(
        "1 emergency access waiting for your review"
    )
    lead_checker.check("break-glass-lead-home")
    second_page.locator("#break-glass-to-review").get_by_role("link").click()
    second_page.wait_for_load_state("load")
    lead_checker.check("break-glass-review-queue")
    second_page.locator("main").get_by_role("link", name="Review").first.click()
    second_page.wait_for_load_state("load")
    expect(second_page.locator("main")).to_contain_text("Police called at 9pm")
    lead_checker.check("break-glass-review")
    second_page.get_by_label("Justified: the emergency called for it").check()
    second_page.get_by_role("button", name="Record the review").click()
    second_page.wait_for_load_state("load")
    lead_checker.check("break-glass-reviewed")

    # The lead can also look at what Grace has opened, and at the partnership's anomalies.
    grace = demo.user("grace.adeyemi")
    second_page.goto(reverse("accounts:practitioner-audit", args=[grace.pk]))
    expect(second_page.locator("main")).to_contain_text(child.full_name)
    lead_checker.check("break-glass-practitioner-audit")
    second_page.goto(reverse("accounts:access-anomalies"))
    lead_checker.check("break-glass-access-anomalies")
    page.goto(reverse("accounts:my-access-history"))
    checker.check("break-glass-my-access-history")

    access = BreakGlassAccess.objects.get(child=child)
    assert access.reviewed_by is not None and access.reviewed_by.username == "ruth.kershaw"
    assert access.review_outcome == "justified"
