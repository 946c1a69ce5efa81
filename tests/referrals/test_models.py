"""The directory's rules held by the database and the model."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from joinedup.referrals.areas import district_from_entry, parse_districts
from joinedup.referrals.models import Need, Service, ServiceOpeningTime, spoken_time
from tests.referrals.factories import ServiceFactory

pytestmark = pytest.mark.django_db


def test_the_needs_vocabulary_is_loaded_with_its_framework():
    need = Need.objects.get(code="speech-language-communication")
    assert need.name == "Speech, language and communication"
    assert need.framework == "Joined Up needs vocabulary"
    assert Need.objects.get(code="send").framework.startswith("SEND code of practice")
    assert Need.objects.count() >= 20


@pytest.mark.parametrize(
    "changes",
    [
        {"age_from": 10, "age_to": 5},
        {"age_to": 30},
        {"acknowledge_within_working_days": 5, "decide_within_working_days": 2},
        {"how_to_refer_outside": "email", "referral_address": ""},
    ],
)
def test_the_database_refuses_impossible_entries(changes):
    service = ServiceFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Service.objects.filter(pk=service.pk).update(**changes)


def test_an_opening_time_closes_after_it_opens():
    service = ServiceFactory(opening=[])
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceOpeningTime.objects.create(
            service=service, weekday=0, opens=datetime.time(17), closes=datetime.time(9)
        )


def test_model_validation_gives_plain_messages():
    service = ServiceFactory.build(
        postcode="aw12ab", how_to_refer_outside="phone", referral_address="call us", slug="print"
    )
    with pytest.raises(ValidationError) as problem:
        service.full_clean(exclude=["agency"])
    errors = problem.value.message_dict
    assert errors["referral_address"] == [
        "Enter the phone number to call for referrals, like 01632 960000"
    ]
    assert errors["slug"] == ["print is a word the directory uses itself: choose another"]
    assert service.postcode == "AW1 2AB"


def test_areas_are_read_from_postcodes_and_districts():
    assert district_from_entry("aw1 2ab") == "AW1"
    assert district_from_entry(" sw1a ") == "SW1A"
    assert district_from_entry("") == ""
    with pytest.raises(ValidationError):
        district_from_entry("12345")
    assert parse_districts("aw1, AW2;aw1") == (False, ["AW1", "AW2"])
    assert parse_districts("all") == (True, [])


def test_times_read_as_people_say_them():
    assert spoken_time(datetime.time(9)) == "9am"
    assert spoken_time(datetime.time(17, 30)) == "5:30pm"
    assert spoken_time(datetime.time(12)) == "midday"
    assert spoken_time(datetime.time(0)) == "midnight"


def test_a_service_is_stale_after_the_set_number_of_days(settings):
    today = datetime.date(2026, 6, 30)
    settings.DIRECTORY_STALE_AFTER_DAYS = 30
    assert ServiceFactory(last_checked_on=datetime.date(2026, 5, 30)).is_stale(today)
    assert not ServiceFactory(last_checked_on=datetime.date(2026, 5, 31)).is_stale(today)


def test_opening_times_are_summarised_with_days_run_together():
    service = ServiceFactory(
        opening=[(d, "09:00", "17:00") for d in range(5)]
        + [(d, "18:00", "20:00") for d in (1, 2)]
        + [(5, "10:00", "12:00"), (0, "18:00", "19:00")]
    )
    assert service.opening_summary() == [
        "Monday to Friday 9am to 5pm",
        "Monday 6pm to 7pm",
        "Tuesday and Wednesday 6pm to 8pm",
        "Saturday 10am to midday",
    ]
