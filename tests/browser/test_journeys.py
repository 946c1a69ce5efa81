"""Journeys a person would notice if they broke, driven through the browser."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from tests.browser.support import PageChecker, enter_two_factor_code, sign_in, totp_from_setup_key

pytestmark = pytest.mark.browser


def test_practitioner_ends_involvement_and_loses_access(
    page: Page,
    demo,
    checker: PageChecker,
) -> None:
    sign_in(page, "practitioner", demo.password)
    child = demo.child_involved_with("practitioner")

    page.get_by_role("link", name=child.full_name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(child.full_name)
    involved = page.get_by_role("table", name="Who is involved")
    expect(involved).to_be_visible()
    child_url = page.url

    involved.get_by_role("link", name="End your involvement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("End your involvement")
    page.locator("main form [name='reason']").fill("The family moved to a school outside the area.")
    page.get_by_role("button", name="End involvement").click()
    page.wait_for_load_state("load")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "You no longer have access"
    )
    checker.check("practitioner-involvement-ended")

    response = page.goto(child_url)
    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "You are not involved with this child"
    )
    expect(page.locator("main")).not_to_contain_text(child.full_name)
    checker.check("practitioner-child-after-ending", expected_status=403)

    # Opening the record again is possible only by stating why, and the reason shows.
    page.get_by_label("Why do you need to open this record?").fill(
        "The family's new school asked me for the school nursing history."
    )
    page.get_by_role("button", name="Open the record").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text(child.full_name)
    expect(page.locator(".govuk-inset-text")).to_contain_text("Stated reason")
    checker.check("practitioner-child-with-stated-reason")
    checker.assert_no_problems()


def test_coordinator_signs_in_with_two_factor_and_sees_members(
    page: Page,
    demo,
    checker: PageChecker,
) -> None:
    page.goto(reverse("accounts:sign-in"))
    page.get_by_label("Username").fill("coordinator")
    page.get_by_label("Password", exact=True).fill(demo.password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("load")
    # The password alone is not enough: a coordinator must give a code.
    assert "/two-factor/verify/" in page.url, f"expected the two-factor page, got {page.url}"
    response = page.goto(reverse("home"))
    assert response is not None
    assert "/two-factor/verify/" in page.url, "a coordinator reached the home page without a code"

    enter_two_factor_code(page, "coordinator")
    expect(page).to_have_url(re.compile(r"/$"))
    partnership = demo.partnership_coordinated_by("coordinator")
    members = [
        m.practitioner.get_full_name()
        for m in partnership.memberships.select_related("practitioner").all()
        if m.is_current
    ]
    assert members
    page.goto(reverse("partnerships:detail", args=[partnership.pk]))
    main = page.locator("main")
    expect(main.get_by_role("heading", level=1)).to_contain_text(partnership.name)
    for name in members[:5]:
        expect(main).to_contain_text(name)
    checker.check("coordinator-partnership-members")
    checker.assert_no_problems()


def test_admin_sees_accounts_but_no_children(
    page: Page,
    demo,
    checker: PageChecker,
) -> None:
    sign_in(page, "admin", demo.password)
    practitioner = demo.user("practitioner")

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Accounts").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text("Accounts")
    page.get_by_label("Search accounts").fill(practitioner.username)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("main table")).to_contain_text(practitioner.get_full_name())

    child = demo.child_involved_with("practitioner")
    response = page.goto(reverse("children:detail", args=[child.pk]))
    assert response is not None and response.status == 403
    expect(page.locator("main")).not_to_contain_text(child.full_name)
    page.goto(reverse("children:list"))
    expect(page.locator("main")).not_to_contain_text(child.full_name)
    checker.assert_no_problems()


def test_wrong_password_shows_the_error_summary(page: Page, demo) -> None:
    page.goto(reverse("accounts:sign-in"))
    page.get_by_label("Username").fill("practitioner")
    page.get_by_label("Password", exact=True).fill("wrong-password-entirely")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text("There is a problem")
    # GOV.UK Frontend moves focus to the summary so screen reader users hear it.
    expect(summary).to_be_focused()
    expect(page).to_have_url(re.compile(r"/accounts/sign-in/"))


@pytest.mark.parametrize("username", ["coordinator", "practitioner"])
def test_someone_without_an_authenticator_must_set_up_two_factor(
    page: Page,
    demo,
    checker: PageChecker,
    username: str,
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    # Someone whose authenticator was reset (or who never had one): everyone must use one.
    TOTPDevice.objects.filter(user__username=username).delete()
    page.goto(reverse("accounts:sign-in"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(demo.password)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/set-up/"))
    checker.check(f"{username}-two-factor-set-up")

    # They cannot go anywhere else first.
    page.goto(reverse("children:list"))
    expect(page).to_have_url(re.compile(r"/accounts/two-factor/set-up/"))

    page.get_by_text("I cannot scan the QR code").click()
    setup_key = page.locator("#secret-key").inner_text()
    page.get_by_label("Code from your authenticator app").fill(totp_from_setup_key(setup_key))
    page.get_by_role("button", name=re.compile("two-factor", re.IGNORECASE)).click()
    page.wait_for_load_state("load")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "Two-factor authentication is on"
    )
    checker.check(f"{username}-two-factor-set-up-done")
    assert TOTPDevice.objects.filter(user__username=username, confirmed=True).exists()
    checker.assert_no_problems()


def test_the_sign_in_helper_sets_up_an_authenticator_for_anyone_without_one(
    page: Page, demo
) -> None:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user__username="grace.adeyemi").delete()
    sign_in(page, "grace.adeyemi", demo.password)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert TOTPDevice.objects.filter(user__username="grace.adeyemi", confirmed=True).exists()
