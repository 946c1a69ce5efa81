"""Changes to a partnership's group exercises. Each function is one transaction; callers
ask sharing.policy first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction

from joinedup.partnerships.models import Partnership
from joinedup.toolkit.content import tool_content
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
    SwotItem,
    SwotQuadrant,
)

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
