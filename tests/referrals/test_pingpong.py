"""The coordinator's ping-pong list: children referred on from service to service with
nobody taking them on, and someone taking ownership of each."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.models import Notification
from joinedup.partnerships.models import MembershipRole
from joinedup.referrals.models import PingPongOwnership, Referral
from joinedup.referrals.pingpong import pingpong_children
from joinedup.sharing.models import AccessRecord
from tests.factories import (
    AgencyFactory,
    ChildFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)
from tests.queries import count_queries
from tests.referrals.factories import ServiceFactory, make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def in_app_service(agency) -> Any:
    return ServiceFactory(
        agency=agency, accepts_referrals_in_app=True, maintainers=[PractitionerFactory()]
    )


def sent_days_ago(referral: Referral, days: int) -> None:
    Referral.objects.filter(pk=referral.pk).update(
        sent_at=timezone.now() - datetime.timedelta(days=days)
    )


@dataclass
class Area:
    partnership: Any
    coordinator: Any
    member: Any
    referrer: Any
    agencies: list[Any]
    children: dict[str, Any]

    def chain(self, name: str, statuses: list[str], *, agencies: int = 1, referrer=None) -> Any:
        """A child referred once per status, to services of ``agencies`` agencies in turn,
        each sent a few days after the one before."""
        child = self.children[name] = ChildFactory(given_name=name.title().replace("_", ""))
        for number, status in enumerate(statuses):
            service = in_app_service(self.agencies[number % agencies])
            referral = make_referral(
                referrer=referrer or self.referrer, child=child, service=service, status=status
            )
            sent_days_ago(referral, 60 - number * 10)
        return child


@pytest.fixture
def area(db) -> Area:
    partnership = PartnershipFactory(name="North Panel")
    coordinator = PractitionerFactory(username="coordinator")
    member = PractitionerFactory(username="member")
    referrer = PractitionerFactory(username="referrer")
    MembershipFactory(
        partnership=partnership, practitioner=coordinator, role=MembershipRole.COORDINATOR
    )
    MembershipFactory(partnership=partnership, practitioner=member)
    MembershipFactory(partnership=partnership, practitioner=referrer)
    return Area(
        partnership=partnership,
        coordinator=coordinator,
        member=member,
        referrer=referrer,
        agencies=[AgencyFactory(name=f"Agency {letter}") for letter in "ABCD"],
        children={},
    )


@pytest.fixture
def fixture_children(area: Area) -> Area:
    area.chain("three_declines", ["declined"] * 3)
    area.chain("two_declines", ["declined"] * 2)
    area.chain("declines_but_started", ["declined", "declined", "declined", "started"])
    old = area.chain("one_decline_old", ["declined"] * 3)
    sent_days_ago(Referral.objects.filter(child=old).order_by("pk").first(), 100)
    area.chain("three_agencies", ["sent", "acknowledged", "accepted"], agencies=3)
    area.chain("same_agency", ["sent", "acknowledged", "accepted"], agencies=1)
    # Outside the partnership's scope: a referrer who is not a member, to services of
    # agencies that are not its members.
    area.chain("outside", ["declined"] * 3, agencies=3, referrer=PractitionerFactory())
    return area


def found(area: Area, **kwargs) -> dict[str, list[str]]:
    names = {child.pk: name for name, child in area.children.items()}
    return {
        names[entry.child.pk]: entry.rules
        for entry in pingpong_children(area.partnership, **kwargs)
    }


def test_the_list_finds_children_with_three_declines_or_a_chain_of_three_agencies(
    fixture_children,
):
    assert found(fixture_children) == {
        "three_declines": ["3 referrals declined in 90 days"],
        "three_agencies": ["referred to 3 agencies in 90 days"],
    }


def test_each_child_comes_with_their_referrals_in_order_and_what_they_were(fixture_children):
    entries = {entry.child.pk: entry for entry in pingpong_children(fixture_children.partnership)}
    chain = entries[fixture_children.children["three_agencies"].pk]
    assert [referral.status for referral in chain.referrals] == ["sent", "acknowledged", "accepted"]
    assert [referral.service.agency.name for referral in chain.referrals] == [
        "Agency A",
        "Agency B",
        "Agency C",
    ]
    assert all(referral.referrer == fixture_children.referrer for referral in chain.referrals)
    declined = entries[fixture_children.children["three_declines"].pk]
    assert {referral.decline_reason for referral in declined.referrals} == {"criteria_not_met"}
    assert declined.ownership is None


def test_the_thresholds_and_window_come_from_the_settings(fixture_children, settings):
    settings.PINGPONG_DECLINES = 2
    assert set(found(fixture_children)) == {
        "three_declines",
        "two_declines",
        "one_decline_old",
        "three_agencies",
    }
    settings.PINGPONG_DECLINES = 3
    settings.PINGPONG_WINDOW_DAYS = 120
    assert found(fixture_children)["one_decline_old"] == ["3 referrals declined in 120 days"]
    settings.PINGPONG_WINDOW_DAYS = 90
    settings.PINGPONG_CHAIN_AGENCIES = 4
    assert set(found(fixture_children)) == {"three_declines"}


def test_a_chain_to_one_agency_is_listed_once_it_has_three_declines(area):
    child = area.chain("same_agency", ["declined", "declined", "declined"], agencies=1)
    assert [entry.child for entry in pingpong_children(area.partnership)] == [child]


def test_a_child_matching_both_rules_says_so(area):
    area.chain("both", ["declined"] * 3, agencies=3)
    assert found(area) == {
        "both": ["3 referrals declined in 90 days", "referred to 3 agencies in 90 days"]
    }


def test_a_referral_to_a_member_agency_is_in_scope_whoever_made_it(area):
    area.partnership.member_agencies.add(area.agencies[0])
    area.chain("via_agency", ["declined"] * 3, referrer=PractitionerFactory())
    assert set(found(area)) == {"via_agency"}


def coordinator_client(client, area: Area):
    sign_in_verified(client, area.coordinator)
    return client


def test_the_coordinator_sees_the_list_with_each_child_and_their_referrals(
    client, fixture_children
):
    area = fixture_children
    url = reverse("referrals:pingpong", args=[area.partnership.pk])
    response = coordinator_client(client, area).get(url)
    assert response.status_code == 200
    page = response.content.decode()
    listed = [area.children["three_declines"], area.children["three_agencies"]]
    for child in listed:
        assert child.full_name in page
        assert child.date_of_birth.strftime("%-d %B %Y") in page
        assert f'id="chain-{child.pk}"' in page
    assert area.children["two_declines"].full_name not in page
    assert "3 referrals declined in 90 days" in page
    assert "Referred to 3 agencies in 90 days" in page
    records = AccessRecord.objects.filter(practitioner=area.coordinator, action="listed")
    assert {record.child_id for record in records} == {child.pk for child in listed}
    assert {record.basis for record in records} == {"partnership_oversight"}


def test_the_partnership_page_links_its_coordinator_to_the_list(client, area):
    response = coordinator_client(client, area).get(
        reverse("partnerships:detail", args=[area.partnership.pk])
    )
    assert reverse("referrals:pingpong", args=[area.partnership.pk]) in response.content.decode()


def test_the_list_makes_the_same_number_of_queries_however_many_children(client, area):
    coordinator_client(client, area)
    url = reverse("referrals:pingpong", args=[area.partnership.pk])
    area.chain("first", ["declined"] * 3, agencies=3)
    one = count_queries(client, url)
    for number in range(4):
        area.chain(f"more_{number}", ["declined", "sent", "accepted"], agencies=3)
    PingPongOwnership.objects.create(
        child=area.children["more_0"],
        partnership=area.partnership,
        owner=area.member,
        note="Calling the family",
        recorded_by=area.coordinator,
    )
    assert len(pingpong_children(area.partnership)) == 5
    assert count_queries(client, url) == one


def test_taking_ownership_for_a_member_records_it_and_tells_them(client, area):
    child = area.chain("lost", ["declined"] * 3)
    url = reverse("referrals:pingpong-own", args=[area.partnership.pk, child.pk])
    coordinator_client(client, area)
    form = client.get(url)
    assert form.status_code == 200
    assert child.full_name in form.content.decode()

    response = client.post(
        url, {"owner": area.member.pk, "note": "Meet the family and agree a service"}
    )
    assert response.status_code == 302
    ownership = PingPongOwnership.objects.get(child=child)
    assert ownership.owner == area.member
    assert ownership.recorded_by == area.coordinator
    assert ownership.partnership == area.partnership
    notification = Notification.objects.get(recipient=area.member, kind="pingpong")
    assert "take ownership" in notification.subject
    assert "Meet the family" in notification.body
    entry = pingpong_children(area.partnership)[0]
    assert entry.ownership == ownership
    listed = client.get(reverse("referrals:pingpong", args=[area.partnership.pk]))
    assert "Meet the family and agree a service" in listed.content.decode()


def test_a_coordinator_taking_ownership_themselves_is_not_notified(client, area):
    child = area.chain("lost", ["declined"] * 3)
    coordinator_client(client, area).post(
        reverse("referrals:pingpong-own", args=[area.partnership.pk, child.pk]),
        {"owner": area.coordinator.pk, "note": "I will chair a meeting"},
    )
    assert PingPongOwnership.objects.get(child=child).owner == area.coordinator
    assert not Notification.objects.filter(kind="pingpong").exists()


def test_the_owner_must_be_in_the_partnership_and_the_next_step_said(client, area):
    child = area.chain("lost", ["declined"] * 3)
    url = reverse("referrals:pingpong-own", args=[area.partnership.pk, child.pk])
    coordinator_client(client, area)
    outsider = PractitionerFactory()
    response = client.post(url, {"owner": outsider.pk, "note": "Ring them"})
    assert response.status_code == 400
    assert "Choose yourself or a current member of the partnership" in response.content.decode()
    response = client.post(url, {"owner": area.member.pk, "note": " "})
    assert response.status_code == 400
    assert "Say what the owner will do next" in response.content.decode()
    assert not PingPongOwnership.objects.exists()


def test_ownership_is_only_for_children_referred_in_the_partnerships_scope(client, area):
    outside = area.chain("outside", ["declined"] * 3, referrer=PractitionerFactory())
    response = coordinator_client(client, area).get(
        reverse("referrals:pingpong-own", args=[area.partnership.pk, outside.pk])
    )
    assert response.status_code == 404


def test_members_who_are_not_the_coordinator_cannot_see_the_list(client, area):
    sign_in_verified(client, area.member)
    response = client.get(reverse("referrals:pingpong", args=[area.partnership.pk]))
    assert response.status_code == 403
