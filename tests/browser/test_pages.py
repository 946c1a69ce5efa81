"""Every main page, as each demo role sees it: a full-page screenshot into screenshots/,
axe-core with no serious or critical violations, and no console errors or CSP violations.

One test per role signs in once and visits all of that role's pages, collecting problems
so that a failure lists every page at fault.
"""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.support import PageChecker, sign_in, visit_linked_pages

pytestmark = pytest.mark.browser


def open_via_navigation(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Menu").get_by_role("link", name=label, exact=True).click()
    page.wait_for_load_state("load")


def check_status(page: Page, checker: PageChecker, name: str, path: str, status: int) -> None:
    response = page.goto(path)
    assert response is not None
    if response.status != status:
        checker.problems.append(f"{name}: {path} answered {response.status}, expected {status}")
    checker.check(name, expected_status=status if status >= 400 else None)


def check_common_pages(page: Page, checker: PageChecker, demo, role: str) -> None:
    """Pages every signed-in person has: partnerships, agencies, their account, 404."""
    open_via_navigation(page, "Partnerships")
    checker.check(f"{role}-partnerships")

    partnership = (
        demo.partnership_coordinated_by(role)
        if role == "coordinator"
        else demo.partnership_of("practitioner")
    )
    page.goto(reverse("partnerships:detail", args=[partnership.pk]))
    checker.check(f"{role}-partnership")

    open_via_navigation(page, "Agencies")
    checker.check(f"{role}-agencies")
    page.goto(reverse("partnerships:agency-detail", args=[demo.agency().pk]))
    checker.check(f"{role}-agency")

    page.get_by_role("link", name="Your account").click()
    page.wait_for_load_state("load")
    checker.check(f"{role}-your-account")
    # Changing the password, setting up two-factor authentication…
    visit_linked_pages(
        page, checker, role, "/accounts/", depth=1, skip=("sign-out", "/accounts/manage/")
    )

    check_status(page, checker, f"{role}-404", "/no-such-page/", 404)


def _status_of_current_page(page: Page) -> int | None:
    status = page.evaluate("() => performance.getEntriesByType('navigation')[0]?.responseStatus")
    return status if status and status >= 400 else None


def test_signed_out_pages(page: Page, demo, checker: PageChecker) -> None:
    check_status(page, checker, "anonymous-sign-in", reverse("accounts:sign-in"), 200)

    page.get_by_label("Username").fill("practitioner")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    checker.check("anonymous-sign-in-error")

    # Too many wrong passwords lock the username for a while.
    for _ in range(settings.AXES_FAILURE_LIMIT):
        if not page.get_by_label("Username").count():
            break
        page.get_by_label("Username").fill("practitioner")
        page.get_by_label("Password", exact=True).fill("not-the-password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state("load")
    expect(page.get_by_label("Username")).to_have_count(0)
    checker.check("anonymous-locked-out", expected_status=_status_of_current_page(page))

    # Any other page sends a signed-out visitor to sign in.
    page.goto(reverse("children:list"))
    expect(page).to_have_url(re.compile(re.escape(reverse("accounts:sign-in"))))
    checker.assert_no_problems()


def test_practitioner_pages(page: Page, demo, checker: PageChecker) -> None:
    sign_in(page, "practitioner", demo.password, checker)
    checker.check("practitioner-home")

    open_via_navigation(page, "Children")
    checker.check("practitioner-children")

    child = demo.child_involved_with("practitioner")
    page.get_by_role("link", name=child.full_name).first.click()
    page.wait_for_load_state("load")
    checker.check("practitioner-child-record")

    page.get_by_role("link", name="End your involvement").click()
    page.wait_for_load_state("load")
    checker.check("practitioner-end-involvement")

    check_common_pages(page, checker, demo, "practitioner")

    other_child = demo.child_not_involved_with("practitioner")
    check_status(
        page, checker, "practitioner-403", reverse("children:detail", args=[other_child.pk]), 403
    )
    checker.assert_no_problems()


def test_coordinator_pages(page: Page, demo, checker: PageChecker) -> None:
    sign_in(page, "coordinator", demo.password, checker)
    checker.check("coordinator-home")

    open_via_navigation(page, "Children")
    checker.check("coordinator-children")

    check_common_pages(page, checker, demo, "coordinator")

    # The coordinator's partnership management pages: every page linked from their
    # partnership's page (members, agencies, adding and ending memberships…).
    partnership = demo.partnership_coordinated_by("coordinator")
    partnership_url = reverse("partnerships:detail", args=[partnership.pk])
    page.goto(partnership_url)
    visit_linked_pages(page, checker, "coordinator", partnership_url)

    check_status(page, checker, "coordinator-403", reverse("accounts:manage-list"), 403)
    checker.assert_no_problems()


def test_admin_pages(page: Page, demo, checker: PageChecker) -> None:
    sign_in(page, "admin", demo.password, checker)
    checker.check("admin-home")

    open_via_navigation(page, "Accounts")
    checker.check("admin-accounts")
    visit_linked_pages(page, checker, "admin", reverse("accounts:manage-list"))

    check_common_pages(page, checker, demo, "admin")

    child = demo.child_involved_with("practitioner")
    check_status(page, checker, "admin-403", reverse("children:detail", args=[child.pk]), 403)
    checker.assert_no_problems()
