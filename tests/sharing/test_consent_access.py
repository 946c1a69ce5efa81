"""Consent drives access (issue 6): a team member from another agency sees the episode only
while the family's consent to sharing with them is in force. Withdrawal, expiry or a
narrower new version ends it at once, the member is told why on their next request, and
they get a notification. The lead professional keeps access."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.models import Notification
from joinedup.casework import services
from joinedup.children.models import Child
from joinedup.sharing import consents, policy
from joinedup.sharing.models import Consent
from tests.factories import AgencyFactory, ChildFactory, InvolvementFactory, PractitionerFactory
from tests.referrals.factories import make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def team_with_consent(**consent_extra):
    """An episode opened by a teacher, with consent to sharing, and a school nurse from
    another agency on the team."""
    lead = PractitionerFactory()
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=lead, role="Class teacher")
    episode = services.open_episode(practitioner=lead, children=[child])
    consent = services.record_consent(
        practitioner=lead,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Carer",
        given_on=timezone.localdate(),
        scope="assessment_and_sharing",
        **consent_extra,
    )
    nurse = PractitionerFactory(home_agency=AgencyFactory(name="School nursing"))
    services.add_team_member(added_by=lead, episode=episode, practitioner=nurse, role="Nurse")
    return lead, nurse, child, episode, consent


def test_a_team_member_sees_the_episode_while_consent_is_in_force():
    _lead, nurse, child, episode, _ = team_with_consent()
    assert policy.can_view_episode(nurse, episode)
    assert policy.can_view_child(nurse, child)
    assert Child.objects.filter(policy.visible_children_filter(nurse), pk=child.pk).exists()


def test_withdrawal_ends_the_team_members_access_at_once_and_tells_them(client):
    lead, nurse, child, episode, consent = team_with_consent()
    consents.withdraw_consent(consent=consent, withdrawn_by=lead, reason="Family asked")

    decision = policy.can_view_episode(nurse, episode)
    assert not decision
    assert "withdrew consent to sharing on" in decision.reason
    assert not policy.can_view_child(nurse, child)
    assert not Child.objects.filter(policy.visible_children_filter(nurse), pk=child.pk).exists()
    # The lead professional (here the opener) keeps access to close it or seek consent again.
    assert policy.can_view_episode(lead, episode)

    note = Notification.objects.get(recipient=nurse)
    assert "can no longer see" in note.subject
    assert "withdrew consent" in note.body
    assert not Notification.objects.filter(recipient=lead).exists()

    sign_in_verified(client, nurse)
    response = client.get(reverse("casework:episode", args=[episode.pk]))
    assert response.status_code == 403
    assert "withdrew consent to sharing" in response.content.decode()


def test_expiry_ends_access_on_the_expiry_date():
    today = timezone.localdate()
    _lead, nurse, _child, episode, consent = team_with_consent(
        expires_on=today + datetime.timedelta(days=30)
    )
    assert policy.can_view_episode(nurse, episode)
    Consent.objects.filter(pk=consent.pk).update(
        given_on=today - datetime.timedelta(days=60), expires_on=today
    )
    decision = policy.can_view_episode(nurse, episode)
    assert not decision
    assert "expired on" in decision.reason


def test_a_narrower_version_removes_the_agency_it_no_longer_names():
    lead, nurse, _child, episode, consent = team_with_consent()
    terms = consents.terms_of(consent)
    terms.to_team = False
    terms.agencies = [lead.home_agency]
    new = consents.change_consent(
        consent=consent, terms=terms, changed_by=lead, change_note="Only the school now"
    )
    assert new.version == 2 and new.series == consent.series
    consent.refresh_from_db()
    assert consent.superseded_at is not None
    decision = policy.can_view_episode(nurse, episode)
    assert not decision
    assert "does not cover your agency" in decision.reason
    assert "Only the school now" in Notification.objects.get(recipient=nurse).body


def test_a_version_naming_the_members_agency_keeps_their_access():
    lead, nurse, _child, episode, consent = team_with_consent()
    terms = consents.terms_of(consent)
    terms.to_team = False
    terms.agencies = [nurse.home_agency]
    consents.change_consent(consent=consent, terms=terms, changed_by=lead, change_note="Nurse only")
    assert policy.can_view_episode(nurse, episode)
    assert not Notification.objects.filter(recipient=nurse).exists()


def test_consent_given_in_the_future_or_withdrawn_cannot_be_withdrawn_twice():
    lead, _nurse, _child, _episode, consent = team_with_consent()
    consents.withdraw_consent(consent=consent, withdrawn_by=lead, reason="Asked")
    with pytest.raises(Exception, match="already been withdrawn"):
        consents.withdraw_consent(consent=consent, withdrawn_by=lead, reason="Again")


def test_a_receiving_service_loses_a_referral_when_its_consent_is_withdrawn():
    referral = make_referral(status="sent")
    staff = referral.service.maintainers.first()
    assert staff is not None
    consent = consents.record_consent(
        consents.ConsentTerms(
            given_by_kind="parent_carer",
            given_by_name="Sam Carer",
            given_on=timezone.localdate(),
            for_referral=True,
            for_sharing=True,
            scope=["identity", "referral"],
            services=[referral.service],
        ),
        recorded_by=referral.referrer,
        child=referral.child,
    )
    type(referral).objects.filter(pk=referral.pk).update(consent=consent)
    referral.refresh_from_db()
    assert policy.can_view_referral(staff, referral)
    assert type(referral).objects.filter(policy.receiving_referrals_filter(staff)).exists()

    consents.withdraw_consent(consent=consent, withdrawn_by=referral.referrer, reason="Asked")
    referral.refresh_from_db()
    decision = policy.can_view_referral(staff, referral)
    assert not decision
    assert "consent to sharing it is no longer in force" in decision.reason
    assert not policy.can_respond_to_referral(staff, referral)
    assert not type(referral).objects.filter(policy.receiving_referrals_filter(staff)).exists()
    # The referrer still sees their own referral.
    assert policy.can_view_referral(referral.referrer, referral)
