"""Working days for referral response times: Monday to Friday, less the bank holidays of
England and Wales (the ``holidays`` library's GB calendar for England, which Wales shares;
a bank holiday falling at a weekend is replaced by the next weekday, as the library
observes it).

A service that promises to acknowledge within 2 working days of a referral sent on a
Friday has until the end of Tuesday; sent on the Thursday before Easter, until the end of
the Wednesday after it.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _bank_holidays(year: int) -> frozenset[date]:
    calendar = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(calendar.keys())


def is_bank_holiday(day: date) -> bool:
    return day in _bank_holidays(day.year)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and not is_bank_holiday(day)


def add_working_days(start: date, days: int) -> date:
    """The day ``days`` working days after ``start`` (the day it arrived does not count,
    whatever day it is)."""
    if days < 0:
        raise ValueError("Count working days forwards")
    day = start
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """How many working days after ``start`` ``end`` is (0 when on or before it)."""
    count = 0
    day = start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
