"""Casework: a brother or sister joining an existing episode (a team around the family)."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import closure, services, siblings
from joinedup.casework.models import EpisodeChild
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction, AccessBasis, AccessRecord
from tests.factories import ChildFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def family_episode():
    """An open episode for ``child``, led by ``lead`` (who is involved with the child and
    with ``sibling``), with consent to sharing and ``member`` on the team."""
    lead = PractitionerFactory(first_name="Lena", last_name="Lead")
    child = ChildFactory(given_name="Amy", family_name="Brook")
    sibling = ChildFactory(given_name="Ben", family_name="Brook")
    for each in (child, sibling):
        InvolvementFactory(child=each, practitioner=lead, role="Class teacher")
    episode = services.open_episode(practitioner=lead, children=[child])
    services.record_consent(
        practitioner=lead,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Brook",
        given_on=timezone.localdate(),
        scope="assessment_and_sharing",
    )
    services.choose_lead_professional(
        recorded_by=lead,
        episode=episode,
        practitioner=lead,
        family_agreement_recorded=True,
        family_agreed_by="Sam Brook",
    )
    member = PractitionerFactory(first_name="Mo", last_name="Member")
    services.add_team_member(added_by=lead, episode=episode, practitioner=member, role="Nurse")
    return lead, member, episode, child, sibling


def test_a_sibling_joins_and_the_team_sees_them():
    lead, member, episode, _child, sibling = family_episode()
    assert not policy.can_view_child(member, sibling)
    services.add_child_to_episode(practitioner=lead, episode=episode, child=sibling)
    assert sibling in episode.children.all()
    assert EpisodeChild.objects.get(episode=episode, child=sibling).is_open
    decision = policy.can_view_child(member, sibling)
    assert decision and decision.basis == AccessBasis.TEAM_MEMBERSHIP


def test_a_child_with_an_open_episode_elsewhere_is_refused_with_its_lead_as_contact():
    lead, _member, episode, _child, sibling = family_episode()
    other_lead = PractitionerFactory(first_name="Olu", last_name="Other", phone="01632 960777")
    InvolvementFactory(child=sibling, practitioner=other_lead)
    services.open_episode(practitioner=other_lead, children=[sibling])
    with pytest.raises(ValidationError) as refusal:
        services.add_child_to_episode(practitioner=lead, episode=episode, child=sibling)
    message = " ".join(refusal.value.messages)
    assert "An early help assessment already exists for Ben Brook (it is open)" in message
    assert "Olu Other" in message and "01632 960777" in message
    assert sibling not in episode.children.all()


def test_a_child_whose_episode_closed_recently_is_refused(settings):
    settings.EPISODE_RECENT_DAYS = 90
    lead, _member, episode, _child, sibling = family_episode()
    earlier = services.open_episode(practitioner=lead, children=[sibling])
    closure.close_episode(practitioner=lead, episode=earlier, reason="moved_away")
    with pytest.raises(ValidationError, match="was closed recently"):
        services.add_child_to_episode(practitioner=lead, episode=episode, child=sibling)


def test_a_child_already_in_the_episode_is_refused():
    lead, _member, episode, child, _sibling = family_episode()
    with pytest.raises(ValidationError, match="already in this episode"):
        services.add_child_to_episode(practitioner=lead, episode=episode, child=child)


def test_only_someone_who_manages_the_team_and_may_see_the_child_adds_them():
    lead, member, episode, _child, sibling = family_episode()
    stranger = ChildFactory()  # nobody on the team is involved with this child
    with pytest.raises(PermissionDenied):
        services.add_child_to_episode(practitioner=lead, episode=episode, child=stranger)
    InvolvementFactory(child=sibling, practitioner=member)
    with pytest.raises(PermissionDenied):  # the member sees the child but is not the lead
        services.add_child_to_episode(practitioner=member, episode=episode, child=sibling)
    assert not EpisodeChild.objects.filter(child__in=[stranger, sibling]).exists()


def test_a_closed_episode_takes_no_one():
    lead, _member, episode, _child, sibling = family_episode()
    closure.close_episode(practitioner=lead, episode=episode, reason="moved_away")
    with pytest.raises(ValidationError, match="closed"):
        services.add_child_to_episode(practitioner=lead, episode=episode, child=sibling)


def test_a_race_with_another_episode_is_refused_by_the_database(monkeypatch):
    lead, _member, episode, _child, sibling = family_episode()
    services.open_episode(practitioner=lead, children=[sibling])
    # As if the other episode was opened between the check and the insert.
    monkeypatch.setattr(services, "existing_episode", lambda child, for_update=False: None)
    with pytest.raises(ValidationError, match="a moment ago"):
        services.add_child_to_episode(practitioner=lead, episode=episode, child=sibling)
    assert not EpisodeChild.objects.filter(episode=episode, child=sibling).exists()


# The page ------------------------------------------------------------------------------


def test_the_page_lists_the_children_the_lead_may_see_and_records_them(client):
    lead, _member, episode, child, sibling = family_episode()
    hidden = ChildFactory(given_name="Cara", family_name="Brook")  # lead not involved
    busy = ChildFactory(given_name="Dan", family_name="Brook")
    InvolvementFactory(child=busy, practitioner=lead)
    services.open_episode(practitioner=lead, children=[busy])
    sign_in_verified(client, lead)
    url = reverse("casework:add-child", args=[episode.pk])
    response = client.get(url)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Ben Brook" in text and "Dan Brook" in text
    assert "Cara Brook" not in text
    assert f'value="{child.pk}"' not in text  # already in the episode
    assert "Already has an open or recent early help episode" in text  # Dan
    listed = AccessRecord.objects.filter(practitioner=lead, action=AccessAction.LISTED, path=url)
    assert {record.child for record in listed} == {sibling, busy}
    assert {record.basis for record in listed} == {AccessBasis.INVOLVEMENT}
    assert hidden.access_records.count() == 0


def test_the_page_searches_by_name_and_says_when_the_list_is_cut_short(client, monkeypatch):
    lead, _member, episode, _child, _sibling = family_episode()
    for name in ("Zara", "Zeb", "Zoe"):
        InvolvementFactory(
            child=ChildFactory(given_name=name, family_name="Quill"), practitioner=lead
        )
    monkeypatch.setattr(siblings, "LIST_LIMIT", 2)
    sign_in_verified(client, lead)
    url = reverse("casework:add-child", args=[episode.pk])
    text = client.get(url).content.decode()
    assert "Showing the first 2 of 4 children" in text
    text = client.get(url, {"name": "zeb quill"}).content.decode()
    assert "Zeb Quill" in text and "Zara Quill" not in text and "Ben Brook" not in text
    text = client.get(url, {"name": "Nobody"}).content.decode()
    assert "No child you can see matches" in text


def test_adding_a_sibling_through_the_page(client):
    lead, _member, episode, _child, sibling = family_episode()
    sign_in_verified(client, lead)
    url = reverse("casework:add-child", args=[episode.pk])
    response = client.post(url, {"child": sibling.pk})
    assert response.status_code == 400
    assert "Confirm that the family agreed" in response.content.decode()
    response = client.post(url, {"child": sibling.pk, "family_agreed": "on"})
    assert response.status_code == 302
    assert response["Location"] == reverse("casework:episode", args=[episode.pk])
    assert sibling in episode.children.all()
    page = client.get(response["Location"]).content.decode()
    assert "Ben Brook has joined the episode" in page


def test_the_page_shows_the_refusal_with_the_lead_to_contact(client):
    lead, _member, episode, _child, sibling = family_episode()
    other_lead = PractitionerFactory(first_name="Olu", last_name="Other")
    InvolvementFactory(child=sibling, practitioner=other_lead)
    services.open_episode(practitioner=other_lead, children=[sibling])
    sign_in_verified(client, lead)
    response = client.post(
        reverse("casework:add-child", args=[episode.pk]),
        {"child": sibling.pk, "family_agreed": "on"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text
    assert "An early help assessment already exists for Ben Brook" in text
    assert "Olu Other" in text
    assert 'href="#id_child"' in text and 'id="id_child"' in text


def test_a_child_the_lead_cannot_see_cannot_be_posted(client):
    lead, _member, episode, _child, _sibling = family_episode()
    stranger = ChildFactory()
    sign_in_verified(client, lead)
    response = client.post(
        reverse("casework:add-child", args=[episode.pk]),
        {"child": stranger.pk, "family_agreed": "on"},
    )
    assert response.status_code == 400
    assert "Choose a child from the list" in response.content.decode()
    assert stranger not in episode.children.all()


def test_only_the_lead_reaches_the_page_and_sees_the_link(client):
    lead, member, episode, _child, _sibling = family_episode()
    url = reverse("casework:add-child", args=[episode.pk])
    sign_in_verified(client, member)
    assert client.get(url).status_code == 403
    assert url not in client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    sign_in_verified(client, lead)
    assert url in client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    closure.close_episode(practitioner=lead, episode=episode, reason="moved_away")
    assert client.get(url).status_code == 403


def test_the_page_takes_the_same_queries_however_many_children(client):
    lead, _member, episode, _child, _sibling = family_episode()
    sign_in_verified(client, lead)
    url = reverse("casework:add-child", args=[episode.pk])
    few = count_queries(client, url)
    for number in range(6):
        other = ChildFactory(date_of_birth=datetime.date(2012, 1, number + 1))
        InvolvementFactory(child=other, practitioner=lead)
        if number % 2:
            services.open_episode(practitioner=lead, children=[other])
    assert count_queries(client, url) == few
