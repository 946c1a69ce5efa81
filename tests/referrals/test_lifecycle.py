"""The referral lifecycle: states, who and when, refusals with clear messages."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from joinedup.accounts.models import Notification
from joinedup.children.models import Involvement
from joinedup.referrals import lifecycle
from joinedup.referrals.models import ReferralEvent, ReferralStatus
from joinedup.sharing.models import AccessRecord
from tests.referrals.factories import ServiceFactory, make_referral, referral_details

pytestmark = pytest.mark.django_db


def test_a_referral_goes_from_draft_to_completed_recording_who_and_when_at_each_step():
    referral = make_referral(status="completed")
    events = list(ReferralEvent.objects.filter(referral=referral))
    assert [(event.from_status, event.to_status) for event in events] == [
        ("", "draft"),
        ("draft", "sent"),
        ("sent", "acknowledged"),
        ("acknowledged", "accepted"),
        ("accepted", "started"),
        ("started", "completed"),
    ]
    assert events[1].by == referral.referrer
    staff = referral.service.maintainers.get()
    assert all(event.by == staff for event in events[2:])
    assert referral.sent_at and referral.acknowledged_at and referral.completed_at
    assert referral.outcome == "needs_met"


def test_completing_a_referral_that_was_not_accepted_is_refused_with_a_clear_message():
    referral = make_referral(status="acknowledged")
    staff = referral.service.maintainers.get()
    with pytest.raises(lifecycle.InvalidTransition) as refused:
        lifecycle.complete(referral, by=staff, outcome="needs_met")
    assert str(refused.value) == (
        "This referral has not been started, so it cannot be completed. It is acknowledged."
    )
    referral.refresh_from_db()
    assert referral.status == ReferralStatus.ACKNOWLEDGED


def test_nothing_more_can_be_done_with_a_declined_referral():
    referral = make_referral(status="declined")
    staff = referral.service.maintainers.get()
    with pytest.raises(lifecycle.InvalidTransition, match="was declined, so nothing more"):
        lifecycle.accept(referral, by=staff)
    with pytest.raises(lifecycle.InvalidTransition):
        lifecycle.withdraw(referral, by=referral.referrer, reason="Changed my mind")


def test_sending_needs_a_complete_basis_for_sharing():
    referral = make_referral(sharing_basis="", consent_given_by="", consent_given_by_name="")
    from joinedup.sharing import policy

    with pytest.raises(ValidationError) as problem:
        lifecycle.send_referral(
            referral,
            by=referral.referrer,
            decision=policy.can_send_referral(referral.referrer, referral),
        )
    assert "sharing_basis" in problem.value.message_dict


def test_sending_sets_response_dates_in_working_days_and_records_the_disclosure(monkeypatch):
    # Thursday 2 April 2026, before Easter: 2 working days ends Wednesday 8 April.
    moment = datetime.datetime(2026, 4, 2, 10, 0, tzinfo=datetime.UTC)
    monkeypatch.setattr("django.utils.timezone.now", lambda: moment)
    referral = make_referral(status="sent")
    assert referral.acknowledge_by == datetime.date(2026, 4, 8)
    record = AccessRecord.objects.get(child=referral.child, what__startswith="Referral")
    assert "consent from Sam Parent" in record.reason
    assert "Address and parent or carer contact details" in record.reason


def test_the_service_is_told_of_a_new_referral_and_the_referrer_of_the_answer(
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        referral = make_referral(status="sent")
    staff = referral.service.maintainers.get()
    assert Notification.objects.filter(recipient=staff, subject__startswith="New referral").exists()
    assert any(staff.email in message.to for message in mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.acknowledge(referral, by=staff)
    assert Notification.objects.filter(
        recipient=referral.referrer, subject__startswith="Referral acknowledged"
    ).exists()


def test_starting_makes_the_service_involved_and_completing_ends_it():
    referral = make_referral(status="started")
    involvement = Involvement.objects.get(child=referral.child, agency=referral.service.agency)
    assert involvement.is_current
    staff = referral.service.maintainers.get()
    lifecycle.complete(referral, by=staff, outcome="partly_met")
    involvement.refresh_from_db()
    assert not involvement.is_current


def test_a_decline_may_suggest_another_service_and_the_referrer_refers_again():
    referral = make_referral(status="acknowledged")
    better = ServiceFactory()
    staff = referral.service.maintainers.get()
    declined = lifecycle.decline(
        referral, by=staff, reason="better_elsewhere", suggested_service=better, note="Try them"
    )
    again = lifecycle.re_refer(declined, by=referral.referrer, service=better)
    assert again.status == "draft" and again.follows == referral
    assert again.reason == referral.reason
    assert again.sharing_basis == ""


def test_a_service_outside_joined_up_has_its_replies_recorded_by_the_referrer():
    outside = ServiceFactory(
        accepts_referrals_in_app=False,
        how_to_refer_outside="email",
        referral_address="referrals@outside.example",
    )
    referral = make_referral(service=outside, status="accepted")
    assert referral.handled_outside
    events = list(referral.events.all())
    assert events[-1].recorded_by_hand and events[-1].by == referral.referrer


def test_details_are_checked():
    with pytest.raises(ValidationError) as problem:
        lifecycle._check_details(
            referral_details(reason="", consent_given_by="young_person"), None, sending=True
        )
    assert {"reason", "consent_competence_note"} <= set(problem.value.message_dict)
