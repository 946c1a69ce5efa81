"""The coordinator's ping-pong list (issue 5): children referred on from service to service
with nobody taking them on, and someone taking ownership of each.

A child is on the list of a partnership when, among the referrals in the partnership's
scope (sharing.policy.partnership_referrals_filter) sent in the last
``PINGPONG_WINDOW_DAYS`` days, either ``PINGPONG_DECLINES`` or more were declined, or they
went to services of ``PINGPONG_CHAIN_AGENCIES`` or more different agencies — and no service
took the child on: no referral of the child (in any scope) started in that window, or is
started now. The counts are made in the database; the matched children's referrals and
latest owners are then read in one query each, so the list costs the same number of
queries however many children it holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.models import Practitioner
from joinedup.accounts.notifications import notify
from joinedup.children.models import Child
from joinedup.partnerships.models import Membership
from joinedup.referrals.models import PingPongOwnership, Referral, ReferralStatus
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction

if TYPE_CHECKING:
    from joinedup.partnerships.models import Partnership

S = ReferralStatus


@dataclass(frozen=True)
class PingPongChild:
    """One child on the list: their referrals in the window (oldest first), the rules they
    matched in plain words, and who has taken ownership (the latest), if anyone."""

    child: Child
    referrals: list[Referral]
    declines: int
    agencies: int
    rules: list[str]
    ownership: PingPongOwnership | None

    @property
    def first_sent_at(self) -> datetime | None:
        return self.referrals[0].sent_at if self.referrals else None


@dataclass(frozen=True)
class Window:
    """The days the list looks back over: from the start of ``since`` to the end of today."""

    days: int
    since: datetime
    until: datetime

    @classmethod
    def ending(cls, today: date | None = None) -> Window:
        today = today or timezone.localdate()
        days = settings.PINGPONG_WINDOW_DAYS
        start = timezone.make_aware(datetime.combine(today - timedelta(days=days), time.min))
        end = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
        return cls(days=days, since=start, until=end)

    def sent_q(self) -> Q:
        return Q(sent_at__gte=self.since, sent_at__lt=self.until)


def _referrals_in_scope(partnership: Partnership, window: Window) -> QuerySet[Referral]:
    return Referral.objects.filter(
        policy.partnership_referrals_filter(partnership),
        window.sent_q(),
        policy.live_children_q("child__"),
    )


def _taken_on(window: Window) -> Exists:
    """Some service took the child on: a referral of theirs started in the window, or one
    still started now (from any referrer, to any service)."""
    return Exists(
        Referral.objects.filter(child_id=OuterRef("child_id")).filter(
            Q(started_at__gte=window.since, started_at__lt=window.until) | Q(status=S.STARTED)
        )
    )


def rules_matched(*, declines: int, agencies: int, days: int) -> list[str]:
    rules: list[str] = []
    if declines >= settings.PINGPONG_DECLINES:
        rules.append(f"{declines} referrals declined in {days} days")
    if agencies >= settings.PINGPONG_CHAIN_AGENCIES:
        rules.append(f"referred to {agencies} agencies in {days} days")
    return rules


def _describe(
    child: Child,
    referrals: list[Referral],
    ownership: PingPongOwnership | None,
    window: Window,
) -> PingPongChild:
    declines = sum(1 for referral in referrals if referral.status == S.DECLINED)
    agencies = len({referral.service.agency_id for referral in referrals})
    return PingPongChild(
        child=child,
        referrals=referrals,
        declines=declines,
        agencies=agencies,
        rules=rules_matched(declines=declines, agencies=agencies, days=window.days),
        ownership=ownership,
    )


def _chains(
    partnership: Partnership, child_ids: list[int], window: Window
) -> dict[int, list[Referral]]:
    """The referrals in scope and in the window of these children, oldest first. One query."""
    chains: dict[int, list[Referral]] = {child_id: [] for child_id in child_ids}
    if not child_ids:
        return chains
    referrals = (
        _referrals_in_scope(partnership, window)
        .filter(child_id__in=child_ids)
        .select_related("child", "service__agency", "referrer", "suggested_service")
        .order_by("sent_at", "pk")
    )
    for referral in referrals:
        chains[referral.child_id].append(referral)
    return chains


def _latest_ownerships(
    partnership: Partnership, child_ids: list[int]
) -> dict[int, PingPongOwnership]:
    """The latest ownership of each child in this partnership. One query."""
    latest: dict[int, PingPongOwnership] = {}
    if not child_ids:
        return latest
    ownerships = (
        PingPongOwnership.objects.filter(partnership=partnership, child_id__in=child_ids)
        .select_related("owner", "recorded_by")
        .order_by("-taken_at", "-pk")
    )
    for ownership in ownerships:
        latest.setdefault(ownership.child_id, ownership)
    return latest


def pingpong_children(partnership: Partnership, today: date | None = None) -> list[PingPongChild]:
    """The children on the partnership's ping-pong list: those nobody has taken ownership
    of first, then each group longest-waiting first. Three queries. Ask
    sharing.policy.can_view_pingpong first (and record the listing: list_pingpong)."""
    window = Window.ending(today)
    matched = (
        _referrals_in_scope(partnership, window)
        .filter(~_taken_on(window))
        .order_by()
        .values("child_id")
        .annotate(
            declines=Count("pk", filter=Q(status=S.DECLINED)),
            agencies=Count("service__agency_id", distinct=True),
        )
        .filter(
            Q(declines__gte=settings.PINGPONG_DECLINES)
            | Q(agencies__gte=settings.PINGPONG_CHAIN_AGENCIES)
        )
        .values_list("child_id", flat=True)
    )
    child_ids = sorted(matched)
    chains = _chains(partnership, child_ids, window)
    owners = _latest_ownerships(partnership, child_ids)
    found = [
        _describe(chain[0].child, chain, owners.get(child_id), window)
        for child_id, chain in chains.items()
        if chain
    ]
    return sorted(
        found,
        key=lambda entry: (entry.ownership is not None, entry.first_sent_at, entry.child.pk),
    )


def list_pingpong(
    *, practitioner: Practitioner, partnership: Partnership, path: str = ""
) -> list[PingPongChild]:
    """The list for a coordinator, with an access record (``listed``) per child shown."""
    decision = policy.can_view_pingpong(practitioner, partnership)
    if not decision:
        raise PermissionDenied("This page is for the partnership's coordinator.")
    with transaction.atomic():
        found = pingpong_children(partnership)
        audit.record_access(
            practitioner=practitioner,
            children=[entry.child for entry in found],
            decision=decision,
            action=AccessAction.LISTED,
            what=f"Ping-pong list of {partnership.name}"[:200],
            path=path,
        )
    return found


# Taking ownership ----------------------------------------------------------------------


def referred_children(partnership: Partnership) -> QuerySet[Child]:
    """Children with a sent referral in the partnership's scope: those whose ownership its
    coordinator may take (whether or not they are on the list today)."""
    in_scope = Referral.objects.filter(
        policy.partnership_referrals_filter(partnership),
        child_id=OuterRef("pk"),
        sent_at__isnull=False,
    )
    return Child.objects.filter(policy.live_children_q(), Exists(in_scope))


def pingpong_child(
    *, practitioner: Practitioner, partnership: Partnership, child: Child, path: str = ""
) -> PingPongChild:
    """One child's referrals in the window and latest owner, for the ownership page, with
    an access record (``viewed``)."""
    decision = policy.can_take_pingpong_ownership(practitioner, partnership)
    if not decision:
        raise PermissionDenied("This page is for the partnership's coordinator.")
    window = Window.ending()
    with transaction.atomic():
        chain = _chains(partnership, [child.pk], window)[child.pk]
        ownership = _latest_ownerships(partnership, [child.pk]).get(child.pk)
        audit.record_access(
            practitioner=practitioner,
            children=[child],
            decision=decision,
            what=f"Referrals in {partnership.name}, to take ownership"[:200],
            path=path,
        )
    return _describe(child, chain, ownership, window)


def possible_owners(partnership: Partnership, coordinator: Practitioner) -> QuerySet[Practitioner]:
    """Who may take ownership: the coordinator, or a current member of the partnership."""
    members = Membership.objects.current().filter(partnership=partnership).values("practitioner")
    return Practitioner.objects.filter(
        Q(pk__in=members) | Q(pk=coordinator.pk), is_active=True
    ).order_by("first_name", "last_name", "pk")


def take_ownership(
    *,
    partnership: Partnership,
    child: Child,
    owner: Practitioner,
    note: str,
    recorded_by: Practitioner,
) -> PingPongOwnership:
    """Record that ``owner`` takes ownership of the child's referrals and what they will do
    next; tell the owner when it is someone other than the coordinator recording it. Ask
    sharing.policy.can_take_pingpong_ownership first."""
    decision = policy.can_take_pingpong_ownership(recorded_by, partnership)
    if not decision:
        raise PermissionDenied("Only the partnership's coordinator records an owner.")
    errors: dict[str, str] = {}
    if not note.strip():
        errors["note"] = "Say what the owner will do next"
    if not possible_owners(partnership, recorded_by).filter(pk=owner.pk).exists():
        errors["owner"] = "Choose yourself or a current member of the partnership"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        ownership = PingPongOwnership.objects.create(
            child=child,
            partnership=partnership,
            owner=owner,
            note=note.strip(),
            recorded_by=recorded_by,
        )
        audit.record_access(
            practitioner=recorded_by,
            children=[child],
            decision=decision,
            action=AccessAction.CHANGED,
            what=f"Ownership of referrals given to {owner}"[:200],
        )
        if owner.pk != recorded_by.pk:
            short = f"{child.given_name} {child.family_name[:1]}."
            notify(
                [owner],
                subject=f"You are asked to take ownership of {short}'s referrals",
                body=(
                    f"{recorded_by} ({partnership.name}) asked you to take ownership of "
                    f"{short}, who has been referred on from service to service with nobody "
                    f"taking them on.\nWhat to do next: {ownership.note}"
                ),
                url=reverse("children:detail", args=[child.pk]),
                kind="pingpong",
            )
    return ownership
