"""Keeping entries up to date: who may change an entry, what a change records, confirming
details are still correct, "My services" and adding a service."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.partnerships.models import MembershipRole
from joinedup.referrals import services
from joinedup.referrals.models import Need, Service
from joinedup.sharing import policy
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)
from tests.queries import count_queries
from tests.referrals.factories import ServiceFactory
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def edit_data(service: Service, **changes) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "name": service.name,
        "description": service.description,
        "sector": service.sector,
        "age_from": str(service.age_from),
        "age_to": str(service.age_to),
        "districts": "AW1, AW2",
        "needs": [],
        "maintainers": [str(person.pk) for person in service.maintainers.all()],
        "cost": "free",
        "capacity": "taking_referrals",
        "acknowledge_within_working_days": "2",
        "decide_within_working_days": "10",
        "is_published": "on",
        "opening-TOTAL_FORMS": "2",
        "opening-INITIAL_FORMS": "0",
        "opening-MIN_NUM_FORMS": "0",
        "opening-MAX_NUM_FORMS": "28",
        "opening-0-weekday": "2",
        "opening-0-opens": "09:30",
        "opening-0-closes": "12:00",
        "opening-0-note": "Drop-in",
        "opening-1-weekday": "",
        "opening-1-opens": "",
        "opening-1-closes": "",
        "opening-1-note": "",
    }
    data.update(changes)
    return data


@pytest.fixture
def setting():
    agency = AgencyFactory(name="Ashworth Speech and Language Therapy")
    staff = PractitionerFactory(home_agency=agency)
    colleague = PractitionerFactory(home_agency=agency)
    data_manager = PractitionerFactory(home_agency=agency, is_data_manager=True)
    coordinator = PractitionerFactory()
    partnership = PartnershipFactory()
    partnership.member_agencies.add(agency)
    MembershipFactory(
        partnership=partnership, practitioner=coordinator, role=MembershipRole.COORDINATOR
    )
    service = ServiceFactory(agency=agency, name="Talk time", maintainers=[staff])
    return {
        "service": service,
        "staff": staff,
        "colleague": colleague,
        "data_manager": data_manager,
        "coordinator": coordinator,
        "stranger": PractitionerFactory(is_data_manager=True),
    }


@pytest.mark.parametrize(
    ("who", "allowed"),
    [
        ("staff", True),
        ("data_manager", True),
        ("coordinator", True),
        ("colleague", False),
        ("stranger", False),
    ],
)
def test_only_maintainers_data_managers_and_coordinators_change_an_entry(
    client, setting, who, allowed
):
    service = setting["service"]
    sign_in_verified(client, setting[who])
    url = reverse("referrals:edit", kwargs={"service_slug": service.slug})

    response = client.post(url, edit_data(service, name="Talk time for toddlers"))

    service.refresh_from_db()
    if allowed:
        assert response.status_code == 302
        assert service.name == "Talk time for toddlers"
        assert service.updated_by == setting[who]
    else:
        assert response.status_code == 403
        assert service.name == "Talk time"
    assert bool(policy.can_maintain_service(setting[who], service)) is allowed


def test_anonymous_visitors_are_sent_to_sign_in_to_edit(client, setting):
    url = reverse("referrals:edit", kwargs={"service_slug": setting["service"].slug})
    response = client.get(url)
    assert response.status_code == 302
    assert "/sign-in/" in response["Location"]


def test_saving_replaces_opening_times_and_areas_and_confirming_bumps_the_check(client, setting):
    service = setting["service"]
    Service.objects.filter(pk=service.pk).update(last_checked_on=datetime.date(2024, 1, 1))
    sign_in_verified(client, setting["staff"])
    url = reverse("referrals:edit", kwargs={"service_slug": service.slug})

    client.post(url, edit_data(service))
    service.refresh_from_db()
    assert service.last_checked_on == datetime.date(2024, 1, 1)  # not confirmed
    assert [str(slot) for slot in service.opening_times.all()] == ["Wednesday 9:30am to midday"]
    assert service.districts() == ["AW1", "AW2"]

    client.post(url, edit_data(service, details_confirmed="on"))
    service.refresh_from_db()
    assert service.last_checked_on == timezone.localdate()
    assert service.checked_by == setting["staff"]


def test_the_edit_form_explains_problems(client, setting):
    service = setting["service"]
    sign_in_verified(client, setting["staff"])
    url = reverse("referrals:edit", kwargs={"service_slug": service.slug})

    response = client.post(
        url,
        edit_data(
            service,
            age_from="12",
            age_to="5",
            districts="AW1, nowhere",
            how_to_refer_outside="email",
            referral_address="not an email",
            **{"opening-1-weekday": "1", "opening-1-opens": "17:00", "opening-1-closes": "09:00"},
        ),
    )

    content = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in content
    assert "NOWHERE is not a postcode district" in content
    assert "The closing time must be after the opening time" in content
    service.refresh_from_db()
    assert service.age_from == 0


def test_service_rules_are_checked_by_the_service_layer_too(setting):
    service = setting["service"]
    with pytest.raises(Exception) as problem:
        services.update_service(
            service=service,
            details=services.ServiceDetails(
                fields={"how_to_refer_outside": "email", "referral_address": "nope"}
            ),
            updated_by=setting["staff"],
        )
    assert "referral_address" in str(problem.value)


def test_details_still_correct_is_one_click_from_my_services(client, setting):
    service = setting["service"]
    Service.objects.filter(pk=service.pk).update(last_checked_on=datetime.date(2024, 1, 1))
    ServiceFactory(agency=service.agency, name="Fresh entry", maintainers=[setting["staff"]])
    sign_in_verified(client, setting["staff"])

    page = client.get(reverse("referrals:my-services")).content.decode()
    assert "1 entry needs checking" in page
    assert page.count("Needs checking") == 1
    assert "Fresh entry" in page

    response = client.post(
        reverse("referrals:confirm-checked", kwargs={"service_slug": service.slug}),
        {"next": reverse("referrals:my-services")},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("referrals:my-services")
    service.refresh_from_db()
    assert service.last_checked_on == timezone.localdate()
    assert service.checked_by == setting["staff"]
    assert "needs checking" not in client.get(reverse("referrals:my-services")).content.decode()


def test_confirming_is_refused_to_others(client, setting):
    sign_in_verified(client, setting["colleague"])
    response = client.post(
        reverse("referrals:confirm-checked", kwargs={"service_slug": setting["service"].slug})
    )
    assert response.status_code == 403


def test_a_data_manager_adds_a_service_for_their_agency(client, setting):
    sign_in_verified(client, setting["data_manager"])
    agency = setting["service"].agency
    data = edit_data(setting["service"], name="Stammering group", agency=str(agency.pk))
    data["maintainers"] = [str(setting["colleague"].pk)]

    response = client.post(reverse("referrals:create"), data)

    assert response.status_code == 302
    created = Service.objects.get(name="Stammering group")
    assert created.agency == agency
    assert created.slug == "stammering-group"
    assert list(created.maintainers.all()) == [setting["colleague"]]
    assert created.checked_by == setting["data_manager"]


def test_adding_is_refused_to_practitioners_who_manage_no_agency(client, setting):
    sign_in_verified(client, setting["colleague"])
    assert client.get(reverse("referrals:create")).status_code == 403


def test_my_services_queries_stay_flat(client, setting):
    staff = setting["staff"]
    sign_in_verified(client, staff)
    url = reverse("referrals:my-services")
    before = count_queries(client, url)
    for _ in range(6):
        ServiceFactory(agency=setting["service"].agency, maintainers=[staff])
    assert count_queries(client, url) == before


def test_edit_page_queries_stay_flat(client, setting):
    sign_in_verified(client, setting["staff"])
    service = setting["service"]
    url = reverse("referrals:edit", kwargs={"service_slug": service.slug})
    before = count_queries(client, url)
    for _ in range(5):
        PractitionerFactory(home_agency=service.agency)
    service.needs.add(*Need.objects.all()[:5])
    assert count_queries(client, url) == before
