"""Closing an early-help episode and reopening it (issue 4 part 9): services and the
selectors of the closure pages.

Closing records why (ClosureReason), notes, the family's feedback, who closed it and the
final outcome ratings for every child — not needed when the episode was stepped up, the
family moved away or withdrew, when the lead may not be able to rate. Closing ends the
team's access (sharing.policy). A closed episode may be reopened, with a reason, for
settings.EPISODE_REOPEN_DAYS after closing, unless a child now has another open episode;
the closure it undoes is kept in EpisodeReopening. Views ask sharing.policy first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from joinedup.casework import outcome_ratings
from joinedup.casework.models import (
    ClosureReason,
    Episode,
    EpisodeChild,
    EpisodeReopening,
    EpisodeStatus,
    RatingOccasion,
    Review,
    ReviewStatus,
)
from joinedup.casework.selectors import lead_contact
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child

# Reasons for which the final ratings may be left out: the family has gone, or children's
# social care now holds the case, so the lead may have no fair basis to rate.
RATINGS_OPTIONAL_REASONS = frozenset(
    {ClosureReason.STEPPED_UP, ClosureReason.MOVED_AWAY, ClosureReason.FAMILY_WITHDREW}
)


def final_ratings_required(reason: str) -> bool:
    return reason not in RATINGS_OPTIONAL_REASONS


def reopen_deadline(episode: Episode) -> date | None:
    """The last day a closed episode may be reopened (None while it is open)."""
    return policy.episode_reopen_deadline(episode)


def days_left(episode: Episode) -> int | None:
    """Whole days left to reopen the closed episode after today (0 on the last day)."""
    deadline = reopen_deadline(episode)
    if deadline is None:
        return None
    return max((deadline - timezone.localdate()).days, 0)


def _children(episode: Episode) -> list[Child]:
    return [
        link.child for link in episode.episode_children.select_related("child").order_by("child_id")
    ]


@transaction.atomic
def close_episode(
    *,
    practitioner: Practitioner,
    episode: Episode,
    reason: str,
    notes: str = "",
    family_feedback: str = "",
    final_ratings: Mapping[int, Mapping[str, Any]] | None = None,
    on: date | None = None,
) -> Episode:
    """Close the episode: the reason (notes needed for Other), the family's feedback, who
    closed it and the final ratings — ``final_ratings`` maps child id → keyword arguments
    for record_rating_round (scores, family_rater, notes), needed for every child unless
    the reason is in RATINGS_OPTIONAL_REASONS. A scheduled review is cancelled. All or
    nothing. Who may close is the policy's question (can_close_episode; a step-up accepted
    by children's social care closes through here too)."""
    locked = Episode.objects.select_for_update().get(pk=episode.pk)
    if not locked.is_open:
        raise ValidationError("This episode is already closed", code="closed")
    day = on or timezone.localdate()
    problems: dict[str, list[str]] = {}
    if reason not in ClosureReason.values:
        problems["reason"] = ["Choose why the episode is closing"]
    if reason == ClosureReason.OTHER and not notes.strip():
        problems["notes"] = ["Say why the episode is closing"]
    if day > timezone.localdate():
        problems.setdefault("__all__", []).append("The closing date must be today or earlier")
    elif day < locked.opened_on:
        problems.setdefault("__all__", []).append(
            "The closing date cannot be before the episode opened"
        )
    children = _children(locked)
    final_ratings = final_ratings or {}
    ids = {child.pk for child in children}
    strangers = set(final_ratings) - ids
    if strangers:
        problems.setdefault("__all__", []).append("Final ratings are for children in the episode")
    if final_ratings_required(reason):
        missing = [child.full_name for child in children if child.pk not in final_ratings]
        if missing:
            problems.setdefault("__all__", []).append(
                f"Give the final ratings for {', '.join(missing)}"
            )
    if problems:
        raise ValidationError(problems)
    for child in children:
        if child.pk in final_ratings:
            details = dict(final_ratings[child.pk])
            try:
                outcome_ratings.record_rating_round(
                    practitioner=practitioner,
                    episode=locked,
                    child=child,
                    occasion=RatingOccasion.CLOSURE,
                    rated_on=day,
                    **details,
                )
            except ValidationError as problem:
                raise ValidationError(
                    [f"{child.full_name}: {message}" for message in problem.messages]
                ) from problem
    Review.objects.filter(episode=locked, status=ReviewStatus.SCHEDULED).update(
        status=ReviewStatus.CANCELLED
    )
    locked.status = EpisodeStatus.CLOSED
    locked.closed_on = day
    locked.closure_reason = reason
    locked.closure_notes = notes.strip()
    locked.family_feedback = family_feedback.strip()
    locked.closed_by = practitioner
    locked.save(
        update_fields=[
            "status",
            "closed_on",
            "closure_reason",
            "closure_notes",
            "family_feedback",
            "closed_by",
        ]
    )
    EpisodeChild.objects.filter(episode=locked).update(is_open=False)
    _copy_closure(locked, episode)
    return episode


def _copy_closure(source: Episode, target: Episode) -> None:
    """Keep the caller's instance in step with the row."""
    for name in (
        "status",
        "closed_on",
        "closure_reason",
        "closure_notes",
        "family_feedback",
        "closed_by_id",
    ):
        setattr(target, name, getattr(source, name))


def _other_open_episode_message(child: Child, other: Episode) -> str:
    return (
        f"{child.full_name} now has another open early help episode (episode {other.pk}, "
        f"opened {other.opened_on:%d %B %Y}; {lead_contact(other, with_details=False)}), "
        "so this one cannot be reopened"
    )


def reopen_problem(episode: Episode, on: date | None = None) -> str:
    """Why the closed episode cannot be reopened on ``on`` (today), or "" if it can.
    Shared by the service and the reopen page, so both say the same thing."""
    if episode.is_open or episode.closed_on is None:
        return "This episode is open"
    day = on or timezone.localdate()
    deadline = reopen_deadline(episode)
    if deadline is not None and day > deadline:
        return (
            f"This episode closed on {episode.closed_on:%d %B %Y} and could be reopened until "
            f"{deadline:%d %B %Y}: open a new episode instead"
        )
    other = (
        EpisodeChild.objects.filter(
            child__in=EpisodeChild.objects.filter(episode=episode).values("child"), is_open=True
        )
        .exclude(episode=episode)
        .select_related("child", "episode__lead_professional", "episode__opened_by")
        .order_by("child_id")
        .first()
    )
    if other is not None:
        return _other_open_episode_message(other.child, other.episode)
    return ""


@transaction.atomic
def reopen_episode(
    *, practitioner: Practitioner, episode: Episode, reason: str, on: date | None = None
) -> Episode:
    """Reopen a closed episode within settings.EPISODE_REOPEN_DAYS of closing, with a
    reason. Refused if any of its children now has another open episode. The closure is
    kept in an EpisodeReopening; the team's access returns with the open episode."""
    locked = Episode.objects.select_for_update().get(pk=episode.pk)
    if not reason.strip():
        raise ValidationError({"reason": "Say why the episode is being reopened"})
    day = on or timezone.localdate()
    problem = reopen_problem(locked, day)
    closed_on = locked.closed_on
    if problem or closed_on is None:
        raise ValidationError(problem or "This episode is open", code="refused")
    EpisodeReopening.objects.create(
        episode=locked,
        reopened_on=day,
        reason=reason.strip(),
        reopened_by=practitioner,
        previous_closed_on=closed_on,
        previous_closure_reason=locked.closure_reason,
        previous_closure_notes=locked.closure_notes,
        previous_family_feedback=locked.family_feedback,
    )
    locked.status = EpisodeStatus.OPEN
    locked.closed_on = None
    locked.closure_reason = ""
    locked.closure_notes = ""
    locked.family_feedback = ""
    locked.closed_by = None
    locked.save(
        update_fields=[
            "status",
            "closed_on",
            "closure_reason",
            "closure_notes",
            "family_feedback",
            "closed_by",
        ]
    )
    try:
        with transaction.atomic():
            EpisodeChild.objects.filter(episode=locked).update(is_open=True)
    except IntegrityError as clash:  # another episode was opened for a child a moment ago
        raise ValidationError(
            "Another early help episode was opened for one of these children a moment ago, "
            "so this one cannot be reopened",
            code="open",
        ) from clash
    _copy_closure(locked, episode)
    return episode


# Selectors -----------------------------------------------------------------------------


def _episode(episode_id: int) -> Episode:
    return get_object_or_404(
        Episode.objects.select_related(
            "lead_professional__home_agency", "opened_by__home_agency", "closed_by"
        ).prefetch_related(
            Prefetch(
                "episode_children",
                queryset=EpisodeChild.objects.select_related("child").order_by("child_id"),
            )
        ),
        pk=episode_id,
    )


@dataclass(frozen=True)
class ClosurePage:
    episode: Episode
    children: list[Child]
    reason: str


def closure_page(
    *,
    practitioner: Practitioner,
    episode_id: int,
    path: str,
    reopening: bool = False,
    action: str = AccessAction.VIEWED,
) -> ClosurePage:
    """The close page (``reopening`` False) or the reopen page, if the policy allows; the
    read and one access record per child happen in one transaction."""
    with transaction.atomic():
        episode = _episode(episode_id)
        if reopening:
            decision = policy.can_reopen_episode(practitioner, episode)
            refusal = "Only the lead professional reopens a closed episode, within the period."
        else:
            decision = policy.can_close_episode(practitioner, episode)
            refusal = "Only the lead professional closes the episode."
        if not decision:
            raise PermissionDenied(refusal)
        children = [link.child for link in episode.episode_children.all()]
        audit.record_access(
            practitioner=practitioner,
            children=children,
            decision=decision,
            action=action,
            what="Reopening the episode" if reopening else "Closing the episode",
            path=path,
        )
    return ClosurePage(episode, children, decision.reason)


@dataclass(frozen=True)
class EpisodeClosure:
    """The closure part of the episode page: the closure (if closed), the history of
    reopenings and what this reader may do."""

    episode: Episode
    closed_by: Practitioner | None
    reopenings: list[EpisodeReopening]
    may_close: bool
    may_reopen: bool
    deadline: date | None

    @property
    def days_left(self) -> int | None:
        return days_left(self.episode)


def episode_closure(practitioner: Practitioner, episode: Episode) -> EpisodeClosure:
    """For the episode page (which records its own access). Fixed number of queries."""
    reopenings = list(episode.reopenings.select_related("reopened_by").order_by("reopened_on"))
    return EpisodeClosure(
        episode=episode,
        closed_by=episode.closed_by if episode.closed_by_id is not None else None,
        reopenings=reopenings,
        may_close=bool(policy.can_close_episode(practitioner, episode)),
        may_reopen=bool(policy.can_reopen_episode(practitioner, episode)),
        deadline=reopen_deadline(episode),
    )
