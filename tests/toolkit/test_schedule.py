"""The meeting schedule: at least one meeting every half term for twelve months, never in
a school holiday (the days outside the terms a coordinator enters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from joinedup.toolkit.schedule import (
    half_terms,
    half_terms_without_meeting,
    months_after,
    propose_meeting_dates,
)


@dataclass
class Term:
    name: str
    starts_on: date
    ends_on: date
    half_term_starts_on: date | None = None
    half_term_ends_on: date | None = None


# A school year like an English one: three terms, each with a one-week half term.
YEAR = [
    Term(
        "Autumn 2026", date(2026, 9, 2), date(2026, 12, 18), date(2026, 10, 26), date(2026, 10, 30)
    ),
    Term("Spring 2027", date(2027, 1, 5), date(2027, 3, 26), date(2027, 2, 15), date(2027, 2, 19)),
    Term("Summer 2027", date(2027, 4, 12), date(2027, 7, 21), date(2027, 5, 31), date(2027, 6, 4)),
    Term(
        "Autumn 2027", date(2027, 9, 1), date(2027, 12, 17), date(2027, 10, 25), date(2027, 10, 29)
    ),
]


def in_term_time(day: date) -> bool:
    for term in YEAR:
        if term.starts_on <= day <= term.ends_on:
            return not (
                term.half_term_starts_on
                and term.half_term_starts_on <= day <= term.half_term_ends_on
            )
    return False


def test_one_meeting_in_every_half_term_of_the_next_twelve_months():
    start = date(2026, 9, 1)
    proposed = propose_meeting_dates(YEAR, start=start)
    halves = half_terms(YEAR, start=start, end=date(2027, 8, 31))
    assert len(halves) == 6  # autumn, spring and summer, two halves each
    assert len(proposed) == 6
    for half in halves:
        assert sum(half.covers(day) for day in proposed) == 1, half


def test_no_meeting_is_proposed_in_a_holiday_or_at_a_weekend():
    proposed = propose_meeting_dates(YEAR, start=date(2026, 9, 1))
    assert all(in_term_time(day) for day in proposed)
    assert all(day.weekday() < 5 for day in proposed)


def test_the_schedule_stops_after_twelve_months():
    start = date(2026, 11, 15)
    proposed = propose_meeting_dates(YEAR, start=start)
    assert min(proposed) >= start
    assert max(proposed) < date(2027, 11, 15)
    # The second half of autumn 2026 started before the schedule, so its meeting falls
    # after the start; the second half of autumn 2027 counts up to 14 November only.
    assert date(2026, 11, 15) < proposed[0] <= date(2026, 12, 18)
    assert date(2027, 11, 1) <= proposed[-1] <= date(2027, 11, 14)
    assert len(proposed) == 7


def test_a_half_term_with_a_meeting_booked_gets_no_proposal():
    booked = [date(2026, 9, 20)]
    proposed = propose_meeting_dates(YEAR, start=date(2026, 9, 1), booked=booked)
    assert len(proposed) == 5
    assert not any(date(2026, 9, 2) <= day < date(2026, 10, 26) for day in proposed)


def test_a_term_without_a_half_term_holiday_is_split_at_its_middle():
    term = Term("Short", date(2026, 9, 7), date(2026, 9, 18))
    first, second = half_terms([term], start=date(2026, 9, 1), end=date(2026, 12, 31))
    assert (first.starts_on, first.ends_on) == (date(2026, 9, 7), date(2026, 9, 12))
    assert (second.starts_on, second.ends_on) == (date(2026, 9, 13), date(2026, 9, 18))
    proposed = propose_meeting_dates([term], start=date(2026, 9, 1))
    assert len(proposed) == 2 and all(day.weekday() < 5 for day in proposed)


def test_without_term_dates_nothing_is_proposed():
    assert propose_meeting_dates([], start=date(2026, 9, 1)) == []


def test_half_terms_without_a_meeting_are_named():
    missing = half_terms_without_meeting(
        YEAR,
        start=date(2026, 9, 1),
        end=date(2027, 3, 31),
        met_on=[date(2026, 9, 30), date(2027, 1, 20), date(2026, 10, 28)],  # the last in a holiday
    )
    assert [half.name for half in missing] == [
        "Autumn 2026, second half",
        "Spring 2027, second half",
    ]


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 29), 12, date(2027, 11, 29)),
        (date(2026, 12, 1), 2, date(2027, 2, 1)),
    ],
)
def test_months_after(start, months, expected):
    assert months_after(start, months) == expected


def test_every_day_of_a_long_term_belongs_to_exactly_one_half():
    halves = half_terms(YEAR[:1], start=date(2026, 1, 1), end=date(2027, 1, 1))
    day = YEAR[0].starts_on
    while day <= YEAR[0].ends_on:
        assert sum(half.covers(day) for half in halves) == (1 if in_term_time(day) else 0)
        day += timedelta(days=1)
