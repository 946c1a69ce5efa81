"""Referral reports (issue 5): for a service or a partnership, month by month, how many
referrals came in and went out, how many were accepted or declined and why, and how long
acknowledging and starting took.

A referral counts in the calendar month it was sent (UK time, settings.TIME_ZONE), however
long it then took: one sent in March and accepted in April is a March acceptance. Drafts
never sent are not counted. Reports hold counts and times only — no child is named — so
reading one writes no access record; who may read one is sharing.policy's question
(``can_view_service_referral_reports``, ``can_view_partnership_referral_reports``).

Counts are made in the database, grouped by month; medians and 90th percentiles are taken
in Python over each month's list of times. A report makes three queries however many
referrals it covers.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate, TruncMonth
from django.utils import timezone

from joinedup.children.feeds.exports import csv_bytes
from joinedup.partnerships.models import Membership, Partnership
from joinedup.referrals.models import (
    DeclineReason,
    Referral,
    ReferralStatus,
    Service,
    Urgency,
)
from joinedup.referrals.working_days import working_days_between
from joinedup.sharing import policy

PERIODS = (6, 12, 24)
DEFAULT_MONTHS = 12


def report_months(value: str | None) -> int:
    """The number of months a report covers, from the page's choice: 6, 12 or 24 (12 when
    the choice is missing or not one of those)."""
    try:
        months = int(value or "")
    except ValueError:
        return DEFAULT_MONTHS
    return months if months in PERIODS else DEFAULT_MONTHS


def month_starts(today: date, months: int) -> list[date]:
    """The first day of each of the ``months`` calendar months up to and including
    today's, oldest first."""
    year, month = today.year, today.month
    starts = []
    for _ in range(months):
        starts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return starts[::-1]


def _next_month(first: date) -> date:
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def median(values: Sequence[int]) -> float | int | None:
    """The middle value (the mean of the two middle values when there is an even number);
    None when there are none."""
    if not values:
        return None
    middle = statistics.median(values)
    return int(middle) if middle == int(middle) else middle


def percentile(values: Sequence[int], fraction: float) -> int | None:
    """The nearest-rank percentile: the smallest value that at least ``fraction`` of the
    values are at or below (for 0.9, "nine in ten took this long or less")."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(fraction * len(ordered)), 1) - 1]


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


@dataclass
class ReportRow:
    """The figures for one month (or, for the total row, the whole period)."""

    label: str
    month: date | None = None
    received: int = 0  # to the service, or to services of the partnership's agencies
    made: int = 0  # by the service's staff, or by the partnership's current members
    in_scope: int = 0  # the referrals the rest of the row is about (each counted once)
    accepted: int = 0
    declined: int = 0
    urgent: int = 0
    withdrawn: int = 0
    acknowledged_late: int = 0
    decline_reasons: dict[str, int] = field(default_factory=dict)
    acknowledge_days: list[int] = field(default_factory=list)  # working days
    start_days: list[int] = field(default_factory=list)  # calendar days

    @property
    def decided(self) -> int:
        return self.accepted + self.declined

    @property
    def acceptance_rate(self) -> int | None:
        """Accepted, as a whole percentage of those decided (None when none were)."""
        return _percent(self.accepted, self.decided)

    @property
    def decline_rate(self) -> int | None:
        return _percent(self.declined, self.decided)

    @property
    def acknowledged(self) -> int:
        return len(self.acknowledge_days)

    @property
    def started(self) -> int:
        return len(self.start_days)

    @property
    def median_acknowledge(self) -> float | int | None:
        return median(self.acknowledge_days)

    @property
    def p90_acknowledge(self) -> int | None:
        return percentile(self.acknowledge_days, 0.9)

    @property
    def median_start(self) -> float | int | None:
        return median(self.start_days)

    @property
    def p90_start(self) -> int | None:
        return percentile(self.start_days, 0.9)

    def add(self, other: ReportRow) -> None:
        for name in (
            "received",
            "made",
            "in_scope",
            "accepted",
            "declined",
            "urgent",
            "withdrawn",
            "acknowledged_late",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for reason, count in other.decline_reasons.items():
            self.decline_reasons[reason] = self.decline_reasons.get(reason, 0) + count
        self.acknowledge_days.extend(other.acknowledge_days)
        self.start_days.extend(other.start_days)


@dataclass(frozen=True)
class DeclineReasonRow:
    reason: str
    label: str
    count: int
    share: int | None  # of all declines in the period, as a whole percentage


@dataclass(frozen=True)
class ReferralReport:
    """One report: a row per month, oldest first, and the total for the period."""

    is_partnership: bool
    name: str
    months: int
    rows: list[ReportRow]
    total: ReportRow

    @property
    def first_month(self) -> date:
        return self.rows[0].month or date.min

    @property
    def last_month(self) -> date:
        return self.rows[-1].month or date.min

    @property
    def period(self) -> str:
        return f"{self.first_month:%B %Y} to {self.last_month:%B %Y}"

    @property
    def received_label(self) -> str:
        return "Referrals" if self.is_partnership else "Received"

    @property
    def decline_reasons(self) -> list[DeclineReasonRow]:
        """Every reason a service may give, with how often it was given in the period."""
        declines = self.total.declined
        return [
            DeclineReasonRow(
                reason.value,
                reason.label,
                self.total.decline_reasons.get(reason.value, 0),
                _percent(self.total.decline_reasons.get(reason.value, 0), declines),
            )
            for reason in DeclineReason
        ]


# Building a report ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Scope:
    """Which referrals a report counts: ``received`` (in), ``made`` (out) and ``counted``
    (the referrals the acceptance, decline and time figures are about)."""

    received: Q
    made: Q
    counted: Q


def _build(
    *, scope: _Scope, name: str, is_partnership: bool, months: int, today: date | None
) -> ReferralReport:
    zone = ZoneInfo(settings.TIME_ZONE)
    today = today or timezone.localdate()
    starts = month_starts(today, months)
    window_start = datetime(starts[0].year, starts[0].month, 1, tzinfo=zone)
    end = _next_month(starts[-1])
    window_end = datetime(end.year, end.month, 1, tzinfo=zone)
    sent = Referral.objects.filter(
        scope.received | scope.made, sent_at__gte=window_start, sent_at__lt=window_end
    )
    in_month = TruncMonth("sent_at", tzinfo=zone)
    rows = {start: ReportRow(label=f"{start:%B %Y}", month=start) for start in starts}

    def month_of(value: datetime) -> date:
        """The month TruncMonth gave, as its first day (aware on every database)."""
        return timezone.localtime(value, zone).date().replace(day=1)

    # Acknowledged after the date it was due, or still waiting past it.
    late = Q(acknowledge_by__isnull=False) & (
        Q(acknowledged_on__gt=F("acknowledge_by"))
        | Q(status=ReferralStatus.SENT, acknowledge_by__lt=today)
    )
    counted = scope.counted
    counts = (
        sent.annotate(month=in_month, acknowledged_on=TruncDate("acknowledged_at", tzinfo=zone))
        .values("month")
        .annotate(
            received=Count("pk", filter=scope.received),
            made=Count("pk", filter=scope.made),
            in_scope=Count("pk", filter=counted),
            accepted=Count("pk", filter=counted & Q(accepted_at__isnull=False)),
            declined=Count("pk", filter=counted & Q(declined_at__isnull=False)),
            urgent=Count("pk", filter=counted & Q(urgency=Urgency.URGENT)),
            withdrawn=Count("pk", filter=counted & Q(status=ReferralStatus.WITHDRAWN)),
            acknowledged_late=Count("pk", filter=counted & late),
        )
        .order_by("month")
    )
    for figures in counts:
        row = rows.get(month_of(figures.pop("month")))
        if row is not None:
            for key, value in figures.items():
                setattr(row, key, value)

    reasons = (
        sent.filter(counted, declined_at__isnull=False)
        .annotate(month=in_month)
        .values("month", "decline_reason")
        .annotate(count=Count("pk"))
        .order_by("month", "decline_reason")
    )
    for figures in reasons:
        row = rows.get(month_of(figures["month"]))
        if row is not None:
            row.decline_reasons[figures["decline_reason"]] = figures["count"]

    # The UK dates come from the database: on PostgreSQL, reading three timestamps a
    # referral and converting them in Python was most of a report's time at 50,000
    # referrals (benchmarks/results/referrals.md).
    times = (
        sent.filter(counted)
        .filter(Q(acknowledged_at__isnull=False) | Q(started_at__isnull=False))
        .annotate(
            sent_on=TruncDate("sent_at", tzinfo=zone),
            acknowledged_on=TruncDate("acknowledged_at", tzinfo=zone),
            started_on=TruncDate("started_at", tzinfo=zone),
        )
        .values_list("sent_on", "acknowledged_on", "started_on")
        .order_by("sent_at", "pk")
    )
    for sent_on, acknowledged_on, started_on in times:
        row = rows.get(sent_on.replace(day=1))
        if row is None:
            continue
        if acknowledged_on is not None:
            row.acknowledge_days.append(working_days_between(sent_on, acknowledged_on))
        if started_on is not None:
            row.start_days.append(max((started_on - sent_on).days, 0))

    ordered = [rows[start] for start in starts]
    total = ReportRow(label=f"All {months} months")
    for row in ordered:
        total.add(row)
    return ReferralReport(
        is_partnership=is_partnership, name=name, months=months, rows=ordered, total=total
    )


def service_report(
    service: Service, months: int = DEFAULT_MONTHS, today: date | None = None
) -> ReferralReport:
    """The referrals a service received (and whether it accepted them, why it declined,
    how fast it acknowledged and started), and those its staff made, month by month."""
    staff = Service.maintainers.through.objects.filter(service_id=service.pk).values(
        "practitioner_id"
    )
    received = Q(service=service)
    scope = _Scope(received=received, made=Q(referrer__in=staff), counted=received)
    return _build(scope=scope, name=service.name, is_partnership=False, months=months, today=today)


def partnership_report(
    partnership: Partnership, months: int = DEFAULT_MONTHS, today: date | None = None
) -> ReferralReport:
    """The partnership's referrals (sharing.policy.partnership_referrals_filter): those to
    services of its member agencies (in) and those made by its current members (out); the
    other figures count each referral in scope once."""
    members = Membership.objects.current().filter(partnership=partnership).values("practitioner")
    scope = _Scope(
        received=Q(service__agency__in=partnership.member_agencies.all()),
        made=Q(referrer__in=members),
        counted=policy.partnership_referrals_filter(partnership),
    )
    return _build(
        scope=scope, name=partnership.name, is_partnership=True, months=months, today=today
    )


# The report as a CSV file -----------------------------------------------------------------


def _blank_if_none(value: object) -> object:
    return "" if value is None else value


def report_csv(report: ReferralReport) -> bytes:
    """A row per month, then the period's total: every figure on the page, with a column
    per decline reason. Cells are made safe against formula injection (csv_bytes)."""
    if report.is_partnership:
        scope = ["Partnership", "Month", "Referrals in (to member agencies' services)"]
        scope += ["Referrals out (made by members)", "Referrals (each counted once)"]
    else:
        scope = ["Service", "Month", "Referrals received", "Referrals made by its staff"]
    headings: list[object] = [
        *scope,
        "Accepted",
        "Declined",
        "Acceptance rate (% of those decided)",
        "Decline rate (% of those decided)",
        "Urgent",
        "Withdrawn",
        "Acknowledged late",
        "Acknowledged",
        "Median working days to acknowledge",
        "90th percentile working days to acknowledge",
        "Started",
        "Median days to start",
        "90th percentile days to start",
    ]
    headings += [f"Declined: {reason.label}" for reason in DeclineReason]
    lines: list[list[object]] = [headings]
    for row in [*report.rows, report.total]:
        month = f"{row.month:%Y-%m}" if row.month else row.label
        cells: list[object] = [report.name, month, row.received, row.made]
        if report.is_partnership:
            cells.append(row.in_scope)
        cells += [
            row.accepted,
            row.declined,
            row.acceptance_rate,
            row.decline_rate,
            row.urgent,
            row.withdrawn,
            row.acknowledged_late,
            row.acknowledged,
            row.median_acknowledge,
            row.p90_acknowledge,
            row.started,
            row.median_start,
            row.p90_start,
        ]
        cells += [row.decline_reasons.get(reason.value, 0) for reason in DeclineReason]
        lines.append([_blank_if_none(cell) for cell in cells])
    return csv_bytes(lines)
