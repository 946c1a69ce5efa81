"""Casework: overdue flags on the home page (casework.flags)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import closure, handover, plan, reviews, services
from joinedup.casework.flags import home_flags
from joinedup.casework.models import ActionStatus, Outcome, Review
from joinedup.sharing.models import AccessRecord
from tests.factories import (
    AdministratorFactory,
    ChildFactory,
    InvolvementFactory,
    PractitionerFactory,
)
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def team():
    """An open episode led by ``lead`` with ``member`` on the team, and a desired outcome
    to hang actions on."""
    lead = PractitionerFactory(first_name="Lena", last_name="Lead")
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=lead)
    episode = services.open_episode(practitioner=lead, children=[child])
    services.record_consent(
        practitioner=lead,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Carer",
        given_on=timezone.localdate(),
        scope="assessment_and_sharing",
    )
    services.choose_lead_professional(
        recorded_by=lead,
        episode=episode,
        practitioner=lead,
        family_agreement_recorded=True,
        family_agreed_by="Sam Carer",
    )
    member = PractitionerFactory(first_name="Mo", last_name="Member")
    membership = services.add_team_member(
        added_by=lead, episode=episode, practitioner=member, role="School nurse"
    )
    need = plan.add_need(practitioner=lead, episode=episode, description="Poor sleep")
    desired = plan.add_desired_outcome(
        practitioner=lead,
        need=need,
        description="Sleeps through the night",
        outcomes=list(Outcome.objects.filter(code="being-healthy")),
    )
    return lead, member, membership, episode, desired


def action(lead, desired, due_in_days, responsible, status=None):
    made = plan.add_action(
        practitioner=lead,
        desired_outcome=desired,
        description=f"Action due in {due_in_days} days",
        due_on=timezone.localdate() + due_in_days * DAY,
        responsible_practitioner=responsible,
    )
    if status:
        plan.set_action_status(
            practitioner=lead, action=made, status=status, revision=made.revision
        )
    return made


def test_a_practitioner_sees_their_overdue_actions_and_those_due_this_week(client):
    lead, member, _membership, _episode, desired = team()
    action(lead, desired, -3, member)
    action(lead, desired, -1, member)
    action(lead, desired, -2, member, status=ActionStatus.DONE)  # finished: not overdue
    action(lead, desired, -2, member, status=ActionStatus.CANCELLED)
    action(lead, desired, 0, member)  # due today: due soon, not overdue
    action(lead, desired, 7, member)
    action(lead, desired, 8, member)  # beyond the week
    action(lead, desired, -5, lead)  # someone else's
    flags = home_flags(member)
    assert flags is not None
    assert (flags.overdue_actions, flags.actions_due_soon, flags.my_actions) == (2, 2, 6)
    assert not flags.shows_lead

    sign_in_verified(client, member)
    text = client.get(reverse("home")).content.decode()
    assert "Needs your attention" in text
    assert "2 of your actions are overdue" in text
    assert reverse("casework:my-actions") in text
    assert "Due in the next 7 days" in text
    assert "As lead professional" not in text


def test_a_lead_sees_overdue_actions_and_reviews_in_episodes_they_lead(client):
    lead, member, _membership, episode, desired = team()
    action(lead, desired, -1, member)
    action(lead, desired, -4, lead)
    review = reviews.schedule_review(
        practitioner=lead, episode=episode, scheduled_for=timezone.now() + 7 * DAY
    )
    Review.objects.filter(pk=review.pk).update(due_on=timezone.localdate() - 2 * DAY)
    flags = home_flags(lead)
    assert flags is not None
    assert (flags.episodes_led, flags.overdue_actions_led, flags.overdue_reviews_led) == (1, 2, 1)
    assert flags.overdue_actions == 1  # the lead's own

    sign_in_verified(client, lead)
    text = client.get(reverse("home")).content.decode()
    assert "2 actions are overdue in episodes you lead" in text
    assert "1 review is overdue in episodes you lead" in text
    assert reverse("casework:overdue-reviews") in text
    assert reverse("casework:lead-queue") in text
    assert f"{reverse('casework:my-actions')}#overdue-led" in text


def test_an_offer_of_the_lead_role_is_flagged_to_the_person_offered(client):
    lead, member, _membership, episode, _desired = team()
    handover.offer_lead_role(lead=lead, episode=episode, to=member, family_agreed_by="Sam Carer")
    flags = home_flags(member)
    assert flags is not None and flags.lead_offers == 1 and flags.shows_lead
    sign_in_verified(client, member)
    text = client.get(reverse("home")).content.decode()
    assert "1 offer of the lead professional role waiting for your answer" in text


def test_leaving_the_team_or_closing_the_episode_clears_the_flags():
    lead, member, membership, episode, desired = team()
    action(lead, desired, -1, member)
    services.leave_team(practitioner=lead, member=membership)
    flags = home_flags(member)
    assert flags is not None and flags.overdue_actions == 0 and flags.my_actions == 0
    closure.close_episode(practitioner=lead, episode=episode, reason="moved_away")
    flags = home_flags(lead)
    assert flags is not None
    assert (flags.episodes_led, flags.overdue_actions_led, flags.overdue_reviews_led) == (0, 0, 0)


def test_nothing_to_flag_shows_no_banner_and_names_no_child(client):
    practitioner = PractitionerFactory()
    sign_in_verified(client, practitioner)
    before = AccessRecord.objects.count()
    text = client.get(reverse("home")).content.decode()
    assert "Needs your attention" not in text and "Your casework" not in text
    assert AccessRecord.objects.count() == before
    administrator = AdministratorFactory()
    assert home_flags(administrator) is None
    sign_in_verified(client, administrator)
    assert client.get(reverse("home")).status_code == 200


def test_the_home_page_takes_the_same_queries_however_many_actions(client):
    lead, member, _membership, episode, desired = team()
    action(lead, desired, -1, member)
    sign_in_verified(client, lead)
    few = count_queries(client, reverse("home"))
    for days in range(-4, 9):
        action(lead, desired, days, member)
        action(lead, desired, days, lead)
    reviews.schedule_review(
        practitioner=lead, episode=episode, scheduled_for=timezone.now() + 7 * DAY
    )
    assert count_queries(client, reverse("home")) == few
