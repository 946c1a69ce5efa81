"""The action plan (issue 4 parts 5 and 11): services and selectors.

Needs → desired outcomes (tagged with Every Child Matters outcomes) → actions. Services run
in one transaction each and take keyword arguments only; views ask sharing.policy first.
Lost edits are prevented by optimistic locking: an edit carries the revision it started
from, and a save against a newer revision is refused with the stored version attached."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from joinedup.casework.models import (
    Action,
    ActionStatus,
    DesiredOutcome,
    Episode,
    EpisodeChild,
    Outcome,
    PlanNeed,
    TeamMember,
    overdue_action_q,
)
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child
    from joinedup.partnerships.models import Agency


class EditConflict(ValidationError):
    """Someone else saved the record since this edit began. ``current`` is the stored
    version, to show beside the one submitted."""

    def __init__(self, current: Action) -> None:
        super().__init__(
            "Someone else changed this action while you were editing it. Your changes have "
            "not been saved: compare the two versions below.",
            code="conflict",
        )
        self.current = current


# Services ------------------------------------------------------------------------------


def _require_open(episode: Episode) -> None:
    if not episode.is_open:
        raise ValidationError("This episode is closed")


@transaction.atomic
def add_need(*, practitioner: Practitioner, episode: Episode, description: str) -> PlanNeed:
    _require_open(episode)
    if not description.strip():
        raise ValidationError({"description": "Describe the need"})
    return PlanNeed.objects.create(
        episode=episode, description=description.strip(), created_by=practitioner
    )


@transaction.atomic
def add_desired_outcome(
    *,
    practitioner: Practitioner,
    need: PlanNeed,
    description: str,
    outcomes: Sequence[Outcome],
) -> DesiredOutcome:
    """A desired outcome must be tied to at least one Every Child Matters outcome."""
    _require_open(need.episode)
    if not description.strip():
        raise ValidationError({"description": "Describe the outcome you want"})
    if not outcomes:
        raise ValidationError(
            {"outcomes": "Choose at least one Every Child Matters outcome"}, code="no_outcome"
        )
    desired = DesiredOutcome.objects.create(
        need=need, description=description.strip(), created_by=practitioner
    )
    desired.outcomes.set(outcomes)
    PlanNeed.objects.filter(pk=need.pk).update(revision=F("revision") + 1)
    return desired


def _check_responsible(
    episode: Episode,
    responsible_practitioner: Practitioner | None,
    responsible_name: str,
    responsible_agency: Agency | None,
) -> None:
    if responsible_practitioner is None and not responsible_name.strip() and not responsible_agency:
        raise ValidationError(
            {
                "responsible_practitioner": "Say who is responsible: a practitioner on the team, "
                "or a family member or agency"
            }
        )
    if (
        responsible_practitioner is not None
        and not TeamMember.objects.current()
        .filter(episode=episode, practitioner=responsible_practitioner)
        .exists()
    ):
        raise ValidationError(
            {"responsible_practitioner": "The responsible practitioner must be on the team"}
        )


@transaction.atomic
def add_action(
    *,
    practitioner: Practitioner,
    desired_outcome: DesiredOutcome,
    description: str,
    due_on: date,
    responsible_practitioner: Practitioner | None = None,
    responsible_name: str = "",
    responsible_agency: Agency | None = None,
) -> Action:
    episode = desired_outcome.need.episode
    _require_open(episode)
    if not description.strip():
        raise ValidationError({"description": "Describe the action"})
    _check_responsible(episode, responsible_practitioner, responsible_name, responsible_agency)
    if responsible_practitioner is not None and responsible_agency is None:
        responsible_agency = responsible_practitioner.home_agency
    return Action.objects.create(
        desired_outcome=desired_outcome,
        description=description.strip(),
        responsible_practitioner=responsible_practitioner,
        responsible_name="" if responsible_practitioner else responsible_name.strip(),
        responsible_agency=responsible_agency,
        due_on=due_on,
        created_by=practitioner,
    )


def _completed_on(status: str, previous: date | None) -> date | None:
    if status == ActionStatus.DONE:
        return previous or timezone.localdate()
    return None


def _save_if_current(action: Action, revision: int, **changes: object) -> Action:
    """Compare and swap: the update applies only while the stored revision is the one the
    edit began from; otherwise EditConflict carries the stored version."""
    updated = Action.objects.filter(pk=action.pk, revision=revision).update(
        revision=F("revision") + 1, **changes
    )
    if not updated:
        current = get_object_or_404(
            Action.objects.select_related(
                "responsible_practitioner", "responsible_agency", "updated_by"
            ),
            pk=action.pk,
        )
        raise EditConflict(current)
    return Action.objects.select_related("responsible_practitioner", "responsible_agency").get(
        pk=action.pk
    )


@transaction.atomic
def update_action(
    *,
    practitioner: Practitioner,
    action: Action,
    revision: int,
    description: str,
    due_on: date,
    status: str,
    responsible_practitioner: Practitioner | None = None,
    responsible_name: str = "",
    responsible_agency: Agency | None = None,
) -> Action:
    """Save an edit begun at ``revision``. A stale edit is refused (EditConflict)."""
    episode = action.desired_outcome.need.episode
    _require_open(episode)
    if not description.strip():
        raise ValidationError({"description": "Describe the action"})
    if status not in ActionStatus.values:
        raise ValidationError({"status": "Choose a status"})
    _check_responsible(episode, responsible_practitioner, responsible_name, responsible_agency)
    if responsible_practitioner is not None and responsible_agency is None:
        responsible_agency = responsible_practitioner.home_agency
    return _save_if_current(
        action,
        revision,
        description=description.strip(),
        due_on=due_on,
        status=status,
        completed_on=_completed_on(status, action.completed_on),
        responsible_practitioner=responsible_practitioner,
        responsible_name="" if responsible_practitioner else responsible_name.strip(),
        responsible_agency=responsible_agency,
        updated_by=practitioner,
    )


@transaction.atomic
def set_action_status(
    *, practitioner: Practitioner, action: Action, status: str, revision: int
) -> Action:
    """Change only the status (done sets completed_on to today); refused when stale."""
    _require_open(action.desired_outcome.need.episode)
    if status not in ActionStatus.values:
        raise ValidationError({"status": "Choose a status"})
    return _save_if_current(
        action,
        revision,
        status=status,
        completed_on=_completed_on(status, action.completed_on),
        updated_by=practitioner,
    )


# Selectors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanPage:
    episode: Episode
    children: list[Child]
    needs: list[PlanNeed]
    outcomes: list[Outcome]
    reason: str
    may_manage: bool
    editable: set[int] = field(default_factory=set)

    @property
    def actions(self) -> list[Action]:
        return [
            action
            for need in self.needs
            for desired in need.desired_outcomes.all()
            for action in desired.actions.all()
        ]

    @property
    def overdue_count(self) -> int:
        return sum(1 for action in self.actions if action.is_overdue)


def _episode_with_children(episode_id: int) -> Episode:
    return get_object_or_404(
        Episode.objects.select_related("lead_professional", "opened_by").prefetch_related(
            Prefetch(
                "episode_children",
                queryset=EpisodeChild.objects.select_related("child").order_by("child_id"),
            )
        ),
        pk=episode_id,
    )


def _plan_actions() -> Prefetch:
    return Prefetch(
        "desired_outcomes",
        queryset=DesiredOutcome.objects.prefetch_related(
            "outcomes",
            Prefetch(
                "actions",
                queryset=Action.objects.select_related(
                    "responsible_practitioner", "responsible_agency"
                ),
            ),
        ),
    )


def episode_plan(*, practitioner: Practitioner, episode_id: int, path: str) -> PlanPage:
    """The plan of an episode — needs, desired outcomes with their ECM outcomes, actions —
    if the policy allows, with one access record per child, in a fixed number of queries."""
    with transaction.atomic():
        episode = _episode_with_children(episode_id)
        decision = policy.can_view_plan(practitioner, episode)
        if not decision:
            raise PermissionDenied("You are not on the team around this child.")
        children = [link.child for link in episode.episode_children.all()]
        needs = list(episode.plan_needs.prefetch_related(_plan_actions()))
        audit.record_access(
            practitioner=practitioner,
            children=children,
            decision=decision,
            what="Early help plan",
            path=path,
        )
    page = PlanPage(
        episode=episode,
        children=children,
        needs=needs,
        outcomes=list(Outcome.objects.all()),
        reason=decision.reason,
        may_manage=bool(policy.can_manage_plan(practitioner, episode)),
    )
    page.editable.update(policy.editable_action_ids(practitioner, episode, page.actions, decision))
    return page


def plan_action(*, episode_id: int, action_id: int) -> Action:
    """One action of an episode with what the policy and the page need (no access record:
    the edit page records its own read)."""
    return get_object_or_404(
        Action.objects.select_related(
            "desired_outcome__need__episode",
            "responsible_practitioner",
            "responsible_agency",
            "updated_by",
        ),
        pk=action_id,
        desired_outcome__need__episode_id=episode_id,
    )


def record_action_read(*, practitioner: Practitioner, action: Action, path: str) -> None:
    episode = action.desired_outcome.need.episode
    decision = policy.can_view_plan(practitioner, episode)
    with transaction.atomic():
        children = [link.child for link in episode.episode_children.select_related("child")]
        audit.record_access(
            practitioner=practitioner,
            children=children,
            decision=decision,
            what="Early help plan action",
            path=path,
        )


@dataclass(frozen=True)
class ActionRow:
    action: Action
    children: list[Child]

    @property
    def episode(self) -> Episode:
        return self.action.desired_outcome.need.episode


@dataclass(frozen=True)
class MyActions:
    mine: list[ActionRow]
    overdue_in_episodes_led: list[ActionRow]

    @property
    def overdue_mine(self) -> list[ActionRow]:
        return [row for row in self.mine if row.action.is_overdue]


def _rows(actions: list[Action]) -> list[ActionRow]:
    return [
        ActionRow(
            action=action,
            children=[
                link.child for link in action.desired_outcome.need.episode.episode_children.all()
            ],
        )
        for action in actions
    ]


def _action_rows_queryset() -> QuerySet[Action]:
    return Action.objects.select_related(
        "desired_outcome__need__episode__lead_professional",
        "responsible_practitioner",
        "responsible_agency",
    ).prefetch_related(
        Prefetch(
            "desired_outcome__need__episode__episode_children",
            queryset=EpisodeChild.objects.select_related("child").order_by("child_id"),
        )
    )


def my_actions(*, practitioner: Practitioner, path: str = "") -> MyActions:
    """The practitioner's actions across all their children — only in open episodes where
    they are still on the team (policy.visible_plan_actions_filter) — and the overdue
    actions in episodes they lead. Fixed number of queries; one access record (listed) per
    child shown."""
    decision = policy.can_list_my_actions(practitioner)
    if not decision:
        raise PermissionDenied("This page is for practitioners.")
    visible = policy.visible_plan_actions_filter(practitioner)
    with transaction.atomic():
        mine = list(
            _action_rows_queryset()
            .filter(visible, responsible_practitioner=practitioner)
            .exclude(status=ActionStatus.CANCELLED)
            .order_by("due_on", "pk")
        )
        led = list(
            _action_rows_queryset()
            .filter(
                visible,
                overdue_action_q(),
                desired_outcome__need__episode__lead_professional=practitioner,
            )
            .order_by("due_on", "pk")
        )
        rows, led_rows = _rows(mine), _rows(led)
        children = {child.pk: child for row in rows + led_rows for child in row.children}
        audit.record_access(
            practitioner=practitioner,
            children=children.values(),
            decision=decision,
            action=AccessAction.LISTED,
            what="My actions",
            path=path,
        )
    return MyActions(mine=rows, overdue_in_episodes_led=led_rows)
