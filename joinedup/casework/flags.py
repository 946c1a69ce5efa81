"""Overdue flags for the home page (a selector): counts only, so the home page names no
child and reads no child's record; the lists they link to (my actions, the lead
professional's work queue, overdue reviews) record their own access.

The counts follow the same rules as those lists: actions only in open episodes where the
practitioner is a current team member (policy.visible_plan_actions_filter), overdue as
casework.models.overdue_action_q, overdue reviews as casework.reviews, offers of the lead
role as casework.queues. Four queries however many actions, episodes or reviews."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q
from django.utils import timezone

from joinedup.casework.models import (
    FINISHED_ACTION_STATUSES,
    Action,
    ActionStatus,
    Episode,
    EpisodeStatus,
    HandoverStatus,
    LeadHandoverOffer,
    Review,
    ReviewStatus,
    overdue_action_q,
)
from joinedup.sharing import policy

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner

DUE_SOON_DAYS = 7


@dataclass(frozen=True)
class HomeFlags:
    my_actions: int
    overdue_actions: int
    actions_due_soon: int
    episodes_led: int
    overdue_actions_led: int
    overdue_reviews_led: int
    lead_offers: int
    due_soon_days: int = DUE_SOON_DAYS

    @property
    def shows_my_actions(self) -> bool:
        return bool(self.my_actions or self.episodes_led)

    @property
    def shows_lead(self) -> bool:
        return bool(self.episodes_led or self.overdue_reviews_led or self.lead_offers)

    @property
    def anything_overdue(self) -> bool:
        return bool(self.overdue_actions or self.overdue_actions_led or self.overdue_reviews_led)

    @property
    def needs_attention(self) -> bool:
        return self.anything_overdue or bool(self.lead_offers)


def home_flags(practitioner: Practitioner) -> HomeFlags | None:
    """The practitioner's casework at a glance, or None for someone with no "my actions"
    page (a system administrator)."""
    if not policy.can_list_my_actions(practitioner):
        return None
    today = timezone.localdate()
    mine = Q(responsible_practitioner=practitioner) & ~Q(status=ActionStatus.CANCELLED)
    led = Q(desired_outcome__need__episode__lead_professional=practitioner)
    due_soon = Q(due_on__gte=today, due_on__lte=today + datetime.timedelta(days=DUE_SOON_DAYS))
    actions = (
        Action.objects.filter(policy.visible_plan_actions_filter(practitioner))
        .filter(mine | led)
        .aggregate(
            mine=Count("pk", filter=mine),
            overdue=Count("pk", filter=mine & overdue_action_q()),
            due_soon=Count("pk", filter=mine & due_soon & ~Q(status__in=FINISHED_ACTION_STATUSES)),
            overdue_led=Count("pk", filter=led & overdue_action_q()),
        )
    )
    episodes_led = Episode.objects.filter(policy.led_episodes_filter(practitioner)).count()
    overdue_reviews = Review.objects.filter(
        status=ReviewStatus.SCHEDULED,
        due_on__lt=today,
        episode__status=EpisodeStatus.OPEN,
        episode__lead_professional=practitioner,
    ).count()
    offers = LeadHandoverOffer.objects.filter(
        to_practitioner=practitioner,
        status=HandoverStatus.OFFERED,
        episode__status=EpisodeStatus.OPEN,
    ).count()
    return HomeFlags(
        my_actions=actions["mine"],
        overdue_actions=actions["overdue"],
        actions_due_soon=actions["due_soon"],
        episodes_led=episodes_led,
        overdue_actions_led=actions["overdue_led"],
        overdue_reviews_led=overdue_reviews,
        lead_offers=offers,
    )
