"""The referrer's side of referrals through the pages: making, checking and sending,
withdrawing, referring again after a decline; the referral's page and who may see it;
"My referrals"; the child's page listing the child's referrals."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import plan, services
from joinedup.casework.models import Outcome
from joinedup.partnerships.models import SensitiveService
from joinedup.referrals import lifecycle
from joinedup.referrals.lifecycle import InvalidTransition
from joinedup.referrals.models import Referral, ReferralEvent
from joinedup.sharing.models import AccessRecord
from tests.children.index_support import link_records
from tests.factories import (
    AgencyFactory,
    ChildFactory,
    InvolvementFactory,
    PractitionerFactory,
)
from tests.queries import count_queries
from tests.referrals.factories import ServiceFactory, make_referral, referral_details
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def referrer_and_child():
    referrer = PractitionerFactory(first_name="Rita", last_name="Referrer")
    child = ChildFactory(address_line_1="12 Secret Street")
    InvolvementFactory(child=child, practitioner=referrer, agency=referrer.home_agency)
    return referrer, child


def consent_form(service, **overrides) -> dict[str, str]:
    data = {
        "service": str(service.pk),
        "reason": "Speech is hard to understand",
        "urgency": "routine",
        "shared_sections": ["contact"],
        "sharing_basis": "consent",
        "consent_given_by": "parent_carer",
        "consent_given_by_name": "Sam Parent",
        "consent_given_on_day": str(TODAY.day),
        "consent_given_on_month": str(TODAY.month),
        "consent_given_on_year": str(TODAY.year),
    }
    data.update(overrides)
    return data


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


# Making and sending ------------------------------------------------------------------------


def test_a_practitioner_makes_checks_and_sends_a_referral(client):
    referrer, child = referrer_and_child()
    staff = PractitionerFactory()
    service = ServiceFactory(
        name="Speech Steps",
        accepts_referrals_in_app=True,
        waiting_weeks=6,
        acknowledge_within_working_days=3,
    )
    service.maintainers.add(staff)
    waiting = make_referral(service=service, status="accepted")
    assert waiting.status == "accepted"
    sign_in_verified(client, referrer)

    new = client.get(reverse("referrals:new", args=[child.pk]) + f"?service={service.slug}")
    assert new.status_code == 200
    assert child.full_name in text(new)
    assert f'value="{service.pk}" selected' in text(new)

    made = client.post(reverse("referrals:new", args=[child.pk]), consent_form(service))
    referral = Referral.objects.get(child=child, referrer=referrer)
    assert referral.status == "draft"
    assert made.headers["Location"] == reverse("referrals:send", args=[referral.pk])

    check = client.get(reverse("referrals:send", args=[referral.pk]))
    page = text(check)
    assert "About 6 weeks" in page
    assert "1 child accepted and waiting to start" in page
    assert "Acknowledges within 3 working days" in page
    assert "12 Secret Street" in page  # contact details were ticked
    assert "Sam Parent" in page

    sent = client.post(reverse("referrals:send", args=[referral.pk]))
    assert sent.headers["Location"] == reverse("referrals:referral", args=[referral.pk])
    referral.refresh_from_db()
    assert referral.status == "sent"
    assert referral.acknowledge_by is not None
    assert referral.expected_wait_weeks == 6
    shown = text(client.get(sent.headers["Location"]))
    assert f"Referral {referral.reference} sent to Speech Steps" in shown
    assert "Rita Referrer" in shown


def test_form_problems_are_listed_in_an_error_summary(client):
    referrer, child = referrer_and_child()
    service = ServiceFactory()
    sign_in_verified(client, referrer)
    response = client.post(
        reverse("referrals:new", args=[child.pk]),
        consent_form(service, reason="", consent_given_by="young_person"),
    )
    page = text(response)
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "Say why you are referring the child" in page
    assert "Say why the young person is competent to decide for themselves" in page
    assert not Referral.objects.exists()


def test_a_lawful_reason_needs_words(client):
    referrer, child = referrer_and_child()
    service = ServiceFactory()
    sign_in_verified(client, referrer)
    response = client.post(
        reverse("referrals:new", args=[child.pk]),
        consent_form(service, sharing_basis="lawful_reason", lawful_basis="safeguarding"),
    )
    assert "Say why the information is shared without consent" in text(response)
    client.post(
        reverse("referrals:new", args=[child.pk]),
        consent_form(
            service,
            sharing_basis="lawful_reason",
            lawful_basis="safeguarding",
            lawful_reason="A disclosure at school today",
        ),
    )
    referral = Referral.objects.get()
    assert referral.lawful_reason == "A disclosure at school today"
    assert referral.consent_given_by_name == ""


def test_without_an_episode_the_assessment_and_plan_are_not_offered(client):
    referrer, child = referrer_and_child()
    service = ServiceFactory()
    sign_in_verified(client, referrer)
    page = text(client.get(reverse("referrals:new", args=[child.pk])))
    assert 'value="contact"' in page
    assert 'value="plan"' not in page
    response = client.post(
        reverse("referrals:new", args=[child.pk]),
        consent_form(service, shared_sections=["plan"]),
    )
    assert "There is a problem" in text(response)
    assert not Referral.objects.exists()


def test_a_referral_from_a_plan_action_belongs_to_its_episode(client):
    lead, child = referrer_and_child()
    episode = services.open_episode(practitioner=lead, children=[child])
    need = plan.add_need(practitioner=lead, episode=episode, description="Speech")
    desired = plan.add_desired_outcome(
        practitioner=lead,
        need=need,
        description="Talks in sentences",
        outcomes=list(Outcome.objects.filter(code="enjoying-and-achieving")),
    )
    action = plan.add_action(
        practitioner=lead,
        desired_outcome=desired,
        description="Refer to speech and language therapy",
        due_on=TODAY,
        responsible_practitioner=lead,
    )
    service = ServiceFactory()
    sign_in_verified(client, lead)
    plan_page = text(client.get(reverse("casework:plan", args=[episode.pk])))
    link = reverse("referrals:new", args=[child.pk]) + f"?action={action.pk}"
    assert link in plan_page.replace("&amp;", "&")

    form = text(client.get(link))
    assert 'value="plan"' in form
    assert "Refer to speech and language therapy" in form
    client.post(link, consent_form(service, shared_sections=["plan"]))
    referral = Referral.objects.get()
    assert referral.action == action
    assert referral.episode == episode
    assert referral.shared_sections == ["plan"]


def test_an_unrelated_practitioner_may_not_refer_the_child(client):
    _referrer, child = referrer_and_child()
    sign_in_verified(client, PractitionerFactory())
    assert client.get(reverse("referrals:new", args=[child.pk])).status_code == 403


def test_a_full_service_is_warned_about_and_a_service_outside_gets_a_pack(client):
    referrer, child = referrer_and_child()
    outside = ServiceFactory(
        accepts_referrals_in_app=False,
        capacity="full",
        how_to_refer_outside="email",
        referral_address="referrals@outside.example",
    )
    referral = lifecycle.create_draft(
        referrer=referrer, child=child, service=outside, details=referral_details()
    )
    sign_in_verified(client, referrer)
    page = text(client.get(reverse("referrals:send", args=[referral.pk])))
    assert "says it is full" in page
    assert "referral pack" in page
    assert "referrals@outside.example" in page


def test_an_incomplete_basis_stops_sending_with_a_link_to_change_it(client):
    referrer, child = referrer_and_child()
    referral = lifecycle.create_draft(
        referrer=referrer,
        child=child,
        service=ServiceFactory(),
        details=referral_details(sharing_basis="", consent_given_by="", consent_given_on=None),
    )
    sign_in_verified(client, referrer)
    response = client.post(reverse("referrals:send", args=[referral.pk]))
    page = text(response)
    assert response.status_code == 200
    assert "Say on what basis you are sharing the information" in page
    assert reverse("referrals:edit-referral", args=[referral.pk]) in page
    referral.refresh_from_db()
    assert referral.status == "draft"


def test_a_refused_step_shows_its_message_not_an_error_page(client, monkeypatch):
    referrer, child = referrer_and_child()
    referral = make_referral(referrer=referrer, child=child)

    def already_sent(*args, **kwargs):
        raise InvalidTransition("This referral has already been sent (it is sent).")

    monkeypatch.setattr(lifecycle, "send_referral", already_sent)
    sign_in_verified(client, referrer)
    response = client.post(reverse("referrals:send", args=[referral.pk]))
    assert response.status_code == 200
    assert "This referral has already been sent" in text(response)


def test_the_referrer_changes_a_draft(client):
    referrer, child = referrer_and_child()
    referral = make_referral(referrer=referrer, child=child)
    other = ServiceFactory(name="Other Service")
    sign_in_verified(client, referrer)
    url = reverse("referrals:edit-referral", args=[referral.pk])
    assert "Sam Parent" in text(client.get(url))
    response = client.post(url, consent_form(other, urgency="urgent"))
    assert response.headers["Location"] == reverse("referrals:send", args=[referral.pk])
    referral.refresh_from_db()
    assert referral.service == other
    assert referral.is_urgent


# Who sees what ---------------------------------------------------------------------------------


def test_the_service_staff_see_only_the_parts_shared(client):
    referrer, child = referrer_and_child()
    link_records(
        child,
        referrer.home_agency,
        {
            "Record ID": "S1",
            "Given name": child.given_name,
            "Parent or carer 1 name": "Pat Example",
            "Educational setting": "Hilltop Academy",
        },
    )
    staff = PractitionerFactory()
    referral = make_referral(
        referrer=referrer, child=child, staff=staff, status="sent", shared_sections=("setting",)
    )
    sign_in_verified(client, staff)
    response = client.get(reverse("referrals:referral", args=[referral.pk]))
    page = text(response)
    assert response.status_code == 200
    assert child.full_name in page
    assert "Hilltop Academy" in page
    assert "12 Secret Street" not in page
    assert "Pat Example" not in page
    record = AccessRecord.objects.filter(practitioner=staff).latest("occurred_at")
    assert record.what == f"Referral {referral.reference}"
    assert record.child == child
    assert record.basis == "receiving_service"


def test_an_unrelated_practitioner_is_refused_the_referral(client):
    referral = make_referral(status="sent")
    sign_in_verified(client, PractitionerFactory())
    assert client.get(reverse("referrals:referral", args=[referral.pk])).status_code == 403


def test_a_declined_referral_is_no_longer_seen_by_the_service(client):
    referrer, child = referrer_and_child()
    staff = PractitionerFactory()
    referral = make_referral(referrer=referrer, child=child, staff=staff, status="declined")
    sign_in_verified(client, staff)
    assert client.get(reverse("referrals:referral", args=[referral.pk])).status_code == 403
    client.logout()
    sign_in_verified(client, referrer)
    page = text(client.get(reverse("referrals:referral", args=[referral.pk])))
    assert "Does not meet the service's criteria" in page
    assert reverse("referrals:refer-again", args=[referral.pk]) in page


def test_nobody_acts_on_someone_elses_referral(client):
    referrer, child = referrer_and_child()
    staff = PractitionerFactory()
    draft = make_referral(referrer=referrer, child=child, staff=staff)
    sent = make_referral(referrer=referrer, child=child, staff=staff, status="sent")
    colleague = PractitionerFactory(home_agency=referrer.home_agency)
    InvolvementFactory(child=child, practitioner=colleague, agency=colleague.home_agency)
    for person in (colleague, staff):
        sign_in_verified(client, person)
        assert client.post(reverse("referrals:send", args=[draft.pk])).status_code == 403
        assert (
            client.post(
                reverse("referrals:edit-referral", args=[draft.pk]), consent_form(draft.service)
            ).status_code
            == 403
        )
        assert (
            client.post(
                reverse("referrals:withdraw", args=[sent.pk]), {"reason": "Not mine"}
            ).status_code
            == 403
        )
        client.logout()
    draft.refresh_from_db()
    sent.refresh_from_db()
    assert (draft.status, sent.status) == ("draft", "sent")


# Withdrawing and referring again --------------------------------------------------------------


def test_the_referrer_withdraws_with_a_reason(client):
    referrer, child = referrer_and_child()
    referral = make_referral(referrer=referrer, child=child, status="acknowledged")
    sign_in_verified(client, referrer)
    url = reverse("referrals:withdraw", args=[referral.pk])
    assert "Say why you are withdrawing the referral" in text(client.post(url, {"reason": ""}))
    response = client.post(url, {"reason": "The family moved away"})
    assert response.headers["Location"] == reverse("referrals:referral", args=[referral.pk])
    referral.refresh_from_db()
    assert referral.status == "withdrawn"
    assert referral.withdrawal_reason == "The family moved away"
    assert client.get(url).status_code == 403  # closed: nothing more to withdraw


def test_after_a_decline_the_referrer_refers_again_to_the_suggested_service(client):
    referrer, child = referrer_and_child()
    referral = make_referral(referrer=referrer, child=child, status="acknowledged")
    suggested = ServiceFactory(name="Better Fit")
    lifecycle.decline(
        referral,
        by=referral.service.maintainers.first(),
        reason="better_elsewhere",
        suggested_service=suggested,
    )
    sign_in_verified(client, referrer)
    url = reverse("referrals:refer-again", args=[referral.pk])
    assert f'value="{suggested.pk}" selected' in text(client.get(url))

    response = client.post(url, {"service": str(suggested.pk)})
    again = Referral.objects.get(follows=referral)
    assert response.headers["Location"] == reverse("referrals:edit-referral", args=[again.pk])
    assert again.service == suggested
    assert again.status == "draft"
    assert again.reason == referral.reason
    assert again.sharing_basis == ""
    assert reverse("referrals:referral", args=[again.pk]) in text(
        client.get(reverse("referrals:referral", args=[referral.pk]))
    )


def test_the_same_service_cannot_be_chosen_again(client):
    referrer, child = referrer_and_child()
    referral = make_referral(referrer=referrer, child=child, status="declined")
    sign_in_verified(client, referrer)
    response = client.post(
        reverse("referrals:refer-again", args=[referral.pk]),
        {"service": str(referral.service_id)},
    )
    assert "Choose a service from the list" in text(response)
    assert not Referral.objects.filter(follows=referral).exists()


# The referral's history ------------------------------------------------------------------------


def test_the_history_names_who_did_what_and_replies_recorded_by_hand(client):
    referrer, child = referrer_and_child()
    outside = ServiceFactory(
        accepts_referrals_in_app=False,
        how_to_refer_outside="email",
        referral_address="referrals@outside.example",
    )
    referral = make_referral(referrer=referrer, child=child, service=outside, status="acknowledged")
    sign_in_verified(client, referrer)
    page = text(client.get(reverse("referrals:referral", args=[referral.pk])))
    assert "Recorded by hand from Phone call with the service" in page
    assert page.count("Rita Referrer") >= 3
    assert ReferralEvent.objects.filter(referral=referral).count() == 3


# My referrals ------------------------------------------------------------------------------------


def test_my_referrals_lists_live_first_with_urgent_and_overdue_tags(client):
    referrer, child = referrer_and_child()
    withdrawn = make_referral(referrer=referrer, child=child, status="withdrawn")
    urgent = make_referral(referrer=referrer, child=child, status="sent", urgency="urgent")
    Referral.objects.filter(pk=urgent.pk).update(acknowledge_by=TODAY - datetime.timedelta(days=2))
    draft = make_referral(referrer=referrer, child=child)
    make_referral(child=child, status="sent")  # someone else's
    sign_in_verified(client, referrer)
    page = text(client.get(reverse("referrals:my-referrals")))
    order = [page.index(f"referral-row-{r.pk}") for r in (urgent, draft, withdrawn)]
    assert order == sorted(order)
    assert page.count("referral-row-") == 3
    row = page[page.index(f"referral-row-{urgent.pk}") :].split("</tr>")[0]
    assert "Urgent" in row
    assert "Overdue" in row


def test_my_referrals_makes_the_same_queries_however_many_referrals(client):
    referrer, child = referrer_and_child()
    make_referral(referrer=referrer, child=child, status="sent")
    sign_in_verified(client, referrer)
    url = reverse("referrals:my-referrals")
    before = count_queries(client, url)
    for _ in range(4):
        make_referral(referrer=referrer, status="sent")
    assert count_queries(client, url) == before


# The child's page ------------------------------------------------------------------------------


def test_the_childs_page_lists_the_referrals_and_offers_to_refer(client):
    referrer, child = referrer_and_child()
    teacher = PractitionerFactory()
    InvolvementFactory(child=child, practitioner=teacher, agency=teacher.home_agency)
    sent = make_referral(referrer=referrer, child=child, status="sent")
    draft = make_referral(referrer=referrer, child=child)
    sign_in_verified(client, teacher)
    url = reverse("children:detail", args=[child.pk])
    page = text(client.get(url))
    assert sent.service.name in page
    assert draft.service.name not in page  # a draft is its referrer's business
    assert "Rita Referrer" in page
    assert reverse("referrals:new", args=[child.pk]) in page

    before = count_queries(client, url)
    for _ in range(3):
        make_referral(child=child, status="sent")
    assert count_queries(client, url) == before


def test_from_the_childs_page_the_open_episode_goes_with_the_referral(client):
    lead, child = referrer_and_child()
    episode = services.open_episode(practitioner=lead, children=[child])
    sign_in_verified(client, lead)
    url = reverse("referrals:new", args=[child.pk])
    assert 'value="latest_assessment"' in text(client.get(url))
    client.post(url, consent_form(ServiceFactory(), shared_sections=["latest_assessment"]))
    referral = Referral.objects.get()
    assert referral.episode == episode
    assert referral.action is None


def test_a_referral_to_a_sensitive_service_is_listed_only_to_its_referrer(client):
    referrer, child = referrer_and_child()
    clinic = ServiceFactory(
        name="Quiet Clinic",
        agency=AgencyFactory(sensitive_service=SensitiveService.SEXUAL_HEALTH),
        accepts_referrals_in_app=True,
    )
    clinic.maintainers.add(PractitionerFactory())
    make_referral(referrer=referrer, child=child, service=clinic, status="sent")
    teacher = PractitionerFactory()
    InvolvementFactory(child=child, practitioner=teacher, agency=teacher.home_agency)
    sign_in_verified(client, teacher)
    assert "Quiet Clinic" not in text(client.get(reverse("children:detail", args=[child.pk])))
    client.logout()
    sign_in_verified(client, referrer)
    assert "Quiet Clinic" in text(client.get(reverse("children:detail", args=[child.pk])))
