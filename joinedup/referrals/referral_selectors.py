"""Reads for the referrer's side of referrals: the referrals I made, a referral's page, the
check before sending, and the child's referrals on the child's page. Each read that shows a
child's details asks sharing.policy and writes its access record in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone

from joinedup.casework.models import Action, Episode, EpisodeStatus
from joinedup.children.models import Child
from joinedup.referrals import timeliness
from joinedup.referrals.models import (
    EPISODE_SECTIONS,
    LIVE_STATUSES,
    Referral,
    ReferralEvent,
    ReferralStatus,
    Service,
)
from joinedup.referrals.shared import SharedInformation, shared_information
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner

MY_REFERRALS_PAGE_SIZE = 50


def _referrals() -> QuerySet[Referral]:
    return Referral.objects.select_related(
        "child",
        "service__agency",
        "referrer__home_agency",
        "referrer_agency",
        "episode",
        "suggested_service",
        "follows__service",
        "consent",
    )


def published_services() -> QuerySet[Service]:
    """The services a child may be referred to: those in the directory."""
    return Service.objects.filter(is_published=True).select_related("agency").order_by("name", "pk")


# Overdue flags ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralRow:
    referral: Referral
    overdue_to_acknowledge: bool
    overdue_to_decide: bool

    @property
    def is_overdue(self) -> bool:
        return self.overdue_to_acknowledge or self.overdue_to_decide


def _row(referral: Referral, today: date) -> ReferralRow:
    return ReferralRow(
        referral,
        overdue_to_acknowledge=timeliness.is_overdue_to_acknowledge(referral, today),
        overdue_to_decide=timeliness.is_overdue_to_decide(referral, today),
    )


# The referrals I made ----------------------------------------------------------------------


@dataclass(frozen=True)
class MyReferrals:
    page: Page
    rows: list[ReferralRow]


def my_referrals(
    *, practitioner: Practitioner, page_number: str | int | None, path: str
) -> MyReferrals:
    """The referrals the practitioner made: live first (urgent first among them), then
    drafts, then closed ones, newest first within each. Naming the children is a read:
    each child listed is recorded. A fixed number of queries per page."""
    decision = policy.can_list_my_referrals(practitioner)
    if not decision:
        raise PermissionDenied("Only practitioners make referrals.")
    today = timezone.localdate()
    referrals = (
        _referrals()
        .filter(policy.made_referrals_filter(practitioner))
        .annotate(
            group=Case(
                When(status__in=list(LIVE_STATUSES), then=Value(0)),
                When(status=ReferralStatus.DRAFT, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            ),
            urgent_first=Case(
                When(urgency="urgent", status__in=list(LIVE_STATUSES), then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("group", "urgent_first", "-created_at", "-pk")
    )
    with transaction.atomic():
        page = Paginator(referrals, MY_REFERRALS_PAGE_SIZE).get_page(page_number)
        shown = list(page.object_list)
        audit.record_access(
            practitioner=practitioner,
            children={referral.child_id: referral.child for referral in shown}.values(),
            decision=decision,
            action=AccessAction.LISTED,
            what="Name in the list of referrals made",
            path=path,
        )
    return MyReferrals(page, [_row(referral, today) for referral in shown])


# One referral ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralPage:
    referral: Referral
    events: list[ReferralEvent]
    shared: SharedInformation
    reason: str
    overdue_to_acknowledge: bool
    overdue_to_decide: bool
    is_referrer: bool
    may_change: bool
    may_withdraw: bool
    may_re_refer: bool
    may_respond: bool
    may_record_reply: bool
    may_download_pack: bool
    may_export_fhir: bool
    followed_by: list[Referral] = field(default_factory=list)
    # Consent records (issue 6): a link to the child's consent records, for whoever may
    # see the child (not the receiving service's staff through the referral alone).
    may_view_consents: bool = False


def referral_page(*, practitioner: Practitioner, referral_id: int, path: str) -> ReferralPage:
    """A referral with its history and exactly what it shares, for whoever the policy lets
    see it (the referrer; the service's staff while it is live; the episode's team). The
    read and its access record happen in one transaction."""
    with transaction.atomic():
        referral = get_object_or_404(_referrals(), pk=referral_id)
        decision = policy.can_view_referral(practitioner, referral)
        if not decision:
            raise PermissionDenied("You may not see this referral.")
        events = list(referral.events.select_related("by__home_agency"))
        shared = shared_information(referral)
        followed_by = list(referral.followed_by.select_related("service"))
        audit.record_access(
            practitioner=practitioner,
            children=[referral.child],
            decision=decision,
            what=f"Referral {referral.reference}",
            path=path,
        )
    today = timezone.localdate()
    return ReferralPage(
        referral=referral,
        events=events,
        shared=shared,
        reason=decision.reason,
        overdue_to_acknowledge=timeliness.is_overdue_to_acknowledge(referral, today),
        overdue_to_decide=timeliness.is_overdue_to_decide(referral, today),
        is_referrer=referral.referrer_id == practitioner.pk,
        may_change=bool(policy.can_send_referral(practitioner, referral)),
        may_withdraw=bool(policy.can_withdraw_referral(practitioner, referral)),
        may_re_refer=bool(policy.can_re_refer(practitioner, referral)),
        may_respond=bool(policy.can_respond_to_referral(practitioner, referral)),
        may_record_reply=bool(policy.can_record_outside_reply(practitioner, referral)),
        may_download_pack=bool(policy.can_download_referral_pack(practitioner, referral)),
        may_export_fhir=bool(policy.can_export_referral_fhir(practitioner, referral)),
        followed_by=followed_by,
        may_view_consents=bool(policy.can_view_child_consents(practitioner, referral.child)),
    )


def referral_for(
    *,
    practitioner: Practitioner,
    referral_id: int,
    decide: Callable[[Practitioner, Referral], policy.Decision],
    path: str,
    what: str,
) -> tuple[Referral, policy.Decision]:
    """The referral, if ``decide`` allows this practitioner, recording that its child was
    seen (the pages that act on a referral name the child)."""
    with transaction.atomic():
        referral = get_object_or_404(_referrals(), pk=referral_id)
        decision = decide(practitioner, referral)
        if not decision:
            raise PermissionDenied("You may not do this with this referral.")
        audit.record_access(
            practitioner=practitioner,
            children=[referral.child],
            decision=decision,
            what=f"{what} {referral.reference}"[:200],
            path=path,
        )
    return referral, decision


# Before sending: what will be shared, and the wait ---------------------------------------------


@dataclass(frozen=True)
class ExpectedWait:
    """What the referrer sees before sending: the service's wait and response times."""

    service: Service
    waiting_weeks: int | None
    capacity: str
    is_full: bool
    waiting_list: int
    acknowledge_within: int
    decide_within: int
    handled_outside: bool


def expected_wait(service: Service) -> ExpectedWait:
    """The wait for ``service``: its stated waiting time and capacity, and how many
    children are on its waiting list (accepted, not yet started). One query."""
    waiting_list = Referral.objects.filter(service=service, status=ReferralStatus.ACCEPTED).count()
    return ExpectedWait(
        service=service,
        waiting_weeks=service.waiting_weeks,
        capacity=service.get_capacity_display(),
        is_full=service.is_full,
        waiting_list=waiting_list,
        acknowledge_within=service.acknowledge_within_working_days,
        decide_within=service.decide_within_working_days,
        handled_outside=not service.accepts_referrals_in_app,
    )


@dataclass(frozen=True)
class SendCheck:
    referral: Referral
    shared: SharedInformation
    wait: ExpectedWait


def send_check(*, practitioner: Practitioner, referral_id: int, path: str) -> SendCheck:
    """The check-your-answers page: a draft the practitioner may send, exactly what it
    will share, and the wait at the service. Recorded as a read of the child's record."""
    with transaction.atomic():
        referral = get_object_or_404(_referrals(), pk=referral_id)
        decision = policy.can_send_referral(practitioner, referral)
        if not decision:
            raise PermissionDenied("Only the referrer may send a draft referral.")
        shared = shared_information(referral)
        audit.record_access(
            practitioner=practitioner,
            children=[referral.child],
            decision=decision,
            what=f"Referral {referral.reference}, checked before sending",
            path=path,
        )
    return SendCheck(referral, shared, expected_wait(referral.service))


# Making a referral ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralStart:
    """Where a new referral comes from: the child, and the episode (and plan action) it is
    made within, if any."""

    child: Child
    episode: Episode | None
    action: Action | None
    reason: str

    @property
    def episode_sections_allowed(self) -> bool:
        return self.episode is not None


def referral_start(
    *, practitioner: Practitioner, child_id: int, action_id: int | None, path: str
) -> ReferralStart:
    """The child to refer, if the policy allows, with the episode the referral belongs to:
    the plan action's episode when made from an action, otherwise the child's open episode
    when the practitioner may see it. Recorded as a read of the child's record."""
    with transaction.atomic():
        child = get_object_or_404(Child, pk=child_id)
        decision = policy.can_refer_child(practitioner, child)
        if not decision:
            raise PermissionDenied("You may refer only a child you work with.")
        action = None
        episode = None
        if action_id is not None:
            action = (
                Action.objects.select_related("desired_outcome__need__episode")
                .filter(pk=action_id)
                .first()
            )
            if action is None:
                raise Http404("No such action")
            episode = action.desired_outcome.need.episode
            if not episode.episode_children.filter(child=child).exists():
                raise Http404("The action is not in this child's plan")
            if not policy.can_view_plan(practitioner, episode):
                raise PermissionDenied("You are not on the team around this child.")
        else:
            open_episode = (
                Episode.objects.filter(status=EpisodeStatus.OPEN, episode_children__child=child)
                .order_by("-opened_on", "-pk")
                .first()
            )
            if open_episode is not None and policy.can_view_episode(practitioner, open_episode):
                episode = open_episode
        audit.record_access(
            practitioner=practitioner,
            children=[child],
            decision=decision,
            what="Making a referral",
            path=path,
        )
    return ReferralStart(child, episode, action, decision.reason)


def episode_sections() -> frozenset[str]:
    return EPISODE_SECTIONS


# The child's page ------------------------------------------------------------------------------


def child_referrals(practitioner: Practitioner, child: Child) -> list[Referral]:
    """The child's referrals this practitioner may see listed on the child's page
    (policy.child_page_referrals_filter), newest first. One query however many there
    are; the child's page records the access."""
    return list(
        Referral.objects.filter(child=child)
        .filter(policy.child_page_referrals_filter(practitioner))
        .select_related("service", "referrer")
        .order_by("-created_at", "-pk")
    )
