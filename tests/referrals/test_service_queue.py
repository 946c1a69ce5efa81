"""A service's referrals page: new referrals (urgent first, overdue flagged), those waiting
for a decision, the waiting list in order with places, the work in progress, closed ones
only counted; its waiting time; and "My services" linking to it."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.referrals import service_queue
from joinedup.referrals.models import Referral, Service
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction, AccessRecord
from tests.factories import ChildFactory, PractitionerFactory
from tests.queries import count_queries
from tests.referrals.factories import ServiceFactory, make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def page_url(service: Service) -> str:
    return reverse("referrals:service-referrals", kwargs={"service_slug": service.slug})


def in_app_service(**fields) -> tuple[Service, object]:
    staff = PractitionerFactory()
    service = ServiceFactory(accepts_referrals_in_app=True, **fields)
    service.maintainers.add(staff)
    return service, staff


def refer(service: Service, status: str, name: str, **details) -> Referral:
    child = ChildFactory(given_name=name, family_name="Testchild")
    return make_referral(service=service, child=child, status=status, **details)


def backdate(referral: Referral, **fields) -> None:
    Referral.objects.filter(pk=referral.pk).update(**fields)


def queue_for(service: Service, staff) -> service_queue.ServiceQueue:
    return service_queue.service_queue(
        practitioner=staff,
        service=service,
        decision=policy.can_view_service_referrals(staff, service),
    )


def names(entries) -> list[str]:
    return [entry.referral.child.given_name for entry in entries]


def test_new_referrals_come_urgent_first_then_oldest_with_overdue_ones_flagged(client):
    service, staff = in_app_service()
    now = timezone.now()
    older = refer(service, "sent", "Older")
    newer = refer(service, "sent", "Newer")
    urgent = refer(service, "sent", "Urgent", urgency="urgent")
    backdate(
        older, sent_at=now - datetime.timedelta(days=9), acknowledge_by=datetime.date(2020, 1, 6)
    )
    backdate(newer, sent_at=now - datetime.timedelta(days=1))
    backdate(urgent, sent_at=now)

    queue = queue_for(service, staff)
    assert names(queue.awaiting_acknowledgement) == ["Urgent", "Older", "Newer"]
    assert [entry.is_overdue for entry in queue.awaiting_acknowledgement] == [False, True, False]

    sign_in_verified(client, staff)
    html = client.get(page_url(service)).content.decode()
    assert html.count(">Overdue<") == 1
    assert html.index("Urgent Testchild") < html.index("Older Testchild") < html.index("Newer")


def test_the_waiting_list_is_urgent_first_then_by_acceptance_with_places(client):
    service, staff = in_app_service()
    now = timezone.now()
    first = refer(service, "accepted", "First")
    second = refer(service, "accepted", "Second")
    urgent = refer(service, "accepted", "Urgent", urgency="urgent")
    backdate(first, accepted_at=now - datetime.timedelta(days=30))
    backdate(second, accepted_at=now - datetime.timedelta(days=2))
    backdate(urgent, accepted_at=now, expected_start_on=datetime.date(2099, 5, 4))
    refer(service, "acknowledged", "Deciding")
    refer(service, "started", "Working")

    queue = queue_for(service, staff)
    assert [(entry.position, entry.referral.child.given_name) for entry in queue.waiting_list] == [
        (1, "Urgent"),
        (2, "First"),
        (3, "Second"),
    ]
    assert names(queue.awaiting_decision) == ["Deciding"]
    assert names(queue.in_progress) == ["Working"]

    sign_in_verified(client, staff)
    html = client.get(page_url(service)).content.decode()
    assert "4 May 2099" in html
    assert "Waiting list (3)" in html


def test_closed_referrals_are_counted_but_their_children_not_named(client):
    service, staff = in_app_service()
    refer(service, "declined", "Declined")
    refer(service, "completed", "Completed")
    refer(service, "withdrawn", "Withdrawn")  # a withdrawn draft was never sent: not counted
    withdrawn_after_sending = refer(service, "sent", "Withdrawnlater")
    from joinedup.referrals import lifecycle

    lifecycle.withdraw(withdrawn_after_sending, by=withdrawn_after_sending.referrer, reason="Moved")
    long_ago = refer(service, "completed", "Longago")
    backdate(long_ago, completed_at=timezone.now() - datetime.timedelta(days=120))
    refer(service, "sent", "Live")

    sign_in_verified(client, staff)
    response = client.get(page_url(service))
    html = response.content.decode()
    assert "Live Testchild" in html
    for name in ("Declined", "Completed", "Withdrawnlater", "Longago"):
        assert name not in html
    assert "3 referrals closed since" in html
    listed = AccessRecord.objects.filter(practitioner=staff, action=AccessAction.LISTED)
    assert [record.child.given_name for record in listed] == ["Live"]
    assert listed.get().basis == "receiving_service"


def test_only_the_services_staff_see_its_referrals(client):
    service, _staff = in_app_service()
    refer(service, "sent", "Hidden")
    data_manager = PractitionerFactory(is_data_manager=True, home_agency=service.agency)
    sign_in_verified(client, data_manager)
    assert client.get(page_url(service)).status_code == 403
    assert not AccessRecord.objects.filter(practitioner=data_manager).exists()


def test_the_referrals_page_makes_the_same_number_of_queries_however_many_referrals(client):
    service, staff = in_app_service()
    sign_in_verified(client, staff)
    for status in ("sent", "acknowledged", "accepted", "started", "completed"):
        refer(service, status, "One")
    few = count_queries(client, page_url(service))
    for status in ("sent", "acknowledged", "accepted", "started", "completed") * 3:
        refer(service, status, "More", referrer=PractitionerFactory())
    assert count_queries(client, page_url(service)) == few


# The waiting time ---------------------------------------------------------------------------


def test_staff_update_the_waiting_time_referrers_see(client):
    service, staff = in_app_service(waiting_weeks=2)
    sign_in_verified(client, staff)
    form_url = reverse("referrals:update-waiting-time", kwargs={"service_slug": service.slug})
    assert 'name="waiting_weeks"' in client.get(page_url(service)).content.decode()

    response = client.post(form_url, {"waiting_weeks": "200", "capacity": "limited"})
    assert response.status_code == 400
    assert "104 weeks or fewer" in response.content.decode()

    response = client.post(form_url, {"waiting_weeks": "9", "capacity": "limited"})
    assert response.status_code == 302
    assert response["Location"] == page_url(service)
    service.refresh_from_db()
    assert (service.waiting_weeks, service.capacity) == (9, "limited")
    assert service.updated_by == staff
    # A referral sent now carries the wait the referrer was shown.
    assert make_referral(service=service, status="sent").expected_wait_weeks == 9


def test_whoever_keeps_the_entry_may_update_the_waiting_time_but_not_see_referrals(client):
    service, _staff = in_app_service()
    data_manager = PractitionerFactory(is_data_manager=True, home_agency=service.agency)
    sign_in_verified(client, data_manager)
    response = client.post(
        reverse("referrals:update-waiting-time", kwargs={"service_slug": service.slug}),
        {"waiting_weeks": "", "capacity": "full"},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:service", args=[service.slug])
    service.refresh_from_db()
    assert service.waiting_weeks is None and service.capacity == "full"

    outsider = PractitionerFactory()
    sign_in_verified(client, outsider)
    response = client.post(
        reverse("referrals:update-waiting-time", kwargs={"service_slug": service.slug}),
        {"waiting_weeks": "1", "capacity": "taking_referrals"},
    )
    assert response.status_code == 403


# "My services" ------------------------------------------------------------------------------


def test_my_services_links_each_service_to_its_referrals_with_the_new_ones_counted(client):
    service, staff = in_app_service(name="Brook Nurture Group")
    refer(service, "sent", "New")
    refer(service, "sent", "Another")
    refer(service, "acknowledged", "Old")
    sign_in_verified(client, staff)
    html = client.get(reverse("referrals:my-services")).content.decode()
    assert page_url(service) in html
    assert "2 new" in html


def test_my_services_makes_the_same_number_of_queries_however_many_services(client):
    staff = PractitionerFactory()
    for _ in range(2):
        service = ServiceFactory(accepts_referrals_in_app=True)
        service.maintainers.add(staff)
        make_referral(service=service, status="sent")
    sign_in_verified(client, staff)
    few = count_queries(client, reverse("referrals:my-services"))
    for _ in range(4):
        service = ServiceFactory(accepts_referrals_in_app=True)
        service.maintainers.add(staff)
        make_referral(service=service, status="sent")
    assert count_queries(client, reverse("referrals:my-services")) == few


def test_a_long_waiting_list_is_shown_a_page_at_a_time_and_only_children_shown_are_recorded(
    client, monkeypatch
):
    monkeypatch.setattr(service_queue, "QUEUE_PAGE_SIZE", 2)
    service, staff = in_app_service()
    now = timezone.now()
    for days, name in ((5, "Ada"), (4, "Ben"), (3, "Cal"), (2, "Dee"), (1, "Eve")):
        backdate(refer(service, "accepted", name), accepted_at=now - datetime.timedelta(days=days))

    sign_in_verified(client, staff)
    before = AccessRecord.objects.filter(practitioner=staff).count()
    html = client.get(page_url(service) + "?waiting_page=2").content.decode()
    assert "Waiting list (5)" in html
    assert "Showing 3 to 4 of 5" in html
    assert "Cal Testchild" in html and "Dee Testchild" in html
    assert "Ada Testchild" not in html and "Eve Testchild" not in html
    assert 'href="?waiting_page=1#waiting-list-heading"' in html
    assert 'href="?waiting_page=3#waiting-list-heading"' in html
    listed = AccessRecord.objects.filter(practitioner=staff).order_by("pk")[before:]
    assert sorted(record.child.given_name for record in listed) == ["Cal", "Dee"]

    queue = service_queue.service_queue(
        practitioner=staff,
        service=service,
        decision=policy.can_view_service_referrals(staff, service),
        pages={"waiting": 99},
    )
    assert [(entry.position, entry.referral.child.given_name) for entry in queue.waiting_list] == [
        (5, "Eve")
    ]
