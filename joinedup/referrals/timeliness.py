"""Timeliness of referrals: which are overdue, and the home page's referral flags.

A service promises to acknowledge a referral within so many working days and to decide
(accept or decline) within so many (its entry in the directory). Sending sets the two
dates, already counted in working days (referrals.working_days), so here a referral is
simply overdue the day after its date while the step is still missing:

- overdue to acknowledge: still sent (not acknowledged) after ``acknowledge_by``;
- overdue to decide: still sent or acknowledged (neither accepted nor declined) after
  ``decide_by``.

``is_overdue_to_*`` and ``overdue_to_*_q`` are the two forms of each rule (one for a
referral in hand, one for a queryset); the tests hold them to the same answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import dateformat, timezone

from joinedup.accounts.models import Notification
from joinedup.accounts.notifications import notify
from joinedup.referrals.models import Referral, ReferralStatus, Urgency
from joinedup.referrals.notify import short_name
from joinedup.sharing import policy

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner

S = ReferralStatus

# Waiting for the service to decide: not yet accepted or declined.
UNDECIDED_STATUSES = (S.SENT, S.ACKNOWLEDGED)


def _today(today: date | None) -> date:
    return today or timezone.localdate()


def is_overdue_to_acknowledge(referral: Referral, today: date | None = None) -> bool:
    return (
        referral.status == S.SENT
        and referral.acknowledge_by is not None
        and _today(today) > referral.acknowledge_by
    )


def is_overdue_to_decide(referral: Referral, today: date | None = None) -> bool:
    return (
        referral.status in UNDECIDED_STATUSES
        and referral.decide_by is not None
        and _today(today) > referral.decide_by
    )


def is_overdue(referral: Referral, today: date | None = None) -> bool:
    return is_overdue_to_acknowledge(referral, today) or is_overdue_to_decide(referral, today)


def overdue_to_acknowledge_q(today: date) -> Q:
    """A filter on Referral: the twin of ``is_overdue_to_acknowledge``."""
    return Q(status=S.SENT, acknowledge_by__lt=today)


def overdue_to_decide_q(today: date) -> Q:
    """A filter on Referral: the twin of ``is_overdue_to_decide``."""
    return Q(status__in=UNDECIDED_STATUSES, decide_by__lt=today)


def overdue_q(today: date) -> Q:
    return overdue_to_acknowledge_q(today) | overdue_to_decide_q(today)


def overdue_referrals(today: date | None = None) -> QuerySet[Referral]:
    """Every referral overdue to acknowledge or to decide, with what the daily
    flag_overdue_referrals command needs to tell people (service, child, referrer, staff)."""
    return (
        Referral.objects.filter(overdue_q(_today(today)))
        .select_related("service", "service__agency", "child", "referrer")
        .prefetch_related("service__maintainers")
        .order_by("pk")
    )


# The home page ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceReferralFlags:
    """Referrals waiting on one service the practitioner is staff of."""

    service_name: str
    service_slug: str
    new: int
    overdue: int
    urgent: int

    @property
    def url(self) -> str:
        return reverse("referrals:service-referrals", args=[self.service_slug])


@dataclass(frozen=True)
class ReferralFlags:
    """Counts only (no child is named): referrals the practitioner made that the service is
    late answering, and referrals waiting on the services they are staff of."""

    made_late_to_acknowledge: int
    made_late_to_decide: int
    made_overdue_urgent: int
    services: tuple[ServiceReferralFlags, ...]

    @property
    def made_overdue(self) -> int:
        return self.made_late_to_acknowledge + self.made_late_to_decide

    @property
    def my_referrals_url(self) -> str:
        return reverse("referrals:my-referrals")

    @property
    def needs_attention(self) -> bool:
        return bool(self.made_overdue or self.services)


def referral_flags(practitioner: Practitioner, today: date | None = None) -> ReferralFlags | None:
    """The practitioner's referrals at a glance, or None for someone with no referral lists
    (a system administrator). Two queries however many referrals or services.

    Services are those the practitioner is staff of that take referrals through Joined Up
    and have referrals waiting: new (sent, not yet acknowledged), overdue, or urgent and
    not yet decided. A referral to a service outside Joined Up is answered by the referrer
    recording its replies, so it counts only for the referrer."""
    if not policy.can_list_my_referrals(practitioner):
        return None
    today = _today(today)
    late_to_acknowledge = overdue_to_acknowledge_q(today)
    late_to_decide = overdue_to_decide_q(today) & ~late_to_acknowledge
    urgent = Q(urgency=Urgency.URGENT)
    made = Referral.objects.filter(policy.made_referrals_filter(practitioner)).aggregate(
        late_to_acknowledge=Count("pk", filter=late_to_acknowledge),
        late_to_decide=Count("pk", filter=late_to_decide),
        overdue_urgent=Count("pk", filter=overdue_q(today) & urgent),
    )
    new = Q(status=S.SENT)
    waiting_urgent = urgent & Q(status__in=UNDECIDED_STATUSES)
    rows = (
        Referral.objects.filter(policy.receiving_referrals_filter(practitioner))
        .filter(handled_outside=False)
        .filter(new | overdue_q(today) | waiting_urgent)
        .values("service_id", "service__name", "service__slug")
        .annotate(
            new=Count("pk", filter=new),
            overdue=Count("pk", filter=overdue_q(today)),
            urgent=Count("pk", filter=waiting_urgent),
        )
        .order_by("service__name", "service_id")
    )
    return ReferralFlags(
        made_late_to_acknowledge=made["late_to_acknowledge"],
        made_late_to_decide=made["late_to_decide"],
        made_overdue_urgent=made["overdue_urgent"],
        services=tuple(
            ServiceReferralFlags(
                service_name=row["service__name"],
                service_slug=row["service__slug"],
                new=row["new"],
                overdue=row["overdue"],
                urgent=row["urgent"],
            )
            for row in rows
        ),
    )


# Telling people (manage.py flag_overdue_referrals, daily) -------------------------------

OVERDUE_TO_ACKNOWLEDGE = "referral-overdue-acknowledge"
OVERDUE_TO_DECIDE = "referral-overdue-decide"


@dataclass(frozen=True)
class OverdueMessage:
    recipients: tuple[Practitioner, ...]
    subject: str
    body: str


@dataclass(frozen=True)
class OverdueNotice:
    """One referral that has become overdue one way (``kind``), and what each person
    concerned is to be told."""

    referral: Referral
    kind: str
    messages: tuple[OverdueMessage, ...]

    @property
    def url(self) -> str:
        return referral_url(self.referral)


def referral_url(referral: Referral) -> str:
    return reverse("referrals:referral", args=[referral.pk])


def _day(day: date | None) -> str:
    return dateformat.format(day, "l j F Y") if day else "an unknown date"


def _staff(referral: Referral) -> tuple[Practitioner, ...]:
    """The service's active staff in Joined Up (from the prefetched maintainers), not the
    referrer, who is told as the referrer. None for a service outside Joined Up."""
    if referral.handled_outside:
        return ()
    return tuple(
        person
        for person in referral.service.maintainers.all()
        if person.is_active and person.pk != referral.referrer_id
    )


def _messages(referral: Referral, kind: str) -> tuple[OverdueMessage, ...]:
    name = f"{referral.reference} for {short_name(referral)}"
    service = referral.service
    if kind == OVERDUE_TO_ACKNOWLEDGE:
        due, step, promise = (
            referral.acknowledge_by,
            "acknowledged",
            f"acknowledge a referral within {service.acknowledge_within_working_days} working days",
        )
        staff_subject = f"Overdue: acknowledge referral {name}"
        referrer_subject = f"Overdue: {service.name} has not acknowledged referral {name}"
    else:
        due, step, promise = (
            referral.decide_by,
            "accepted or declined",
            f"decide on a referral within {service.decide_within_working_days} working days",
        )
        staff_subject = f"Overdue: decide on referral {name}"
        referrer_subject = f"Overdue: {service.name} has not decided on referral {name}"
    when = f"It was due to be {step} by {_day(due)}."
    sent = f"sent on {_day(timezone.localdate(referral.sent_at))}" if referral.sent_at else "sent"
    staff_body = (
        f"Referral {name} was {sent}. {when} {service.name} promises to {promise} "
        "(its entry in the services directory)."
    )
    if referral.handled_outside:
        next_step = (
            "You may want to contact the service, and record its reply in Joined Up when it "
            "answers."
        )
    else:
        next_step = (
            "You may want to contact the service: its contact details are in the services "
            "directory."
        )
    referrer_body = f"{when} {next_step}"
    messages = []
    staff = _staff(referral)
    if staff:
        messages.append(OverdueMessage(staff, staff_subject, staff_body))
    if referral.referrer.is_active:
        messages.append(OverdueMessage((referral.referrer,), referrer_subject, referrer_body))
    return tuple(messages)


def overdue_notices(today: date | None = None) -> list[OverdueNotice]:
    """Referrals that have become overdue and nobody has yet been told about (one notice per
    referral per kind, ever: a notification of that kind with the referral's address
    records that it was told). Three queries however many referrals."""
    today = _today(today)
    referrals = list(overdue_referrals(today))
    urls = [referral_url(referral) for referral in referrals]
    told = set(
        Notification.objects.filter(
            kind__in=[OVERDUE_TO_ACKNOWLEDGE, OVERDUE_TO_DECIDE], url__in=urls
        ).values_list("url", "kind")
    )
    notices = []
    for referral, url in zip(referrals, urls, strict=True):
        for kind, is_late in (
            (OVERDUE_TO_ACKNOWLEDGE, is_overdue_to_acknowledge),
            (OVERDUE_TO_DECIDE, is_overdue_to_decide),
        ):
            if is_late(referral, today) and (url, kind) not in told:
                messages = _messages(referral, kind)
                if messages:
                    notices.append(OverdueNotice(referral, kind, messages))
    return notices


def tell_overdue(notices: list[OverdueNotice]) -> int:
    """Notify everyone in the notices (in the app, and by email as each chooses); how many
    notifications were made."""
    made = 0
    for notice in notices:
        with transaction.atomic():
            for message in notice.messages:
                made += len(
                    notify(
                        message.recipients,
                        subject=message.subject,
                        body=message.body,
                        url=notice.url,
                        kind=notice.kind,
                        is_urgent=notice.referral.is_urgent,
                    )
                )
    return made
