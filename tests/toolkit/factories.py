"""Factories and helpers for the toolkit's tests."""

from __future__ import annotations

import datetime

from joinedup.toolkit import services
from joinedup.toolkit.models import DIAMOND_ROWS, Exercise


def start_exercise(partnership, created_by, kind="diamond_ranking", **fields) -> Exercise:
    fields.setdefault("title", f"Our {kind.replace('_', ' ')}")
    fields.setdefault("question", "Should we move to one shared front door?")
    fields.setdefault("held_on", datetime.date(2026, 3, 2))
    return services.create_exercise(
        partnership=partnership, kind=kind, created_by=created_by, **fields
    )


def diamond_rows_for(order: list[int]) -> list[int | None]:
    """Rows for statements listed most important first: fills the 1-2-3-2-1 diamond, then
    sets aside the rest."""
    rows: list[int | None] = [row for row, count in DIAMOND_ROWS.items() for _ in range(count)]
    return rows + [None] * (len(order) - len(rows))


def placements_in_order(exercise: Exercise, order: list[int]) -> dict[int, int | None]:
    """A valid diamond: ``order`` lists statement numbers (1-12) most important first."""
    by_number = {s.order: s.pk for s in exercise.statements.all()}
    return {
        by_number[number]: row for number, row in zip(order, diamond_rows_for(order), strict=True)
    }
