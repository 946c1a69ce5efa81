"""Pages must not make one query per row: the counts stay flat as members, agencies and
partnerships grow."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from joinedup.partnerships.models import MembershipRole, Sector
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)

pytestmark = pytest.mark.django_db


def grow(team, n: int) -> None:
    """Add n agencies, n members with home and partnership line managers and supervisors,
    and n partnerships, each with a base setting and agencies."""
    for i in range(n):
        agency = AgencyFactory(sector=Sector.HEALTH if i % 2 else Sector.EDUCATION)
        team.partnership.member_agencies.add(agency)
        practitioner = PractitionerFactory(
            home_agency=agency,
            line_manager=PractitionerFactory(home_agency=agency),
            professional_supervisor=PractitionerFactory(home_agency=agency),
        )
        MembershipFactory(
            partnership=team.partnership,
            practitioner=practitioner,
            role=MembershipRole.COORDINATOR if i % 5 == 0 else MembershipRole.MEMBER,
            partnership_line_manager=team.coordinator,
        )
        other = PartnershipFactory(base_setting=agency)
        other.member_agencies.add(agency, team.school)
        MembershipFactory(partnership=other, practitioner=team.member)


def count_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def urls(team) -> dict[str, str]:
    return {
        "list": reverse("partnerships:list"),
        "list filtered": reverse("partnerships:list") + "?government_model=panel",
        "detail": reverse("partnerships:detail", kwargs={"partnership_id": team.partnership.pk}),
        "agency list": reverse("partnerships:agency-list"),
        "agency detail": reverse(
            "partnerships:agency-detail", kwargs={"agency_id": team.school.pk}
        ),
        "edit": reverse("partnerships:edit", kwargs={"partnership_id": team.partnership.pk}),
        "add member": reverse(
            "partnerships:add-member", kwargs={"partnership_id": team.partnership.pk}
        ),
    }


@pytest.mark.parametrize("who", ["coordinator", "member"])
def test_query_counts_do_not_grow_with_the_data(team, sign_in, who):
    client = sign_in(getattr(team, who))
    pages = urls(team)
    if who == "member":
        pages = {name: url for name, url in pages.items() if name not in {"edit", "add member"}}
    grow(team, 2)
    small = {name: count_queries(client, url) for name, url in pages.items()}
    grow(team, 25)
    large = {name: count_queries(client, url) for name, url in pages.items()}
    assert large == small


# Fixed ceilings, so a new query on these pages is a decision, not an accident. Every
# page spends eight on the session (read, and save in a savepoint), the user, their
# two-factor device, their home agency and their unread notifications in the header.


def test_partnership_list_queries(team, sign_in, django_assert_max_num_queries):
    grow(team, 30)
    client = sign_in(team.member)
    with django_assert_max_num_queries(9):
        client.get(reverse("partnerships:list"))


def test_partnership_detail_queries_for_a_member(team, sign_in, django_assert_max_num_queries):
    grow(team, 30)
    client = sign_in(team.member)
    # The partnership, the coordinator check, the members and the agencies.
    with django_assert_max_num_queries(12):
        client.get(urls(team)["detail"])


def test_partnership_detail_queries_for_a_coordinator(team, sign_in, django_assert_max_num_queries):
    grow(team, 30)
    client = sign_in(team.coordinator)
    # As for a member, plus the practitioners to choose from in the add-member form.
    with django_assert_max_num_queries(14):
        client.get(urls(team)["detail"])


def test_agency_pages_queries(team, sign_in, django_assert_max_num_queries):
    grow(team, 30)
    client = sign_in(team.outsider)
    with django_assert_max_num_queries(9):
        client.get(urls(team)["agency list"])
    with django_assert_max_num_queries(12):
        client.get(urls(team)["agency detail"])


def test_adding_a_member_with_htmx_queries(team, sign_in, django_assert_max_num_queries):
    grow(team, 30)
    client = sign_in(team.coordinator)
    newcomer = PractitionerFactory()
    with django_assert_max_num_queries(25):
        response = client.post(
            urls(team)["add member"],
            {"practitioner": newcomer.pk, "role": "member", "started_on": "2025-01-01"},
            headers={"HX-Request": "true"},
        )
    assert response.status_code == 200
