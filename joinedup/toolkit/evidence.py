"""Evidence Joined Up already holds for a self-evaluation item, shown beside it.

Reads only, and counts only: nothing here names a child. Each kind of evidence covers the
twelve months up to the day asked about:

- ``meetings_every_half_term``: the partnership's held meetings against the term dates a
  coordinator entered (toolkit.schedule), naming the half terms with no meeting;
- ``reviews_on_time``: team around the child reviews held by their due date, in episodes
  whose lead professional is a current member of the partnership;
- ``referrals_acknowledged_on_time``: referrals the partnership's current members sent,
  acknowledged by the date the service promised. "Late" is the rule of the referral
  reports (referrals.reports): acknowledged after the date, or still waiting past it;
  referrals still within their time are not counted yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from joinedup.casework.models import Review, ReviewStatus
from joinedup.partnerships.models import Membership, Partnership
from joinedup.referrals.models import Referral
from joinedup.referrals.timeliness import overdue_to_acknowledge_q
from joinedup.toolkit.models import MeetingStatus, PartnershipMeeting, TermDate
from joinedup.toolkit.schedule import half_terms, half_terms_without_meeting, months_after

WINDOW_MONTHS = 12


@dataclass(frozen=True)
class Evidence:
    kind: str
    summary: str
    details: tuple[str, ...] = field(default_factory=tuple)


def window_start(today: date) -> date:
    return months_after(today, -WINDOW_MONTHS) + timedelta(days=1)


def meetings_every_half_term(partnership: Partnership, today: date) -> Evidence:
    start = window_start(today)
    terms = list(TermDate.objects.filter(partnership=partnership))
    held = list(
        PartnershipMeeting.objects.filter(
            partnership=partnership,
            status=MeetingStatus.HELD,
            held_on__gte=start,
            held_on__lte=today,
        ).values_list("held_on", flat=True)
    )
    kind = "meetings_every_half_term"
    if not terms:
        return Evidence(
            kind,
            f"{len(held)} meeting{'s' if len(held) != 1 else ''} held in the last twelve "
            "months. Enter the school term dates to compare them with the half terms.",
        )
    halves = half_terms(terms, start=start, end=today)
    missing = half_terms_without_meeting(terms, start=start, end=today, met_on=held)
    summary = (
        f"Met in {len(halves) - len(missing)} of {len(halves)} half terms in the last "
        f"twelve months ({len(held)} meeting{'s' if len(held) != 1 else ''} held)."
    )
    return Evidence(kind, summary, tuple(f"No meeting in {half.name}" for half in missing))


def reviews_on_time(partnership: Partnership, today: date) -> Evidence:
    counts = Review.objects.filter(
        status=ReviewStatus.HELD,
        held_on__gte=window_start(today),
        held_on__lte=today,
        episode__lead_professional__in=Membership.objects.current()
        .filter(partnership=partnership)
        .values("practitioner"),
    ).aggregate(held=Count("pk"), on_time=Count("pk", filter=Q(held_on__lte=F("due_on"))))
    return Evidence(
        "reviews_on_time",
        f"{counts['on_time']} of {counts['held']} reviews held by their due date in the last "
        "twelve months, in episodes led by the partnership's members.",
    )


def referrals_acknowledged_on_time(partnership: Partnership, today: date) -> Evidence:
    zone = ZoneInfo(settings.TIME_ZONE)
    since = datetime.combine(window_start(today), time.min, tzinfo=zone)
    acknowledged = Q(acknowledged_at__isnull=False)
    counts = (
        Referral.objects.filter(
            referrer__in=Membership.objects.current()
            .filter(partnership=partnership)
            .values("practitioner"),
            sent_at__gte=since,
            acknowledge_by__isnull=False,
        )
        .annotate(acknowledged_on=TruncDate("acknowledged_at", tzinfo=zone))
        .aggregate(
            due=Count("pk", filter=acknowledged | overdue_to_acknowledge_q(today)),
            on_time=Count("pk", filter=acknowledged & Q(acknowledged_on__lte=F("acknowledge_by"))),
        )
    )
    return Evidence(
        "referrals_acknowledged_on_time",
        f"{counts['on_time']} of {counts['due']} referrals made by the partnership's members "
        "acknowledged on time in the last twelve months.",
    )


EVIDENCE = {
    "meetings_every_half_term": meetings_every_half_term,
    "reviews_on_time": reviews_on_time,
    "referrals_acknowledged_on_time": referrals_acknowledged_on_time,
}


def evidence_for(
    partnership: Partnership, kinds: set[str], today: date | None = None
) -> dict[str, Evidence]:
    """Each kind of evidence asked for, computed once however many items use it."""
    today = today or timezone.localdate()
    return {kind: EVIDENCE[kind](partnership, today) for kind in sorted(kinds)}
