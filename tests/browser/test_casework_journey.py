"""Issue 4's whole casework path, driven through the browser by two practitioners from
different agencies, each in their own browser context: from finding the child to closing
the episode and seeing the distance travelled."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from joinedup.children.models import Involvement
from tests.browser.support import PageChecker, PageMonitor, sign_in

pytestmark = pytest.mark.browser


def fill_date(scope: Page | Locator, legend: str, value: date) -> None:
    group = scope.get_by_role("group", name=legend, exact=True)
    group.get_by_label("Day").fill(str(value.day))
    group.get_by_label("Month").fill(str(value.month))
    group.get_by_label("Year").fill(str(value.year))


def rate_outcomes(page: Page, scores: list[int]) -> None:
    """Gives the practitioner's score on each of the five outcomes (and leaves the
    family's own score as Not given)."""
    groups = page.get_by_role("group", name=re.compile(r"the practitioner's score$"))
    expect(groups).to_have_count(len(scores))
    for index, score in enumerate(scores):
        groups.nth(index).get_by_role("radio", name=re.compile(rf"^{score} ")).check()


def choose_option(select: Locator, text: str) -> None:
    """Selects the option whose visible text contains ``text``."""
    labels = select.locator("option").all_inner_texts()
    matching = [label for label in labels if text in label]
    assert matching, f"no option mentions {text!r}: {labels}"
    select.select_option(label=matching[0])


def open_details(page: Page, summary: str) -> Locator:
    """Opens the GOV.UK details component with this summary and returns it."""
    details = page.locator("details").filter(
        has=page.locator("summary").get_by_text(summary, exact=True)
    )
    details.locator("summary").click()
    return details


def open_episode_page(page: Page, episode_url: str) -> None:
    page.goto(episode_url)
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_two_practitioners_work_an_episode_from_opening_to_closing(
    page: Page,
    second_page: Page,
    demo,
    checker: PageChecker,
) -> None:
    today = timezone.localdate()
    child = demo.child_involved_with("practitioner")
    lead_user = demo.user("emma.clarke")
    nurse_user = demo.user("practitioner")
    assert lead_user.home_agency_id != nurse_user.home_agency_id
    # The teacher comes to see the child only by joining the episode's team.
    assert not Involvement.objects.current().filter(practitioner=lead_user, child=child).exists()
    lead_checker = PageChecker(second_page, PageMonitor(second_page))
    # Both pages' problems are reported together at the end.
    lead_checker.problems = checker.problems
    lead_checker.minor_findings = checker.minor_findings
    lead = second_page

    # The school nurse finds the child from their home page and opens an episode.
    sign_in(page, "practitioner", demo.password, checker)
    checker.check("journey-nurse-home")
    page.get_by_role("link", name=child.full_name).first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(child.full_name)
    checker.check("journey-child")
    page.get_by_role("link", name=re.compile("early help")).first.click()
    checker.check("journey-open-episode")
    page.locator("main form").get_by_role("button").last.click()
    page.wait_for_load_state("load")
    expect(page.locator("main")).to_contain_text("Early help episode")
    episode_url = page.url
    assert re.search(r"/\d+/$", episode_url), episode_url
    checker.check("journey-episode-opened")

    # The check before assessing, then the parent's consent to assessment and sharing.
    check_form = open_details(page, "Record the check before assessing")
    check_form.get_by_role("group", name=re.compile("more support than universal")).get_by_label(
        "Yes"
    ).check()
    check_form.get_by_label("Notes (optional)").fill("Attendance has dropped this term.")
    page.get_by_role("button", name="Record the check").click()
    page.wait_for_load_state("load")
    expect(page.locator("#pre-assessment-check")).to_contain_text("Needs more support")
    checker.check("journey-check-recorded")

    open_details(page, "Record consent")
    consent_kind = page.get_by_label("Who gave consent?")
    if consent_kind.count() == 1 and consent_kind.evaluate("e => e.tagName") == "SELECT":
        consent_kind.select_option(label="A parent or carer")
    else:
        page.get_by_label("A parent or carer").check()
    page.get_by_label("Their name").fill("Sam Taylor")
    fill_date(page, "When consent was given", today)
    scope = page.get_by_label("What does the consent cover?")
    if scope.count() == 1 and scope.evaluate("e => e.tagName") == "SELECT":
        scope.select_option(label="To the assessment and to sharing it with the team's agencies")
    else:
        page.get_by_label("To the assessment and to sharing it with the team's agencies").check()
    page.get_by_role("button", name="Record consent").click()
    page.wait_for_load_state("load")
    expect(page.locator("#sharing-consent")).to_have_text("In force")
    checker.check("journey-consent-recorded")

    # The assessment: a few elements rated, the views and summaries, then submitted.
    page.get_by_role("button", name=f"Start the assessment for {child.full_name}").click()
    page.wait_for_load_state("load")
    if page.get_by_role("link", name="Continue the draft").count():
        page.get_by_role("link", name="Continue the draft").click()
    expect(page.get_by_role("button", name="Save and submit the assessment")).to_be_visible()
    page.get_by_label("Why the assessment is being done").fill(
        "School attendance has fallen and the family asked for help."
    )
    page.get_by_label("The child's or young person's views").fill("I get tired at school.")
    page.get_by_label("The parent's or carer's views").fill("Mornings are hard at home.")
    elements = page.locator(".app-assessment-element")
    for index, rating in enumerate(["Strength", "Need", "Need"]):
        elements.nth(index).get_by_label(rating, exact=True).check()
        elements.nth(index).get_by_label("Notes and evidence").fill(f"Evidence {index + 1}.")
    page.get_by_label("Summary of strengths").fill("A loving family and good friendships.")
    page.get_by_label("Summary of needs").fill("Sleep routines and school attendance.")
    page.get_by_label("What the family wants to change").fill("Calmer mornings.")
    checker.check("journey-assessment-edit")
    page.get_by_role("button", name="Save and submit the assessment").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("link", name="Continue the draft")).to_have_count(0)
    checker.check("journey-assessment-submitted")

    page.get_by_role("link", name="Record the outcome ratings at assessment").click()
    checker.check("journey-ratings-at-assessment")
    rate_outcomes(page, [2, 3, 2, 3, 3])
    page.get_by_role("button", name="Save the ratings").click()
    page.wait_for_load_state("load")
    checker.check("journey-ratings-at-assessment-saved")

    # A teacher from the school joins the team and becomes the lead professional.
    open_episode_page(page, episode_url)
    open_details(page, "Add a team member")
    page.get_by_label("A practitioner").check()
    page.get_by_label("The practitioner's work email address").fill(lead_user.email)
    page.get_by_label("Role on the team").fill("Class teacher")
    page.get_by_role("button", name="Add to the team").click()
    page.wait_for_load_state("load")
    team = page.locator("#team")
    expect(team).to_contain_text(lead_user.get_full_name())
    checker.check("journey-team-member-added")

    open_details(page, "Choose the lead professional")
    choose_option(page.get_by_label("Lead professional", exact=True), lead_user.get_full_name())
    page.get_by_label("The family agreed to this lead professional at the team meeting").check()
    page.get_by_label("Who in the family agreed").fill("Sam Taylor (mother)")
    page.get_by_role("button", name="Record the lead professional").click()
    page.wait_for_load_state("load")
    expect(
        team.get_by_role("row", name=re.compile(re.escape(lead_user.get_full_name())))
    ).to_contain_text("Lead professional")
    checker.check("journey-lead-chosen")

    # The lead, in their own browser, builds the plan.
    sign_in(lead, "emma.clarke", demo.password, lead_checker)
    lead_checker.check("journey-lead-home")
    open_episode_page(lead, episode_url)
    lead_checker.check("journey-lead-episode")
    lead.get_by_role("link", name="The plan: needs, desired outcomes and actions").click()
    lead_checker.check("journey-plan-empty")
    lead.get_by_role("link", name="Add a need").click()
    lead_checker.check("journey-add-need")
    lead.get_by_label("What is the need?").fill("Sleep routines")
    lead.locator("main form").get_by_role("button").click()
    lead.wait_for_load_state("load")
    lead.get_by_role("link", name=re.compile("^Add a desired outcome")).click()
    lead_checker.check("journey-add-desired-outcome")
    lead.get_by_label("What outcome do you want for the child?").fill("Arrives at school rested")
    lead.get_by_role("group", name="Which Every Child Matters outcomes does it serve?").get_by_role(
        "checkbox"
    ).first.check()
    lead.locator("main form").get_by_role("button").click()
    lead.wait_for_load_state("load")
    lead.get_by_role("link", name=re.compile("^Add an action")).click()
    lead_checker.check("journey-add-action")
    action_text = "Run a sleep clinic session with the family"
    lead.get_by_label("What will be done?").fill(action_text)
    choose_option(lead.get_by_label("Practitioner responsible"), nurse_user.get_full_name())
    fill_date(lead, "Due by", today + timedelta(days=21))
    lead.locator("main form").get_by_role("button").click()
    lead.wait_for_load_state("load")
    action_row = lead.get_by_role("row", name=re.compile(re.escape(action_text)))
    expect(action_row).to_contain_text(nurse_user.get_full_name())
    lead_checker.check("journey-plan-built")

    def hold_review(number: int, rag: str, next_due: date) -> None:
        open_episode_page(lead, episode_url)
        lead.get_by_role("link", name="Schedule the next review").click()
        lead_checker.check(f"journey-schedule-review-{number}")
        fill_date(lead, "Date of the meeting", today)
        lead.get_by_label("Time").fill("10:00")
        lead.get_by_label("Where").fill("Brookfield school")
        lead.locator("main form").get_by_role("button").click()
        lead.wait_for_load_state("load")
        lead_checker.check(f"journey-review-{number}-scheduled")
        lead.get_by_role("link", name="Record the review").click()
        lead_checker.check(f"journey-record-review-{number}")
        fill_date(lead, "Date the review was held", today)
        lead.get_by_label("Minutes").fill(f"Review {number}: the family says mornings are calmer.")
        attended = lead.get_by_role("group", name="Who attended?").get_by_role("checkbox")
        for index in range(attended.count()):
            attended.nth(index).check()
        lead.get_by_role("group", name=f"Progress: {action_text}").get_by_label(
            re.compile(f"^{rag}")
        ).check()
        fill_date(lead, "Next review due", next_due)
        lead.locator("main form").get_by_role("button").last.click()
        lead.wait_for_load_state("load")
        expect(lead.locator("main")).to_contain_text(f"Review {number}: the family says")
        lead_checker.check(f"journey-review-{number}-recorded")
        lead.get_by_role(
            "link", name=f"Record {child.full_name}'s outcome ratings at this review"
        ).click()
        lead_checker.check(f"journey-review-{number}-ratings")
        rate_outcomes(lead, [2 + number, 3, 2 + number, 3, 3 + number // 2])
        lead.get_by_role("button", name="Save the ratings").click()
        lead.wait_for_load_state("load")
        lead_checker.check(f"journey-review-{number}-ratings-saved")

    # Both reviews are scheduled and held today: casework.reviews only requires the date
    # held to be today or earlier, so no dates need moving in the database.
    hold_review(1, "Amber", today + timedelta(weeks=6))

    # Between the reviews the nurse marks their action as in progress.
    page.goto(episode_url)
    page.get_by_role("link", name="The plan: needs, desired outcomes and actions").click()
    checker.check("journey-nurse-plan")
    page.get_by_role("link", name=re.compile("^Change action")).click()
    checker.check("journey-nurse-edit-action")
    page.get_by_role("group", name="Status").get_by_label("In progress").check()
    page.get_by_role("button", name="Save the action").click()
    page.wait_for_load_state("load")
    expect(page.get_by_role("row", name=re.compile(re.escape(action_text)))).to_contain_text(
        "In progress"
    )
    checker.check("journey-nurse-action-updated")

    hold_review(2, "Green", today + timedelta(weeks=6))

    # The lead closes the episode with the family's feedback and the final ratings.
    open_episode_page(lead, episode_url)
    lead.get_by_role("link", name="Close episode").click()
    lead_checker.check("journey-close-episode")
    lead.get_by_role("group", name="Why is the episode closing?").get_by_label(
        "Outcomes achieved"
    ).check()
    lead.get_by_label("The family's feedback").fill("The team listened to us.")
    rate_outcomes(lead, [5, 4, 5, 4, 4])
    lead.get_by_role("button", name="Close the episode").click()
    lead.wait_for_load_state("load")
    # Closing ends access through the team: the lead, who knows the child only through
    # this episode, lands on the page that shows the closure (and offers to reopen it).
    expect(lead.locator("main")).to_contain_text("The episode is closed")
    lead_checker.check("journey-lead-after-closing")

    # The nurse, still involved with the child, sees the closed episode and the distance
    # travelled: a chart and a table over the assessment, both reviews and the closure.
    open_episode_page(page, episode_url)
    expect(page.locator("#episode-closed")).to_contain_text("Closed on")
    expect(page.get_by_role("link", name="Close episode")).to_have_count(0)
    expect(page.get_by_role("heading", name="Distance travelled")).to_be_visible()
    expect(
        page.get_by_role("img", name=f"Outcome scores over time for {child.full_name}")
    ).to_be_visible()
    table = page.get_by_role("table", name=re.compile(rf"^{re.escape(child.full_name)}: scores"))
    expect(table).to_be_visible()
    # One column per rating round (assessment, two reviews, closure) between "Outcome",
    # "Rated by" and "Change"; the first outcome's practitioner scores went 2, 3, 4, 5.
    expect(table.get_by_role("columnheader")).to_have_count(7)
    expect(table.get_by_role("row").nth(1).get_by_role("cell")).to_have_text(
        ["2", "3", "4", "5", re.compile(".+")]
    )
    checker.check("journey-episode-closed")
    checker.assert_no_problems()
