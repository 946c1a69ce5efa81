"""Answering a referral through its pages: the receiving service's staff take each step;
for a service outside Joined Up the referrer records the service's replies by hand; steps
the referral's state does not allow are refused in plain words; nobody else may act."""

from __future__ import annotations

import datetime

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from joinedup.children.models import Involvement
from joinedup.referrals.models import Referral, ReferralEvent, ReferralStatus
from joinedup.sharing.models import AccessAction, AccessRecord
from tests.factories import ChildFactory, PractitionerFactory
from tests.referrals.factories import ServiceFactory, make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def url(name: str, referral: Referral) -> str:
    return reverse(f"referrals:{name}", kwargs={"referral_id": referral.pk})


def staff_of(referral: Referral):
    return referral.service.maintainers.get()


def outside_referral(status: str = "sent") -> Referral:
    service = ServiceFactory(
        name="Riverside Family Mediation",
        accepts_referrals_in_app=False,
        how_to_refer_outside="email",
        referral_address="referrals@mediation.example",
    )
    return make_referral(service=service, status=status)


def refreshed(referral: Referral) -> Referral:
    return Referral.objects.get(pk=referral.pk)


# The service's staff ----------------------------------------------------------------------


def test_the_service_takes_a_referral_from_new_to_completed_through_its_pages(client):
    child = ChildFactory(given_name="Amara", family_name="Lewis")
    referral = make_referral(child=child, status="sent")
    staff = staff_of(referral)
    sign_in_verified(client, staff)

    page = client.get(url("acknowledge", referral))
    assert page.status_code == 200
    assert "Amara Lewis" in page.content.decode()
    assert "Who replied, and how?" not in page.content.decode()
    response = client.post(url("acknowledge", referral), {"note": "Received, thank you"})
    assert response.status_code == 302
    assert response["Location"] == url("referral", referral)

    start_on = timezone.localdate() + datetime.timedelta(days=21)
    response = client.post(
        url("accept", referral),
        {
            "expected_start_on_day": str(start_on.day),
            "expected_start_on_month": str(start_on.month),
            "expected_start_on_year": str(start_on.year),
            "note": "A place in the spring group",
        },
    )
    assert response.status_code == 302
    assert refreshed(referral).expected_start_on == start_on

    assert client.post(url("start", referral), {"note": ""}).status_code == 302
    assert Involvement.objects.current().filter(child=child, practitioner=staff).exists()

    response = client.post(
        url("complete", referral), {"outcome": "needs_met", "note": "Talking in sentences"}
    )
    # Completed, the referral is no longer the service's to see: back to its referrals.
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "referrals:service-referrals", kwargs={"service_slug": referral.service.slug}
    )
    done = refreshed(referral)
    assert done.status == ReferralStatus.COMPLETED
    assert done.outcome == "needs_met"
    assert done.outcome_note == "Talking in sentences"
    events = list(ReferralEvent.objects.filter(referral=referral).order_by("at", "pk"))
    assert [event.to_status for event in events[2:]] == [
        "acknowledged",
        "accepted",
        "started",
        "completed",
    ]
    assert all(event.by == staff and not event.recorded_by_hand for event in events[2:])
    assert events[2].note == "Received, thank you"


def test_an_answer_page_records_that_the_child_was_seen(client):
    referral = make_referral(status="sent")
    staff = staff_of(referral)
    sign_in_verified(client, staff)
    client.get(url("acknowledge", referral))
    record = AccessRecord.objects.filter(practitioner=staff, child=referral.child).latest("pk")
    assert record.action == AccessAction.VIEWED
    assert record.basis == "receiving_service"
    assert record.what == f"Referral {referral.reference}: answering"


def test_declining_gives_a_reason_and_may_suggest_a_better_service_from_the_directory(client):
    referral = make_referral(status="acknowledged")
    better = ServiceFactory(name="Speech and Language Drop-in", is_published=True)
    hidden = ServiceFactory(name="Unlisted Speech Clinic", is_published=False)
    sign_in_verified(client, staff_of(referral))

    page = client.get(url("decline", referral)).content.decode()
    assert "Speech and Language Drop-in" in page
    assert "Unlisted Speech Clinic" not in page
    # The service cannot suggest itself.
    assert f'value="{referral.service.pk}"' not in page

    response = client.post(url("decline", referral), {"suggested_service": str(hidden.pk)})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Choose why the referral is declined" in body
    assert "Choose a service from the directory" in body

    response = client.post(
        url("decline", referral),
        {
            "reason": "better_elsewhere",
            "note": "Their drop-in suits this need",
            "suggested_service": str(better.pk),
        },
    )
    assert response.status_code == 302
    declined = refreshed(referral)
    assert declined.status == ReferralStatus.DECLINED
    assert declined.decline_reason == "better_elsewhere"
    assert declined.suggested_service == better


def test_declining_for_another_reason_needs_words(client):
    referral = make_referral(status="acknowledged")
    sign_in_verified(client, staff_of(referral))
    response = client.post(url("decline", referral), {"reason": "other", "note": "  "})
    assert response.status_code == 400
    assert "Say why the referral is declined" in response.content.decode()
    assert refreshed(referral).status == ReferralStatus.ACKNOWLEDGED


def test_an_expected_start_in_the_past_is_refused_beside_the_date(client):
    referral = make_referral(status="acknowledged")
    sign_in_verified(client, staff_of(referral))
    response = client.post(url("accept", referral), {"expected_start_on": "2020-01-06"})
    assert response.status_code == 400
    assert "The expected start must be in the future" in response.content.decode()
    assert refreshed(referral).status == ReferralStatus.ACKNOWLEDGED


# Steps the state does not allow -----------------------------------------------------------


def test_completing_a_referral_that_was_not_accepted_is_refused_with_a_clear_message(client):
    referral = make_referral(status="acknowledged")
    sign_in_verified(client, staff_of(referral))
    message = "This referral has not been started, so it cannot be completed. It is acknowledged."

    page = client.get(url("complete", referral))
    assert page.status_code == 200
    assert message in page.content.decode()
    assert "govuk-error-summary" in page.content.decode()

    response = client.post(url("complete", referral), {"outcome": "needs_met"})
    assert response.status_code == 400
    assert message in response.content.decode()
    assert refreshed(referral).status == ReferralStatus.ACKNOWLEDGED


def test_accepting_before_acknowledging_is_refused(client):
    referral = make_referral(status="sent")
    sign_in_verified(client, staff_of(referral))
    response = client.post(url("accept", referral), {})
    assert response.status_code == 400
    assert "has not been acknowledged, so it cannot be accepted" in response.content.decode()


# Who may act ----------------------------------------------------------------------------


@pytest.mark.parametrize("step", ["acknowledge", "accept", "decline", "start", "complete"])
def test_someone_else_may_not_act_on_a_referral(client, step):
    referral = make_referral(status="sent")
    other_service_staff = PractitionerFactory()
    ServiceFactory(accepts_referrals_in_app=True).maintainers.add(other_service_staff)
    sign_in_verified(client, other_service_staff)
    assert client.get(url(step, referral)).status_code == 403
    assert client.post(url(step, referral), {"note": "x"}).status_code == 403
    assert refreshed(referral).status == ReferralStatus.SENT


def test_the_referrer_may_not_answer_for_a_service_in_joined_up(client):
    referral = make_referral(status="sent")
    sign_in_verified(client, referral.referrer)
    response = client.post(url("acknowledge", referral), {"reply_from": "Phone call"})
    assert response.status_code == 403
    assert refreshed(referral).status == ReferralStatus.SENT


def test_staff_of_a_service_outside_joined_up_may_not_answer_its_referrals(client):
    referral = outside_referral()
    staff = PractitionerFactory()
    referral.service.maintainers.add(staff)
    sign_in_verified(client, staff)
    assert client.get(url("acknowledge", referral)).status_code == 403
    assert client.post(url("acknowledge", referral), {}).status_code == 403
    assert refreshed(referral).status == ReferralStatus.SENT


def test_nobody_answers_a_closed_referral(client):
    referral = make_referral(status="declined")
    sign_in_verified(client, staff_of(referral))
    assert client.get(url("accept", referral)).status_code == 403


# A service outside Joined Up: the referrer records its replies ----------------------------


def test_the_referrer_records_an_outside_services_replies_by_hand(client):
    referral = outside_referral()
    referrer = referral.referrer
    sign_in_verified(client, referrer)

    page = client.get(url("acknowledge", referral)).content.decode()
    assert "Record that the service acknowledged the referral" in page
    assert "Who replied, and how?" in page

    response = client.post(url("acknowledge", referral), {"note": "They have it"})
    assert response.status_code == 400
    assert "Say who at the service replied, and how" in response.content.decode()
    assert refreshed(referral).status == ReferralStatus.SENT

    response = client.post(
        url("acknowledge", referral),
        {"reply_from": "Sam Patel, service manager, by email", "note": "They have it"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("referral", referral)
    response = client.post(url("accept", referral), {"reply_from": "Sam Patel, by phone"})
    assert response.status_code == 302
    response = client.post(url("start", referral), {"reply_from": "Letter to the family"})
    assert response.status_code == 302
    response = client.post(
        url("complete", referral),
        {"reply_from": "Closing letter from Sam Patel", "outcome": "partly_met"},
    )
    assert response.status_code == 302

    events = list(
        ReferralEvent.objects.filter(
            referral=referral, from_status__in=["sent", "acknowledged", "accepted", "started"]
        ).order_by("at", "pk")
    )
    assert [event.to_status for event in events] == [
        "acknowledged",
        "accepted",
        "started",
        "completed",
    ]
    assert all(event.recorded_by_hand and event.by == referrer for event in events)
    assert [event.reply_from for event in events] == [
        "Sam Patel, service manager, by email",
        "Sam Patel, by phone",
        "Letter to the family",
        "Closing letter from Sam Patel",
    ]
    # The outside service's work is recorded as its agency's, with no practitioner named.
    involvement = Involvement.objects.get(child=referral.child, agency=referral.service.agency)
    assert involvement.practitioner is None
    assert involvement.ended_on == timezone.localdate()


def test_the_referrer_records_an_outside_services_decline(client):
    referral = outside_referral(status="acknowledged")
    sign_in_verified(client, referral.referrer)
    response = client.post(
        url("decline", referral),
        {"reply_from": "Email from the service", "reason": "outside_area"},
    )
    assert response.status_code == 302
    # The referrer still sees their declined referral.
    assert response["Location"] == url("referral", referral)
    event = ReferralEvent.objects.get(referral=referral, to_status="declined")
    assert event.recorded_by_hand and event.reply_from == "Email from the service"


# The referral page's buttons ---------------------------------------------------------------


def actions(referral: Referral, **flags) -> str:
    context = {
        "referral": referral,
        "may_respond": False,
        "may_record_reply": False,
        "may_download_pack": False,
        "may_export_fhir": False,
    }
    context.update(flags)
    return render_to_string("referrals/_answer_actions.html", context)


def test_the_referral_page_offers_only_the_steps_the_state_allows():
    sent = make_referral(status="sent")
    html = actions(sent, may_respond=True)
    assert url("acknowledge", sent) in html
    assert url("accept", sent) not in html

    acknowledged = make_referral(status="acknowledged")
    html = actions(acknowledged, may_respond=True)
    assert ">Accept<" in html and ">Decline<" in html
    assert url("acknowledge", acknowledged) not in html

    accepted = make_referral(status="accepted")
    html = actions(accepted, may_respond=True)
    assert url("start", accepted) in html and url("complete", accepted) not in html

    # Someone who may neither answer nor record a reply sees no steps at all.
    assert "govuk-button" not in actions(sent)


def test_the_referral_page_words_steps_as_recording_an_outside_reply():
    referral = outside_referral()
    html = actions(referral, may_record_reply=True, may_download_pack=True, may_export_fhir=True)
    assert "Record the service&#x27;s reply: acknowledged" in html
    assert f"/referrals/{referral.pk}/" in html
    assert "Download the referral pack" in html
    assert "FHIR" in html
