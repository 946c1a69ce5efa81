"""Benchmark the referral pages and selectors at realistic scale.

Loads a demo area (``joinedup.demo``, default 100,000 children), then writes a realistic
referral history on top of it in bulk — by default 50,000 referrals over 24 months to the
demo directory's ~30 services, from the demo cast plus extra referrers (about one per
hundred referrals), with re-referrals after declines, ~5% urgent, a few stuck referrals
and about four ReferralEvents each — and times the reads as the code has them: the
ping-pong list, the partnership and service reports (12 months), a busy service's queue,
a busy referrer's "referrals I made" page and home-page flags, the daily overdue
selection and one referral's page. Reports median and p95 (ms), rows, queries, and peak
memory. Loading and timing run in separate processes, so each peak RSS is its own.

    .venv/bin/python benchmarks/referrals.py --sqlite                     # 50k referrals
    .venv/bin/python benchmarks/referrals.py \\
        --database-url postgres://postgres@127.0.0.1:5432/joinedup_bench --scale 50000
    .venv/bin/python benchmarks/referrals.py ... --reuse   # time an area already loaded

The database named in the URL (or the SQLite file) is dropped and created again first.

Each run prints a Markdown table for ``benchmarks/results/referrals.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_CHILDREN = 100_000
DEFAULT_SCALE = 50_000
HISTORY_DAYS = 730  # 24 months
BATCH = 10_000
BENCH_USERNAME = "bench.referrer."


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "joinedup.settings")
    import django

    django.setup()


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# Loading ----------------------------------------------------------------------------------


def load(children: int, scale: int, seed: int) -> dict[str, Any]:
    """A fresh demo area, then ``scale`` referrals on top; ANALYZE on PostgreSQL."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from joinedup.demo.bulk import fast_sqlite_writes
    from joinedup.demo.load import load_demo_area
    from joinedup.referrals.models import Referral, ReferralEvent

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    load_demo_area(children=children, seed=seed)
    area_seconds = time.perf_counter() - started

    started = time.perf_counter()
    with fast_sqlite_writes(), transaction.atomic():
        made = ReferralHistory(random.Random(seed), scale).write()  # noqa: S311 - repeatable
    referral_seconds = time.perf_counter() - started
    started = time.perf_counter()
    if connection.vendor == "postgresql":
        # Fresh planner statistics, as autovacuum keeps them in production.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    analyze_seconds = time.perf_counter() - started
    statuses = Counter(Referral.objects.values_list("status", flat=True).iterator())
    return {
        "area_seconds": area_seconds,
        "referral_seconds": referral_seconds,
        "analyze_seconds": analyze_seconds,
        "made": made,
        "referrals": Referral.objects.count(),
        "events": ReferralEvent.objects.count(),
        "statuses": dict(statuses),
        "urgent": Referral.objects.filter(urgency="urgent").count(),
        "peak_rss_mib": peak_rss_mib(),
    }


def fresh_database(url: str) -> None:
    """Drop and create again the database the URL names (as benchmarks/demo_area.py does),
    so every run starts from the same state with no dead rows of an earlier one."""
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            name.unlink(missing_ok=True)
        return
    from benchmarks.demo_area import fresh_postgres

    fresh_postgres(url)


REASONS = (
    "Worries about the child's mood and sleep; the family would like someone to talk to.",
    "School attendance has fallen this term and the family asked for help.",
    "Speech is hard for adults outside the family to follow.",
    "Behaviour at home and school has become hard to manage since a bereavement.",
    "The family is struggling with money and housing and asked for practical help.",
    "The child looks after a parent at home and is missing out on time with friends.",
    "Anxiety about school has grown since moving up a year; parents asked for support.",
    "Concerns about the child's weight and eating raised by the school nurse.",
)
SECTIONS = (
    '["contact", "setting"]',
    '["contact"]',
    '["contact", "setting", "involvements"]',
    '["setting"]',
)
# Weights of the reasons a service gives for declining (there are always some of each).
DECLINE_WEIGHTS = {
    "criteria_not_met": 25,
    "no_capacity": 18,
    "better_elsewhere": 20,
    "already_supported": 10,
    "family_declined": 7,
    "not_enough_information": 8,
    "outside_area": 5,
    "outside_age": 3,
    "other": 4,
}
OUTCOME_WEIGHTS = {
    "needs_met": 55,
    "partly_met": 20,
    "not_met": 5,
    "family_disengaged": 12,
    "moved_away": 3,
    "referred_on": 5,
}


@dataclass
class ServiceInfo:
    pk: int
    agency_id: int
    ages: tuple[int, int]
    in_app: bool
    acknowledge_within: int
    decide_within: int
    waiting_weeks: int | None
    staff: list[int]
    weight: float = 1.0


@dataclass
class Step:
    status: str
    at: datetime
    by: int
    note: str = ""


@dataclass
class Planned:
    """One referral of the history, with the steps that happened by now."""

    pk: int
    child_id: int
    service: ServiceInfo
    referrer: int
    referrer_agency: int | None
    urgent: bool
    created_at: datetime
    steps: list[Step] = field(default_factory=list)
    follows: int | None = None
    values: dict[str, Any] = field(default_factory=dict)


class ReferralHistory:
    """Makes and writes the referral history: rows as tuples (``bulk.RowWriter``: COPY on
    PostgreSQL, executemany on SQLite), in batches, ids assigned here."""

    def __init__(self, rng: random.Random, scale: int) -> None:
        from django.db import connection
        from django.utils import timezone

        self.rng = rng
        self.scale = scale
        self.now = timezone.now()
        self.today = timezone.localdate()
        self.ops = connection.ops
        self._working: dict[tuple[date, int], date] = {}

    # The population it draws on -------------------------------------------------------

    def _services(self) -> list[ServiceInfo]:
        from django.db.models import Q

        from joinedup.referrals.models import Service

        found = []
        for service in (
            Service.objects.filter(is_published=True)
            .filter(Q(accepts_referrals_in_app=True) | ~Q(how_to_refer_outside=""))
            .prefetch_related("maintainers")
            .order_by("slug")
        ):
            found.append(
                ServiceInfo(
                    pk=service.pk,
                    agency_id=service.agency_id,
                    ages=(service.age_from, service.age_to),
                    in_app=service.accepts_referrals_in_app,
                    acknowledge_within=service.acknowledge_within_working_days,
                    decide_within=service.decide_within_working_days,
                    waiting_weeks=service.waiting_weeks,
                    staff=[person.pk for person in service.maintainers.all()],
                )
            )
        # A few services take most referrals, and those are the ones in Joined Up: the
        # services taking referrals in the app first, then a long tail.
        self.rng.shuffle(found)
        found.sort(key=lambda service: not service.in_app)
        for rank, service in enumerate(found, start=1):
            service.weight = 1 / rank**0.8
        return found

    def _referrers(self) -> list[tuple[int, int | None]]:
        """The demo cast with a home agency, plus extra referrers (an area has many more
        people who refer than the cast): about one per hundred referrals in all."""
        from joinedup.accounts.models import Practitioner
        from joinedup.partnerships.models import Agency

        cast = list(
            Practitioner.objects.filter(home_agency__isnull=False, is_superuser=False)
            .exclude(username="practitioner")
            .order_by("pk")
            .values_list("pk", "home_agency_id")
        )
        extra = max(0, self.scale // 100 - len(cast))
        agencies = list(Agency.objects.order_by("pk").values_list("pk", flat=True))
        Practitioner.objects.bulk_create(
            [
                Practitioner(
                    username=f"{BENCH_USERNAME}{number:05d}",
                    email=f"{BENCH_USERNAME}{number:05d}@bench.invalid",
                    password="!",  # noqa: S106 - an unusable password
                    first_name="Bench",
                    last_name=f"Referrer {number}",
                    home_agency_id=self.rng.choice(agencies),
                    job_title="Practitioner",
                )
                for number in range(extra)
            ],
            batch_size=1000,
        )
        made = list(
            Practitioner.objects.filter(username__startswith=BENCH_USERNAME)
            .order_by("pk")
            .values_list("pk", "home_agency_id")
        )
        everyone = cast + made
        self.rng.shuffle(everyone)
        return everyone

    def _children(self) -> list[tuple[int, date]]:
        from joinedup.children.models import Child

        return list(
            Child.objects.filter(merged_into__isnull=True, archived_on__isnull=True)
            .order_by("pk")
            .values_list("pk", "date_of_birth")
        )

    # The history ------------------------------------------------------------------------

    def _working_days(self, start: date, days: int) -> date:
        from joinedup.referrals.working_days import add_working_days

        key = (start, days)
        if key not in self._working:
            self._working[key] = add_working_days(start, days)
        return self._working[key]

    def _at(self, day: date, base: datetime) -> datetime:
        """A time in working hours on ``day`` (UK time), never before ``base``."""
        from django.utils import timezone

        moment = timezone.make_aware(
            datetime(day.year, day.month, day.day, self.rng.randint(8, 17), self.rng.randint(0, 59))
        )
        return max(moment, base + timedelta(minutes=self.rng.randint(5, 90)))

    def _plan(
        self,
        pk: int,
        child: tuple[int, date],
        service: ServiceInfo,
        referrer: tuple[int, int | None],
        sent_at: datetime | None,
        *,
        urgent: bool,
        follows: int | None,
    ) -> Planned:
        from django.utils import timezone

        rng = self.rng
        created = (sent_at or self.now - timedelta(days=rng.uniform(0, HISTORY_DAYS))) - timedelta(
            minutes=rng.randint(5, 2 * 24 * 60)
        )
        planned = Planned(
            pk=pk,
            child_id=child[0],
            service=service,
            referrer=referrer[0],
            referrer_agency=referrer[1],
            urgent=urgent,
            created_at=created,
            follows=follows,
        )
        planned.steps.append(Step("draft", created, referrer[0]))
        if sent_at is None:
            return planned
        sent_on = timezone.localdate(sent_at)
        values = planned.values
        values["acknowledge_by"] = self._working_days(sent_on, service.acknowledge_within)
        values["decide_by"] = self._working_days(sent_on, service.decide_within)
        values["expected_wait_weeks"] = service.waiting_weeks
        answerer = rng.choice(service.staff) if service.in_app and service.staff else referrer[0]
        steps = [Step("sent", sent_at, referrer[0])]

        # When the referrer gives up on it, if they do.
        stuck = rng.random()
        withdraw_after = (
            rng.uniform(30, 70)
            if stuck < 0.04
            else rng.uniform(1, 120)
            if rng.random() < 0.05
            else None
        )
        if stuck < 0.04 and rng.random() < 0.15:
            withdraw_after = None  # left overdue: nobody followed it up
        withdraw_at = sent_at + timedelta(days=withdraw_after) if withdraw_after else None

        def happened(at: datetime) -> bool:
            return at <= self.now and (withdraw_at is None or at < withdraw_at)

        ack_days = (
            rng.choices((0, 1), (6, 4))[0]
            if urgent
            else rng.choices((0, 1, 2, 3, 4, 6, 10), (25, 30, 20, 10, 7, 5, 3))[0]
        )
        acknowledged = self._at(self._working_days(sent_on, ack_days), sent_at)
        if stuck >= 0.02 and happened(acknowledged):
            steps.append(Step("acknowledged", acknowledged, answerer))
            decided = acknowledged + timedelta(
                days=min(60.0, rng.lognormvariate(math.log(2 if urgent else 6), 0.8))
            )
            if stuck >= 0.04 and happened(decided):
                if rng.random() < 0.28:
                    reason = rng.choices(list(DECLINE_WEIGHTS), list(DECLINE_WEIGHTS.values()))[0]
                    values["decline_reason"] = reason
                    if reason == "other":
                        values["decline_note"] = "The family's needs are already being met."
                    if reason == "better_elsewhere" or (
                        reason == "criteria_not_met" and rng.random() < 0.3
                    ):
                        values["suggested_service"] = True  # chosen by the caller
                    steps.append(Step("declined", decided, answerer))
                    planned.steps.extend(steps)
                    return planned
                wait_weeks = service.waiting_weeks or rng.randint(1, 8)
                starts = decided + timedelta(days=rng.uniform(0.3, 1.6) * wait_weeks * 7)
                values["expected_start_on"] = timezone.localdate(decided) + timedelta(
                    weeks=wait_weeks
                )
                steps.append(Step("accepted", decided, answerer, "On the waiting list."))
                if happened(starts):
                    steps.append(Step("started", starts, answerer))
                    completes = starts + timedelta(days=rng.uniform(21, 150))
                    if happened(completes):
                        values["outcome"] = rng.choices(
                            list(OUTCOME_WEIGHTS), list(OUTCOME_WEIGHTS.values())
                        )[0]
                        steps.append(Step("completed", completes, answerer))
                        planned.steps.extend(steps)
                        return planned
        if withdraw_at is not None and withdraw_at <= self.now:
            reason = (
                "No reply from the service."
                if stuck < 0.04
                else rng.choice(("The family moved out of the area.", "Needs met elsewhere."))
            )
            values["withdrawal_reason"] = reason
            steps.append(Step("withdrawn", withdraw_at, referrer[0], reason))
        planned.steps.extend(steps)
        return planned

    def _histories(self) -> Iterator[Planned]:
        """Referrals in the order they are numbered: chains of re-referrals per need."""
        from joinedup.demo.bulk import next_id
        from joinedup.referrals.models import Referral

        rng = self.rng
        services = self._services()
        referrers = self._referrers()
        referrer_weights = [1 / rank**0.5 for rank in range(1, len(referrers) + 1)]
        children = self._children()
        pk = next_id(Referral)
        made = 0
        while made < self.scale:
            child = rng.choice(children)
            age = (self.today - child[1]).days // 365
            referrer = rng.choices(referrers, referrer_weights)[0]
            fitting = [
                s for s in services if s.ages[0] <= age <= s.ages[1] and s.agency_id != referrer[1]
            ]
            if not fitting:
                continue
            service = rng.choices(fitting, [s.weight for s in fitting])[0]
            urgent = rng.random() < 0.05
            if rng.random() < 0.02:
                yield self._plan(pk, child, service, referrer, None, urgent=urgent, follows=None)
                pk, made = pk + 1, made + 1
                continue
            sent_at = self.now - timedelta(days=HISTORY_DAYS * rng.random() ** 1.15)
            follows = None
            for _ in range(5):  # a chain: declined, referred again elsewhere
                planned = self._plan(
                    pk, child, service, referrer, sent_at, urgent=urgent, follows=follows
                )
                others = [s for s in fitting if s.pk != service.pk]
                if planned.values.get("suggested_service") and others:
                    suggested = rng.choices(others, [s.weight for s in others])[0]
                    planned.values["suggested_service"] = suggested.pk
                else:
                    planned.values.pop("suggested_service", None)
                yield planned
                pk, made = pk + 1, made + 1
                last = planned.steps[-1]
                if last.status != "declined" or made >= self.scale or not others:
                    break
                if rng.random() > (0.7 if planned.values.get("suggested_service") else 0.35):
                    break
                sent_at = last.at + timedelta(days=rng.uniform(1, 21))
                if sent_at > self.now:
                    break
                follows = planned.pk
                suggested_pk = planned.values.get("suggested_service")
                service = (
                    next((s for s in others if s.pk == suggested_pk), None)
                    or rng.choices(others, [s.weight for s in others])[0]
                )

    # Writing ----------------------------------------------------------------------------

    def write(self) -> int:
        from joinedup.demo.bulk import RowWriter, next_id, reset_sequences
        from joinedup.referrals.models import Referral, ReferralEvent

        referral_fields, referral_defaults = self._columns(Referral)
        event_fields, event_defaults = self._columns(ReferralEvent)
        referrals = RowWriter(Referral, referral_fields)
        events = RowWriter(ReferralEvent, event_fields)
        event_pk = next_id(ReferralEvent)
        made = 0
        referral_rows: list[tuple[Any, ...]] = []
        event_rows: list[tuple[Any, ...]] = []
        for planned in self._histories():
            referral_rows.append(self._referral_row(planned, referral_fields, referral_defaults))
            previous = ""
            for step in planned.steps:
                event_rows.append(
                    self._event_row(event_pk, planned, step, previous, event_fields, event_defaults)
                )
                event_pk += 1
                previous = step.status
            made += 1
            if len(referral_rows) >= BATCH:
                referrals.write(referral_rows)
                events.write(event_rows)
                referral_rows, event_rows = [], []
        referrals.write(referral_rows)
        events.write(event_rows)
        reset_sequences(Referral, ReferralEvent)
        return made

    def _columns(self, model: Any) -> tuple[list[str], dict[str, Any]]:
        """Every column of the model, and its default in database form (so a field added
        later gets its default without this benchmark knowing of it)."""
        from django.db import connection

        names, defaults = [], {}
        for model_field in model._meta.concrete_fields:
            names.append(model_field.name)
            value = model_field.get_default()
            defaults[model_field.name] = (
                None if value is None else model_field.get_db_prep_save(value, connection)
            )
        return names, defaults

    def _referral_row(
        self, planned: Planned, fields: list[str], defaults: dict[str, Any]
    ) -> tuple[Any, ...]:
        from django.utils import timezone

        stamp = self.ops.adapt_datetimefield_value
        day = self.ops.adapt_datefield_value
        rng = self.rng
        lawful = rng.random() < 0.08
        values: dict[str, Any] = {
            "id": planned.pk,
            "child": planned.child_id,
            "service": planned.service.pk,
            "follows": planned.follows,
            "referrer": planned.referrer,
            "referrer_agency": planned.referrer_agency,
            "reason": rng.choice(REASONS),
            "urgency": "urgent" if planned.urgent else "routine",
            "shared_sections": rng.choice(SECTIONS),
            "handled_outside": not planned.service.in_app,
            "status": planned.steps[-1].status,
            "created_at": stamp(planned.created_at),
            "updated_at": stamp(planned.steps[-1].at),
            "decline_note": "",
            "episode": None,
            "action": None,
            "suggested_service": None,
        }
        if len(planned.steps) > 1:  # sent
            sent_on = timezone.localdate(planned.steps[1].at)
            if lawful:
                values.update(
                    sharing_basis="lawful_reason",
                    lawful_basis="risk_of_harm",
                    lawful_reason="Asking the parent would put the child at risk.",
                )
            else:
                values.update(
                    sharing_basis="consent",
                    consent_given_by="parent_carer",
                    consent_given_by_name="Parent or carer",
                    consent_given_on=day(sent_on),
                )
        for key in ("acknowledge_by", "decide_by", "expected_start_on"):
            if key in planned.values:
                values[key] = day(planned.values[key])
        for key in ("decline_reason", "decline_note", "outcome", "withdrawal_reason"):
            if key in planned.values:
                values[key] = planned.values[key]
        values["expected_wait_weeks"] = planned.values.get("expected_wait_weeks")
        values["suggested_service"] = planned.values.get("suggested_service")
        for step in planned.steps[1:]:
            values[f"{step.status}_at"] = stamp(step.at)
        return tuple(values[name] if name in values else defaults[name] for name in fields)

    def _event_row(
        self,
        pk: int,
        planned: Planned,
        step: Step,
        previous: str,
        fields: list[str],
        defaults: dict[str, Any],
    ) -> tuple[Any, ...]:
        by_hand = not planned.service.in_app and step.status not in ("draft", "sent", "withdrawn")
        values = {
            "id": pk,
            "referral": planned.pk,
            "from_status": previous,
            "to_status": step.status,
            "by": step.by,
            "at": self.ops.adapt_datetimefield_value(step.at),
            "note": step.note,
            "recorded_by_hand": by_hand,
            "reply_from": "Email from the service's duty worker" if by_hand else "",
        }
        return tuple(values[name] if name in values else defaults[name] for name in fields)


# Timing -----------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1)]


@dataclass
class Operation:
    name: str
    run: Callable[[], Any]
    rows: Callable[[Any], str]


def time_operation(operation: Operation, repetitions: int, budget_seconds: float) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    result = operation.run()  # warm caches
    with CaptureQueriesContext(connection) as captured:
        result = operation.run()
    tracemalloc.start()
    operation.run()
    _, python_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    timings: list[float] = []
    deadline = time.perf_counter() + budget_seconds
    while len(timings) < repetitions and (len(timings) < 5 or time.perf_counter() < deadline):
        started = time.perf_counter()
        operation.run()
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "name": operation.name,
        "rows": operation.rows(result),
        "queries": len(captured.captured_queries),
        "n": len(timings),
        "median": statistics.median(timings),
        "p95": percentile(timings, 95),
        "python_peak_mib": python_peak / 2**20,
    }


def operations() -> tuple[list[Operation], dict[str, Any]]:
    """The reads to time, each for a busy subject picked from the data."""
    from django.db.models import Count, Q
    from django.utils import timezone

    from joinedup.accounts.models import Practitioner
    from joinedup.partnerships.models import Partnership
    from joinedup.referrals import pingpong, reports, service_queue, timeliness
    from joinedup.referrals.models import LIVE_STATUSES, Referral, Service
    from joinedup.referrals.referral_selectors import (
        MY_REFERRALS_PAGE_SIZE,
        my_referrals,
        referral_page,
    )
    from joinedup.sharing import policy

    today = timezone.localdate()
    # The partnership whose scope holds the most referrals.
    partnerships = list(Partnership.objects.order_by("pk"))
    partnership = max(
        partnerships,
        key=lambda p: Referral.objects.filter(policy.partnership_referrals_filter(p)).count(),
    )
    busiest = (
        Referral.objects.filter(status__in=list(LIVE_STATUSES), handled_outside=False)
        .values("service_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    service = Service.objects.get(pk=busiest["service_id"]) if busiest else None
    staff = service.maintainers.order_by("pk").first() if service else None
    referrer_row = (
        Referral.objects.values("referrer_id").annotate(n=Count("pk")).order_by("-n").first()
    )
    referrer = Practitioner.objects.get(pk=referrer_row["referrer_id"])
    one = (
        Referral.objects.filter(referrer=referrer, status="declined")
        .filter(Q(followed_by__isnull=False))
        .order_by("-pk")
        .first()
    ) or Referral.objects.filter(referrer=referrer).order_by("-pk").first()
    subjects = {
        "partnership": f"{partnership.name}",
        "partnership_referrals": Referral.objects.filter(
            policy.partnership_referrals_filter(partnership)
        ).count(),
        "service": service.name if service else "",
        "service_referrals": Referral.objects.filter(service=service).count(),
        "service_live": busiest["n"] if busiest else 0,
        "referrer_made": referrer_row["n"],
        "overdue": Referral.objects.filter(timeliness.overdue_q(today)).count(),
    }
    found: list[Operation] = [
        Operation(
            "pingpong_children(partnership)",
            lambda: pingpong.pingpong_children(partnership),
            lambda r: f"{len(r)} children",
        ),
        Operation(
            "partnership_report (12 months)",
            lambda: reports.partnership_report(partnership, months=12),
            lambda r: f"{r.total.in_scope:,} referrals",
        ),
    ]
    if service is not None and staff is not None:
        decision = policy.can_view_service_referrals(staff, service)
        found += [
            Operation(
                "service_report (12 months)",
                lambda: reports.service_report(service, months=12),
                lambda r: f"{r.total.received:,} received",
            ),
            Operation(
                "service_queue (busy service)",
                lambda: service_queue.service_queue(
                    practitioner=staff, service=service, decision=decision, path="/bench"
                ),
                lambda r: f"{r.live_count:,} live",
            ),
            Operation(
                "referral_flags (service staff)",
                lambda: timeliness.referral_flags(staff),
                lambda r: f"{len(r.services)} services",
            ),
        ]
    last_page = max(1, math.ceil(referrer_row["n"] / MY_REFERRALS_PAGE_SIZE))
    found += [
        Operation(
            "my_referrals page 1 (busy referrer)",
            lambda: my_referrals(practitioner=referrer, page_number=1, path="/bench"),
            lambda r: f"50 of {r.page.paginator.count:,}",
        ),
        Operation(
            "my_referrals last page (busy referrer)",
            lambda: my_referrals(practitioner=referrer, page_number=last_page, path="/bench"),
            lambda r: f"{len(r.rows)} of {r.page.paginator.count:,}",
        ),
        Operation(
            "referral_flags (busy referrer)",
            lambda: timeliness.referral_flags(referrer),
            lambda r: f"{r.made_overdue} overdue",
        ),
        Operation(
            "overdue_referrals(today), listed",
            lambda: list(timeliness.overdue_referrals(today)),
            lambda r: f"{len(r):,} referrals",
        ),
        Operation(
            "overdue_notices(today)",
            lambda: timeliness.overdue_notices(today),
            lambda r: f"{len(r):,} notices",
        ),
        Operation(
            "referral_page (one referral)",
            lambda: referral_page(practitioner=referrer, referral_id=one.pk, path="/bench"),
            lambda r: f"{len(r.events)} events",
        ),
    ]
    return found, subjects


def time_all(repetitions: int, budget: float) -> dict[str, Any]:
    from django.db import connection

    found, subjects = operations()
    results = [time_operation(operation, repetitions, budget) for operation in found]
    return {
        "vendor": connection.vendor,
        "version": _database_version(),
        "subjects": subjects,
        "results": results,
        "peak_rss_mib": peak_rss_mib(),
    }


def _database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0].split()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


# Running ----------------------------------------------------------------------------------


def run_phase(args: argparse.Namespace, phase: str) -> dict[str, Any]:
    """Run one phase in a process of its own and read back what it found."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        command = [
            sys.executable,
            __file__,
            "--phase",
            phase,
            "--database-url",
            args.url,
            "--children",
            str(args.children),
            "--scale",
            str(args.scale),
            "--seed",
            str(args.seed),
            "--repetitions",
            str(args.repetitions),
            "--budget",
            str(args.budget),
            "--out",
            out.name,
        ]
        subprocess.run(command, check=True, cwd=ROOT)  # noqa: S603 - this script
        return json.loads(Path(out.name).read_text())


def print_report(loaded: dict[str, Any] | None, timed: dict[str, Any], scale: int) -> None:
    engine = timed["version"]
    if loaded:
        statuses = ", ".join(f"{k} {v:,}" for k, v in sorted(loaded["statuses"].items()))
        print(
            f"Loaded: demo area {loaded['area_seconds']:.1f} s; {loaded['referrals']:,} "
            f"referrals and {loaded['events']:,} events in {loaded['referral_seconds']:.1f} s; "
            f"ANALYZE {loaded['analyze_seconds']:.1f} s; peak RSS "
            f"{loaded['peak_rss_mib']:,.0f} MiB"
        )
        print(f"Statuses: {statuses}; urgent {loaded['urgent']:,}")
    print("Subjects:", json.dumps(timed["subjects"]))
    print()
    print(f"| Operation ({engine}, {scale:,} referrals) | Rows | Median | p95 | n | Queries "
          "| Python peak |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in timed["results"]:
        print(
            f"| {r['name']} | {r['rows']} | {r['median']:.1f} ms | {r['p95']:.1f} ms "
            f"| {r['n']} | {r['queries']} | {r['python_peak_mib']:.1f} MiB |"
        )
    print(f"\nTiming process peak RSS: {timed['peak_rss_mib']:,.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--sqlite", action="store_true", help="Use /tmp/referrals_bench.sqlite3")
    parser.add_argument("--children", type=int, default=DEFAULT_CHILDREN)
    parser.add_argument(
        "--scale", type=int, default=DEFAULT_SCALE, help="referrals (e.g. 10000, 50000, 200000)"
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--repetitions", type=int, default=50)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds at most per read")
    parser.add_argument("--reuse", action="store_true", help="Time what is already loaded")
    parser.add_argument("--phase", choices=("load", "time"), help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.url = args.database_url or (
        "sqlite:////tmp/referrals_bench.sqlite3" if args.sqlite else ""
    )
    if not args.url:
        parser.error("give --database-url or --sqlite")
    if args.phase:
        setup(args.url)
        if args.phase == "load":
            found = load(args.children, args.scale, args.seed)
        else:
            found = time_all(args.repetitions, args.budget)
        Path(args.out).write_text(json.dumps(found, default=str))
        return
    loaded = None
    if not args.reuse:
        fresh_database(args.url)
        loaded = run_phase(args, "load")
    timed = run_phase(args, "time")
    print_report(loaded, timed, args.scale)


if __name__ == "__main__":
    main()
