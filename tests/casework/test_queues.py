"""Casework work queues: the lead professional's page and the coordinator's page."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import closure, handover, queues, services
from joinedup.casework.models import Episode, Review
from joinedup.partnerships.models import MembershipRole
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction, AccessBasis, AccessRecord
from tests.casework.test_plan import action_for, outcome_for, team
from tests.factories import (
    ChildFactory,
    InvolvementFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def test_lead_queue_lists_led_episodes_with_overdue_actions_offers_and_changes(client):
    lead, member, _membership, episode, child = team()
    action_for(lead, outcome_for(lead, episode), member, due=timezone.localdate() - DAY)
    other_lead, _m, _ms, other_episode, _c = team()
    services.add_team_member(
        added_by=other_lead, episode=other_episode, practitioner=lead, role="Nurse"
    )
    handover.offer_lead_role(lead=other_lead, episode=other_episode, to=lead, family_agreed_by="S")

    queue = queues.lead_queue(practitioner=lead, path="/q/")
    assert [row.episode for row in queue.episodes] == [episode]
    assert queue.episodes[0].overdue_actions == 1
    assert queue.episodes[0].children == [child]
    assert queue.episodes[0].age_days == 0
    assert [offer.episode for offer in queue.offers] == [other_episode]
    assert any("joined" in change.text for change in queue.changes)
    assert any("Consent given" in change.text for change in queue.changes)
    record = AccessRecord.objects.get(practitioner=lead, action=AccessAction.LISTED)
    assert record.child == child and record.basis == AccessBasis.TEAM_MEMBERSHIP

    sign_in_verified(client, lead)
    response = client.get(reverse("casework:lead-queue"))
    assert response.status_code == 200
    assert child.full_name.encode() in response.content
    assert b'id="lead-offers"' in response.content


def test_reviews_due_for_lists_scheduled_reviews_due_soon():
    lead, _member, _membership, episode, _child = team()
    today = timezone.localdate()
    due = Review.objects.create(
        episode=episode, due_on=today - DAY, scheduled_for=timezone.now(), scheduled_by=lead
    )
    Review.objects.create(
        episode=episode, due_on=today + 60 * DAY, scheduled_for=timezone.now(), scheduled_by=lead
    )
    assert queues.reviews_due_for([episode]) == [due]
    assert queues.reviews_due_for([]) == []


def coordinated():
    coordinator = PractitionerFactory()
    partnership = PartnershipFactory()
    MembershipFactory(
        partnership=partnership, practitioner=coordinator, role=MembershipRole.COORDINATOR
    )
    return coordinator, partnership


def test_partnership_queue_groups_members_episodes_by_status(client):
    coordinator, partnership = coordinated()
    lead, _member, _membership, episode, child = team()
    MembershipFactory(partnership=partnership, practitioner=lead)
    closing_lead, _m, _ms, closed, _c = team()
    MembershipFactory(partnership=partnership, practitioner=closing_lead)
    closure.close_episode(practitioner=closing_lead, episode=closed, reason="moved_away")
    _outsider_lead, _m2, _ms2, elsewhere, _c2 = team()

    queue = queues.partnership_queue(practitioner=coordinator, partnership=partnership)
    groups = {label: [row.episode for row in rows] for label, rows in queue.groups}
    assert groups == {"Open": [episode], "Closed": [closed]}
    only_open = queues.partnership_queue(
        practitioner=coordinator, partnership=partnership, status="open"
    )
    assert [label for label, _rows in only_open.groups] == ["Open"]
    records = AccessRecord.objects.filter(practitioner=coordinator, child=child)
    assert records.count() == 2  # one per listing
    assert {(r.basis, r.action) for r in records} == {
        (AccessBasis.PARTNERSHIP_OVERSIGHT, AccessAction.LISTED)
    }
    assert not AccessRecord.objects.filter(practitioner=coordinator, child=_c2).exists()
    assert elsewhere not in Episode.objects.filter(policy.partnership_episodes_filter(partnership))

    sign_in_verified(client, coordinator)
    url = reverse("casework:partnership-queue", args=[partnership.pk])
    response = client.get(url + "?status=closed")
    assert response.status_code == 200
    assert child.full_name.encode() not in response.content
    sign_in_verified(client, lead)
    assert client.get(url).status_code == 403


def test_every_practitioner_but_an_administrator_has_a_work_queue_in_the_navigation(rf):
    # Shown without a query: the page itself lists only the episodes the practitioner leads.
    from joinedup.navigation import navigation
    from tests.factories import AdministratorFactory

    lead, member, _membership, _episode, _child = team()
    for user, shown in ((lead, True), (member, True), (AdministratorFactory(), False)):
        request = rf.get("/")
        request.user = user
        user.is_verified = lambda: True
        request.resolver_match = None
        labels = [item["label"] for item in navigation(request)["navigation_items"]]
        assert ("Work queue" in labels) is shown


def test_queue_queries_do_not_grow_with_episodes(client):
    coordinator, partnership = coordinated()
    lead, member, _ms, episode, _child = team()
    MembershipFactory(partnership=partnership, practitioner=lead)
    action_for(lead, outcome_for(lead, episode), member, due=timezone.localdate() - DAY)
    lead_url = reverse("casework:lead-queue")
    partnership_url = reverse("casework:partnership-queue", args=[partnership.pk])
    sign_in_verified(client, lead)
    lead_few = count_queries(client, lead_url)
    sign_in_verified(client, coordinator)
    partnership_few = count_queries(client, partnership_url)
    for _ in range(3):
        child = ChildFactory()
        InvolvementFactory(child=child, practitioner=lead, role="Class teacher")
        more = services.open_episode(practitioner=lead, children=[child])
        services.record_consent(
            practitioner=lead,
            episode=more,
            given_by_kind="parent_carer",
            given_by_name="Sam",
            given_on=timezone.localdate(),
            scope="assessment_and_sharing",
        )
        services.choose_lead_professional(
            recorded_by=lead,
            episode=more,
            practitioner=lead,
            family_agreement_recorded=True,
            family_agreed_by="Sam",
        )
        action_for(lead, outcome_for(lead, more), lead, due=timezone.localdate() - DAY)
    assert count_queries(client, partnership_url) == partnership_few
    sign_in_verified(client, lead)
    assert count_queries(client, lead_url) == lead_few
