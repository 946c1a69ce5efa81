"""Changes to a partnership's group exercises. Each function is one transaction; callers
ask sharing.policy first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date, time
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from joinedup.partnerships.models import Membership, Partnership
from joinedup.toolkit.content import checklists, tool_content
from joinedup.toolkit.models import (
    DIAMOND_KEPT,
    DIAMOND_ROWS,
    DiamondPlacement,
    DiamondRanking,
    DiamondStatement,
    Exercise,
    ExerciseKind,
    ExerciseStatus,
    ForceDirection,
    ForceFieldForce,
    ForceFieldStrategy,
    MeetingAction,
    MeetingStatus,
    PartnershipMeeting,
    Rating,
    SelfEvaluation,
    SelfEvaluationAnswer,
    SwotItem,
    SwotQuadrant,
    TermDate,
)
from joinedup.toolkit.schedule import propose_meeting_dates

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


@transaction.atomic
def create_exercise(
    *,
    partnership: Partnership,
    kind: str,
    title: str,
    question: str = "",
    held_on: date,
    created_by: Practitioner,
) -> Exercise:
    """Starts an exercise. A diamond ranking gets its own copy of the toolkit's statements,
    so the partnership can reword them for this exercise alone."""
    if kind not in ExerciseKind.values:
        raise ValidationError(f"Unknown kind of exercise: {kind}")
    exercise = Exercise.objects.create(
        partnership=partnership,
        kind=kind,
        title=title.strip(),
        question=question.strip(),
        held_on=held_on,
        created_by=created_by,
    )
    if kind == ExerciseKind.DIAMOND_RANKING:
        DiamondStatement.objects.bulk_create(
            DiamondStatement(exercise=exercise, text=item.text, source=item.source, order=order)
            for order, item in enumerate(tool_content(kind).items, start=1)
        )
    return exercise


def _require_open(exercise: Exercise) -> None:
    if not exercise.is_open:
        raise ValidationError("This exercise has been closed: nothing more can be added.")


def _require_kind(exercise: Exercise, kind: str) -> None:
    if exercise.kind != kind:
        raise ValidationError(f"This exercise is not a {ExerciseKind(kind).label.lower()}.")


def check_diamond_shape(statement_ids: set[int], placements: Mapping[int, int | None]) -> None:
    """Raises ValidationError unless every statement is placed exactly once, nine are kept
    in rows of 1, 2, 3, 2 and 1 (top to bottom) and the rest are set aside."""
    placed = set(placements)
    if placed != statement_ids:
        raise ValidationError("Place every statement in the diamond or set it aside.")
    rows = Counter(row for row in placements.values() if row is not None)
    if any(row not in DIAMOND_ROWS for row in rows):
        raise ValidationError("Each statement goes in row 1 to 5 of the diamond, or is set aside.")
    set_aside = len(statement_ids) - DIAMOND_KEPT
    problems = []
    if sum(rows.values()) != DIAMOND_KEPT:
        problems.append(
            f"Keep exactly {DIAMOND_KEPT} statements and set aside {set_aside}: you kept "
            f"{sum(rows.values())}."
        )
    for row, wanted in DIAMOND_ROWS.items():
        if rows[row] != wanted:
            problems.append(
                f"Row {row} needs {wanted} statement{'s' if wanted > 1 else ''}: you placed "
                f"{rows[row]}."
            )
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def submit_diamond_ranking(
    *,
    exercise: Exercise,
    practitioner: Practitioner,
    placements: Mapping[int, int | None],
) -> DiamondRanking:
    """Saves a member's diamond, replacing any they submitted before."""
    _require_kind(exercise, ExerciseKind.DIAMOND_RANKING)
    _require_open(exercise)
    statement_ids = set(exercise.statements.values_list("pk", flat=True))
    check_diamond_shape(statement_ids, placements)
    ranking, _created = DiamondRanking.objects.get_or_create(
        exercise=exercise, practitioner=practitioner
    )
    ranking.placements.all().delete()
    DiamondPlacement.objects.bulk_create(
        DiamondPlacement(ranking=ranking, statement_id=statement_id, row=row)
        for statement_id, row in placements.items()
    )
    ranking.save(update_fields=["submitted_at"])
    return ranking


@transaction.atomic
def reword_statement(*, statement: DiamondStatement, text: str) -> DiamondStatement:
    """The partnership adapts a statement for this exercise; its source stays, since the
    idea still comes from the same framework."""
    _require_open(statement.exercise)
    text = text.strip()
    if not text:
        raise ValidationError("Enter the statement")
    statement.text = text
    statement.save(update_fields=["text"])
    return statement


@transaction.atomic
def add_force(
    *,
    exercise: Exercise,
    direction: str,
    description: str,
    strength: int,
    added_by: Practitioner,
) -> ForceFieldForce:
    _require_kind(exercise, ExerciseKind.FORCE_FIELD)
    _require_open(exercise)
    if direction not in ForceDirection.values:
        raise ValidationError("Say whether the force is for or against the change")
    if not 1 <= strength <= 5:
        raise ValidationError("Give the force a strength from 1 to 5")
    return ForceFieldForce.objects.create(
        exercise=exercise,
        direction=direction,
        description=description.strip(),
        strength=strength,
        added_by=added_by,
    )


@transaction.atomic
def add_strategy(
    *,
    exercise: Exercise,
    description: str,
    addresses: ForceFieldForce | None = None,
    added_by: Practitioner,
) -> ForceFieldStrategy:
    _require_kind(exercise, ExerciseKind.FORCE_FIELD)
    _require_open(exercise)
    if addresses is not None and addresses.exercise_id != exercise.pk:
        raise ValidationError("Choose a force from this exercise")
    return ForceFieldStrategy.objects.create(
        exercise=exercise, description=description.strip(), addresses=addresses, added_by=added_by
    )


@transaction.atomic
def add_swot_item(
    *, exercise: Exercise, quadrant: str, text: str, added_by: Practitioner
) -> SwotItem:
    _require_kind(exercise, ExerciseKind.SWOT)
    _require_open(exercise)
    if quadrant not in SwotQuadrant.values:
        raise ValidationError("Choose strengths, weaknesses, opportunities or threats")
    return SwotItem.objects.create(
        exercise=exercise, quadrant=quadrant, text=text.strip(), added_by=added_by
    )


@transaction.atomic
def set_exercise_status(*, exercise: Exercise, status: str) -> Exercise:
    """Closes an exercise (its result becomes the dated record) or reopens it."""
    if status not in ExerciseStatus.values:
        raise ValidationError(f"Unknown status: {status}")
    exercise.status = status
    exercise.save(update_fields=["status"])
    return exercise


# Meetings ------------------------------------------------------------------------------


def propose_schedule(partnership: Partnership, start: date, months: int = 12) -> list[date]:
    """Dates for the partnership to meet, one in each half term of the next ``months``
    months that has no planned or held meeting yet, never in a school holiday."""
    booked = list(
        PartnershipMeeting.objects.filter(partnership=partnership)
        .exclude(status=MeetingStatus.CANCELLED)
        .values_list("held_on", flat=True)
    )
    return propose_meeting_dates(
        list(TermDate.objects.filter(partnership=partnership)),
        start=start,
        months=months,
        booked=booked,
    )


@transaction.atomic
def add_term_date(
    *,
    partnership: Partnership,
    name: str,
    starts_on: date,
    ends_on: date,
    half_term_starts_on: date | None = None,
    half_term_ends_on: date | None = None,
) -> TermDate:
    if ends_on < starts_on:
        raise ValidationError("The last day of term must be on or after its first day")
    if (half_term_starts_on is None) != (half_term_ends_on is None):
        raise ValidationError("Enter both days of the half-term holiday, or neither")
    if (
        half_term_starts_on
        and half_term_ends_on
        and not starts_on < half_term_starts_on <= half_term_ends_on < ends_on
    ):
        raise ValidationError("The half-term holiday must fall inside the term")
    overlapping = TermDate.objects.filter(
        partnership=partnership, starts_on__lte=ends_on, ends_on__gte=starts_on
    )
    if overlapping.exists():
        raise ValidationError(f"This term overlaps {overlapping.first()}")
    return TermDate.objects.create(
        partnership=partnership,
        name=name.strip(),
        starts_on=starts_on,
        ends_on=ends_on,
        half_term_starts_on=half_term_starts_on,
        half_term_ends_on=half_term_ends_on,
    )


@transaction.atomic
def add_meeting(
    *,
    partnership: Partnership,
    held_on: date,
    created_by: Practitioner,
    starts_at: time | None = None,
    location: str = "",
    agenda: str = "",
) -> PartnershipMeeting:
    return PartnershipMeeting.objects.create(
        partnership=partnership,
        held_on=held_on,
        starts_at=starts_at,
        location=location.strip(),
        agenda=agenda.strip(),
        created_by=created_by,
    )


@transaction.atomic
def add_proposed_meetings(
    *, partnership: Partnership, start: date, created_by: Practitioner
) -> list[PartnershipMeeting]:
    """Plans a meeting on every date propose_schedule gives for the next twelve months."""
    return [
        add_meeting(partnership=partnership, held_on=day, created_by=created_by)
        for day in propose_schedule(partnership, start)
    ]


@transaction.atomic
def update_meeting(
    *,
    meeting: PartnershipMeeting,
    held_on: date,
    starts_at: time | None,
    location: str,
    agenda: str,
    minutes: str,
    status: str,
) -> PartnershipMeeting:
    """Changes a meeting's details, records its minutes, or marks it held or cancelled."""
    if status not in MeetingStatus.values:
        raise ValidationError(f"Unknown status: {status}")
    if status == MeetingStatus.HELD and held_on > timezone.localdate():
        raise ValidationError("A meeting cannot be recorded as held before its date")
    meeting.held_on, meeting.starts_at, meeting.status = held_on, starts_at, status
    meeting.location, meeting.agenda, meeting.minutes = (
        location.strip(),
        agenda.strip(),
        minutes.strip(),
    )
    meeting.save()
    return meeting


@transaction.atomic
def add_meeting_action(
    *,
    meeting: PartnershipMeeting,
    description: str,
    owner: Practitioner,
    due_on: date | None = None,
) -> MeetingAction:
    """An action agreed at the meeting; its owner must be a current member."""
    members = Membership.objects.current().filter(partnership_id=meeting.partnership_id)
    if not members.filter(practitioner=owner).exists():
        raise ValidationError("The action's owner must be a current member of the partnership")
    return MeetingAction.objects.create(
        meeting=meeting, description=description.strip(), owner=owner, due_on=due_on
    )


@transaction.atomic
def complete_meeting_action(*, action: MeetingAction, done_on: date) -> MeetingAction:
    action.done_on = done_on
    action.save(update_fields=["done_on"])
    return action


# Self-evaluation -----------------------------------------------------------------------


@transaction.atomic
def start_self_evaluation(
    *, partnership: Partnership, checklist: str, held_on: date, created_by: Practitioner
) -> SelfEvaluation:
    if checklist not in checklists():
        raise ValidationError("Choose a checklist")
    return SelfEvaluation.objects.create(
        partnership=partnership, checklist=checklist, held_on=held_on, created_by=created_by
    )


@transaction.atomic
def answer_self_evaluation(
    *,
    evaluation: SelfEvaluation,
    member: Practitioner,
    answers: Mapping[str, tuple[int, str]],
) -> list[SelfEvaluationAnswer]:
    """Saves one member's rating and evidence for each item (item key → (rating, evidence)),
    replacing what they gave before."""
    keys = {item.key for item in checklists()[evaluation.checklist].items}
    if set(answers) - keys:
        raise ValidationError("Answer only the checklist's own items")
    if any(rating not in Rating.values for rating, _ in answers.values()):
        raise ValidationError("Give each item a rating from 1 to 4")
    SelfEvaluationAnswer.objects.filter(
        evaluation=evaluation, member=member, item_key__in=list(answers)
    ).delete()
    return SelfEvaluationAnswer.objects.bulk_create(
        SelfEvaluationAnswer(
            evaluation=evaluation,
            item_key=key,
            member=member,
            rating=rating,
            evidence=evidence.strip(),
        )
        for key, (rating, evidence) in answers.items()
    )
