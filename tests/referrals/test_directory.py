"""Searching the directory: filters by need, age, area, open now, what is offered and
level of need; public pages; unpublished entries; query counts."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from joinedup.referrals.models import LevelOfNeed, Offer
from joinedup.referrals.selectors import DirectoryQuery, directory_services
from tests.factories import AgencyFactory, PractitionerFactory
from tests.queries import count_queries
from tests.referrals.factories import ServiceFactory
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
# Monday 2 March 2026 (GMT) and Monday 1 June 2026 (BST, an hour ahead of UTC).
MONDAY_10AM = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=LONDON)
MONDAY_7PM = datetime.datetime(2026, 3, 2, 19, 0, tzinfo=LONDON)
SATURDAY_11AM = datetime.datetime(2026, 3, 7, 11, 0, tzinfo=LONDON)
BST_MONDAY_0830_UTC = datetime.datetime(2026, 6, 1, 8, 30, tzinfo=datetime.UTC)


def names(query: DirectoryQuery, viewer=None) -> set[str]:
    return {s.name for s in directory_services(viewer=viewer or AnonymousUser(), query=query)}


def test_filter_by_need_finds_services_addressing_any_chosen_need():
    ServiceFactory(name="Talk time", needs=["speech-language-communication"])
    ServiceFactory(name="Calm kids", needs=["behaviour", "emotional-wellbeing"])
    ServiceFactory(name="Housing advice", needs=["housing"])

    assert names(DirectoryQuery(needs=("behaviour",))) == {"Calm kids"}
    assert names(DirectoryQuery(needs=("behaviour", "housing"))) == {"Calm kids", "Housing advice"}


def test_filter_by_age_finds_services_whose_range_includes_the_child():
    ServiceFactory(name="Under fives", age_from=0, age_to=5)
    ServiceFactory(name="Teenagers", age_from=13, age_to=19)

    assert names(DirectoryQuery(age=5)) == {"Under fives"}
    assert names(DirectoryQuery(age=13)) == {"Teenagers"}
    assert names(DirectoryQuery(age=8)) == set()


def test_filter_by_area_uses_the_postcode_district_or_every_district():
    ServiceFactory(name="North only", districts=["AW1"])
    ServiceFactory(name="South only", districts=["AW2", "AW3"])
    ServiceFactory(name="Everywhere", serves_all_districts=True, districts=[])

    assert names(DirectoryQuery(district="AW1")) == {"North only", "Everywhere"}
    assert names(DirectoryQuery(district="AW3")) == {"South only", "Everywhere"}


def test_open_now_uses_uk_time_from_the_opening_times():
    ServiceFactory(name="Weekdays", opening=[(d, "09:00", "17:00") for d in range(5)])
    ServiceFactory(name="Evenings", opening=[(0, "18:00", "20:30")])
    ServiceFactory(name="Saturday club", opening=[(5, "10:00", "12:00")])

    assert names(DirectoryQuery(open_at=MONDAY_10AM)) == {"Weekdays"}
    assert names(DirectoryQuery(open_at=MONDAY_7PM)) == {"Evenings"}
    assert names(DirectoryQuery(open_at=SATURDAY_11AM)) == {"Saturday club"}
    # 08:30 UTC on a summer Monday is 09:30 in London: the weekday service is open.
    assert names(DirectoryQuery(open_at=BST_MONDAY_0830_UTC)) == {"Weekdays"}


def test_a_service_closes_at_its_closing_time():
    service = ServiceFactory(opening=[(0, "09:00", "10:00")])
    assert service.is_open_at(MONDAY_10AM - datetime.timedelta(minutes=1))
    assert not service.is_open_at(MONDAY_10AM)
    assert names(DirectoryQuery(open_at=MONDAY_10AM)) == set()


def test_filter_by_offer_level_text_and_capacity():
    ServiceFactory(
        name="Group for dads",
        description="Weekly group",
        offers=[Offer.GROUP_WORK, Offer.PARTICULAR_GENDER],
        levels=[LevelOfNeed.UNIVERSAL],
    )
    ServiceFactory(
        name="Intensive family work",
        offers=[Offer.ONE_TO_ONE],
        levels=[LevelOfNeed.COMPLEX, LevelOfNeed.ACUTE],
        capacity="full",
    )

    assert names(DirectoryQuery(offers=(Offer.GROUP_WORK,))) == {"Group for dads"}
    assert names(DirectoryQuery(levels=(LevelOfNeed.ACUTE,))) == {"Intensive family work"}
    assert names(DirectoryQuery(text="weekly dads")) == {"Group for dads"}
    assert names(DirectoryQuery(exclude_full=True)) == {"Group for dads"}


def test_the_search_page_filters_from_the_query_string_for_anonymous_visitors(client):
    ServiceFactory(name="Talk time", needs=["speech-language-communication"], districts=["AW1"])
    ServiceFactory(name="Calm kids", needs=["behaviour"], districts=["AW2"])

    response = client.get(
        reverse("referrals:directory"), {"need": "behaviour", "area": "aw2 1ab", "age": "7"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Calm kids" in content
    assert "Talk time" not in content
    assert "1 service found" in content


def test_a_postcode_that_is_not_real_is_an_error_not_an_empty_list(client):
    response = client.get(reverse("referrals:directory"), {"area": "XYZ 123"})
    assert response.status_code == 200
    assert "Enter a real postcode, like AW1 2AB, or its first part, like AW1" in (
        response.content.decode()
    )


def test_open_now_tag_shows_on_the_card(client):
    ServiceFactory(name="Always open", opening=[(d, "00:00", "23:59") for d in range(7)])
    response = client.get(reverse("referrals:directory"))
    assert "Open now" in response.content.decode()


def test_unpublished_entries_are_hidden_from_everyone_but_their_maintainers(client):
    maintainer = PractitionerFactory()
    other = PractitionerFactory()
    service = ServiceFactory(name="Draft service", is_published=False, maintainers=[maintainer])
    url = reverse("referrals:service", kwargs={"service_slug": service.slug})

    assert "Draft service" not in client.get(reverse("referrals:directory")).content.decode()
    assert client.get(url).status_code == 404
    sign_in_verified(client, other)
    assert client.get(url).status_code == 404
    assert names(DirectoryQuery(), viewer=other) == set()
    sign_in_verified(client, maintainer)
    assert client.get(url).status_code == 200
    assert names(DirectoryQuery(), viewer=maintainer) == {"Draft service"}


def test_the_contact_person_is_shown_to_practitioners_only(client):
    service = ServiceFactory(
        contact_name="Robin Example", how_to_refer_outside="phone", referral_address="01632 960123"
    )
    url = reverse("referrals:service", kwargs={"service_slug": service.slug})

    public = client.get(url).content.decode()
    assert "Robin Example" not in public
    assert "01632 960123" in public
    sign_in_verified(client, PractitionerFactory())
    assert "Robin Example" in client.get(url).content.decode()


def grow(n: int) -> None:
    agency = AgencyFactory()
    for i in range(n):
        ServiceFactory(
            agency=agency,
            needs=["behaviour", "housing"],
            offers=[Offer.ADVICE, Offer.OUTREACH],
            levels=[LevelOfNeed.ADDITIONAL],
            districts=["AW1", f"AW{i + 2}"],
            maintainers=[PractitionerFactory(home_agency=agency)],
        )


@pytest.mark.parametrize("signed_in", [False, True])
def test_directory_and_print_pages_make_the_same_number_of_queries_however_many_services(
    client, signed_in
):
    if signed_in:
        sign_in_verified(client, PractitionerFactory(is_data_manager=True))
    urls = [
        reverse("referrals:directory"),
        reverse("referrals:directory") + "?need=behaviour&age=5&area=AW1&open_now=on",
        reverse("referrals:print") + "?area=AW1",
    ]
    grow(2)
    before = [count_queries(client, url) for url in urls]
    grow(8)
    after = [count_queries(client, url) for url in urls]
    assert before == after


def test_service_page_queries_do_not_grow_with_needs_and_opening_times(client):
    small = ServiceFactory(needs=["behaviour"], opening=[(0, "09:00", "10:00")])
    large = ServiceFactory(
        needs=["behaviour", "housing", "bereavement", "bullying"],
        offers=list(Offer.values),
        levels=list(LevelOfNeed.values),
        districts=["AW1", "AW2", "AW3", "AW4"],
        opening=[(d, "09:00", "12:00") for d in range(7)]
        + [(d, "13:00", "17:00") for d in range(7)],
    )

    def url(service):
        return reverse("referrals:service", kwargs={"service_slug": service.slug})

    assert count_queries(client, url(small)) == count_queries(client, url(large))


def test_signed_in_people_reach_the_directory_from_the_navigation(client):
    sign_in_verified(client, PractitionerFactory())
    response = client.get(reverse("referrals:directory"))
    assert response.context["navigation_items"]
    directory_item = next(
        item
        for item in response.context["navigation_items"]
        if item["label"] == "Services directory"
    )
    assert directory_item["active"]
    assert directory_item["href"] == reverse("referrals:directory")
