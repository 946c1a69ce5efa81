"""Casework: step-up to children's social care and step-down into early help."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import escalation, services
from joinedup.casework.models import (
    ClosureReason,
    Episode,
    EpisodeStatus,
    StepDown,
    StepUp,
    StepUpStatus,
    TeamMember,
)
from joinedup.partnerships.models import AgencyKind, Sector
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction, AccessRecord, Consent
from tests.casework.test_plan import team
from tests.factories import AgencyFactory, ChildFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def social_care_agency(name: str = "Exampleton Social Care Team"):
    return AgencyFactory(name=name, sector=Sector.SOCIAL_CARE, kind=AgencyKind.SOCIAL_CARE_TEAM)


def social_worker(agency=None, **extra):
    return PractitionerFactory(
        home_agency=agency or social_care_agency(), job_title="Social worker", **extra
    )


def step_up(lead, episode, agency, **extra):
    return escalation.step_up(
        practitioner=lead,
        episode=episode,
        to_agency=agency,
        reason=extra.pop("reason", "Disclosure of harm at home; needs exceed early help"),
        shared_sections=extra.pop("shared_sections", ["latest_assessment", "plan"]),
        **extra,
    )


# Stepping up ----------------------------------------------------------------------------


def test_at_least_one_part_of_the_record_must_be_shared():
    lead, _member, _membership, episode, _child = team()
    with pytest.raises(ValidationError) as refusal:
        step_up(lead, episode, social_care_agency(), shared_sections=[])
    assert "Choose at least one part of the record to share" in str(refusal.value)
    assert not StepUp.objects.exists()


def test_only_a_childrens_social_care_agency_can_receive_a_step_up(client):
    lead, _member, _membership, episode, _child = team()
    school = AgencyFactory(name="Mill Lane Primary School")
    with pytest.raises(ValidationError, match="children's social care agency"):
        step_up(lead, episode, school)
    # The form offers social care agencies only, and refuses anything else.
    sign_in_verified(client, lead)
    url = reverse("casework:step-up", args=[episode.pk])
    social_care = social_care_agency()
    page = client.get(url)
    assert social_care.name in page.text
    assert school.name not in page.text
    response = client.post(
        url,
        {"to_agency": school.pk, "reason": "Needs exceed early help", "shared_sections": ["plan"]},
    )
    assert response.status_code == 400
    assert "Choose a children&#x27;s social care agency from the list" in response.text
    assert not StepUp.objects.exists()


def test_a_second_step_up_waiting_for_an_answer_is_refused():
    lead, _member, _membership, episode, _child = team()
    agency = social_care_agency()
    step_up(lead, episode, agency)
    with pytest.raises(ValidationError, match="waiting for children's social care"):
        step_up(lead, episode, agency)
    assert StepUp.objects.filter(episode=episode).count() == 1


def test_once_answered_the_episode_may_be_stepped_up_again():
    lead, _member, _membership, episode, _child = team()
    agency = social_care_agency()
    first = step_up(lead, episode, agency)
    escalation.record_step_up_decision(
        practitioner=lead, step_up=first, accepted=False, note="Below the threshold"
    )
    second = step_up(lead, episode, agency, reason="New concerns since")
    assert second.status == StepUpStatus.REFERRED


def test_without_consent_to_sharing_a_reason_is_required_and_kept():
    lead, _member, _membership, episode, _child = team()
    consent = Consent.objects.get(episode=episode)
    services.withdraw_consent(practitioner=lead, consent=consent, reason="Family withdrew")
    agency = social_care_agency()
    with pytest.raises(ValidationError, match="say why the information is shared without it"):
        step_up(lead, episode, agency)
    escalated = step_up(
        lead,
        episode,
        agency,
        shared_notes="School attendance figures",
        without_consent_reason="Risk of significant harm: asking would increase it",
    )
    assert escalated.shared_notes == (
        "School attendance figures\n\n"
        f"{escalation.WITHOUT_CONSENT_LABEL} Risk of significant harm: asking would increase it"
    )


def test_the_step_up_is_recorded_as_a_disclosure_of_the_chosen_parts():
    lead, _member, _membership, episode, child = team()
    agency = social_care_agency()
    step_up(lead, episode, agency, shared_sections=["plan", "consent"])
    record = AccessRecord.objects.get(child=child, action=AccessAction.CHANGED)
    assert record.what == f"Disclosed to {agency.name} on step-up to children's social care"
    assert record.practitioner == lead
    assert record.basis == "team_membership"
    assert "The plan and progress on its actions; Consent records" in record.reason
    assert "with consent to sharing in force" in record.reason


def test_every_current_practitioner_on_the_team_is_emailed(django_capture_on_commit_callbacks):
    lead, member, _membership, episode, child = team()
    former = PractitionerFactory()
    left = services.add_team_member(
        added_by=lead, episode=episode, practitioner=former, role="Youth worker"
    )
    services.leave_team(practitioner=lead, member=left)
    services.add_team_member(
        added_by=lead, episode=episode, participant_name="Sam Carer", role="Parent"
    )
    with django_capture_on_commit_callbacks(execute=True):
        escalated = step_up(lead, episode, social_care_agency(), site_url="https://joinedup.test/")
    assert sorted(message.to[0] for message in mail.outbox) == sorted([lead.email, member.email])
    message = mail.outbox[0]
    short_name = f"{child.given_name} {child.family_name[0]}."
    assert "stepped up to children's social care" in message.subject
    assert short_name in message.body
    assert child.family_name not in message.body.replace(short_name, "")
    assert str(lead) in message.body
    assert "Disclosure of harm at home" in message.body
    assert f"https://joinedup.test/casework/{episode.pk}/" in message.body
    escalated.refresh_from_db()
    assert escalated.team_informed_at is not None


# Social care's answer -------------------------------------------------------------------


def test_acceptance_closes_the_episode_as_stepped_up(django_capture_on_commit_callbacks):
    lead, member, _membership, episode, _child = team()
    escalated = step_up(lead, episode, social_care_agency())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        escalation.record_step_up_decision(
            practitioner=lead, step_up=escalated, accepted=True, note="Allocated to a social worker"
        )
    episode.refresh_from_db()
    assert episode.status == EpisodeStatus.CLOSED
    assert episode.closure_reason == ClosureReason.STEPPED_UP
    assert episode.closure_notes == "Allocated to a social worker"
    escalated.refresh_from_db()
    assert escalated.status == StepUpStatus.ACCEPTED
    assert escalated.decision_recorded_by == lead
    assert sorted(message.to[0] for message in mail.outbox) == sorted([lead.email, member.email])
    assert "accepted by children's social care" in mail.outbox[0].subject
    # The team's access ends with the episode.
    assert not policy.can_view_episode(member, episode)


def test_not_accepted_keeps_the_episode_open_and_needs_a_note(
    django_capture_on_commit_callbacks,
):
    lead, member, _membership, episode, _child = team()
    escalated = step_up(lead, episode, social_care_agency())
    with pytest.raises(ValidationError, match="did not accept"):
        escalation.record_step_up_decision(practitioner=lead, step_up=escalated, accepted=False)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        escalation.record_step_up_decision(
            practitioner=lead, step_up=escalated, accepted=False, note="Below the threshold"
        )
    episode.refresh_from_db()
    assert episode.is_open
    escalated.refresh_from_db()
    assert escalated.status == StepUpStatus.NOT_ACCEPTED
    assert escalated.decision_note == "Below the threshold"
    assert sorted(message.to[0] for message in mail.outbox) == sorted([lead.email, member.email])
    assert "Early help continues" in mail.outbox[0].body


def test_an_answered_step_up_cannot_be_answered_again(client):
    lead, _member, _membership, episode, _child = team()
    escalated = step_up(lead, episode, social_care_agency())
    escalation.record_step_up_decision(
        practitioner=lead, step_up=escalated, accepted=False, note="Below the threshold"
    )
    with pytest.raises(ValidationError, match="already recorded"):
        escalation.record_step_up_decision(practitioner=lead, step_up=escalated, accepted=True)
    # The page shows the answer and records nothing more.
    sign_in_verified(client, lead)
    url = reverse("casework:step-up-decision", args=[escalated.pk])
    response = client.post(url, {"status": "accepted", "decided_on": str(timezone.localdate())})
    assert response.status_code == 200
    assert "Record the answer" not in response.text
    episode.refresh_from_db()
    assert episode.is_open


def test_the_social_care_agency_records_its_answer(client):
    lead, _member, _membership, episode, child = team()
    agency = social_care_agency()
    escalated = step_up(lead, episode, agency)
    worker = social_worker(agency)
    elsewhere = social_worker(social_care_agency("Another Social Care Team"))
    assert policy.can_record_step_up_decision(worker, escalated)
    assert not policy.can_record_step_up_decision(elsewhere, escalated)
    url = reverse("casework:step-up-decision", args=[escalated.pk])
    sign_in_verified(client, elsewhere)
    assert client.get(url).status_code == 403
    sign_in_verified(client, worker)
    page = client.get(url)
    assert page.status_code == 200
    assert "Disclosure of harm at home" in page.text
    assert "The latest early help assessment" in page.text
    assert AccessRecord.objects.filter(
        practitioner=worker, child=child, what="Step-up to children's social care"
    ).exists()
    response = client.post(
        url,
        {"status": "accepted", "decided_on": str(timezone.localdate()), "decision_note": ""},
    )
    # Social care do not see the episode itself: they are shown the step-up's answer.
    assert response.status_code == 302
    assert response.headers["Location"] == url
    assert "Accepted by children&#x27;s social care" in client.get(url).text
    episode.refresh_from_db()
    assert episode.closure_reason == ClosureReason.STEPPED_UP
    assert episode.closed_by == worker
    assert episode.closure_notes == f"Accepted by {agency.name}"


def test_the_lead_records_an_acceptance_and_returns_to_the_closed_episode(client):
    lead, _member, _membership, episode, _child = team()
    escalated = step_up(lead, episode, social_care_agency())
    sign_in_verified(client, lead)
    response = client.post(
        reverse("casework:step-up-decision", args=[escalated.pk]),
        {"status": "accepted", "decided_on": str(timezone.localdate()), "decision_note": ""},
    )
    episode_url = reverse("casework:episode", args=[episode.pk])
    assert response.headers["Location"] == episode_url
    page = client.get(episode_url).text
    assert "Accepted by children&#x27;s social care" in page
    assert "social care's answer</a>" not in page
    assert 'id="step-up-link"' not in page


def test_who_may_step_up():
    lead, member, _membership, episode, _child = team()
    assert policy.can_step_up(lead, episode)
    assert not policy.can_step_up(member, episode)
    assert not policy.can_step_up(PractitionerFactory(), episode)
    # Before a lead is chosen, the practitioner who opened the episode.
    opener = PractitionerFactory()
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=opener)
    fresh = services.open_episode(practitioner=opener, children=[child])
    assert policy.can_step_up(opener, fresh)
    with pytest.raises(PermissionDenied):
        step_up(member, episode, social_care_agency())


def test_stepping_up_from_the_episode_page(client, django_capture_on_commit_callbacks):
    lead, member, _membership, episode, _child = team()
    agency = social_care_agency()
    sign_in_verified(client, lead)
    episode_url = reverse("casework:episode", args=[episode.pk])
    assert reverse("casework:step-up", args=[episode.pk]) in client.get(episode_url).text
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("casework:step-up", args=[episode.pk]),
            {
                "to_agency": agency.pk,
                "reason": "Disclosure of harm at home",
                "shared_sections": ["latest_assessment", "team"],
                "shared_notes": "",
            },
        )
    assert response.status_code == 302
    assert len(mail.outbox) == 2
    page = client.get(episode_url).text
    assert 'id="step-ups"' in page
    assert agency.name in page
    assert "Referred to children&#x27;s social care" in page
    assert "The team around the child and their contact details" in page
    assert reverse("casework:step-up-decision", args=[StepUp.objects.get().pk]) in page
    # A team member who is not the lead sees the history, not the actions.
    sign_in_verified(client, member)
    page = client.get(episode_url).text
    assert 'id="step-ups"' in page
    assert reverse("casework:step-up", args=[episode.pk]) not in page
    assert client.get(reverse("casework:step-up", args=[episode.pk])).status_code == 403


def test_the_step_up_form_needs_a_section_and_a_reason(client):
    lead, _member, _membership, episode, _child = team()
    sign_in_verified(client, lead)
    response = client.post(
        reverse("casework:step-up", args=[episode.pk]), {"to_agency": social_care_agency().pk}
    )
    assert response.status_code == 400
    assert "There is a problem" in response.text
    assert "Choose at least one part of the record to share" in response.text
    assert "Say why the child&#x27;s needs exceed early help" in response.text


# Stepping down --------------------------------------------------------------------------


def worker_and_child():
    worker = social_worker(phone="01632 960999")
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=worker, role="Social worker")
    return worker, child


HANDOVER = {
    "social_care_reference": "CSC-1234",
    "summary": "Child protection plan ended: home conditions improved",
    "needs_remaining": "Routines at bedtime; school attendance",
    "risks": "Father's contact is supervised",
    "family_views": "Mum wants help with routines",
}


def test_stepping_down_opens_an_episode_with_the_handover(client):
    worker, child = worker_and_child()
    receiver = PractitionerFactory(first_name="Rae", last_name="Receiver")
    sign_in_verified(client, worker)
    url = reverse("casework:step-down", args=[child.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            **HANDOVER,
            "receiving_email": receiver.email,
            "receiving_role": "Family support worker",
            "consent_given_by_kind": "parent_carer",
            "consent_given_by_name": "Sam Carer",
        },
    )
    assert response.status_code == 302
    handover = StepDown.objects.get()
    episode = handover.episode
    assert response.headers["Location"] == reverse("casework:episode", args=[episode.pk])
    assert list(episode.children.all()) == [child]
    assert handover.from_agency == worker.home_agency
    assert handover.handed_over_by == worker
    assert handover.social_care_reference == "CSC-1234"
    team_members = set(
        TeamMember.objects.current().filter(episode=episode).values_list("practitioner", flat=True)
    )
    assert team_members == {worker.pk, receiver.pk}
    assert services.has_sharing_consent(episode)
    assert AccessRecord.objects.filter(
        practitioner=worker, child=child, what="Step-down into early help"
    ).exists()


def test_the_episode_page_shows_the_handover_to_the_team(client):
    worker, child = worker_and_child()
    receiver = PractitionerFactory()
    escalation.step_down(
        practitioner=worker,
        child=child,
        receiving_practitioner=receiver,
        receiving_role="Family support worker",
        consent_given_by_kind="parent_carer",
        consent_given_by_name="Sam Carer",
        **HANDOVER,
    )
    episode = Episode.objects.get()
    sign_in_verified(client, receiver)
    page = client.get(reverse("casework:episode", args=[episode.pk])).text
    assert "Stepped down from children's social care" in page
    assert "Child protection plan ended: home conditions improved" in page
    assert "Routines at bedtime; school attendance" in page
    assert "CSC-1234" in page


def test_step_down_is_for_social_care_practitioners_only(client):
    teacher = PractitionerFactory()
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=teacher)
    assert not policy.can_step_down(teacher, child)
    sign_in_verified(client, teacher)
    assert client.get(reverse("casework:step-down", args=[child.pk])).status_code == 403
    assert client.post(reverse("casework:step-down", args=[child.pk]), HANDOVER).status_code == 403
    with pytest.raises(ValidationError):
        escalation.step_down(practitioner=teacher, child=child, **HANDOVER)
    # A social worker needs a relationship with the child, as for any record.
    assert not policy.can_step_down(social_worker(), child)
    assert not Episode.objects.exists()


def test_step_down_is_refused_when_an_episode_exists(client):
    worker, child = worker_and_child()
    lead = PractitionerFactory(first_name="Lena", last_name="Lead")
    InvolvementFactory(child=child, practitioner=lead)
    existing = services.open_episode(practitioner=lead, children=[child])
    with pytest.raises(ValidationError, match="already exists"):
        escalation.step_down(practitioner=worker, child=child, **HANDOVER)
    sign_in_verified(client, worker)
    url = reverse("casework:step-down", args=[child.pk])
    page = client.get(url).text
    assert "An early help assessment already exists" in page
    assert "Lena Lead" in page
    assert client.post(url, HANDOVER).status_code == 200
    assert list(Episode.objects.all()) == [existing]
    assert not StepDown.objects.exists()


def test_a_receiving_practitioner_needs_the_familys_consent(client):
    worker, child = worker_and_child()
    receiver = PractitionerFactory()
    sign_in_verified(client, worker)
    response = client.post(
        reverse("casework:step-down", args=[child.pk]),
        {**HANDOVER, "receiving_email": receiver.email, "receiving_role": "Family support"},
    )
    assert response.status_code == 400
    assert "Say who in the family agreed" in response.text
    assert not Episode.objects.exists()


def test_the_childs_page_links_to_step_down_for_social_care_only(client):
    worker, child = worker_and_child()
    teacher = PractitionerFactory()
    InvolvementFactory(child=child, practitioner=teacher)
    link = reverse("casework:step-down", args=[child.pk])
    sign_in_verified(client, worker)
    assert link in client.get(reverse("children:detail", args=[child.pk])).text
    sign_in_verified(client, teacher)
    assert link not in client.get(reverse("children:detail", args=[child.pk])).text


# Queries --------------------------------------------------------------------------------


def test_the_episode_page_makes_a_flat_number_of_queries(client):
    lead, _member, _membership, episode, _child = team()
    agency = social_care_agency()
    first = step_up(lead, episode, agency)
    escalation.record_step_up_decision(
        practitioner=lead, step_up=first, accepted=False, note="Below the threshold"
    )
    sign_in_verified(client, lead)
    url = reverse("casework:episode", args=[episode.pk])
    few = count_queries(client, url)
    for n in range(4):
        more = step_up(lead, episode, social_care_agency(f"Social care {n}"))
        escalation.record_step_up_decision(
            practitioner=lead,
            step_up=more,
            accepted=False,
            note=f"Not yet {n}",
            decided_on=timezone.localdate() - datetime.timedelta(days=0),
        )
    assert count_queries(client, url) == few
