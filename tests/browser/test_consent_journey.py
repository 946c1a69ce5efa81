"""Issue 6's consent, in the browser: a family withdraws consent to sharing, the lead
professional records it, and a team member from another agency loses the episode on their
very next request — told why on the page and by a notification."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from joinedup.casework import services
from joinedup.children.models import Involvement
from tests.browser.support import PageChecker, PageMonitor, sign_in

pytestmark = pytest.mark.browser


def test_a_team_member_loses_access_when_the_family_withdraws_consent(
    page: Page, second_page: Page, demo, checker: PageChecker
) -> None:
    # Emma, a teacher, leads an episode with consent to sharing; Grace, a health visitor
    # from another agency, is on the team.
    emma = demo.user("emma.clarke")
    grace = demo.user("grace.adeyemi")
    graces = Involvement.objects.current().filter(practitioner=grace).values("child_id")
    involvement = (
        Involvement.objects.current()
        .filter(practitioner=emma)
        .exclude(child_id__in=graces)
        .select_related("child")
        .order_by("child_id")
        .first()
    )
    assert involvement is not None
    child = involvement.child
    episode = services.open_episode(practitioner=emma, children=[child])
    services.record_consent(
        practitioner=emma,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Jo Carer",
        given_on=timezone.localdate(),
        scope="assessment_and_sharing",
    )
    services.add_team_member(
        added_by=emma, episode=episode, practitioner=grace, role="Health visitor"
    )
    episode_url = reverse("casework:episode", args=[episode.pk])

    grace_checker = PageChecker(second_page, PageMonitor(second_page))
    grace_checker.problems = checker.problems
    grace_checker.minor_findings = checker.minor_findings

    # Grace sees the episode while consent is in force.
    sign_in(second_page, "grace.adeyemi", demo.password, grace_checker)
    second_page.goto(episode_url)
    expect(second_page.locator("#sharing-consent")).to_have_text("In force")
    grace_checker.check("consent-team-member-sees-episode")

    # Emma records the withdrawal on the episode page.
    sign_in(page, "emma.clarke", demo.password, checker)
    page.goto(episode_url)
    consents = page.locator("#consents")
    expect(consents).to_contain_text("In force")
    consents.get_by_label("Why was consent withdrawn?").fill(
        "Mum rang: she no longer wants health visiting told about school."
    )
    consents.get_by_role("button", name="Record withdrawal").click()
    page.wait_for_load_state("load")
    expect(page.locator(".govuk-notification-banner--success")).to_contain_text(
        "takes effect today"
    )
    expect(page.locator("#consents")).to_contain_text("Withdrawn on")
    expect(page.locator("#sharing-consent")).to_contain_text("Not in force")
    checker.check("consent-withdrawn-lead")

    # The consent records keep every version and say what happened.
    page.goto(reverse("children:consents", args=[child.pk]))
    expect(page.locator("main")).to_contain_text("Withdrawn on")
    expect(page.locator("main")).to_contain_text("no longer wants health visiting")
    checker.check("consent-records")

    # Grace's next request is refused and says why; a notification tells her too.
    response = second_page.goto(episode_url)
    assert response is not None and response.status == 403
    expect(second_page.locator("main")).to_contain_text(
        "You can no longer see this early help episode"
    )
    expect(second_page.locator("main")).to_contain_text("withdrew consent to sharing")
    grace_checker.check("consent-team-member-refused", expected_status=403)
    second_page.goto(reverse("accounts:notifications"))
    expect(second_page.locator("main")).to_contain_text("You can no longer see")
    grace_checker.check("consent-team-member-notified")
    # The child is gone from Grace's reach too (no other relationship).
    response = second_page.goto(reverse("children:detail", args=[child.pk]))
    assert response is not None and response.status == 403
    grace_checker.check("consent-team-member-child-refused", expected_status=403)
