"""Anomaly flags for a data protection lead's review (issue 6): patterns in a practitioner's
use of the child index that deserve a second look. A flag is a prompt to ask, not a
finding: each says in plain English what was seen and over what period.

The rules and their thresholds:
- many searches in the last 7 days none of whose results were children the practitioner
  is (or was) involved with or on the team around;
- views of shielded children in the last 30 days (flagged access records, which data
  managers review in the shielding review list);
- bulk access out of hours: many different children's records opened between 20:00 and
  07:00 UK time on one night in the last 30 days.

Queries are fixed in number however many practitioners and records are examined."""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q
from django.db.models.functions import ExtractHour, TruncDate
from django.utils import timezone

from joinedup.casework.models import TeamMember
from joinedup.children.models import Involvement
from joinedup.sharing.models import AccessRecord, SearchRecord

ANOMALY_SEARCHES_OUTSIDE_CASELOAD = 20
SEARCHES_OUTSIDE_CASELOAD_DAYS = 7
SHIELDED_VIEWS_DAYS = 30
ANOMALY_CHILDREN_OUT_OF_HOURS = 50
OUT_OF_HOURS_DAYS = 30
# "Out of hours" is 20:00 to 07:00 UK time, whatever the server's clock says.
OUT_OF_HOURS_START = 20
OUT_OF_HOURS_END = 7
UK_TIME = zoneinfo.ZoneInfo("Europe/London")


class AnomalyKind:
    SEARCHES_OUTSIDE_CASELOAD = "searches_outside_caseload"
    SHIELDED_VIEWS = "shielded_views"
    BULK_OUT_OF_HOURS = "bulk_out_of_hours"


@dataclass(frozen=True)
class AnomalyFlag:
    kind: str
    count: int
    text: str


def anomaly_flags(practitioner_id: int) -> list[AnomalyFlag]:
    """The flags raised for one practitioner (empty when nothing stands out)."""
    return anomaly_flags_for([practitioner_id]).get(practitioner_id, [])


def anomaly_flags_for(practitioner_ids: Iterable[int]) -> dict[int, list[AnomalyFlag]]:
    """The flags raised for each of these practitioners; practitioners with none are left
    out. Five queries however many practitioners and records."""
    ids = set(practitioner_ids)
    flags: dict[int, list[AnomalyFlag]] = defaultdict(list)
    if not ids:
        return {}
    now = timezone.now()

    for practitioner_id, count in _searches_outside_caseload(ids, now).items():
        if count >= ANOMALY_SEARCHES_OUTSIDE_CASELOAD:
            flags[practitioner_id].append(
                AnomalyFlag(
                    AnomalyKind.SEARCHES_OUTSIDE_CASELOAD,
                    count,
                    f"{count} searches in the last {SEARCHES_OUTSIDE_CASELOAD_DAYS} days found "
                    "only children they are not involved with or on the team around.",
                )
            )

    shielded_views = (
        AccessRecord.objects.filter(
            practitioner_id__in=ids,
            flagged_for_review=True,
            occurred_at__gte=now - datetime.timedelta(days=SHIELDED_VIEWS_DAYS),
        )
        .values("practitioner_id")
        .annotate(views=Count("pk"))
        .order_by()
    )
    for row in shielded_views:
        count = row["views"]
        flags[row["practitioner_id"]].append(
            AnomalyFlag(
                AnomalyKind.SHIELDED_VIEWS,
                count,
                f"{count} view{'s' if count != 1 else ''} of shielded children's records "
                f"in the last {SHIELDED_VIEWS_DAYS} days.",
            )
        )

    busiest: dict[int, tuple[int, datetime.date]] = {}
    for practitioner_id, night, children in _out_of_hours_nights(ids, now):
        if practitioner_id not in busiest or children > busiest[practitioner_id][0]:
            busiest[practitioner_id] = (children, night)
    for practitioner_id, (count, night) in busiest.items():
        flags[practitioner_id].append(
            AnomalyFlag(
                AnomalyKind.BULK_OUT_OF_HOURS,
                count,
                f"{count} different children's records opened out of hours (20:00 to 07:00) "
                f"on the night of {night:%-d %B %Y}.",
            )
        )
    return dict(flags)


def _searches_outside_caseload(ids: set[int], now: datetime.datetime) -> dict[int, int]:
    """How many recent searches by each practitioner returned no child of their caseload
    (children they are or were involved with, or on the team around). A search that
    found nobody is not counted: it shows nothing."""
    caseload: dict[int, set[int]] = defaultdict(set)
    for practitioner_id, child_id in Involvement.objects.filter(
        practitioner_id__in=ids
    ).values_list("practitioner_id", "child_id"):
        caseload[practitioner_id].add(child_id)
    for practitioner_id, child_id in TeamMember.objects.filter(
        practitioner_id__in=ids, episode__episode_children__child__isnull=False
    ).values_list("practitioner_id", "episode__episode_children__child"):
        caseload[practitioner_id].add(child_id)
    counts: dict[int, int] = defaultdict(int)
    searches = SearchRecord.objects.filter(
        practitioner_id__in=ids,
        searched_at__gte=now - datetime.timedelta(days=SEARCHES_OUTSIDE_CASELOAD_DAYS),
        result_count__gt=0,
    ).values_list("practitioner_id", "result_child_ids")
    for practitioner_id, result_child_ids in searches.iterator():
        if not caseload[practitioner_id].intersection(result_child_ids or []):
            counts[practitioner_id] += 1
    return counts


def _out_of_hours_nights(
    ids: set[int], now: datetime.datetime
) -> list[tuple[int, datetime.date, int]]:
    """Each (practitioner, night) on which the practitioner opened the records of at least
    ANOMALY_CHILDREN_OUT_OF_HOURS different children out of hours. A night is named by
    the evening it starts on: shifting the time back by OUT_OF_HOURS_END hours puts
    20:00–06:59 on one date."""
    shifted = ExpressionWrapper(
        F("occurred_at") - datetime.timedelta(hours=OUT_OF_HOURS_END),
        output_field=DateTimeField(),
    )
    rows = (
        AccessRecord.objects.filter(
            practitioner_id__in=ids,
            child__isnull=False,
            occurred_at__gte=now - datetime.timedelta(days=OUT_OF_HOURS_DAYS),
        )
        .annotate(hour=ExtractHour("occurred_at", tzinfo=UK_TIME))
        .filter(Q(hour__gte=OUT_OF_HOURS_START) | Q(hour__lt=OUT_OF_HOURS_END))
        .annotate(night=TruncDate(shifted, tzinfo=UK_TIME))
        .values("practitioner_id", "night")
        .annotate(children=Count("child", distinct=True))
        .filter(children__gte=ANOMALY_CHILDREN_OUT_OF_HOURS)
        .order_by()
        .values_list("practitioner_id", "night", "children")
    )
    return list(rows)
