"""Each exercise's result as CSV, made safe against spreadsheet formula injection by the
project's one CSV writer (children.feeds.exports.csv_bytes), and the group result of a
self-evaluation."""

from __future__ import annotations

from joinedup.children.feeds.exports import csv_bytes
from joinedup.toolkit.content import checklists
from joinedup.toolkit.evidence import evidence_for
from joinedup.toolkit.models import Exercise, ExerciseKind, Rating, SelfEvaluation
from joinedup.toolkit.selectors import (
    diamond_result,
    force_field_result,
    self_evaluation_result,
    swot_result,
)


def _heading(exercise: Exercise) -> list[list[object]]:
    return [
        ["Exercise", exercise.title],
        ["Kind", exercise.get_kind_display()],
        ["Partnership", exercise.partnership.name],
        ["Date held", exercise.held_on.isoformat()],
        ["Question or change", exercise.question],
        [],
    ]


def result_csv(exercise: Exercise) -> bytes:
    rows = _heading(exercise)
    if exercise.kind == ExerciseKind.DIAMOND_RANKING:
        diamond = diamond_result(exercise)
        rows += [
            ["Members who ranked", diamond.member_count],
            [
                "Agreement (Kendall's W)",
                "" if diamond.kendalls_w is None else f"{diamond.kendalls_w:.2f}",
            ],
            [],
            [
                "Group place",
                "Group row",
                "Statement number",
                "Statement",
                "Source",
                "Mean row (set aside = 6)",
                "Spread (standard deviation)",
                "Kept by",
                "Set aside by",
                "Placed at the top by",
            ],
        ]
        for place, statement in enumerate(diamond.statements, start=1):
            rows.append(
                [
                    place,
                    statement.group_row or "Set aside",
                    statement.order,
                    statement.text,
                    statement.source,
                    statement.mean_position,
                    statement.spread,
                    statement.kept_by,
                    statement.set_aside_by,
                    statement.top_by,
                ]
            )
    elif exercise.kind == ExerciseKind.FORCE_FIELD:
        force_field = force_field_result(exercise)
        rows += [["Direction", "Force", "Strength", "Added by"]]
        for force in [*force_field.forces_for, *force_field.forces_against]:
            rows.append(
                [force.get_direction_display(), force.description, force.strength, force.added_by]
            )
        rows += [
            ["Total for", "", force_field.total_for],
            ["Total against", "", force_field.total_against],
            [],
            ["Strategy", "Force it addresses", "Added by"],
        ]
        for strategy in force_field.strategies:
            rows.append([strategy.description, strategy.addresses or "", strategy.added_by])
    else:
        rows += [["Quadrant", "Point", "Added by"]]
        for quadrant in swot_result(exercise):
            for item in quadrant.items:
                rows.append([quadrant.label, item.text, item.added_by])
    return csv_bytes(rows)


def self_evaluation_csv(evaluation: SelfEvaluation) -> bytes:
    """The group result of a self-evaluation: each item's ratings, mean and spread, with
    the evidence Joined Up holds (counts only) and what members wrote."""
    checklist = checklists()[evaluation.checklist]
    held = evidence_for(
        evaluation.partnership, {item.evidence for item in checklist.items if item.evidence}
    )
    rows: list[list[object]] = [
        ["Self-evaluation", checklist.name],
        ["Based on", checklist.source],
        ["Partnership", evaluation.partnership.name],
        ["Date held", evaluation.held_on.isoformat()],
        [],
        [
            "Item",
            "Source",
            "Members who rated",
            *(label for label in Rating.labels),
            "Mean rating",
            "Spread (standard deviation)",
            "Evidence in Joined Up",
            "Evidence members gave",
        ],
    ]
    for result in self_evaluation_result(evaluation):
        found = held.get(result.item.evidence)
        rows.append(
            [
                result.item.text,
                result.item.source,
                result.count,
                *result.rating_counts(),
                "" if result.mean is None else result.mean,
                "" if result.spread is None else result.spread,
                " ".join([found.summary, *found.details]) if found else "",
                " | ".join(result.evidence_given),
            ]
        )
    return csv_bytes(rows)
