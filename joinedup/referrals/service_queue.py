"""What a receiving service sees of the referrals sent to it: new referrals waiting for
acknowledgement, those waiting for a decision, its waiting list (accepted, not yet
started) and the work in progress — with the children named only on live referrals —
and a count of the ones closed lately, with no names (the service's access through a
referral ends when it closes). Reads write their access records in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from joinedup.referrals import timeliness
from joinedup.referrals.models import (
    CLOSED_STATUSES,
    Referral,
    ReferralStatus,
    Service,
)
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.sharing.policy import Decision

S = ReferralStatus

# Closed referrals are counted over this many days on the service's page.
CLOSED_COUNT_DAYS = 90


@dataclass(frozen=True)
class QueueEntry:
    """One live referral on the service's page. ``due_on`` is the day the service should
    answer by (acknowledge, or decide), ``position`` the place on the waiting list."""

    referral: Referral
    due_on: date | None = None
    is_overdue: bool = False
    position: int | None = None


# Each list on the service's page shows this many referrals at a time: a busy service has
# thousands live, and every child shown is recorded as listed (benchmarks/results/referrals.md).
QUEUE_PAGE_SIZE = 50


@dataclass(frozen=True)
class QueueList:
    """One list on the service's page, a page of it at a time."""

    key: str
    entries: list[QueueEntry]
    total: int
    page: int

    @property
    def first(self) -> int:
        return (self.page - 1) * QUEUE_PAGE_SIZE + 1

    @property
    def last(self) -> int:
        return self.first + len(self.entries) - 1

    @property
    def has_previous(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page * QUEUE_PAGE_SIZE < self.total


@dataclass(frozen=True)
class ServiceQueue:
    service: Service
    lists: dict[str, QueueList]
    closed_recently: int
    closed_since: date

    @property
    def awaiting_acknowledgement(self) -> list[QueueEntry]:
        return self.lists["new"].entries

    @property
    def awaiting_decision(self) -> list[QueueEntry]:
        return self.lists["deciding"].entries

    @property
    def waiting_list(self) -> list[QueueEntry]:
        return self.lists["waiting"].entries

    @property
    def in_progress(self) -> list[QueueEntry]:
        return self.lists["working"].entries

    @property
    def live_count(self) -> int:
        return sum(queue_list.total for queue_list in self.lists.values())


# The lists: their key (and page parameter, "<key>_page"), the status they hold, and their
# order — urgent first ("urgent" sorts after "routine"), then oldest.
_LISTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("new", S.SENT, ("-urgency", "sent_at", "pk")),
    ("deciding", S.ACKNOWLEDGED, ("-urgency", "sent_at", "pk")),
    ("waiting", S.ACCEPTED, ("-urgency", "accepted_at", "pk")),
    ("working", S.STARTED, ("started_at", "pk")),
)


def closed_referrals_count(service: Service, *, since: date) -> int:
    """Referrals to the service (sent, not drafts) that closed on or after ``since``."""
    closed_on_or_after = (
        Q(declined_at__date__gte=since)
        | Q(completed_at__date__gte=since)
        | Q(withdrawn_at__date__gte=since)
    )
    return (
        Referral.objects.filter(service=service, status__in=list(CLOSED_STATUSES))
        .exclude(sent_at=None)
        .filter(closed_on_or_after)
        .count()
    )


def service_queue(
    *,
    practitioner: Practitioner,
    service: Service,
    decision: Decision,
    today: date | None = None,
    path: str = "",
    pages: dict[str, int] | None = None,
) -> ServiceQueue:
    """The service's referrals page. Ask ``policy.can_view_service_referrals`` first and
    pass its decision: every child named is recorded as listed. ``pages`` says which page
    of each list to show (by key: new, deciding, waiting, working; 1 if not given)."""
    today = today or timezone.localdate()
    since = today - timedelta(days=CLOSED_COUNT_DAYS)
    pages = pages or {}
    with transaction.atomic():
        live_referrals = Referral.objects.filter(service=service).filter(
            policy.receiving_referrals_filter(practitioner)
        )
        totals = dict(live_referrals.order_by().values_list("status").annotate(count=Count("pk")))
        shown: dict[str, tuple[list[Referral], int]] = {}
        for key, status, order in _LISTS:
            total = totals.get(status, 0)
            last_page = max(1, -(-total // QUEUE_PAGE_SIZE))
            page = min(max(1, pages.get(key, 1)), last_page)
            start = (page - 1) * QUEUE_PAGE_SIZE
            rows = (
                list(
                    live_referrals.filter(status=status)
                    .select_related("child", "referrer", "referrer_agency")
                    .order_by(*order)[start : start + QUEUE_PAGE_SIZE]
                )
                if total
                else []
            )
            shown[key] = (rows, page)
        children = {
            referral.child_id: referral.child for rows, _ in shown.values() for referral in rows
        }
        audit.record_access(
            practitioner=practitioner,
            children=children.values(),
            decision=decision,
            action=AccessAction.LISTED,
            what=f"Referrals to {service.name}"[:200],
            path=path,
        )
        closed = closed_referrals_count(service, since=since)

    def entry(key: str, referral: Referral, place: int) -> QueueEntry:
        if key == "new":
            return QueueEntry(
                referral,
                due_on=referral.acknowledge_by,
                is_overdue=timeliness.is_overdue(referral, today),
            )
        if key == "deciding":
            return QueueEntry(
                referral,
                due_on=referral.decide_by,
                is_overdue=timeliness.is_overdue_to_decide(referral, today),
            )
        if key == "waiting":
            return QueueEntry(referral, position=place)
        return QueueEntry(referral)

    lists: dict[str, QueueList] = {}
    for key, status, _order in _LISTS:
        rows, page = shown[key]
        first = (page - 1) * QUEUE_PAGE_SIZE + 1
        lists[key] = QueueList(
            key=key,
            entries=[entry(key, referral, first + index) for index, referral in enumerate(rows)],
            total=totals.get(status, 0),
            page=page,
        )
    return ServiceQueue(service=service, lists=lists, closed_recently=closed, closed_since=since)


def with_new_referral_counts(
    services: QuerySet[Service], practitioner: Practitioner
) -> QuerySet[Service]:
    """Annotate services with ``is_referral_staff`` (the practitioner is its staff, so sees
    its referrals page) and ``new_referral_count`` (referrals through Joined Up waiting for
    acknowledgement), in the one query that lists them."""
    staff = Service.maintainers.through.objects.filter(
        service_id=OuterRef("pk"), practitioner_id=practitioner.pk
    )
    new = (
        Referral.objects.filter(service_id=OuterRef("pk"), status=S.SENT, handled_outside=False)
        .order_by()
        .values("service_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return services.annotate(
        is_referral_staff=Exists(staff),
        new_referral_count=Coalesce(Subquery(new, output_field=IntegerField()), 0),
    )


@dataclass(frozen=True)
class AnswerPage:
    """A referral being answered, and on what footing: the service's own staff, or (for a
    service outside Joined Up) the referrer recording the service's reply by hand."""

    referral: Referral
    decision: Decision
    by_hand: bool


def answer_page(
    *, practitioner: Practitioner, referral_id: int, action: str, path: str = ""
) -> AnswerPage:
    """The referral for one of its answer pages (acknowledge, accept, decline, start,
    complete): 404 if there is no such referral, 403 unless the practitioner may answer
    it. The page names the child, so the access is recorded."""
    with transaction.atomic():
        referral = (
            Referral.objects.select_related(
                "child", "service", "service__agency", "referrer", "referrer_agency"
            )
            .filter(pk=referral_id)
            .first()
        )
        if referral is None:
            raise Http404("No such referral")
        decision = policy.can_respond_to_referral(
            practitioner, referral
        ) or policy.can_record_outside_reply(practitioner, referral)
        policy.require(
            decision,
            "Only the staff of the service a referral was sent to can answer it; for a "
            "service outside Joined Up, the person who made the referral records its replies.",
        )
        audit.record_access(
            practitioner=practitioner,
            children=[referral.child],
            decision=decision,
            action=action,
            what=f"Referral {referral.reference}: answering"[:200],
            path=path,
        )
    return AnswerPage(referral=referral, decision=decision, by_hand=referral.handled_outside)
