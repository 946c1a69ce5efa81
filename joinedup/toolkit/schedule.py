"""A partnership's meeting schedule worked out from the school terms a coordinator enters.

Pure functions on plain dates, so the rules are tested without a database. A "half term"
is each half of a school term: from the first day of term to the day before the half-term
holiday, and from the day after it to the last day of term. A term entered without a
half-term holiday is split at its middle day, so the partnership still meets twice in it.
Days outside every term entered are school holidays: nothing is proposed there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

WEEKEND = (5, 6)  # Saturday and Sunday, by date.weekday()


class TermLike(Protocol):
    name: str
    starts_on: date
    ends_on: date
    half_term_starts_on: date | None
    half_term_ends_on: date | None


@dataclass(frozen=True)
class HalfTerm:
    name: str
    starts_on: date
    ends_on: date

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on


def months_after(start: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    for day in (start.day, 30, 29, 28):
        try:
            return date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def half_terms(terms: Iterable[TermLike], *, start: date, end: date) -> list[HalfTerm]:
    """Every half term that overlaps ``start``..``end`` (inclusive), clipped to it, in
    date order."""
    halves: list[HalfTerm] = []
    for term in terms:
        if term.half_term_starts_on and term.half_term_ends_on:
            parts = [
                (term.starts_on, term.half_term_starts_on - timedelta(days=1)),
                (term.half_term_ends_on + timedelta(days=1), term.ends_on),
            ]
        else:
            middle = term.starts_on + (term.ends_on - term.starts_on) // 2
            parts = [(term.starts_on, middle), (middle + timedelta(days=1), term.ends_on)]
        for number, (first, last) in enumerate(parts, start=1):
            first, last = max(first, start), min(last, end)
            if first <= last:
                halves.append(
                    HalfTerm(
                        f"{term.name}, first half" if number == 1 else f"{term.name}, second half",
                        first,
                        last,
                    )
                )
    return sorted(halves, key=lambda half: half.starts_on)


def _weekday_near_middle(half: HalfTerm) -> date | None:
    """The weekday nearest the middle of the half term, or None when it has no weekday."""
    middle = half.starts_on + (half.ends_on - half.starts_on) // 2
    for offset in range((half.ends_on - half.starts_on).days + 1):
        for day in (middle - timedelta(days=offset), middle + timedelta(days=offset)):
            if half.covers(day) and day.weekday() not in WEEKEND:
                return day
    return None


def propose_meeting_dates(
    terms: Iterable[TermLike],
    *,
    start: date,
    months: int = 12,
    booked: Sequence[date] = (),
) -> list[date]:
    """One meeting date in every half term from ``start`` for ``months`` months that has no
    meeting ``booked`` yet: a weekday near the half term's middle, never in a holiday."""
    halves = half_terms(terms, start=start, end=months_after(start, months) - timedelta(days=1))
    proposals = []
    for half in halves:
        if any(half.covers(day) for day in booked):
            continue
        day = _weekday_near_middle(half)
        if day is not None:
            proposals.append(day)
    return proposals


def half_terms_without_meeting(
    terms: Iterable[TermLike], *, start: date, end: date, met_on: Sequence[date]
) -> list[HalfTerm]:
    """The half terms between ``start`` and ``end`` in which no meeting was held."""
    return [
        half
        for half in half_terms(terms, start=start, end=end)
        if not any(half.covers(day) for day in met_on)
    ]
