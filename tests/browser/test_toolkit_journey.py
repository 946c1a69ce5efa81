"""Issue 7's group exercises, driven through the browser: the coordinator of a partnership
starts a diamond ranking and a force-field analysis; three members, each in their own
browser, rank the statements and add forces; each member's page shows the group result,
everyone's contributions included, without being reloaded. Then the coordinator enters the
term dates and a held meeting, and starts a self-evaluation that shows the evidence Joined
Up holds from meetings, casework reviews and referrals."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from joinedup.partnerships.models import Membership, MembershipRole
from joinedup.toolkit.models import DIAMOND_ROWS, Exercise
from tests.browser.support import PageChecker, PageMonitor, sign_in

pytestmark = pytest.mark.browser

DIAMOND_TITLE = "What matters most in our partnership"
FORCE_FIELD_TITLE = "Moving to one front door"


def fill_date(page: Page, legend: str, value) -> None:
    group = page.get_by_role("group", name=legend)
    group.get_by_label("Day").fill(str(value.day))
    group.get_by_label("Month").fill(str(value.month))
    group.get_by_label("Year").fill(str(value.year))


def start_exercise(page: Page, checker: PageChecker, partnership, kind: str, title: str) -> None:
    page.goto(reverse("toolkit:partnership", args=[partnership.pk]))
    page.get_by_role("link", name="Start an exercise").click()
    page.wait_for_load_state("load")
    checker.check("toolkit-journey-start-exercise")
    page.get_by_label(kind, exact=True).check()
    page.get_by_label("Title").fill(title)
    page.get_by_label("Question or change being considered").fill(
        "Every referral in the area comes through one shared front door"
    )
    fill_date(page, "Date held", timezone.localdate())
    page.get_by_role("button", name="Start the exercise").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def rank(page: Page, exercise: Exercise, order: list[int]) -> None:
    """Fills the diamond: ``order`` lists statement numbers most important first."""
    rows: list[str] = [str(row) for row, count in DIAMOND_ROWS.items() for _ in range(count)]
    rows += ["set_aside"] * (len(order) - len(rows))
    by_number = {s.order: s.pk for s in exercise.statements.all()}
    form = page.locator("#diamond-form")
    for number, row in zip(order, rows, strict=True):
        form.locator(f"input[name='statement_{by_number[number]}'][value='{row}']").check()
    form.get_by_role("button", name="Save my diamond").click()
    page.wait_for_load_state("load")


def mark_page(page: Page) -> None:
    """Leaves a mark in the page's window: it survives HTMX swaps, not a reload."""
    page.evaluate("() => { window.toolkitJourneyMark = 'still here'; }")


def assert_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.toolkitJourneyMark") == "still here"


@pytest.fixture
def member_pages(browser: Browser, live_server) -> Iterator[list[Page]]:
    contexts = []
    pages = []
    for _ in range(3):
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": 1280, "height": 800},
            locale="en-GB",
            timezone_id="Europe/London",
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        pages.append(context.new_page())
    yield pages
    for context in contexts:
        context.close()


def test_three_members_run_a_diamond_ranking_and_a_force_field_together(
    page: Page, member_pages: list[Page], demo, checker: PageChecker
) -> None:
    partnership = demo.partnership_coordinated_by("coordinator")
    members = list(
        Membership.objects.current()
        .filter(partnership=partnership, role=MembershipRole.MEMBER)
        .exclude(practitioner__username="coordinator")
        .select_related("practitioner")
        .order_by("practitioner__username")[:3]
    )
    assert len(members) == 3, "the coordinator's demo partnership needs three members"
    checkers = []
    for member_page in member_pages:
        member_checker = PageChecker(member_page, PageMonitor(member_page))
        member_checker.problems = checker.problems
        member_checker.minor_findings = checker.minor_findings
        checkers.append(member_checker)

    # The coordinator finds the toolkit from the partnership's page and starts both exercises.
    sign_in(page, "coordinator", demo.password, checker)
    page.goto(reverse("partnerships:detail", args=[partnership.pk]))
    page.locator("#toolkit-link").click()
    page.wait_for_load_state("load")
    checker.check("toolkit-journey-toolkit-empty")
    start_exercise(page, checker, partnership, "Diamond ranking", DIAMOND_TITLE)
    checker.check("toolkit-journey-diamond-new")
    start_exercise(page, checker, partnership, "Force-field analysis", FORCE_FIELD_TITLE)
    checker.check("toolkit-journey-force-field-new")
    diamond = Exercise.objects.get(title=DIAMOND_TITLE)
    force_field = Exercise.objects.get(title=FORCE_FIELD_TITLE)

    # Each member ranks the statements in their own browser; the first two broadly agree.
    orders = [
        list(range(1, 13)),
        [2, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12],
        [1, 3, 2, 6, 5, 4, 9, 8, 7, 12, 10, 11],
    ]
    for index, (member, member_page, member_checker) in enumerate(
        zip(members, member_pages, checkers, strict=True)
    ):
        sign_in(member_page, member.practitioner.username, demo.password)
        member_page.goto(reverse("toolkit:exercise", args=[diamond.pk]))
        if index == 0:
            member_checker.check("toolkit-journey-diamond-form")
        rank(member_page, diamond, orders[index])
        expect(member_page.locator("#diamond-members")).to_contain_text(
            f"{index + 1} member{'s' if index else ''} ha{'ve' if index else 's'} ranked"
        )
        mark_page(member_page)

    # Every member's page catches up with the others' diamonds by itself.
    for member_page in member_pages:
        expect(member_page.locator("#diamond-members")).to_contain_text(
            "3 members have ranked", timeout=15_000
        )
        expect(member_page.locator("#diamond-agreement")).to_contain_text("Kendall's W")
        expect(member_page.locator("#diamond-chart-title")).to_have_count(1)
        assert_not_reloaded(member_page)
    checkers[0].check("toolkit-journey-diamond-group-result")

    # Each member adds a force; everyone sees all three and the totals without reloading.
    forces = [
        ("For the change", "Families asked for one place to go", "4"),
        ("Against the change", "Staff time is already stretched", "3"),
        ("For the change", "Senior leaders back the idea", "2"),
    ]
    for member_page in member_pages:
        member_page.goto(reverse("toolkit:exercise", args=[force_field.pk]))
        mark_page(member_page)
    for member_page, (direction, description, strength) in zip(member_pages, forces, strict=True):
        form = member_page.locator("#force-form")
        form.get_by_label(direction).check()
        form.get_by_label("Describe the force").fill(description)
        form.get_by_label(re.compile(rf"^{strength}")).check()
        form.get_by_role("button", name="Add the force").click()
        member_page.wait_for_load_state("load")
        mark_page(member_page)
    strategist = member_pages[2]
    strategy_form = strategist.locator("#strategy-form")
    strategy_form.get_by_label("Describe the strategy").fill("Protect an hour a week for the team")
    strategy_form.get_by_label("Which force does it address? (optional)").select_option(
        label="Staff time is already stretched"
    )
    strategy_form.get_by_role("button", name="Add the strategy").click()
    strategist.wait_for_load_state("load")
    mark_page(strategist)
    for member_page in member_pages:
        expect(member_page.locator("#strategies")).to_contain_text(
            "Protect an hour a week for the team", timeout=15_000
        )
        expect(member_page.locator("#total-for")).to_have_text("6", timeout=15_000)
        expect(member_page.locator("#total-against")).to_have_text("3")
        for _direction, description, _strength in forces:
            expect(member_page.locator("#force-field-table")).to_contain_text(description)
        assert_not_reloaded(member_page)
    checkers[1].check("toolkit-journey-force-field-group-result")

    # The coordinator runs a SWOT too, and finds all three from "Toolkit" in the navigation.
    start_exercise(page, checker, partnership, "SWOT analysis", "Where we stand this year")
    swot_form = page.locator("#swot-form")
    swot_form.get_by_label("Opportunities").check()
    swot_form.get_by_label("What would you add?").fill("The new family hub opens in spring")
    swot_form.get_by_role("button", name="Add the point").click()
    page.wait_for_load_state("load")
    expect(page.locator("#swot-grid")).to_contain_text("The new family hub opens in spring")
    checker.check("toolkit-journey-swot")
    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Toolkit").click()
    page.wait_for_load_state("load")
    checker.check("toolkit-journey-index")
    page.locator("#toolkit-partnerships").get_by_role("link", name=partnership.name).click()
    page.wait_for_load_state("load")
    expect(page.locator("#exercises")).to_contain_text(DIAMOND_TITLE)
    expect(page.locator("#exercises")).to_contain_text("3 diamonds")
    checker.check("toolkit-journey-toolkit-list")

    # The coordinator enters the term dates and a meeting the partnership held last week.
    today = timezone.localdate()
    page.get_by_role("link", name="Term dates").click()
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Add a term").click()
    page.wait_for_load_state("load")
    checker.check("toolkit-journey-add-term")
    page.get_by_label("Term", exact=True).fill("This term")
    fill_date(page, "First day of term", today - datetime.timedelta(days=100))
    fill_date(page, "Last day of term", today + datetime.timedelta(days=60))
    page.get_by_role("button", name="Add the term").click()
    page.wait_for_load_state("load")
    expect(page.locator("#terms")).to_contain_text("This term")
    page.goto(reverse("toolkit:meetings", args=[partnership.pk]))
    page.get_by_role("link", name="Plan a meeting").click()
    page.wait_for_load_state("load")
    fill_date(page, "Date", today - datetime.timedelta(days=7))
    page.get_by_label("Start time (optional)").fill("14:00")
    page.get_by_label("Where (optional)").fill("Brook Lane family hub")
    page.get_by_role("button", name="Plan the meeting").click()
    page.wait_for_load_state("load")
    page.get_by_label("Held", exact=True).check()
    page.get_by_label("Minutes", exact=True).fill("We agreed one front door for referrals.")
    page.get_by_role("button", name="Save the meeting").click()
    page.wait_for_load_state("load")
    expect(page.locator("#meeting-status")).to_have_text("Held")
    checker.check("toolkit-journey-meeting")
    page.goto(reverse("toolkit:meetings", args=[partnership.pk]))
    expect(page.locator("#meetings")).to_contain_text("Brook Lane family hub")
    checker.check("toolkit-journey-meetings")

    # A self-evaluation shows the evidence Joined Up holds beside the items that use it.
    page.goto(reverse("toolkit:partnership", args=[partnership.pk]))
    page.get_by_role("link", name="Start a self-evaluation").click()
    page.wait_for_load_state("load")
    page.get_by_label("Building blocks of effective multi-agency working").check()
    fill_date(page, "Date held", today)
    page.get_by_role("button", name="Start the self-evaluation").click()
    page.wait_for_load_state("load")
    expect(page.locator("[data-evidence='meetings_every_half_term']")).to_contain_text(
        "Met in 1 of 2 half terms"
    )
    expect(page.locator("[data-evidence='reviews_on_time']")).to_contain_text(
        "reviews held by their due date"
    )
    expect(page.locator("[data-evidence='referrals_acknowledged_on_time']")).to_contain_text(
        "acknowledged on time"
    )
    checker.check("toolkit-journey-self-evaluation")
    checker.assert_no_problems()
