"""Reviews (issue 4 part 6): team around the child meetings — services and selectors.

Policy: the first review is due FIRST_REVIEW_WEEKS after the episode opens; later ones
REVIEW_INTERVAL_WEEKS after the last review held (or on the next review date that review
set). Scheduling emails an invitation with a calendar file (icalendar) to every current
practitioner on the team; family members on the team are invited by the lead, outside the
system (they have no email address here). Emails name no child: only the episode number.
Recording a held review writes attendance, minutes, a red/amber/green rating per current
action, decisions (new or changed actions, through casework.plan) and the next review
date. Views ask sharing.policy first."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from icalendar import Calendar, Event

from joinedup.casework import plan
from joinedup.casework.models import (
    FINISHED_ACTION_STATUSES,
    Action,
    ActionProgress,
    DesiredOutcome,
    Episode,
    EpisodeChild,
    EpisodeStatus,
    Review,
    ReviewAttendance,
    ReviewStatus,
    TeamMember,
    current_team_member_q,
)
from joinedup.partnerships.models import Membership, MembershipRole
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child


def _weeks(name: str, default: int) -> timedelta:
    return timedelta(weeks=int(getattr(settings, name, default)))


def next_review_due_on(episode: Episode) -> date:
    """When the next review is due, by policy."""
    last = episode.reviews.filter(status=ReviewStatus.HELD).order_by("-held_on", "-pk").first()
    if last is None or last.held_on is None:
        return episode.opened_on + _weeks("FIRST_REVIEW_WEEKS", 4)
    return last.next_review_due or last.held_on + _weeks("REVIEW_INTERVAL_WEEKS", 6)


def calendar_file(review: Review) -> bytes:
    """An RFC 5545 calendar (one VEVENT) for the review; names no child."""
    calendar = Calendar()
    calendar.add("prodid", "-//Joined Up//Team around the child review//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", f"review-{review.pk}@joinedup")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", review.scheduled_for)
    event.add("dtend", review.scheduled_for + timedelta(hours=1))
    event.add("summary", f"Team around the child review (episode {review.episode_id})")
    if review.location:
        event.add("location", review.location)
    calendar.add_component(event)
    return calendar.to_ical()


def _invite(review: Review) -> int:
    """Email every current practitioner on the team; returns how many were sent."""
    members = (
        TeamMember.objects.current()
        .filter(episode=review.episode, practitioner__isnull=False)
        .select_related("practitioner")
    )
    addresses = sorted(
        {m.practitioner.email for m in members if m.practitioner and m.practitioner.email}
    )
    if not addresses:
        return 0
    when = timezone.localtime(review.scheduled_for)
    body = (
        f"You are invited to the team around the child review for early help episode "
        f"{review.episode_id} on {when:%A %d %B %Y at %H:%M}"
        f"{' at ' + review.location if review.location else ''}.\n\n"
        "Sign in to Joined Up to see the plan. The calendar file is attached."
    )
    ics = calendar_file(review)
    for address in addresses:
        message = EmailMessage(
            subject="Invitation: team around the child review",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[address],
        )
        message.attach("review.ics", ics, "text/calendar; method=REQUEST")
        message.send()
    return len(addresses)


@transaction.atomic
def schedule_review(
    *,
    practitioner: Practitioner,
    episode: Episode,
    scheduled_for: datetime,
    location: str = "",
) -> Review:
    """Schedule the next review (due date from policy) and email the invitations once the
    transaction commits. One scheduled review at a time."""
    if not episode.is_open:
        raise ValidationError("This episode is closed")
    if episode.reviews.filter(status=ReviewStatus.SCHEDULED).exists():
        raise ValidationError(
            "A review is already scheduled: record it or cancel it first", code="scheduled"
        )
    review = Review.objects.create(
        episode=episode,
        due_on=next_review_due_on(episode),
        scheduled_for=scheduled_for,
        location=location.strip(),
        scheduled_by=practitioner,
    )
    transaction.on_commit(lambda: _invite(review))
    return review


@dataclass(frozen=True)
class NewAction:
    desired_outcome: DesiredOutcome
    description: str
    due_on: date
    responsible_practitioner: Practitioner | None = None
    responsible_name: str = ""


@dataclass(frozen=True)
class ActionChange:
    action: Action
    status: str
    due_on: date | None = None


def current_actions(episode: Episode) -> list[Action]:
    """The actions a review rates: those neither done nor cancelled."""
    return list(
        Action.objects.filter(desired_outcome__need__episode=episode)
        .exclude(status__in=FINISHED_ACTION_STATUSES)
        .select_related("responsible_practitioner", "responsible_agency", "desired_outcome")
        .order_by("due_on", "pk")
    )


@transaction.atomic
def record_review(
    *,
    practitioner: Practitioner,
    review: Review,
    held_on: date,
    minutes: str,
    attended_member_ids: Sequence[int] = (),
    other_attendees: Sequence[str] = (),
    progress: Mapping[int, tuple[str, str]] | None = None,
    new_actions: Sequence[NewAction] = (),
    changes: Sequence[ActionChange] = (),
    next_review_due: date | None = None,
) -> Review:
    """Record a held review. ``progress`` maps action id → (rag, note) and must rate every
    current action; decisions go through casework.plan (so its checks apply)."""
    episode = review.episode
    if not episode.is_open:
        raise ValidationError("This episode is closed")
    if review.status != ReviewStatus.SCHEDULED:
        raise ValidationError("This review is already recorded or cancelled")
    if held_on > timezone.localdate():
        raise ValidationError({"held_on": "The date the review was held must be today or past"})
    if not minutes.strip():
        raise ValidationError({"minutes": "Enter the minutes of the review"})
    progress = progress or {}
    actions = current_actions(episode)
    missing = [a for a in actions if a.pk not in progress]
    if missing:
        raise ValidationError(
            {"__all__": f"Rate progress on every action: {missing[0].description[:60]}"}
        )
    by_id = {action.pk: action for action in actions}
    ActionProgress.objects.bulk_create(
        ActionProgress(review=review, action=by_id[pk], rag=rag, note=note.strip())
        for pk, (rag, note) in progress.items()
        if pk in by_id
    )
    team = TeamMember.objects.filter(episode=episode).filter(current_team_member_q(held_on))
    attended = set(attended_member_ids)
    ReviewAttendance.objects.bulk_create(
        [ReviewAttendance(review=review, team_member=m, attended=m.pk in attended) for m in team]
        + [
            ReviewAttendance(review=review, name=name.strip(), attended=True)
            for name in other_attendees
            if name.strip()
        ]
    )
    for change in changes:
        action = change.action
        plan.update_action(
            practitioner=practitioner,
            action=action,
            revision=action.revision,
            description=action.description,
            due_on=change.due_on or action.due_on,
            status=change.status,
            responsible_practitioner=action.responsible_practitioner,
            responsible_name=action.responsible_name,
            responsible_agency=action.responsible_agency,
        )
    for new in new_actions:
        plan.add_action(
            practitioner=practitioner,
            desired_outcome=new.desired_outcome,
            description=new.description,
            due_on=new.due_on,
            responsible_practitioner=new.responsible_practitioner,
            responsible_name=new.responsible_name,
        )
    review.status = ReviewStatus.HELD
    review.held_on = held_on
    review.minutes = minutes.strip()
    review.next_review_due = next_review_due or held_on + _weeks("REVIEW_INTERVAL_WEEKS", 6)
    review.recorded_by = practitioner
    review.save()
    return review


# Selectors -----------------------------------------------------------------------------


def episode_review(*, episode_id: int, review_id: int) -> Review:
    return get_object_or_404(
        Review.objects.select_related("episode__lead_professional", "scheduled_by", "recorded_by"),
        pk=review_id,
        episode_id=episode_id,
    )


def _children(episode: Episode) -> list[Child]:
    return [link.child for link in episode.episode_children.select_related("child")]


@dataclass(frozen=True)
class ReviewPage:
    review: Review
    children: list[Child]
    progress: list[ActionProgress]
    attendance: list[ReviewAttendance]
    reason: str
    may_record: bool


def review_page(
    *, practitioner: Practitioner, episode_id: int, review_id: int, path: str, what: str
) -> ReviewPage:
    """One review with its progress and attendance, with one access record per child, in
    a fixed number of queries."""
    review = episode_review(episode_id=episode_id, review_id=review_id)
    decision = policy.can_view_reviews(practitioner, review.episode)
    if not decision:
        raise PermissionDenied("You are not on the team around this child.")
    with transaction.atomic():
        children = _children(review.episode)
        progress = list(
            review.progress.select_related("action__responsible_practitioner").order_by(
                "action__due_on", "action_id"
            )
        )
        attendance = list(review.attendance.select_related("team_member__practitioner"))
        audit.record_access(
            practitioner=practitioner,
            children=children,
            decision=decision,
            what=what,
            path=path,
        )
    return ReviewPage(
        review=review,
        children=children,
        progress=progress,
        attendance=attendance,
        reason=decision.reason,
        may_record=bool(policy.can_manage_reviews(practitioner, review.episode))
        and review.status == ReviewStatus.SCHEDULED,
    )


@dataclass(frozen=True)
class EpisodeReviews:
    reviews: list[Review]
    next_due_on: date
    may_schedule: bool

    @property
    def scheduled(self) -> Review | None:
        return next((r for r in self.reviews if r.status == ReviewStatus.SCHEDULED), None)

    @property
    def next_due_is_overdue(self) -> bool:
        return self.scheduled is None and self.next_due_on < timezone.localdate()


def episode_reviews(practitioner: Practitioner, episode: Episode) -> EpisodeReviews:
    """The reviews section of the episode page (the page records its own access)."""
    return EpisodeReviews(
        reviews=list(episode.reviews.order_by("due_on", "pk")),
        next_due_on=next_review_due_on(episode),
        may_schedule=bool(policy.can_manage_reviews(practitioner, episode)),
    )


def _overdue() -> QuerySet[Review]:
    return Review.objects.filter(
        status=ReviewStatus.SCHEDULED,
        due_on__lt=timezone.localdate(),
        episode__status=EpisodeStatus.OPEN,
    ).select_related("episode__lead_professional")


def overdue_reviews_for_lead(practitioner: Practitioner) -> list[Review]:
    """Overdue reviews in open episodes the practitioner leads, children prefetched."""
    return list(
        _overdue()
        .filter(episode__lead_professional=practitioner)
        .prefetch_related(
            Prefetch(
                "episode__episode_children",
                queryset=EpisodeChild.objects.select_related("child").order_by("child_id"),
            )
        )
        .order_by("due_on", "pk")
    )


def coordinated_overdue_q(practitioner: Practitioner) -> Q:
    """Overdue reviews a coordinator sees: in episodes whose team has a current
    practitioner who is a current member of a partnership they coordinate."""
    today = timezone.localdate()
    coordinated = Membership.objects.current().filter(
        practitioner=practitioner, role=MembershipRole.COORDINATOR
    )
    member_of_coordinated = Membership.objects.current().filter(
        practitioner_id=OuterRef("practitioner_id"),
        partnership_id__in=coordinated.values("partnership_id"),
    )
    on_team = TeamMember.objects.filter(
        current_team_member_q(today),
        Exists(member_of_coordinated),
        episode_id=OuterRef("episode_id"),
        practitioner__isnull=False,
    )
    return Q(Exists(on_team))


def overdue_reviews_for_coordinator(practitioner: Practitioner) -> list[Review]:
    """No child is named to the coordinator: episode number, lead and due date only."""
    return list(_overdue().filter(coordinated_overdue_q(practitioner)).order_by("due_on", "pk"))


@dataclass(frozen=True)
class OverdueReviews:
    led: list[Review]
    coordinated: list[Review] = field(default_factory=list)


def overdue_reviews(*, practitioner: Practitioner, path: str = "") -> OverdueReviews:
    decision = policy.can_list_overdue_reviews(practitioner)
    if not decision:
        raise PermissionDenied("This page is for practitioners.")
    with transaction.atomic():
        led = overdue_reviews_for_lead(practitioner)
        children: dict[int, Any] = {
            link.child.pk: link.child
            for review in led
            for link in review.episode.episode_children.all()
        }
        audit.record_access(
            practitioner=practitioner,
            children=children.values(),
            decision=decision,
            action=AccessAction.LISTED,
            what="Overdue reviews",
            path=path,
        )
    return OverdueReviews(led=led, coordinated=overdue_reviews_for_coordinator(practitioner))
