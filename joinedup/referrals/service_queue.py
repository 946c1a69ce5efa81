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


@dataclass(frozen=True)
class ServiceQueue:
    service: Service
    awaiting_acknowledgement: list[QueueEntry]
    awaiting_decision: list[QueueEntry]
    waiting_list: list[QueueEntry]
    in_progress: list[QueueEntry]
    closed_recently: int
    closed_since: date

    @property
    def live_count(self) -> int:
        return (
            len(self.awaiting_acknowledgement)
            + len(self.awaiting_decision)
            + len(self.waiting_list)
            + len(self.in_progress)
        )


def _urgent_then(referral: Referral, moment: object) -> tuple[bool, object, int]:
    return (not referral.is_urgent, moment, referral.pk)


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
) -> ServiceQueue:
    """The service's referrals page. Ask ``policy.can_view_service_referrals`` first and
    pass its decision: every child named is recorded as listed."""
    today = today or timezone.localdate()
    since = today - timedelta(days=CLOSED_COUNT_DAYS)
    with transaction.atomic():
        live = list(
            Referral.objects.filter(service=service)
            .filter(policy.receiving_referrals_filter(practitioner))
            .select_related("child", "referrer", "referrer_agency")
        )
        children = {referral.child_id: referral.child for referral in live}
        audit.record_access(
            practitioner=practitioner,
            children=children.values(),
            decision=decision,
            action=AccessAction.LISTED,
            what=f"Referrals to {service.name}"[:200],
            path=path,
        )
        closed = closed_referrals_count(service, since=since)

    def with_status(status: str) -> list[Referral]:
        return [referral for referral in live if referral.status == status]

    awaiting_acknowledgement = [
        QueueEntry(
            referral,
            due_on=referral.acknowledge_by,
            is_overdue=timeliness.is_overdue(referral, today),
        )
        for referral in sorted(
            with_status(S.SENT), key=lambda referral: _urgent_then(referral, referral.sent_at)
        )
    ]
    awaiting_decision = [
        QueueEntry(
            referral,
            due_on=referral.decide_by,
            is_overdue=timeliness.is_overdue_to_decide(referral, today),
        )
        for referral in sorted(
            with_status(S.ACKNOWLEDGED),
            key=lambda referral: _urgent_then(referral, referral.sent_at),
        )
    ]
    waiting_list = [
        QueueEntry(referral, position=position)
        for position, referral in enumerate(
            sorted(
                with_status(S.ACCEPTED),
                key=lambda referral: _urgent_then(referral, referral.accepted_at),
            ),
            start=1,
        )
    ]
    in_progress = [
        QueueEntry(referral)
        for referral in sorted(
            with_status(S.STARTED), key=lambda referral: (referral.started_at, referral.pk)
        )
    ]
    return ServiceQueue(
        service=service,
        awaiting_acknowledgement=awaiting_acknowledgement,
        awaiting_decision=awaiting_decision,
        waiting_list=waiting_list,
        in_progress=in_progress,
        closed_recently=closed,
        closed_since=since,
    )


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
