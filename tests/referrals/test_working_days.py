"""Working days for referral response times: weekends and the bank holidays of England and
Wales (Easter, Christmas with Boxing Day moved to the Monday, the August bank holiday)."""

from __future__ import annotations

import datetime

import pytest

from joinedup.referrals.working_days import (
    add_working_days,
    is_bank_holiday,
    is_working_day,
    working_days_between,
)
from tests.factories import PractitionerFactory
from tests.referrals.factories import ServiceFactory, make_referral

D = datetime.date


# Weekends --------------------------------------------------------------------------------


def test_a_weekday_that_is_no_bank_holiday_is_a_working_day():
    assert is_working_day(D(2026, 3, 11))  # Wednesday
    assert not is_working_day(D(2026, 3, 14))  # Saturday
    assert not is_working_day(D(2026, 3, 15))  # Sunday


def test_counting_skips_the_weekend():
    # Friday 6 March 2026: 1 working day is Monday, 2 is Tuesday.
    assert add_working_days(D(2026, 3, 6), 1) == D(2026, 3, 9)
    assert add_working_days(D(2026, 3, 6), 2) == D(2026, 3, 10)


def test_the_day_the_referral_arrives_does_not_count():
    # Monday 9 March 2026: 1 working day is Tuesday, not Monday itself.
    assert add_working_days(D(2026, 3, 9), 1) == D(2026, 3, 10)
    assert add_working_days(D(2026, 3, 9), 0) == D(2026, 3, 9)


def test_ten_working_days_are_two_weeks_without_bank_holidays():
    assert add_working_days(D(2026, 3, 9), 10) == D(2026, 3, 23)


def test_counting_backwards_is_refused():
    with pytest.raises(ValueError):
        add_working_days(D(2026, 3, 9), -1)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        # Sent on a Saturday or a Sunday: counting starts on the Monday.
        (D(2026, 3, 7), 1, D(2026, 3, 9)),
        (D(2026, 3, 7), 2, D(2026, 3, 10)),
        (D(2026, 3, 8), 2, D(2026, 3, 10)),
        (D(2026, 3, 7), 10, D(2026, 3, 20)),
    ],
)
def test_a_referral_sent_at_the_weekend_counts_from_the_monday(start, days, expected):
    assert add_working_days(start, days) == expected


# Bank holidays of England and Wales ----------------------------------------------------


@pytest.mark.parametrize(
    "day",
    [
        D(2026, 1, 1),  # New Year's Day
        D(2026, 4, 3),  # Good Friday
        D(2026, 4, 6),  # Easter Monday
        D(2026, 5, 4),  # Early May bank holiday
        D(2026, 5, 25),  # Spring bank holiday
        D(2026, 8, 31),  # Summer bank holiday (the last Monday of August)
        D(2026, 12, 25),  # Christmas Day, a Friday
        D(2026, 12, 28),  # Boxing Day falls on Saturday 26th, so Monday 28th is the holiday
    ],
)
def test_the_bank_holidays_of_2026_are_not_working_days(day):
    assert is_bank_holiday(day)
    assert not is_working_day(day)


def test_scottish_and_northern_irish_bank_holidays_are_working_days_here():
    assert is_working_day(D(2026, 3, 17))  # St Patrick's Day (Northern Ireland)
    assert is_working_day(D(2026, 8, 3))  # Summer bank holiday in Scotland
    assert is_working_day(D(2026, 1, 2))  # 2 January (Scotland)


def test_easter_2026():
    # Thursday 2 April: Good Friday (3rd), the weekend, Easter Monday (6th) are skipped.
    assert add_working_days(D(2026, 4, 2), 1) == D(2026, 4, 7)
    assert add_working_days(D(2026, 4, 2), 2) == D(2026, 4, 8)
    # Sent on Good Friday itself.
    assert add_working_days(D(2026, 4, 3), 1) == D(2026, 4, 7)
    assert working_days_between(D(2026, 4, 2), D(2026, 4, 8)) == 2


def test_christmas_2026_with_boxing_day_on_the_monday():
    assert not is_bank_holiday(D(2026, 12, 24))
    assert is_working_day(D(2026, 12, 24))
    # Thursday 24 December: Christmas (Friday), the weekend, Boxing Day observed (Monday).
    assert add_working_days(D(2026, 12, 24), 1) == D(2026, 12, 29)
    assert add_working_days(D(2026, 12, 24), 2) == D(2026, 12, 30)
    # Into the new year: Friday 1 January 2027 is New Year's Day.
    assert add_working_days(D(2026, 12, 30), 2) == D(2027, 1, 4)


def test_the_august_bank_holiday():
    # Friday 28 August 2026: Monday 31st is the bank holiday.
    assert add_working_days(D(2026, 8, 28), 1) == D(2026, 9, 1)
    assert add_working_days(D(2026, 8, 28), 2) == D(2026, 9, 2)


# Counting between two days -------------------------------------------------------------


def test_working_days_between():
    assert working_days_between(D(2026, 8, 28), D(2026, 9, 1)) == 1
    assert working_days_between(D(2026, 3, 9), D(2026, 3, 9)) == 0
    assert working_days_between(D(2026, 3, 10), D(2026, 3, 9)) == 0
    assert working_days_between(D(2026, 12, 24), D(2027, 1, 4)) == 4


@pytest.mark.parametrize("days", [0, 1, 2, 5, 10])
def test_counting_forwards_and_between_agree_all_year(days):
    start = D(2026, 1, 1)
    for offset in range(366):
        day = start + datetime.timedelta(days=offset)
        due = add_working_days(day, days)
        assert working_days_between(day, due) == days
        assert days == 0 or is_working_day(due)


# Sending a referral --------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("sent", "acknowledge_by", "decide_by"),
    [
        # A Saturday: 2 working days is Tuesday; 10 is the Friday of the next week.
        (datetime.datetime(2026, 3, 7, 11, 0, tzinfo=datetime.UTC), D(2026, 3, 10), D(2026, 3, 20)),
        # Easter Saturday: Easter Monday is skipped too.
        (datetime.datetime(2026, 4, 4, 11, 0, tzinfo=datetime.UTC), D(2026, 4, 8), D(2026, 4, 20)),
        # Christmas Eve: over Christmas, Boxing Day observed and New Year's Day.
        (
            datetime.datetime(2026, 12, 24, 11, 0, tzinfo=datetime.UTC),
            D(2026, 12, 30),
            D(2027, 1, 12),
        ),
        # Late on a Friday in summer time (UTC 23:30 is Saturday 00:30 in London).
        (
            datetime.datetime(2026, 8, 28, 23, 30, tzinfo=datetime.UTC),
            D(2026, 9, 2),
            D(2026, 9, 14),
        ),
    ],
)
def test_sending_sets_the_due_dates_in_the_service_s_working_days(
    monkeypatch, sent, acknowledge_by, decide_by
):
    monkeypatch.setattr("django.utils.timezone.now", lambda: sent)
    service = ServiceFactory(
        accepts_referrals_in_app=True,
        acknowledge_within_working_days=2,
        decide_within_working_days=10,
    )
    service.maintainers.add(PractitionerFactory())
    referral = make_referral(service=service, status="sent")
    assert referral.acknowledge_by == acknowledge_by
    assert referral.decide_by == decide_by
