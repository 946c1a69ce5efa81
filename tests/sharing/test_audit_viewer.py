"""Audit viewers and anomaly flags (issue 6): a child's audit, a practitioner's own access
history, a data protection lead's audit of a member, and the anomaly flags."""

from __future__ import annotations

import datetime
import zoneinfo

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.partnerships.models import MembershipRole
from joinedup.sharing import anomalies, policy
from joinedup.sharing.models import AccessAction, AccessBasis, AccessRecord, SearchRecord
from tests.factories import (
    AgencyFactory,
    ChildFactory,
    InvolvementFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

UK_TIME = zoneinfo.ZoneInfo("Europe/London")


@pytest.fixture
def area(db):
    """A partnership with a data protection lead and a member involved with a child; the
    member's agency has a data manager."""
    agency = AgencyFactory(name="Riverside Academy")
    partnership = PartnershipFactory()
    partnership.member_agencies.add(agency)
    lead = PractitionerFactory(username="lead", home_agency=agency)
    member = PractitionerFactory(
        username="member", first_name="Mo", last_name="Member", home_agency=agency
    )
    data_manager = PractitionerFactory(
        username="data_manager", home_agency=agency, is_data_manager=True
    )
    outsider = PractitionerFactory(username="outsider")
    MembershipFactory(partnership=partnership, practitioner=member)
    MembershipFactory(
        partnership=partnership, practitioner=lead, role=MembershipRole.DATA_PROTECTION_LEAD
    )
    child = ChildFactory(given_name="Ada", family_name="Lane")
    InvolvementFactory(child=child, practitioner=member, role="Class teacher")
    return {
        "agency": agency,
        "lead": lead,
        "member": member,
        "data_manager": data_manager,
        "outsider": outsider,
        "child": child,
    }


def access(practitioner, child, *, when=None, flagged=False, what="Child record"):
    record = AccessRecord.objects.create(
        practitioner=practitioner,
        child=child,
        action=AccessAction.VIEWED,
        what=what,
        basis=AccessBasis.INVOLVEMENT,
        reason="Involved as Class teacher",
        flagged_for_review=flagged,
    )
    if when is not None:
        AccessRecord.objects.filter(pk=record.pk).update(occurred_at=when)
    return record


def search(practitioner, child_ids, *, when=None, parameters=None):
    record = SearchRecord.objects.create(
        practitioner=practitioner,
        parameters=parameters or {"family_name": "Lane", "strategy": "exact"},
        result_child_ids=list(child_ids),
        result_count=len(child_ids),
    )
    if when is not None:
        SearchRecord.objects.filter(pk=record.pk).update(searched_at=when)
    return record


def last_night_at(hour: int, *, nights_ago: int = 3) -> datetime.datetime:
    """A time on the night starting ``nights_ago`` evenings ago, UK time."""
    evening = timezone.localdate() - datetime.timedelta(days=nights_ago)
    day = evening if hour >= 12 else evening + datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour, 0), tzinfo=UK_TIME)


# Who sees what -------------------------------------------------------------------------


@pytest.mark.django_db
def test_child_audit_is_for_data_managers_and_data_protection_leads(area):
    child = area["child"]
    assert policy.can_view_child_audit(area["data_manager"], child).basis == (
        AccessBasis.DATA_MANAGER
    )
    assert policy.can_view_child_audit(area["lead"], child).basis == (
        AccessBasis.PARTNERSHIP_OVERSIGHT
    )
    assert not policy.can_view_child_audit(area["member"], child)
    assert not policy.can_view_child_audit(area["outsider"], child)
    # A lead of a partnership none of whose members is involved with the child may not.
    other_lead = PractitionerFactory()
    MembershipFactory(
        partnership=PartnershipFactory(),
        practitioner=other_lead,
        role=MembershipRole.DATA_PROTECTION_LEAD,
    )
    assert not policy.can_view_child_audit(other_lead, child)


@pytest.mark.django_db
def test_child_audit_lists_every_access_newest_first_and_records_the_look(client, area):
    child = area["child"]
    older = access(area["member"], child, when=timezone.now() - datetime.timedelta(days=2))
    newer = access(area["outsider"], child, what="Disclosure log")
    sign_in_verified(client, area["lead"])

    response = client.get(reverse("children:audit", kwargs={"child_id": child.pk}))

    content = response.content.decode()
    assert response.status_code == 200
    assert content.index(f'id="access-{newer.pk}"') < content.index(f'id="access-{older.pk}"')
    assert "Mo Member, Riverside Academy" in content
    assert "Disclosure log" in content
    record = AccessRecord.objects.filter(practitioner=area["lead"]).get()
    assert record.child == child
    assert record.what == "Audit of the record"
    assert record.basis == AccessBasis.PARTNERSHIP_OVERSIGHT


@pytest.mark.django_db
def test_child_audit_refuses_others_without_recording(client, area):
    sign_in_verified(client, area["member"])
    response = client.get(reverse("children:audit", kwargs={"child_id": area["child"].pk}))
    assert response.status_code == 403
    assert not AccessRecord.objects.filter(practitioner=area["member"]).exists()


@pytest.mark.django_db
def test_child_audit_filters_by_practitioner_and_dates(client, area):
    child = area["child"]
    now = timezone.now()
    old = access(area["member"], child, when=now - datetime.timedelta(days=20))
    recent = access(area["member"], child, when=now - datetime.timedelta(days=1))
    other = access(area["outsider"], child, when=now - datetime.timedelta(days=1))
    sign_in_verified(client, area["data_manager"])
    start = timezone.localdate() - datetime.timedelta(days=5)
    url = reverse("children:audit", kwargs={"child_id": child.pk})

    content = client.get(
        url, {"practitioner": area["member"].pk, "from_date": start.isoformat()}
    ).content.decode()

    assert f'id="access-{recent.pk}"' in content
    assert f'id="access-{old.pk}"' not in content
    assert f'id="access-{other.pk}"' not in content


@pytest.mark.django_db
def test_child_audit_pages_by_fifty(client, area):
    child = area["child"]
    for _ in range(55):
        access(area["member"], child)
    sign_in_verified(client, area["data_manager"])
    url = reverse("children:audit", kwargs={"child_id": child.pk})

    first = client.get(url, {"practitioner": area["member"].pk})
    second = client.get(url, {"practitioner": area["member"].pk, "page": 2})

    assert first.context["records"].paginator.count == 55
    assert len(first.context["records"].object_list) == 50
    assert len(second.context["records"].object_list) == 5


@pytest.mark.django_db
def test_child_page_links_to_the_audit_only_for_those_allowed(client, area):
    child = area["child"]
    # A data manager who is also involved with the child opens the child's page.
    involved_manager = PractitionerFactory(home_agency=area["agency"], is_data_manager=True)
    InvolvementFactory(child=child, practitioner=involved_manager)
    url = reverse("children:detail", kwargs={"child_id": child.pk})

    sign_in_verified(client, involved_manager)
    assert 'id="audit-link"' in client.get(url).content.decode()
    client.logout()
    sign_in_verified(client, area["member"])
    assert 'id="audit-link"' not in client.get(url).content.decode()


@pytest.mark.django_db
def test_own_access_history_shows_only_own_records_and_searches(client, area):
    child = area["child"]
    mine = access(area["member"], child)
    theirs = access(area["outsider"], child)
    search(area["member"], [child.pk], parameters={"family_name": "Lane", "strategy": "x"})
    sign_in_verified(client, area["member"])
    url = reverse("accounts:my-access-history")

    content = client.get(url).content.decode()
    searches = client.get(url, {"show": "searches"}).content.decode()

    assert f'id="access-{mine.pk}"' in content
    assert f'id="access-{theirs.pk}"' not in content
    assert "Ada Lane" in content
    assert "Family name: Lane" in searches
    assert "strategy" not in searches.lower().split("<main")[-1]
    # Reading one's own history is not recorded as an access to the children listed.
    assert AccessRecord.objects.filter(practitioner=area["member"]).count() == 1


@pytest.mark.django_db
def test_practitioner_audit_is_for_their_data_protection_lead(area):
    member, lead = area["member"], area["lead"]
    assert policy.can_view_practitioner_audit(lead, member)
    assert not policy.can_view_practitioner_audit(lead, lead)
    assert not policy.can_view_practitioner_audit(member, lead)
    assert not policy.can_view_practitioner_audit(area["data_manager"], member)
    assert not policy.can_view_practitioner_audit(lead, area["outsider"])


@pytest.mark.django_db
def test_practitioner_audit_lists_children_and_records_each_one_listed(client, area):
    member = area["member"]
    other_child = ChildFactory(given_name="Bea", family_name="Hill")
    access(member, area["child"])
    access(member, area["child"])
    access(member, other_child)
    sign_in_verified(client, area["lead"])

    response = client.get(
        reverse("accounts:practitioner-audit", kwargs={"practitioner_id": member.pk})
    )

    content = response.content.decode()
    assert "Ada Lane" in content and "Bea Hill" in content
    listed = AccessRecord.objects.filter(practitioner=area["lead"])
    assert sorted(listed.values_list("child_id", flat=True)) == sorted(
        [area["child"].pk, other_child.pk]
    )
    assert set(listed.values_list("action", "basis")) == {
        (AccessAction.LISTED, AccessBasis.PARTNERSHIP_OVERSIGHT)
    }
    assert 'id="no-anomaly-flags"' in content


# Anomaly flags ---------------------------------------------------------------------------


def kinds(practitioner) -> set[str]:
    return {flag.kind for flag in anomalies.anomaly_flags(practitioner.pk)}


@pytest.mark.django_db
def test_searches_outside_caseload_flag_at_twenty_in_seven_days(area):
    member, child = area["member"], area["child"]
    stranger = ChildFactory()
    for _ in range(19):
        search(member, [stranger.pk])
    # Not counted: a search finding a child of their caseload, one finding nobody, and one
    # older than seven days.
    search(member, [stranger.pk, child.pk])
    search(member, [])
    search(member, [stranger.pk], when=timezone.now() - datetime.timedelta(days=8))
    assert anomalies.AnomalyKind.SEARCHES_OUTSIDE_CASELOAD not in kinds(member)

    search(member, [stranger.pk])

    (flag,) = anomalies.anomaly_flags(member.pk)
    assert flag.kind == anomalies.AnomalyKind.SEARCHES_OUTSIDE_CASELOAD
    assert flag.count == 20
    assert flag.text.startswith("20 searches in the last 7 days")


@pytest.mark.django_db
def test_views_of_shielded_children_in_thirty_days_are_flagged(area):
    member, child = area["member"], area["child"]
    access(member, child, flagged=True, when=timezone.now() - datetime.timedelta(days=31))
    access(member, child)
    assert kinds(member) == set()

    access(member, child, flagged=True)
    access(member, child, flagged=True)

    (flag,) = anomalies.anomaly_flags(member.pk)
    assert flag.kind == anomalies.AnomalyKind.SHIELDED_VIEWS
    assert flag.count == 2


@pytest.mark.django_db
def test_bulk_access_out_of_hours_flag_at_fifty_children_on_one_night(area):
    member = area["member"]
    children = ChildFactory.create_batch(50)
    # 25 children late in the evening and 24 after midnight: the same night, 49 children.
    for child in children[:25]:
        access(member, child, when=last_night_at(22))
    for child in children[25:49]:
        access(member, child, when=last_night_at(2))
    # Not counted: the same child again, daytime work and another night.
    access(member, children[0], when=last_night_at(23))
    access(member, children[49], when=last_night_at(12))
    access(member, children[49], when=last_night_at(22, nights_ago=5))
    assert kinds(member) == set()

    access(member, children[49], when=last_night_at(6))

    (flag,) = anomalies.anomaly_flags(member.pk)
    assert flag.kind == anomalies.AnomalyKind.BULK_OUT_OF_HOURS
    assert flag.count == 50
    evening = timezone.localdate() - datetime.timedelta(days=3)
    assert f"{evening:%-d %B %Y}" in flag.text


@pytest.mark.django_db
def test_anomaly_page_lists_flagged_members_of_the_leads_partnerships(client, area):
    member, child = area["member"], area["child"]
    access(member, child, flagged=True)
    access(area["outsider"], child, flagged=True)
    sign_in_verified(client, area["lead"])

    content = client.get(reverse("accounts:access-anomalies")).content.decode()

    assert f'id="flagged-{member.pk}"' in content
    assert f'id="flagged-{area["outsider"].pk}"' not in content
    assert "1 view of shielded children" in content


@pytest.mark.django_db
def test_practitioner_audit_shows_the_flags(client, area):
    member = area["member"]
    access(member, area["child"], flagged=True)
    sign_in_verified(client, area["lead"])

    content = client.get(
        reverse("accounts:practitioner-audit", kwargs={"practitioner_id": member.pk})
    ).content.decode()

    assert 'id="flag-shielded_views"' in content


# Queries stay flat ---------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_pages_make_the_same_number_of_queries_however_many_records(client, area):
    member, child = area["member"], area["child"]
    sign_in_verified(client, area["lead"])
    urls = [
        reverse("children:audit", kwargs={"child_id": child.pk}),
        reverse("accounts:practitioner-audit", kwargs={"practitioner_id": member.pk}),
        reverse("accounts:practitioner-audit", kwargs={"practitioner_id": member.pk})
        + "?show=searches",
        reverse("accounts:access-anomalies"),
    ]

    def add_records(count: int) -> None:
        for _ in range(count):
            other = ChildFactory()
            someone = PractitionerFactory(home_agency=area["agency"])
            access(member, other, flagged=True, when=last_night_at(23))
            access(someone, child)
            search(member, [other.pk])

    add_records(2)
    few = [count_queries(client, url) for url in urls]
    add_records(12)
    many = [count_queries(client, url) for url in urls]

    assert few == many


@pytest.mark.django_db
def test_own_history_makes_the_same_number_of_queries_however_many_records(client, area):
    member = area["member"]
    sign_in_verified(client, member)
    url = reverse("accounts:my-access-history")
    access(member, ChildFactory())
    few = count_queries(client, url)
    for _ in range(10):
        access(member, ChildFactory())
    assert count_queries(client, url) == few
