"""Casework, first slice: episodes, consent, the team around the child and its access."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import closure, services
from joinedup.casework.models import EpisodeChild
from joinedup.children.models import Child
from joinedup.sharing import policy
from joinedup.sharing.models import AccessBasis, AccessRecord
from tests.factories import ChildFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today


def opener_and_child():
    opener = PractitionerFactory(phone="01632 960123")
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=opener, role="Class teacher")
    return opener, child


def with_sharing_consent(episode, practitioner, **extra):
    return services.record_consent(
        practitioner=practitioner,
        episode=episode,
        given_by_kind=extra.pop("given_by_kind", "parent_carer"),
        given_by_name="Sam Carer",
        given_on=timezone.localdate(),
        scope="assessment_and_sharing",
        **extra,
    )


def test_a_child_has_at_most_one_open_episode():
    opener, child = opener_and_child()
    services.open_episode(practitioner=opener, children=[child])
    with pytest.raises(ValidationError) as refusal:
        services.open_episode(practitioner=opener, children=[child])
    assert "already exists" in str(refusal.value)
    assert opener.get_full_name() in str(refusal.value)
    # The database holds the rule too.
    other = services.open_episode(practitioner=opener, children=[ChildFactory()])
    with pytest.raises(IntegrityError), transaction.atomic():
        EpisodeChild.objects.create(episode=other, child=child)


def test_siblings_share_one_episode_and_neither_can_have_another():
    opener, child = opener_and_child()
    sibling = ChildFactory(family_name=child.family_name)
    episode = services.open_episode(practitioner=opener, children=[child, sibling])
    assert set(episode.children.all()) == {child, sibling}
    with pytest.raises(ValidationError):
        services.open_episode(practitioner=opener, children=[sibling])


def test_a_recently_closed_episode_still_blocks_a_duplicate(settings):
    settings.EPISODE_RECENT_DAYS = 90
    opener, child = opener_and_child()
    episode = services.open_episode(practitioner=opener, children=[child])
    episode.opened_on = timezone.localdate() - datetime.timedelta(days=30)
    episode.save(update_fields=["opened_on"])
    closure.close_episode(
        practitioner=opener,
        episode=episode,
        reason="moved_away",
        on=timezone.localdate() - datetime.timedelta(days=10),
    )
    with pytest.raises(ValidationError, match="closed recently"):
        services.open_episode(practitioner=opener, children=[child])
    settings.EPISODE_RECENT_DAYS = 5
    assert services.open_episode(practitioner=opener, children=[child]).is_open


def test_opening_from_the_child_page_and_the_duplicate_guard(client):
    opener, child = opener_and_child()
    sign_in_verified(client, opener)
    detail = client.get(reverse("children:detail", args=[child.pk]))
    open_url = reverse("casework:open-episode", args=[child.pk])
    assert open_url in detail.content.decode()
    response = client.post(open_url)
    assert response.status_code == 302
    episode = child.episodes.get()
    assert response.headers["Location"] == reverse("casework:episode", args=[episode.pk])

    lead = PractitionerFactory(first_name="Lena", last_name="Lead", phone="01632 960999")
    with_sharing_consent(episode, opener)
    services.add_team_member(added_by=opener, episode=episode, practitioner=lead, role="SENCo")
    services.choose_lead_professional(
        recorded_by=opener,
        episode=episode,
        practitioner=lead,
        family_agreement_recorded=True,
        family_agreed_by="Sam Carer",
    )
    # Another practitioner involved tries to start an assessment: told who to contact.
    other = PractitionerFactory()
    InvolvementFactory(child=child, practitioner=other)
    sign_in_verified(client, other)
    page = client.get(open_url).content.decode()
    assert "An early help assessment already exists" in page
    assert "Lena Lead" in page and "01632 960999" in page and lead.email in page
    assert lead.home_agency.name in page
    assert client.post(open_url).status_code == 200
    assert child.episodes.count() == 1
    # The child's page shows the indicator with the single point of contact.
    detail = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert "An early help assessment exists" in detail and "Lena Lead" in detail


def test_consent_is_recorded_and_withdrawal_takes_effect(client):
    opener, child = opener_and_child()
    episode = services.open_episode(practitioner=opener, children=[child])
    with pytest.raises(ValidationError):
        with_sharing_consent(episode, opener, given_by_kind="young_person")
    consent = with_sharing_consent(
        episode, opener, given_by_kind="young_person", competence_note="Understands, aged 14"
    )
    colleague = PractitionerFactory()
    services.add_team_member(added_by=opener, episode=episode, practitioner=colleague, role="GP")

    sign_in_verified(client, opener)
    response = client.post(
        reverse("casework:withdraw-consent", args=[episode.pk, consent.pk]),
        {"reason": "Changed their mind"},
    )
    assert response.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == timezone.localdate()
    page = client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    assert f"Withdrawn on {timezone.localdate():%d %b %Y}" in page
    assert "Changed their mind" in page
    # The colleague on the team, from another agency, loses access at once.
    assert not policy.can_view_episode(colleague, episode)
    # Sharing with another agency is refused from now on.
    newcomer = PractitionerFactory()
    response = client.post(
        reverse("casework:add-team-member", args=[episode.pk]),
        {"kind": "practitioner", "email": newcomer.email, "role": "Health visitor"},
    )
    assert response.status_code == 400
    assert "Consent to sharing" in response.content.decode()
    assert not episode.team.filter(practitioner=newcomer).exists()
    with pytest.raises(ValidationError):
        services.withdraw_consent(practitioner=opener, consent=consent, reason="again")


def test_team_membership_grants_access_exactly_while_current(client):
    opener, child = opener_and_child()
    episode = services.open_episode(practitioner=opener, children=[child])
    with_sharing_consent(episode, opener)
    member = PractitionerFactory()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    membership = services.add_team_member(
        added_by=opener, episode=episode, practitioner=member, role="Nurse", joined_on=tomorrow
    )
    visible = Child.objects.filter(policy.visible_children_filter(member))
    # Not before joining.
    assert not policy.can_view_child(member, child)
    assert not policy.can_view_episode(member, episode)
    assert child not in visible
    membership.joined_on = timezone.localdate()
    membership.save()
    decision = policy.can_view_child(member, child)
    assert decision and decision.basis == AccessBasis.TEAM_MEMBERSHIP
    assert policy.can_view_episode(member, episode)
    assert child in Child.objects.filter(policy.visible_children_filter(member))

    sign_in_verified(client, member)
    before = AccessRecord.objects.filter(child=child, practitioner=member).count()
    assert client.get(reverse("casework:episode", args=[episode.pk])).status_code == 200
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 200
    records = AccessRecord.objects.filter(child=child, practitioner=member)
    assert records.count() == before + 2
    assert set(records.values_list("basis", flat=True)) == {AccessBasis.TEAM_MEMBERSHIP}

    # Leaving today ends access today.
    services.leave_team(practitioner=opener, member=membership)
    assert not policy.can_view_child(member, child)
    assert not policy.can_view_episode(member, episode)
    assert child not in Child.objects.filter(policy.visible_children_filter(member))
    assert client.get(reverse("casework:episode", args=[episode.pk])).status_code == 403
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 403


def test_closing_the_episode_ends_team_access():
    opener, child = opener_and_child()
    episode = services.open_episode(practitioner=opener, children=[child])
    with_sharing_consent(episode, opener)
    member = PractitionerFactory()
    services.add_team_member(added_by=opener, episode=episode, practitioner=member, role="GP")
    assert policy.can_view_child(member, child)
    closure.close_episode(practitioner=opener, episode=episode, reason="family_withdrew")
    assert not policy.can_view_child(member, child)


def test_the_lead_professional_needs_the_familys_agreement(client):
    opener, child = opener_and_child()
    episode = services.open_episode(practitioner=opener, children=[child])
    with pytest.raises(ValidationError):
        services.choose_lead_professional(
            recorded_by=opener,
            episode=episode,
            practitioner=opener,
            family_agreement_recorded=False,
            family_agreed_by="Sam Carer",
        )
    sign_in_verified(client, opener)
    url = reverse("casework:choose-lead", args=[episode.pk])
    response = client.post(url, {"practitioner": opener.username, "family_agreed_by": "Sam"})
    assert response.status_code == 400
    episode.refresh_from_db()
    assert episode.lead_professional is None
    response = client.post(
        url,
        {
            "practitioner": opener.username,
            "family_agreement_recorded": "on",
            "family_agreed_by": "Sam Carer",
        },
    )
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.lead_professional == opener
    assert episode.lead_choices.get().family_agreed_by == "Sam Carer"
    page = client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    assert "the lead professional is" in page.lower()
    # Now only the lead manages the team: another member may not.
    with_sharing_consent(episode, opener)
    member = PractitionerFactory()
    services.add_team_member(added_by=opener, episode=episode, practitioner=member, role="GP")
    assert policy.can_view_episode(member, episode)
    assert not policy.can_manage_team(member, episode)
    assert policy.can_manage_team(opener, episode)


def test_pre_assessment_check_is_shown(client):
    opener, child = opener_and_child()
    episode = services.open_episode(practitioner=opener, children=[child])
    sign_in_verified(client, opener)
    response = client.post(
        reverse("casework:record-check", args=[episode.pk]),
        {"needs_more_than_universal": "yes", "notes": "Speech and language"},
    )
    assert response.status_code == 302
    page = client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    assert "Needs more support than universal services give" in page


def test_episode_page_queries_do_not_grow_with_the_team(client):
    opener, child = opener_and_child()
    episode = services.open_episode(practitioner=opener, children=[child, ChildFactory()])
    with_sharing_consent(episode, opener)
    sign_in_verified(client, opener)
    url = reverse("casework:episode", args=[episode.pk])
    services.add_team_member(
        added_by=opener, episode=episode, practitioner=PractitionerFactory(), role="GP"
    )
    few = count_queries(client, url)
    for n in range(6):
        services.add_team_member(
            added_by=opener, episode=episode, practitioner=PractitionerFactory(), role=f"R{n}"
        )
        services.add_team_member(
            added_by=opener, episode=episode, participant_name=f"Relative {n}", role="Family"
        )
    assert count_queries(client, url) == few


def test_each_consent_has_its_own_withdrawal_box_and_errors_stay_on_it(client):
    opener, child = opener_and_child()
    episode = services.open_episode(practitioner=opener, children=[child])
    first = with_sharing_consent(episode, opener)
    second = with_sharing_consent(episode, opener)
    sign_in_verified(client, opener)

    page = client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    assert f'id="withdraw-{first.pk}-reason"' in page
    assert f'id="withdraw-{second.pk}-reason"' in page
    assert 'id="id_reason"' not in page

    response = client.post(
        reverse("casework:withdraw-consent", args=[episode.pk, second.pk]), {"reason": ""}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert f'id="withdraw-{second.pk}-reason-error"' in page
    assert f'id="withdraw-{first.pk}-reason-error"' not in page
