"""Sharing without consent (issue 6): the decision is recorded, the decider's supervisor
confirms it in time, or it is escalated to the data protection leads."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.models import Notification
from joinedup.casework import escalation, services
from joinedup.partnerships.models import MembershipRole
from joinedup.referrals import lifecycle
from joinedup.sharing import policy
from joinedup.sharing.models import (
    AccessRecord,
    Consent,
    ConsentPosition,
    LawfulBasis,
    SharingDecision,
    SharingDecisionOutcome,
)
from joinedup.sharing.sharing_decisions import (
    child_sharing_decisions,
    confirm_sharing_decision,
    decisions_to_confirm,
    escalate_overdue_sharing_decisions,
    record_sharing_decision,
)
from tests.casework.test_escalation import social_care_agency
from tests.casework.test_plan import team
from tests.factories import (
    AgencyFactory,
    ChildFactory,
    InvolvementFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)
from tests.referrals.factories import make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

WHY = "Bruising seen at school; asking the family could put the child at risk"


@pytest.fixture
def area():
    """A partnership with a data protection lead; a practitioner in it with a professional
    supervisor and a line manager; the child they are involved with."""
    agency = AgencyFactory()
    partnership = PartnershipFactory()
    lead = PractitionerFactory(username="dplead", home_agency=agency)
    supervisor = PractitionerFactory(username="supervisor", home_agency=agency)
    manager = PractitionerFactory(username="manager", home_agency=agency)
    decider = PractitionerFactory(
        username="decider",
        first_name="Nia",
        last_name="Jones",
        home_agency=agency,
        professional_supervisor=supervisor,
        line_manager=manager,
    )
    MembershipFactory(
        partnership=partnership, practitioner=lead, role=MembershipRole.DATA_PROTECTION_LEAD
    )
    MembershipFactory(partnership=partnership, practitioner=decider)
    child = ChildFactory(given_name="Amelia", family_name="Thornberry")
    InvolvementFactory(child=child, practitioner=decider)
    return {
        "lead": lead,
        "supervisor": supervisor,
        "manager": manager,
        "decider": decider,
        "child": child,
    }


def decide(area, **overrides) -> SharingDecision:
    values = {
        "decided_by": area["decider"],
        "child": area["child"],
        "lawful_basis": LawfulBasis.SIGNIFICANT_HARM,
        "consent_position": ConsentPosition.NOT_SOUGHT_RISK,
        "why": WHY,
        "what_shared": "The child's name, date of birth and school",
        "shared_with": "Exampleton Children's Social Care",
    }
    values.update(overrides)
    return record_sharing_decision(**values)


def decision_url(decision) -> str:
    return reverse("children:sharing-decision", kwargs={"sharing_decision_id": decision.pk})


# Recording -------------------------------------------------------------------------------


def test_recording_validates_each_field(area):
    with pytest.raises(ValidationError) as refusal:
        decide(
            area,
            lawful_basis="because",
            consent_position="",
            why="  ",
            what_shared="",
            shared_with="",
        )
    assert refusal.value.message_dict == {
        "lawful_basis": ["Choose the lawful basis for sharing without consent"],
        "consent_position": ["Say why consent was not sought or was overridden"],
        "why": ["Say why the information is shared without consent"],
        "what_shared": ["Say what information is shared"],
        "shared_with": ["Say who the information is shared with"],
    }
    assert not SharingDecision.objects.exists()
    assert not Notification.objects.exists()


@override_settings(SHARING_DECISION_CONFIRM_HOURS=12)
def test_the_professional_supervisor_confirms_and_is_told_at_once(area):
    before = timezone.now()
    decision = decide(area)
    assert decision.supervisor == area["supervisor"]
    assert before + datetime.timedelta(hours=12) <= decision.confirm_by
    assert decision.confirm_by <= timezone.now() + datetime.timedelta(hours=12)
    told = Notification.objects.get()
    assert told.recipient == area["supervisor"]
    assert told.is_urgent
    assert told.url == decision_url(decision)
    assert "Amelia T." in told.body
    assert "Thornberry" not in told.body


def test_the_line_manager_when_there_is_no_active_supervisor(area):
    area["supervisor"].is_active = False
    area["supervisor"].save()
    assert decide(area).supervisor == area["manager"]
    area["decider"].professional_supervisor = None
    area["decider"].line_manager = area["decider"]  # never themselves
    area["decider"].save()
    decision = decide(area)
    assert decision.supervisor is None


def test_with_no_supervisor_the_data_protection_leads_are_told(area):
    area["decider"].professional_supervisor = None
    area["decider"].line_manager = None
    area["decider"].save()
    decision = decide(area)
    told = Notification.objects.get()
    assert told.recipient == area["lead"]
    assert told.is_urgent
    assert told.url == decision_url(decision)
    assert list(decisions_to_confirm(area["lead"])) == [decision]


# Confirming ------------------------------------------------------------------------------


def test_the_supervisor_confirms_through_the_page(client, area):
    decision = decide(area)
    assert list(decisions_to_confirm(area["supervisor"])) == [decision]
    assert not decisions_to_confirm(area["lead"]).exists()  # not escalated
    sign_in_verified(client, area["supervisor"])
    queue = client.get(reverse("children:sharing-decisions"))
    assert queue.status_code == 200
    assert decision_url(decision) in queue.text
    assert "Amelia Thornberry" not in queue.text  # the supervisor does not see the child
    page = client.get(decision_url(decision))
    assert page.status_code == 200
    assert WHY in page.text
    assert AccessRecord.objects.filter(
        practitioner=area["supervisor"], child=area["child"]
    ).exists()
    response = client.post(decision_url(decision), {"outcome": "confirmed"})
    assert response.status_code == 302
    decision.refresh_from_db()
    assert decision.outcome == SharingDecisionOutcome.CONFIRMED
    assert decision.confirmed_by == area["supervisor"]
    assert decision.confirmed_at is not None
    assert not decisions_to_confirm(area["supervisor"]).exists()


def test_the_home_page_links_to_the_queue(client, area):
    decide(area)
    sign_in_verified(client, area["supervisor"])
    page = client.get(reverse("home")).text
    assert 'id="sharing-decisions-to-confirm"' in page
    assert "1 decision to share without consent waiting" in page


def test_the_decider_and_anyone_unrelated_are_refused(client, area):
    decision = decide(area)
    for person in (area["decider"], PractitionerFactory(), area["lead"]):
        sign_in_verified(client, person)
        assert client.get(decision_url(decision)).status_code == 403
        assert client.post(decision_url(decision), {"outcome": "confirmed"}).status_code == 403
    with pytest.raises(ValidationError, match="your own"):
        confirm_sharing_decision(
            decision=decision, confirmed_by=area["decider"], outcome="confirmed"
        )
    with pytest.raises(PermissionDenied):
        confirm_sharing_decision(decision=decision, confirmed_by=area["lead"], outcome="confirmed")
    decision.refresh_from_db()
    assert decision.confirmed_at is None


def test_a_note_is_needed_when_not_confirmed(client, area):
    decision = decide(area)
    sign_in_verified(client, area["supervisor"])
    response = client.post(decision_url(decision), {"outcome": "not_confirmed", "note": " "})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert "Say why the sharing was not justified and what happens next" in response.text
    response = client.post(decision_url(decision), {})
    assert response.status_code == 400
    assert "Choose whether the sharing was right" in response.text
    confirmed = confirm_sharing_decision(
        decision=decision,
        confirmed_by=area["supervisor"],
        outcome="not_confirmed",
        note="Consent could have been asked for safely",
    )
    assert confirmed.outcome == SharingDecisionOutcome.NOT_CONFIRMED
    # The decider is told (besides the supervisor's first notification).
    assert Notification.objects.filter(recipient=area["decider"]).count() == 1


def test_a_decision_is_confirmed_once(area):
    decision = decide(area)
    confirm_sharing_decision(
        decision=decision, confirmed_by=area["supervisor"], outcome="confirmed"
    )
    with pytest.raises(ValidationError, match="already"):
        confirm_sharing_decision(
            decision=decision, confirmed_by=area["supervisor"], outcome="confirmed"
        )


# Escalating ------------------------------------------------------------------------------


def test_an_unconfirmed_decision_is_escalated_once_after_the_deadline(area):
    decision = decide(area)
    Notification.objects.all().delete()
    assert escalate_overdue_sharing_decisions() == 0  # not due yet
    later = decision.confirm_by + datetime.timedelta(minutes=1)
    assert escalate_overdue_sharing_decisions(now=later) == 1
    decision.refresh_from_db()
    assert decision.escalated_at == later
    told = Notification.objects.get()
    assert told.recipient == area["lead"]
    assert told.is_urgent
    assert told.url == decision_url(decision)
    assert escalate_overdue_sharing_decisions(now=later + datetime.timedelta(hours=5)) == 0
    assert Notification.objects.count() == 1
    # Now the lead may confirm it too, and it is in their queue.
    assert list(decisions_to_confirm(area["lead"])) == [decision]
    assert policy.can_confirm_sharing_decision(area["lead"], decision)
    confirm_sharing_decision(decision=decision, confirmed_by=area["lead"], outcome="confirmed")


def test_a_confirmed_decision_is_not_escalated(area):
    decision = decide(area)
    confirm_sharing_decision(
        decision=decision, confirmed_by=area["supervisor"], outcome="confirmed"
    )
    assert escalate_overdue_sharing_decisions(now=decision.confirm_by) == 0


def test_the_command_escalates(area):
    decision = decide(area)
    SharingDecision.objects.filter(pk=decision.pk).update(
        confirm_by=timezone.now() - datetime.timedelta(hours=1)
    )
    out = io.StringIO()
    call_command("escalate_sharing_decisions", stdout=out)
    assert "Escalated 1 decision " in out.getvalue()
    decision.refresh_from_db()
    assert decision.escalated_at is not None


# Where information is shared without consent -------------------------------------------


def lawful_draft(area, lawful_basis="safeguarding"):
    return make_referral(
        referrer=area["decider"],
        child=area["child"],
        sharing_basis="lawful_reason",
        consent_given_by="",
        consent_given_by_name="",
        consent_given_on=None,
        lawful_basis=lawful_basis,
        lawful_reason="Asking the family would put the child at risk",
    )


def test_sending_a_referral_on_a_lawful_reason_records_a_decision(client, area):
    draft = lawful_draft(area)
    sign_in_verified(client, area["decider"])
    url = reverse("referrals:send", kwargs={"draft_referral_id": draft.pk})
    page = client.get(url)
    assert 'name="consent_position"' in page.text
    response = client.post(url, {})
    assert response.status_code == 400
    assert "govuk-error-summary" in response.text
    assert "Say why consent was not sought or was overridden" in response.text
    assert not SharingDecision.objects.exists()
    draft.refresh_from_db()
    assert draft.status == "draft"
    response = client.post(url, {"consent_position": "refused_overridden"})
    assert response.status_code == 302
    decision = SharingDecision.objects.get()
    assert decision.referral == draft
    assert decision.child == area["child"]
    assert decision.lawful_basis == LawfulBasis.SIGNIFICANT_HARM
    assert decision.consent_position == ConsentPosition.REFUSED_OVERRIDDEN
    assert decision.why == "Asking the family would put the child at risk"
    assert draft.service.name in decision.shared_with
    assert decision.what_shared.startswith("The referral and the child's name")
    for label in draft.section_labels():
        assert label in decision.what_shared
    assert decision.supervisor == area["supervisor"]
    # The child's disclosure log lists it.
    log = client.get(reverse("children:disclosures", kwargs={"child_id": area["child"].pk}))
    assert 'id="sharing-decisions"' in log.text
    assert list(child_sharing_decisions(area["child"])) == [decision]


def test_risk_of_harm_is_itself_the_consent_position(area):
    draft = lawful_draft(area, lawful_basis="risk_of_harm")
    lifecycle.send_referral(
        draft,
        by=area["decider"],
        decision=policy.can_send_referral(area["decider"], draft),
    )
    decision = SharingDecision.objects.get()
    assert decision.lawful_basis == LawfulBasis.RISK_OF_HARM
    assert decision.consent_position == ConsentPosition.NOT_SOUGHT_RISK


def test_a_referral_with_consent_records_no_decision(area):
    make_referral(referrer=area["decider"], child=area["child"], status="sent")
    assert not SharingDecision.objects.exists()


def test_a_step_up_without_consent_records_a_decision_per_child():
    lead, _member, _membership, episode, child = team()
    services.withdraw_consent(
        practitioner=lead, consent=Consent.objects.get(episode=episode), reason="Withdrawn"
    )
    agency = social_care_agency()
    escalation.step_up(
        practitioner=lead,
        episode=episode,
        to_agency=agency,
        reason="Disclosure of harm at home",
        shared_sections=["plan"],
        without_consent_reason="Risk of significant harm",
    )
    decision = SharingDecision.objects.get()
    assert decision.child == child
    assert decision.episode == episode
    assert decision.lawful_basis == LawfulBasis.SIGNIFICANT_HARM
    # The family withdrew consent to sharing: the step-up overrode the withdrawal.
    assert decision.consent_position == ConsentPosition.WITHDRAWN_OVERRIDDEN
    assert decision.why == "Risk of significant harm"
    assert decision.shared_with == agency.name


def test_the_step_up_form_asks_for_the_consent_position(client):
    lead, _member, _membership, episode, _child = team()
    services.withdraw_consent(
        practitioner=lead, consent=Consent.objects.get(episode=episode), reason="Withdrawn"
    )
    agency = social_care_agency()
    sign_in_verified(client, lead)
    url = reverse("casework:step-up", args=[episode.pk])
    data = {
        "to_agency": agency.pk,
        "reason": "Disclosure of harm at home",
        "shared_sections": ["plan"],
        "without_consent_reason": "Risk of significant harm",
        "lawful_basis": "significant_harm",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    assert "Say why consent was not sought or was overridden" in response.text
    response = client.post(url, {**data, "consent_position": "not_sought_delay"})
    assert response.status_code == 302
    assert SharingDecision.objects.get().consent_position == ConsentPosition.NOT_SOUGHT_DELAY


def test_a_step_up_with_consent_records_no_decision():
    lead, _member, _membership, episode, _child = team()
    escalation.step_up(
        practitioner=lead,
        episode=episode,
        to_agency=social_care_agency(),
        reason="Disclosure of harm at home",
        shared_sections=["plan"],
    )
    assert not SharingDecision.objects.exists()
