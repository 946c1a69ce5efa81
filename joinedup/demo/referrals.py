"""Referrals in the demo area (issue 5), made through the referral lifecycle
(joinedup.referrals.lifecycle) so that events, access records, involvements and
notifications are all real: practitioners involved with children refer them to the demo
directory's services, and the services' own staff (their maintainers) answer; for services
outside Joined Up the referrer records the replies.

There is a spread of states — drafts, sent, acknowledged, accepted onto a waiting list,
declined with a suggestion and referred again, started, completed, withdrawn — some urgent
and some overdue, and two children the coordinator's ping-pong list finds in the Team
Around the Child panel that the `coordinator` login coordinates: one declined by three
services within the window, one referred to three agencies' services with nobody starting.

Services date every step now; ``_date_steps`` then moves each step back to the day the
scenario says (sent so many days ago, acknowledged a day later, and so on), with the
response dates worked out again from the day it was sent.

About one referral per fifty children (at most ``MAX_REFERRALS``), and none below
``MIN_REFERRALS``, so the small areas the browser tests load have none. As in the demo's
casework, the `practitioner` login neither refers nor has a child referred, so its journeys
start from a clean slate. Nobody is emailed about the demo's made-up history.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.models import Notification, NotificationEmails, Practitioner
from joinedup.children.models import Child, Involvement
from joinedup.demo import area
from joinedup.referrals import lifecycle
from joinedup.referrals.models import (
    DeclineReason,
    Referral,
    ReferralEvent,
    ReferralOutcome,
    ReferralStatus,
    Service,
    SharingBasis,
    Urgency,
)
from joinedup.referrals.notify import _WHAT_HAPPENED
from joinedup.referrals.working_days import add_working_days
from joinedup.sharing import audit, policy

MAX_REFERRALS = 80
MIN_REFERRALS = 10
CHILDREN_PER_REFERRAL = 50

# The demo's own logins that stay clear of referrals (see the module docstring).
KEEP_CLEAR = frozenset({"practitioner", area.ADMINISTRATOR})

S = ReferralStatus

# Days after sending that each later step happened.
STEP_DAYS: dict[str, int] = {
    S.ACKNOWLEDGED: 1,
    S.ACCEPTED: 4,
    S.DECLINED: 4,
    S.STARTED: 12,
    S.COMPLETED: 45,
    S.WITHDRAWN: 3,
}

REASONS = (
    "Worries about the child's mood and sleep; the family would like someone to talk to.",
    "School attendance has fallen this term and the family asked for help.",
    "Speech is hard for adults outside the family to follow.",
    "Behaviour at home and school has become hard to manage since a bereavement.",
    "The family is struggling with money and housing and asked for practical help.",
    "The child looks after a parent at home and is missing out on time with friends.",
)


@dataclass(frozen=True)
class Scenario:
    """Where a referral ends up, and how many days ago it was sent (a draft: never)."""

    status: str
    sent_days_ago: int = 0
    re_referred: bool = False


# The spread, in turn: a recent one, overdue ones (no acknowledgement after twelve days; no
# decision after twenty), a waiting list, a decline with a suggestion then a referral to
# the service suggested, work started and completed, a withdrawal and a draft.
SPREAD: tuple[Scenario, ...] = (
    Scenario(S.SENT, 1),
    Scenario(S.ACKNOWLEDGED, 3),
    Scenario(S.SENT, 12),
    Scenario(S.ACCEPTED, 15),
    Scenario(S.DECLINED, 25, re_referred=True),
    Scenario(S.STARTED, 30),
    Scenario(S.ACKNOWLEDGED, 20),
    Scenario(S.COMPLETED, 80),
    Scenario(S.WITHDRAWN, 10),
    Scenario(S.DRAFT),
    Scenario(S.STARTED, 40),
    Scenario(S.COMPLETED, 120),
)


def create_demo_referrals(*, rng: random.Random, children: int) -> int:
    """Make the demo's referrals; returns how many (re-referrals included)."""
    wanted = min(MAX_REFERRALS, children // CHILDREN_PER_REFERRAL)
    if wanted < MIN_REFERRALS:
        return 0
    services = {service.slug: service for service in _referrable_services()}
    with _no_emails():
        pingpong_child_ids, made = _create_pingpong_children(services)
        made += _create_spread(rng, services, wanted - made, exclude=pingpong_child_ids)
    return made


# The ping-pong children ------------------------------------------------------------------

PINGPONG_PARTNERSHIP = "Ashworth North Team Around the Child Panel"

# Declined three times within the window, by two agencies (CAMHS twice): the suggestion
# each service made is where the child was referred next.
DECLINED_CHAIN = (
    ("camhs-getting-help-team", 70, DeclineReason.NO_CAPACITY, "schools-mental-health-advice-line"),
    (
        "schools-mental-health-advice-line",
        45,
        DeclineReason.BETTER_ELSEWHERE,
        "counselling-for-young-people",
    ),
    ("counselling-for-young-people", 20, DeclineReason.CRITERIA_NOT_MET, ""),
)
# Referred to three agencies' services, none declined, none started.
AGENCY_CHAIN = (
    ("speech-and-language-therapy-for-school-age-children", 50, S.ACKNOWLEDGED),
    ("attendance-support", 30, S.ACCEPTED),
    ("early-help-family-support", 5, S.SENT),
)


def _create_pingpong_children(services: dict[str, Service]) -> tuple[set[int], int]:
    members = [
        member.username
        for spec in area.PARTNERSHIPS
        if spec.name == PINGPONG_PARTNERSHIP
        for member in spec.members
        if member.ended_on is None
        and member.role != area.COORDINATOR
        and member.username not in KEEP_CLEAR
    ]
    pairs = _involved_pairs(usernames=members, ages=(5, 16), limit=20)
    if len(pairs) < 2:
        return set(), 0
    first_referrer, first_child = pairs[0]
    # Someone else refers the second child, where the panel has someone else.
    second_referrer, second_child = next(
        (pair for pair in pairs[1:] if pair[0].pk != first_referrer.pk), pairs[1]
    )
    made = 0

    previous: Referral | None = None
    for slug, days_ago, reason, suggestion in DECLINED_CHAIN:
        service = services[slug]
        if previous is None:
            referral = _draft(first_referrer, first_child, service, urgent=False, text=REASONS[0])
        else:
            referral = lifecycle.re_refer(
                previous, by=first_referrer, service=service, details=_details(REASONS[0])
            )
        referral = _send(referral, first_referrer, sent_days_ago=days_ago)
        answerer, by_hand = _answerer(referral)
        referral = lifecycle.acknowledge(referral, by=answerer, by_hand=by_hand)
        if reason == DeclineReason.CRITERIA_NOT_MET and first_child.age < service.age_from:
            reason = DeclineReason.OUTSIDE_AGE
        referral = lifecycle.decline(
            referral,
            by=answerer,
            reason=reason,
            suggested_service=services.get(suggestion),
            by_hand=by_hand,
        )
        _date_steps(referral, sent_days_ago=days_ago)
        previous = referral
        made += 1

    for slug, days_ago, status in AGENCY_CHAIN:
        referral = _draft(
            second_referrer, second_child, services[slug], urgent=False, text=REASONS[1]
        )
        referral = _advance(_send(referral, second_referrer, sent_days_ago=days_ago), status)
        _date_steps(referral, sent_days_ago=days_ago)
        made += 1
    return {first_child.pk, second_child.pk}, made


# The spread ------------------------------------------------------------------------------


def _create_spread(
    rng: random.Random, services: dict[str, Service], wanted: int, *, exclude: set[int]
) -> int:
    if wanted <= 0:
        return 0
    usernames = list(
        Practitioner.objects.exclude(username__in=KEEP_CLEAR)
        .filter(home_agency__isnull=False)
        .values_list("username", flat=True)
    )
    pairs = _involved_pairs(usernames=usernames, ages=(0, 17), limit=wanted * 4, exclude=exclude)
    rng.shuffle(pairs)
    in_app = [service for service in services.values() if service.accepts_referrals_in_app]
    outside = [service for service in services.values() if not service.accepts_referrals_in_app]
    made = 0
    for number, (referrer, child) in enumerate(pairs):
        if made >= wanted:
            break
        scenario = SPREAD[number % len(SPREAD)]
        # Every third referral goes to a service outside Joined Up.
        choices = outside if number % 3 == 2 else in_app
        service = _suited(rng, choices, child, referrer) or _suited(rng, in_app, child, referrer)
        if service is None:
            continue
        referral = _draft(
            referrer, child, service, urgent=number % 5 == 1, text=rng.choice(REASONS)
        )
        made += 1
        if scenario.status == S.DRAFT:
            continue
        if scenario.status == S.WITHDRAWN:
            referral = _send(referral, referrer, sent_days_ago=scenario.sent_days_ago)
            referral = lifecycle.withdraw(
                referral, by=referrer, reason="The family moved out of the area."
            )
        elif scenario.re_referred:
            made += _decline_and_refer_again(rng, referral, referrer, services, scenario)
            continue
        else:
            referral = _advance(
                _send(referral, referrer, sent_days_ago=scenario.sent_days_ago), scenario.status
            )
        _date_steps(referral, sent_days_ago=scenario.sent_days_ago)
    return made


def _decline_and_refer_again(
    rng: random.Random,
    referral: Referral,
    referrer: Practitioner,
    services: dict[str, Service],
    scenario: Scenario,
) -> int:
    """Declined with a better service suggested; the referrer refers there, and that
    referral is acknowledged. Returns how many more referrals were made (0 or 1)."""
    child = referral.child
    others = [s for s in services.values() if s.pk != referral.service_id]
    suggestion = _suited(rng, others, child, referrer)
    referral = _send(referral, referrer, sent_days_ago=scenario.sent_days_ago)
    answerer, by_hand = _answerer(referral)
    referral = lifecycle.acknowledge(referral, by=answerer, by_hand=by_hand)
    referral = lifecycle.decline(
        referral,
        by=answerer,
        reason=DeclineReason.BETTER_ELSEWHERE,
        note="Another service would suit the family better.",
        suggested_service=suggestion,
        by_hand=by_hand,
    )
    _date_steps(referral, sent_days_ago=scenario.sent_days_ago)
    if suggestion is None:
        return 0
    again = lifecycle.re_refer(
        referral, by=referrer, service=suggestion, details=_details(referral.reason)
    )
    again_days_ago = scenario.sent_days_ago - STEP_DAYS[S.DECLINED] - 1
    again = _advance(_send(again, referrer, sent_days_ago=again_days_ago), S.ACKNOWLEDGED)
    _date_steps(again, sent_days_ago=again_days_ago)
    return 1


# Making and answering ---------------------------------------------------------------------


def _referrable_services() -> list[Service]:
    """Published services that take referrals, in Joined Up or by email, phone or form."""
    return list(
        Service.objects.filter(is_published=True)
        .filter(Q(accepts_referrals_in_app=True) | ~Q(how_to_refer_outside=""))
        .select_related("agency")
        .prefetch_related("maintainers")
        .order_by("slug")
    )


def _involved_pairs(
    *,
    usernames: list[str],
    ages: tuple[int, int],
    limit: int,
    exclude: set[int] | None = None,
) -> list[tuple[Practitioner, Child]]:
    """(practitioner, child) for current involvements of these practitioners with children
    of these ages, each child once, none involved with a login kept clear."""
    today = timezone.localdate()
    youngest, oldest = ages
    kept_clear = Involvement.objects.filter(practitioner__username__in=KEEP_CLEAR).values(
        "child_id"
    )
    involvements = (
        Involvement.objects.current()
        .filter(
            practitioner__username__in=usernames,
            child__date_of_birth__gt=_years_before(today, oldest + 1),
            child__date_of_birth__lte=_years_before(today, youngest),
            child__merged_into__isnull=True,
        )
        .exclude(child_id__in=kept_clear)
        .exclude(child_id__in=exclude or set())
        .select_related("practitioner", "child")
        .order_by("pk")
    )
    pairs: list[tuple[Practitioner, Child]] = []
    seen: set[int] = set()
    for involvement in involvements.iterator():
        if involvement.child_id in seen or involvement.practitioner is None:
            continue
        seen.add(involvement.child_id)
        pairs.append((involvement.practitioner, involvement.child))
        if len(pairs) >= limit:
            break
    return pairs


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _suited(
    rng: random.Random, services: list[Service], child: Child, referrer: Practitioner
) -> Service | None:
    age = child.age
    fitting = [
        service
        for service in services
        if service.age_from <= age <= service.age_to
        and service.agency_id != referrer.home_agency_id
        and not KEEP_CLEAR & {person.username for person in service.maintainers.all()}
    ]
    return rng.choice(fitting) if fitting else None


def _details(reason: str, *, urgent: bool = False) -> lifecycle.ReferralDetails:
    return lifecycle.ReferralDetails(
        reason=reason,
        urgency=Urgency.URGENT if urgent else Urgency.ROUTINE,
        shared_sections=("contact", "setting"),
        sharing_basis=SharingBasis.CONSENT,
        consent_given_by="parent_carer",
        consent_given_by_name="Parent or carer",
        consent_given_on=timezone.localdate(),
    )


def _draft(
    referrer: Practitioner, child: Child, service: Service, *, urgent: bool, text: str
) -> Referral:
    return lifecycle.create_draft(
        referrer=referrer, child=child, service=service, details=_details(text, urgent=urgent)
    )


def _send(referral: Referral, referrer: Practitioner, *, sent_days_ago: int) -> Referral:
    """Send the referral. Its access record is written with the made-up time it was sent:
    access records are sealed into the audit chain and never changed afterwards."""
    decision = policy.can_send_referral(referrer, referral)
    with audit.recorded_at(_sent_at(sent_days_ago)):
        return lifecycle.send_referral(referral, by=referrer, decision=decision)


def _sent_at(sent_days_ago: int, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=sent_days_ago, hours=2)


def _answerer(referral: Referral) -> tuple[Practitioner, lifecycle.ByHand | None]:
    """Who answers: the service's own staff in Joined Up (not the coordinator login when
    someone else can), or for a service outside it the referrer, from the reply."""
    if referral.handled_outside:
        return referral.referrer, lifecycle.ByHand("Email from the service's duty worker")
    staff = sorted(
        referral.service.maintainers.all(), key=lambda person: (person.username == "coordinator",)
    )
    return staff[0], None


def _advance(referral: Referral, status: str) -> Referral:
    """Take a sent referral on to ``status`` (acknowledged, accepted, started, completed)."""
    answerer, by_hand = _answerer(referral)
    steps: list[str] = [S.ACKNOWLEDGED, S.ACCEPTED, S.STARTED, S.COMPLETED]
    if status not in steps:
        return referral
    for step in steps[: steps.index(status) + 1]:
        if step == S.ACKNOWLEDGED:
            referral = lifecycle.acknowledge(referral, by=answerer, by_hand=by_hand)
        elif step == S.ACCEPTED:
            wait = referral.expected_wait_weeks or 2
            referral = lifecycle.accept(
                referral,
                by=answerer,
                expected_start_on=timezone.localdate() + timedelta(weeks=wait),
                note="On the waiting list.",
                by_hand=by_hand,
            )
        elif step == S.STARTED:
            referral = lifecycle.start(referral, by=answerer, by_hand=by_hand)
        else:
            referral = lifecycle.complete(
                referral, by=answerer, outcome=ReferralOutcome.NEEDS_MET, by_hand=by_hand
            )
    return referral


# Dating the steps ---------------------------------------------------------------------------

_TIMESTAMPS = {
    S.SENT: "sent_at",
    S.ACKNOWLEDGED: "acknowledged_at",
    S.ACCEPTED: "accepted_at",
    S.DECLINED: "declined_at",
    S.STARTED: "started_at",
    S.COMPLETED: "completed_at",
    S.WITHDRAWN: "withdrawn_at",
}


def _date_steps(referral: Referral, *, sent_days_ago: int) -> None:
    """Move the referral's steps back: sent ``sent_days_ago`` days ago, each later step
    ``STEP_DAYS`` after sending (never later than now), with its events, the response dates
    from the new day it was sent, the involvement starting made and the notifications
    (those older than a week marked read). The access record of the sending already has
    its time (``_send``). The events are moved in the load's own transaction, before the
    audit chain seals them (after the commit), so the chain sees only the moved times."""
    now = timezone.now()
    sent = _sent_at(sent_days_ago, now)

    def when(status: str) -> datetime:
        return min(sent + timedelta(days=STEP_DAYS.get(status, 0)), now - timedelta(minutes=5))

    referral.refresh_from_db()
    steps = {
        status: when(status)
        for status, field in _TIMESTAMPS.items()
        if getattr(referral, field) is not None
    }
    service = referral.service
    sent_on = timezone.localdate(sent)
    Referral.objects.filter(pk=referral.pk).update(
        created_at=sent - timedelta(hours=1),
        acknowledge_by=add_working_days(sent_on, service.acknowledge_within_working_days),
        decide_by=add_working_days(sent_on, service.decide_within_working_days),
        **{_TIMESTAMPS[status]: at for status, at in steps.items()},
    )
    ReferralEvent.objects.filter(referral=referral, to_status=S.DRAFT).update(
        at=sent - timedelta(hours=1)
    )
    url = reverse("referrals:referral", args=[referral.pk])
    for status, at in steps.items():
        ReferralEvent.objects.filter(referral=referral, to_status=status).update(at=at)
        read = at + timedelta(days=1) if now - at > timedelta(days=7) else None
        Notification.objects.filter(
            url=url, subject__contains=f"{_WHAT_HAPPENED[status]}: {referral.reference}"
        ).update(created_at=at, read_at=read)
    involvements = Involvement.objects.filter(
        child_id=referral.child_id, role__endswith=f"(referral {referral.reference})"
    )
    if S.STARTED in steps:
        involvements.update(started_on=timezone.localdate(steps[S.STARTED]))
    if S.COMPLETED in steps:
        involvements.update(ended_on=timezone.localdate(steps[S.COMPLETED]))


@contextmanager
def _no_emails() -> Iterator[None]:
    """Nobody is emailed about the demo's made-up history: those who want an email for each
    notification get none while the referrals are made, and their choice is then put back."""
    each = list(
        Practitioner.objects.filter(notification_emails=NotificationEmails.EACH).values_list(
            "pk", flat=True
        )
    )
    Practitioner.objects.filter(pk__in=each).update(notification_emails=NotificationEmails.NONE)
    try:
        yield
    finally:
        Practitioner.objects.filter(pk__in=each).update(notification_emails=NotificationEmails.EACH)
