"""Issue 5's referral path, driven through the browser by three people, each signed in on
their own: a Year 2 teacher finds a service in the directory and refers a child with the
parent's consent; the speech and language therapist acknowledges it and declines it,
suggesting early help family support; the teacher refers again; the family support
worker accepts, starts and completes it. Each party sees only what they should: the
therapist sees the parts shared and not the child's address, and loses the referral once
it is declined; the family support worker loses it once it is completed."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from joinedup.referrals.models import Referral, Service
from tests.browser.support import PageChecker, PageMonitor, sign_in

pytestmark = pytest.mark.browser

SPEECH_AND_LANGUAGE = "Speech and language therapy for school-age children"
EARLY_HELP = "Early help family support"


def fill_date(page: Page, legend: str, value) -> None:
    group = page.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(str(value.day))
    group.get_by_label("Month").fill(str(value.month))
    group.get_by_label("Year").fill(str(value.year))


def give_parental_consent(page: Page, name: str) -> None:
    page.get_by_role("group", name="On what basis are you sharing the information?").get_by_label(
        "Consent", exact=True
    ).check()
    page.get_by_role("group", name="Who gave consent?").get_by_label("A parent or carer").check()
    page.get_by_label("Name of the person who gave consent").fill(name)
    fill_date(page, "When was consent given?", timezone.localdate())


def take_step(page: Page, checker: PageChecker, button: str, name: str) -> None:
    """On the referral page: opens the answer page for this step and submits it."""
    page.locator("#answer-actions").get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state("load")
    checker.check(f"referral-journey-{name}-form")
    page.locator("main form").get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state("load")


def switch_user(page: Page, username: str, password: str, checker: PageChecker) -> None:
    page.context.clear_cookies()
    sign_in(page, username, password, checker)


def test_a_teacher_refers_a_child_on_until_a_service_takes_them_on(
    page: Page, second_page: Page, demo, checker: PageChecker
) -> None:
    child = demo.child_involved_with("emma.clarke")
    first_service = Service.objects.get(name=SPEECH_AND_LANGUAGE)
    second_service = Service.objects.get(name=EARLY_HELP)
    therapist = first_service.maintainers.get(username="laura.pickering")
    support_worker = second_service.maintainers.get(username="dean.hargreaves")
    assert child.address_line_1
    staff_checker = PageChecker(second_page, PageMonitor(second_page))
    # Both pages' problems are reported together at the end.
    staff_checker.problems = checker.problems
    staff_checker.minor_findings = checker.minor_findings
    staff = second_page

    # The teacher finds the service in the directory.
    sign_in(page, "emma.clarke", demo.password, checker)
    page.goto(reverse("referrals:directory"))
    page.get_by_label("Search").first.fill("speech language")
    page.locator("main form").get_by_role("button").first.click()
    page.wait_for_load_state("load")
    checker.check("referral-journey-directory-search")
    page.get_by_role("link", name=SPEECH_AND_LANGUAGE).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SPEECH_AND_LANGUAGE)
    expect(page.locator("main")).to_contain_text("Refer a child to this service")
    checker.check("referral-journey-service")

    # From the child's record, refers with the parent's consent, sharing the setting but
    # not the address.
    page.goto(reverse("children:detail", args=[child.pk]))
    expect(page.get_by_role("heading", level=1)).to_have_text(child.full_name)
    page.get_by_role("link", name="Refer to a service").first.click()
    page.wait_for_load_state("load")
    checker.check("referral-journey-new")
    service_select = page.get_by_label("Service", exact=True)
    service_select.select_option(
        label=next(
            text
            for text in service_select.locator("option").all_inner_texts()
            if text.startswith(SPEECH_AND_LANGUAGE)
        )
    )
    page.get_by_label("Why are you referring the child?").fill(
        "Speech is hard to understand in class and other children have started to tease him."
    )
    page.get_by_label("School or early years setting, and GP practice").check()
    give_parental_consent(page, "Sam Parent")
    page.get_by_role("button", name="Save and check before sending").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Check the referral before sending it"
    )
    # The expected wait is shown before sending.
    expect(page.locator("main")).to_contain_text("waiting")
    checker.check("referral-journey-check")
    page.get_by_role("button", name="Send the referral").click()
    page.wait_for_load_state("load")
    first_url = page.url
    assert re.search(r"/referrals/\d+/$", first_url), first_url
    expect(page.locator("main")).to_contain_text("Sent")
    checker.check("referral-journey-sent")
    first = Referral.objects.get(child=child, service=first_service)

    # The therapist sees the new referral on the service's referrals page, and only the
    # parts shared.
    sign_in(staff, "laura.pickering", demo.password, staff_checker)
    staff.goto(reverse("referrals:service-referrals", args=[first_service.slug]))
    staff_checker.check("referral-journey-service-queue")
    staff.locator("main").get_by_role("link", name=re.compile(child.given_name)).first.click()
    staff.wait_for_load_state("load")
    assert staff.url.endswith(reverse("referrals:referral", args=[first.pk]))
    expect(staff.locator("main")).to_contain_text("Speech is hard to understand")
    expect(staff.locator("main")).not_to_contain_text(child.address_line_1)
    staff_checker.check("referral-journey-therapist-reads")
    # The child's own record stays closed to her: the referral shares only its parts.
    response = staff.goto(reverse("children:detail", args=[child.pk]))
    assert response is not None and response.status in {200, 403}
    expect(staff.locator("main")).not_to_contain_text(child.address_line_1)
    staff.goto(reverse("referrals:referral", args=[first.pk]))

    take_step(staff, staff_checker, "Acknowledge", "acknowledge")
    expect(staff.locator("main")).to_contain_text("Acknowledged")
    staff.locator("#answer-actions").get_by_role("button", name="Decline", exact=True).click()
    staff.wait_for_load_state("load")
    staff.get_by_label("Another service would meet the needs better").check()
    staff.get_by_label("More about why").fill(
        "The difficulties at home come first; early help can bring us back in later."
    )
    suggestion = staff.get_by_label("A service that might meet the needs better (optional)")
    suggestion.select_option(
        label=next(
            text
            for text in suggestion.locator("option").all_inner_texts()
            if text.startswith(EARLY_HELP)
        )
    )
    staff_checker.check("referral-journey-decline-form")
    staff.locator("main form").get_by_role("button", name="Decline", exact=True).click()
    staff.wait_for_load_state("load")
    staff_checker.check("referral-journey-declined-queue")
    # Once declined, the referral is no longer the service's to see.
    response = staff.goto(reverse("referrals:referral", args=[first.pk]))
    assert response is not None and response.status == 403
    staff_checker.check("referral-journey-therapist-refused", expected_status=403)
    expect(staff.locator("main")).not_to_contain_text("Speech is hard to understand")

    # The teacher sees the decline and the suggestion, and refers again.
    page.goto(first_url)
    expect(page.locator("main")).to_contain_text("Declined")
    expect(page.locator("main")).to_contain_text(EARLY_HELP)
    checker.check("referral-journey-teacher-sees-decline")
    page.locator("#refer-again").click()
    page.wait_for_load_state("load")
    checker.check("referral-journey-refer-again")
    page.locator("main form").get_by_role("button", name="Continue").click()
    page.wait_for_load_state("load")
    checker.check("referral-journey-second-draft")
    give_parental_consent(page, "Sam Parent")
    page.get_by_role("button", name="Save and check before sending").click()
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_contain_text(EARLY_HELP)
    page.get_by_role("button", name="Send the referral").click()
    page.wait_for_load_state("load")
    second_url = page.url
    second = Referral.objects.get(child=child, service=second_service)
    assert second.follows_id == first.pk
    checker.check("referral-journey-second-sent")

    # The family support worker takes the child on: accepts, starts and completes.
    switch_user(staff, "dean.hargreaves", demo.password, staff_checker)
    staff.goto(reverse("referrals:referral", args=[second.pk]))
    expect(staff.locator("main")).to_contain_text("Speech is hard to understand")
    expect(staff.locator("main")).not_to_contain_text(child.address_line_1)
    staff_checker.check("referral-journey-support-worker-reads")
    take_step(staff, staff_checker, "Acknowledge", "second-acknowledge")
    take_step(staff, staff_checker, "Accept", "accept")
    expect(staff.locator("main")).to_contain_text("Accepted")
    take_step(staff, staff_checker, "Start", "start")
    expect(staff.locator("main")).to_contain_text("Started")
    staff.locator("#answer-actions").get_by_role("button", name="Complete", exact=True).click()
    staff.wait_for_load_state("load")
    staff.get_by_label("The needs referred for were met").check()
    staff_checker.check("referral-journey-complete-form")
    staff.locator("main form").get_by_role("button", name="Complete", exact=True).click()
    staff.wait_for_load_state("load")
    response = staff.goto(reverse("referrals:referral", args=[second.pk]))
    assert response is not None and response.status == 403
    staff_checker.check("referral-journey-support-worker-done", expected_status=403)

    # The teacher sees the whole story: who did what, and the outcome.
    page.goto(second_url)
    main = page.locator("main")
    expect(main).to_contain_text("Completed")
    expect(main).to_contain_text("The needs referred for were met")
    for person in (support_worker.get_full_name(),):
        expect(main).to_contain_text(person)
    checker.check("referral-journey-teacher-sees-completion")
    page.goto(reverse("referrals:my-referrals"))
    checker.check("referral-journey-my-referrals")

    second.refresh_from_db()
    assert second.status == "completed"
    assert [event.by_id for event in second.events.order_by("at", "pk")][2:] == [
        support_worker.pk
    ] * 4
    first.refresh_from_db()
    assert first.status == "declined" and first.suggested_service_id == second_service.pk
    assert first.events.filter(to_status="declined", by=therapist).exists()
