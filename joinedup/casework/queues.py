"""Work queues (issue 4, part 12): a lead professional's page and a coordinator's page.

Reads narrowed by sharing.policy, each in one transaction with its access records
(``listed``, one per child shown). A fixed number of queries however many episodes."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from joinedup.casework.models import (
    Action,
    Episode,
    EpisodeChild,
    EpisodeStatus,
    HandoverStatus,
    LeadHandoverOffer,
    Review,
    ReviewStatus,
    TeamMember,
    overdue_action_q,
)
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction, Consent

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child
    from joinedup.partnerships.models import Partnership

RECENT_CHANGE_DAYS = 14
REVIEW_DUE_SOON_DAYS = 14


@dataclass
class EpisodeRow:
    episode: Episode
    children: list[Child]
    overdue_actions: int = 0

    @property
    def age_days(self) -> int:
        end = self.episode.closed_on or timezone.localdate()
        return (end - self.episode.opened_on).days


@dataclass(frozen=True)
class Change:
    on: datetime.date
    episode_id: int
    text: str


@dataclass
class LeadQueue:
    episodes: list[EpisodeRow]
    offers: list[LeadHandoverOffer]
    reviews: list[Review]
    changes: list[Change]

    @property
    def overdue_total(self) -> int:
        return sum(row.overdue_actions for row in self.episodes)


@dataclass
class PartnershipQueue:
    partnership: Partnership
    groups: list[tuple[str, list[EpisodeRow]]] = field(default_factory=list)
    status: str = ""

    @property
    def total(self) -> int:
        return sum(len(rows) for _label, rows in self.groups)


def _overdue_count() -> Coalesce:
    overdue = (
        Action.objects.filter(overdue_action_q(), desired_outcome__need__episode=OuterRef("pk"))
        .order_by()
        .values("desired_outcome__need__episode")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(overdue, output_field=IntegerField()), 0)


def _episodes() -> QuerySet[Episode]:
    return Episode.objects.select_related("lead_professional", "opened_by").prefetch_related(
        Prefetch(
            "episode_children",
            queryset=EpisodeChild.objects.select_related("child").order_by("child_id"),
        )
    )


def _row(episode: Episode) -> EpisodeRow:
    return EpisodeRow(
        episode=episode,
        children=[link.child for link in episode.episode_children.all()],
        overdue_actions=getattr(episode, "overdue_actions", 0),
    )


def _record_listing(
    practitioner: Practitioner,
    rows: Sequence[EpisodeRow],
    decision: policy.Decision,
    what: str,
    path: str,
) -> None:
    children = {child.pk: child for row in rows for child in row.children}
    audit.record_access(
        practitioner=practitioner,
        children=children.values(),
        decision=decision,
        action=AccessAction.LISTED,
        what=what,
        path=path,
    )


def reviews_due_for(episodes: Sequence[Episode]) -> list[Review]:
    """Scheduled reviews of these episodes that are overdue or due within
    REVIEW_DUE_SOON_DAYS (reviews come from casework.reviews). One query."""
    if not episodes:
        return []
    soon = timezone.localdate() + datetime.timedelta(days=REVIEW_DUE_SOON_DAYS)
    return list(
        Review.objects.filter(
            episode__in=[episode.pk for episode in episodes],
            status=ReviewStatus.SCHEDULED,
            due_on__lte=soon,
        ).order_by("due_on", "pk")
    )


def _recent_changes(episode_ids: list[int]) -> list[Change]:
    """New or withdrawn consent and people joining or leaving the team, in the last
    RECENT_CHANGE_DAYS days. Two queries."""
    if not episode_ids:
        return []
    today = timezone.localdate()
    since = today - datetime.timedelta(days=RECENT_CHANGE_DAYS)
    changes: list[Change] = []
    consents = Consent.objects.filter(
        Q(given_on__gte=since) | Q(withdrawn_on__gte=since), episode_id__in=episode_ids
    )
    for consent in consents:
        if consent.episode_id is None:
            continue
        if since <= consent.given_on <= today:
            changes.append(
                Change(consent.given_on, consent.episode_id, f"Consent given: {consent}")
            )
        if consent.withdrawn_on is not None and since <= consent.withdrawn_on <= today:
            changes.append(
                Change(consent.withdrawn_on, consent.episode_id, f"Consent withdrawn: {consent}")
            )
    members = TeamMember.objects.filter(
        Q(joined_on__gte=since) | Q(left_on__gte=since), episode_id__in=episode_ids
    ).select_related("practitioner")
    for member in members:
        if since <= member.joined_on <= today:
            changes.append(
                Change(
                    member.joined_on, member.episode_id, f"{member.name} joined as {member.role}"
                )
            )
        if member.left_on is not None and since <= member.left_on <= today:
            changes.append(
                Change(member.left_on, member.episode_id, f"{member.name} left the team")
            )
    return sorted(changes, key=lambda change: (change.on, change.episode_id), reverse=True)


def lead_queue(*, practitioner: Practitioner, path: str = "") -> LeadQueue:
    """The open episodes the practitioner leads (with children, age and overdue actions),
    reviews due, offers of the lead role waiting for them, and recent consent and team
    changes. Access records: one ``listed`` per child shown."""
    decision = policy.can_view_lead_queue(practitioner)
    if not decision:
        raise PermissionDenied("This page is for practitioners.")
    with transaction.atomic():
        episodes = list(
            _episodes()
            .filter(policy.led_episodes_filter(practitioner))
            .annotate(overdue_actions=_overdue_count())
            .order_by("opened_on", "pk")
        )
        rows = [_row(episode) for episode in episodes]
        offers = list(
            LeadHandoverOffer.objects.filter(
                to_practitioner=practitioner,
                status=HandoverStatus.OFFERED,
                episode__status=EpisodeStatus.OPEN,
            ).select_related("from_lead")
        )
        _record_listing(practitioner, rows, decision, "Lead professional's work queue", path)
    return LeadQueue(
        episodes=rows,
        offers=offers,
        reviews=reviews_due_for(episodes),
        changes=_recent_changes([episode.pk for episode in episodes]),
    )


def partnership_queue(
    *, practitioner: Practitioner, partnership: Partnership, status: str = "", path: str = ""
) -> PartnershipQueue:
    """Every episode opened or led by a current member of the partnership, grouped by
    status (open first), oldest first, with age in days; optionally one status only."""
    decision = policy.can_view_partnership_casework(practitioner, partnership)
    if not decision:
        raise PermissionDenied("This page is for the partnership's coordinators.")
    episodes = _episodes().filter(policy.partnership_episodes_filter(partnership))
    if status in EpisodeStatus.values:
        episodes = episodes.filter(status=status)
    else:
        status = ""
    with transaction.atomic():
        rows = [_row(episode) for episode in episodes.order_by("opened_on", "pk")]
        _record_listing(practitioner, rows, decision, "Partnership work queue", path)
    queue = PartnershipQueue(partnership=partnership, status=status)
    for value, label in EpisodeStatus.choices:
        if status in ("", value):
            queue.groups.append((label, [row for row in rows if row.episode.status == value]))
    return queue
