"""The referral pages the referral journey does not reach, checked in Chromium (screenshot,
axe-core, one h1, Content-Security-Policy intact): the referrer's side of a referral to a
service outside Joined Up (its pack, the reply recorded by hand, withdrawing), the
receiving service's side (a refused step, the waiting list, its report, receiving a FHIR
file), the coordinator's ping-pong list and partnership report, and the notifications and
home page flags that referrals raise.

The small demo area has no referrals of its own, so each test makes the ones it needs
through the referral lifecycle in the live server's database."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from joinedup import pdf
from joinedup.accounts.models import Practitioner
from joinedup.children.models import Child, Involvement
from joinedup.partnerships.models import Partnership
from joinedup.referrals import lifecycle
from joinedup.referrals.models import DeclineReason, Referral, Service
from joinedup.sharing import policy
from tests.browser.demo_area import DemoArea
from tests.browser.support import PageChecker, sign_in

pytestmark = pytest.mark.browser

REFERRER = "emma.clarke"
STAFF = "laura.pickering"
SPEECH_AND_LANGUAGE = "speech-and-language-therapy-for-school-age-children"
# A member of the coordinator's partnership, who refers the child the services decline.
PANEL_MEMBER = "grace.adeyemi"


@dataclass(frozen=True)
class DemoReferrals:
    outside: Referral  # sent to a service outside Joined Up, by the referrer
    overdue: Referral  # sent in Joined Up, not acknowledged by the date it should have been
    waiting: Referral  # accepted: on the service's waiting list
    in_app_service: Service
    pingpong_child: Child
    partnership: Partnership


def _details(reason: str) -> lifecycle.ReferralDetails:
    return lifecycle.ReferralDetails(
        reason=reason,
        shared_sections=("contact", "setting"),
        sharing_basis="consent",
        consent_given_by="parent_carer",
        consent_given_by_name="Sam Parent",
        consent_given_on=timezone.localdate(),
    )


def _sent(referrer: Practitioner, child: Child, service: Service, reason: str) -> Referral:
    draft = lifecycle.create_draft(
        referrer=referrer, child=child, service=service, details=_details(reason)
    )
    decision = policy.can_send_referral(referrer, draft)
    return lifecycle.send_referral(draft, by=referrer, decision=decision)


def _children_of(username: str, count: int) -> list[Child]:
    involvements = (
        Involvement.objects.current()
        .filter(practitioner__username=username)
        .select_related("child")
        .order_by("child__family_name", "child__given_name")
    )
    children = list(dict.fromkeys(involvement.child for involvement in involvements))
    assert children, f"{username} has no current involvement in the demo area"
    return (children * count)[:count]


def make_demo_referrals(demo: DemoArea) -> DemoReferrals:
    """The referrals the pages need, made as people would through the lifecycle: the
    referrer's three, and a child of the coordinator's partnership declined by three
    services (so the ping-pong list has them)."""
    referrer = demo.user(REFERRER)
    staff = demo.user(STAFF)
    in_app = Service.objects.get(slug=SPEECH_AND_LANGUAGE)
    assert in_app.accepts_referrals_in_app and staff in in_app.maintainers.all()
    outside_service = (
        Service.objects.filter(
            is_published=True, accepts_referrals_in_app=False, how_to_refer_outside="email"
        )
        .exclude(referral_address="")
        .order_by("slug")
        .first()
    )
    assert outside_service is not None
    first_child, second_child = _children_of(REFERRER, 2)

    outside = _sent(
        referrer, first_child, outside_service, "Behaviour at school has become hard to manage."
    )
    overdue = _sent(referrer, first_child, in_app, "Speech is hard for adults to follow.")
    Referral.objects.filter(pk=overdue.pk).update(
        acknowledge_by=timezone.localdate() - timedelta(days=3)
    )
    waiting = _sent(referrer, second_child, in_app, "Speech is hard to understand in class.")
    waiting = lifecycle.acknowledge(waiting, by=staff)
    waiting = lifecycle.accept(
        waiting, by=staff, expected_start_on=timezone.localdate() + timedelta(weeks=6)
    )

    partnership = demo.partnership_coordinated_by("coordinator")
    member = demo.user(PANEL_MEMBER)
    (pingpong_child,) = _children_of(PANEL_MEMBER, 1)
    declining = list(
        Service.objects.filter(is_published=True, accepts_referrals_in_app=True)
        .exclude(slug=SPEECH_AND_LANGUAGE)
        .exclude(maintainers__username="coordinator")
        .filter(maintainers__isnull=False)
        .distinct()
        .order_by("slug")[:3]
    )
    assert len(declining) == 3
    for service in declining:
        referral = _sent(member, pingpong_child, service, "The family asked for help.")
        answerer = service.maintainers.order_by("pk").first()
        referral = lifecycle.acknowledge(referral, by=answerer)
        lifecycle.decline(referral, by=answerer, reason=DeclineReason.CRITERIA_NOT_MET)

    return DemoReferrals(
        outside=outside,
        overdue=overdue,
        waiting=waiting,
        in_app_service=in_app,
        pingpong_child=pingpong_child,
        partnership=partnership,
    )


def submit(page: Page, button: str) -> int | None:
    """Submits the form on the page with this button; returns the answer's status when it
    is not 200 (a form sent back with errors answers 400 on some pages), for the checker."""
    with page.expect_response(
        lambda response: (
            response.request.resource_type == "document" and response.request.method == "POST"
        )
    ) as posted:
        page.locator("main form").get_by_role("button", name=button, exact=True).click()
    page.wait_for_load_state("load")
    status = posted.value.status
    return status if status not in (200, 302) else None


def overflowing(page: Page) -> list[str]:
    """Tables, charts, forms and lists in the main content that stick out past its right
    edge (the page would scroll sideways, or they would run off the printed page). Grid
    rows are left out: their negative margins are by design."""
    return list(
        page.evaluate(
            """() => {
                const main = document.querySelector('main');
                if (!main) return [];
                const edge = main.getBoundingClientRect().right + 1;
                return [...main.querySelectorAll('table, svg, pre, form, dl, textarea, input, select')]
                    .filter(e => e.getBoundingClientRect().right > edge)
                    .map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''} ends at `
                        + `${Math.round(e.getBoundingClientRect().right)}px, past `
                        + `${Math.round(edge)}px`);
            }"""
        )
    )


def check(checker: PageChecker, name: str, expected_status: int | None = None) -> None:
    """The shared checks (screenshot, axe-core, one h1, CSP), and that the page fits."""
    checker.check(name, expected_status=expected_status)
    for problem in overflowing(checker.page):
        checker.problems.append(f"{name} ({checker.page.url}): {problem}")


def expect_error_summary(page: Page, text: str) -> None:
    summary = page.locator(".govuk-error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_contain_text(text)


def test_the_referrer_pages_of_a_referral_to_a_service_outside_joined_up(
    page: Page, demo: DemoArea, checker: PageChecker
) -> None:
    referrals = make_demo_referrals(demo)
    outside = referrals.outside
    sign_in(page, REFERRER, demo.password, checker)

    # The home page flags the referral the service has not acknowledged in time.
    page.goto(reverse("home"))
    expect(page.locator("#flag-made-late-to-acknowledge")).to_contain_text("1 overdue")
    check(checker, "referral-pages-referrer-home-flags")

    # A new referral sent back with its errors.
    page.goto(reverse("referrals:new", args=[outside.child_id]))
    check(checker, "referral-pages-new")
    status = submit(page, "Save and check before sending")
    expect_error_summary(page, "Say why you are referring the child")
    check(checker, "referral-pages-new-errors", expected_status=status)

    # The referral page, for a service outside Joined Up.
    page.goto(reverse("referrals:referral", args=[outside.pk]))
    expect(page.locator("#answer-actions-heading")).to_have_text("Record the service's reply")
    check(checker, "referral-pages-outside-referral")

    # Its pack: the page with the email, and the PDF.
    page.locator("#referral-copies").get_by_role("link", name=re.compile("referral pack")).click()
    page.wait_for_load_state("load")
    assert page.url.endswith(reverse("referrals:pack", args=[outside.pk])), page.url
    expect(page.locator("#email-subject")).not_to_have_value("")
    check(checker, "referral-pages-pack")
    response = page.request.get(page.locator("#download-pdf").get_attribute("href") or "")
    try:
        pdf.load_weasyprint()
    except pdf.PdfUnavailable:
        assert response.status == 503, response.status
    else:
        assert response.status == 200, response.status
        assert response.headers["content-type"] == "application/pdf"
        assert response.body().startswith(b"%PDF")

    # Recording the service's reply by hand, first without saying who replied.
    page.goto(reverse("referrals:referral", args=[outside.pk]))
    page.locator("#answer-actions").get_by_role(
        "button", name="Record the service's reply: acknowledged"
    ).click()
    page.wait_for_load_state("load")
    expect(page.locator("#by-hand-note")).to_be_visible()
    check(checker, "referral-pages-reply-by-hand")
    status = submit(page, "Record the reply")
    expect_error_summary(page, "Say who at the service replied, and how")
    check(checker, "referral-pages-reply-by-hand-errors", expected_status=status)

    # Withdrawing, first without a reason.
    page.goto(reverse("referrals:referral", args=[outside.pk]))
    page.locator("#withdraw-link").click()
    page.wait_for_load_state("load")
    check(checker, "referral-pages-withdraw")
    status = submit(page, "Withdraw the referral")
    expect_error_summary(page, "Say why you are withdrawing the referral")
    check(checker, "referral-pages-withdraw-errors", expected_status=status)

    page.goto(reverse("referrals:my-referrals"))
    expect(page.locator("#my-referrals tbody tr")).to_have_count(3)
    check(checker, "referral-pages-my-referrals")

    # The service's answers reach the referrer as notifications.
    page.goto(reverse("accounts:notifications"))
    expect(page.locator("#notifications")).to_contain_text("Unread")
    check(checker, "referral-pages-notifications")
    page.locator("#notification-settings-link").click()
    page.wait_for_load_state("load")
    check(checker, "referral-pages-notification-settings")

    checker.assert_no_problems()


def test_the_receiving_service_pages(page: Page, demo: DemoArea, checker: PageChecker) -> None:
    referrals = make_demo_referrals(demo)
    service = referrals.in_app_service
    sign_in(page, STAFF, demo.password, checker)

    page.goto(reverse("home"))
    expect(page.locator(f"#flag-overdue-{service.slug}")).to_contain_text("1 overdue")
    check(checker, "referral-pages-staff-home-flags")

    # A step the referral's state does not allow is refused in plain words.
    page.goto(reverse("referrals:complete", args=[referrals.overdue.pk]))
    expect(page.locator("#answer-refusal")).to_contain_text(
        "This referral has not been started, so it cannot be completed."
    )
    expect(page.locator("main form")).to_have_count(0)
    check(checker, "referral-pages-refused-step")

    page.goto(reverse("referrals:service-referrals", args=[service.slug]))
    expect(page.locator("#waiting-list")).to_contain_text(referrals.waiting.child.full_name)
    expect(page.locator("#awaiting-acknowledgement")).to_contain_text("Overdue")
    # Every list has its heading, empty or not, so the headings list the page's sections.
    for heading in ("New referrals to acknowledge (1)", "Waiting list (1)", "Working with now"):
        expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    check(checker, "referral-pages-service-referrals")

    page.goto(reverse("referrals:service-report", args=[service.slug]))
    expect(page.locator("main svg.app-report-chart")).to_have_count(2)
    expect(page.locator("#volume-table")).to_be_visible()
    expect(page.locator("#times-table")).to_be_visible()
    check(checker, "referral-pages-service-report")

    # Receiving a referral from another system: a file that is not a FHIR referral.
    page.goto(reverse("referrals:fhir-import", args=[service.slug]))
    check(checker, "referral-pages-fhir-import")
    page.get_by_label("Upload the referral").set_input_files(
        files=[
            {
                "name": "referral.json",
                "mimeType": "application/json",
                "buffer": b'{"resourceType": "Patient"}',
            }
        ]
    )
    status = submit(page, "Receive the referral")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    expect(page.locator(".govuk-error-message")).to_be_visible()
    check(checker, "referral-pages-fhir-import-errors", expected_status=status)

    page.goto(reverse("accounts:notifications"))
    expect(page.locator("#notifications")).to_contain_text("Unread")
    check(checker, "referral-pages-staff-notifications")

    checker.assert_no_problems()


def test_the_coordinator_pages(page: Page, demo: DemoArea, checker: PageChecker) -> None:
    referrals = make_demo_referrals(demo)
    partnership = referrals.partnership
    child = referrals.pingpong_child
    sign_in(page, "coordinator", demo.password, checker)

    page.goto(reverse("referrals:pingpong", args=[partnership.pk]))
    listed = page.locator(f"#child-{child.pk}")
    expect(listed).to_have_text(child.full_name)
    expect(page.locator(f"#chain-{child.pk} tbody tr")).to_have_count(3)
    check(checker, "referral-pages-pingpong")

    page.get_by_role("link", name=f"Take ownership of {child.full_name}").click()
    page.wait_for_load_state("load")
    check(checker, "referral-pages-pingpong-own")
    status = submit(page, "Record the owner")
    expect_error_summary(page, "Say what the owner will do next")
    check(checker, "referral-pages-pingpong-own-errors", expected_status=status)
    member = demo.user(PANEL_MEMBER)
    owner = page.get_by_label("Who takes ownership")
    owner.select_option(
        label=next(
            text
            for text in owner.locator("option").all_inner_texts()
            if text.startswith(member.get_full_name())
        )
    )
    page.get_by_label("What they will do next").fill("Call the family and the school this week.")
    submit(page, "Record the owner")
    assert page.url.endswith(reverse("referrals:pingpong", args=[partnership.pk])), page.url
    expect(page.locator("main")).to_contain_text(f"{member.get_full_name()}, since")
    check(checker, "referral-pages-pingpong-owned")

    page.goto(reverse("referrals:partnership-report", args=[partnership.pk]))
    expect(page.locator("main svg.app-report-chart")).to_have_count(2)
    expect(page.locator("#decline-reasons-table")).to_contain_text("3")
    check(checker, "referral-pages-partnership-report")

    checker.assert_no_problems()
