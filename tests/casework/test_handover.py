"""Casework: handing over the lead professional role (offer → accept, decline, withdraw)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from joinedup.casework import handover, services
from joinedup.casework.models import HandoverStatus, LeadProfessionalChoice
from joinedup.sharing import policy
from tests.casework.test_plan import team
from tests.factories import PractitionerFactory
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def offered():
    lead, member, membership, episode, _child = team()
    offer = handover.offer_lead_role(
        lead=lead, episode=episode, to=member, family_agreed_by="Sam Carer", message="Over to you"
    )
    return lead, member, membership, episode, offer


def test_accepting_makes_the_offered_practitioner_lead_with_history():
    lead, member, _membership, episode, offer = offered()
    choice = handover.accept_lead_offer(practitioner=member, offer=offer)
    episode.refresh_from_db()
    offer.refresh_from_db()
    assert episode.lead_professional == member
    assert offer.status == HandoverStatus.ACCEPTED and offer.decided_at is not None
    assert choice.family_agreed_by == "Sam Carer" and choice.recorded_by == member
    assert str(lead) in choice.notes
    assert LeadProfessionalChoice.objects.filter(episode=episode).count() == 2
    # The new lead manages the team; the old one no longer does.
    assert policy.can_manage_team(member, episode)
    assert not policy.can_manage_team(lead, episode)


def test_only_the_current_lead_offers_and_only_to_a_team_practitioner():
    lead, member, _membership, episode, _child = team()
    with pytest.raises(ValidationError):
        handover.offer_lead_role(lead=member, episode=episode, to=lead, family_agreed_by="Sam")
    outsider = PractitionerFactory()
    with pytest.raises(ValidationError):
        handover.offer_lead_role(lead=lead, episode=episode, to=outsider, family_agreed_by="Sam")
    with pytest.raises(ValidationError):
        handover.offer_lead_role(lead=lead, episode=episode, to=lead, family_agreed_by="Sam")
    with pytest.raises(ValidationError):
        handover.offer_lead_role(lead=lead, episode=episode, to=member, family_agreed_by=" ")
    assert not policy.can_offer_lead_role(member, episode)
    assert policy.can_offer_lead_role(lead, episode)


def test_a_new_offer_withdraws_the_earlier_one():
    lead, member, _membership, episode, first = offered()
    other = PractitionerFactory()
    services.add_team_member(added_by=lead, episode=episode, practitioner=other, role="Nurse")
    second = handover.offer_lead_role(lead=lead, episode=episode, to=other, family_agreed_by="Sam")
    first.refresh_from_db()
    assert first.status == HandoverStatus.WITHDRAWN
    assert second.is_pending
    with pytest.raises(ValidationError):
        handover.accept_lead_offer(practitioner=member, offer=first)


def test_declining_needs_a_reason_and_changes_nothing():
    lead, member, _membership, episode, offer = offered()
    with pytest.raises(ValidationError):
        handover.decline_lead_offer(practitioner=member, offer=offer, reason="  ")
    handover.decline_lead_offer(practitioner=member, offer=offer, reason="Too many cases")
    offer.refresh_from_db()
    episode.refresh_from_db()
    assert offer.status == HandoverStatus.DECLINED and offer.decline_reason == "Too many cases"
    assert episode.lead_professional == lead
    with pytest.raises(ValidationError):
        handover.accept_lead_offer(practitioner=member, offer=offer)


def test_withdrawing_and_stale_offers():
    lead, member, membership, episode, offer = offered()
    with pytest.raises(ValidationError):
        handover.withdraw_lead_offer(practitioner=member, offer=offer)
    handover.withdraw_lead_offer(practitioner=lead, offer=offer)
    offer.refresh_from_db()
    assert offer.status == HandoverStatus.WITHDRAWN
    # An offer to someone who has since left the team cannot be accepted.
    offer = handover.offer_lead_role(lead=lead, episode=episode, to=member, family_agreed_by="S")
    services.leave_team(practitioner=lead, member=membership)
    with pytest.raises(ValidationError):
        handover.accept_lead_offer(practitioner=member, offer=offer)


def test_the_pages(client):
    lead, member, _membership, episode, _child = team()
    sign_in_verified(client, lead)
    page = client.get(reverse("casework:episode", args=[episode.pk]))
    assert b'id="offer-lead-role"' in page.content
    response = client.post(
        reverse("casework:offer-lead", args=[episode.pk]),
        {"to_practitioner": member.username, "family_agreed_by": "Sam Carer"},
    )
    assert response.status_code == 302
    offer = episode.lead_offers.get()
    assert (
        b'id="lead-offer-pending"'
        in client.get(reverse("casework:episode", args=[episode.pk])).content
    )
    assert client.get(reverse("casework:lead-offer", args=[offer.pk])).status_code == 403

    sign_in_verified(client, member)
    assert (
        b'id="lead-offer-to-you"'
        in client.get(reverse("casework:episode", args=[episode.pk])).content
    )
    url = reverse("casework:lead-offer", args=[offer.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"decision": "decline", "reason": ""}).status_code == 400
    assert client.post(url, {"decision": "accept"}).status_code == 302
    episode.refresh_from_db()
    assert episode.lead_professional == member
