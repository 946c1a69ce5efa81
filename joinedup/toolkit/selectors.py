"""Reads of a partnership's group exercises and their group results."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from joinedup.partnerships.models import Membership, Partnership
from joinedup.toolkit.content import ChecklistItem, checklists
from joinedup.toolkit.models import (
    DIAMOND_ROWS,
    DiamondPlacement,
    DiamondRanking,
    DiamondStatement,
    Exercise,
    ExerciseStatus,
    ForceDirection,
    ForceFieldForce,
    ForceFieldStrategy,
    MeetingAction,
    PartnershipMeeting,
    Rating,
    SelfEvaluation,
    SwotItem,
    SwotQuadrant,
    TermDate,
)

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner

# A statement set aside counts as one row below the bottom of the diamond.
SET_ASIDE_POSITION = max(DIAMOND_ROWS) + 1


def partnerships_with_toolkits(practitioner: Practitioner) -> QuerySet[Partnership]:
    """The partnerships the practitioner is a current member of, with how many exercises
    each has open."""
    memberships = Membership.objects.current().filter(practitioner=practitioner)
    return (
        Partnership.objects.filter(pk__in=memberships.values("partnership"))
        .annotate(
            open_exercise_count=Count("exercises", filter=Q(exercises__status=ExerciseStatus.OPEN))
        )
        .order_by("name")
    )


def exercises_for_partnership(partnership: Partnership) -> QuerySet[Exercise]:
    """The partnership's exercises, newest first, with how many people and items each has."""
    return (
        Exercise.objects.filter(partnership=partnership)
        .select_related("created_by")
        .annotate(
            ranking_count=Count("rankings", distinct=True),
            force_count=Count("forces", distinct=True),
            swot_count=Count("swot_items", distinct=True),
        )
        .order_by("-held_on", "-pk")
    )


def exercise_for_page(exercise_id: int) -> QuerySet[Exercise]:
    return Exercise.objects.filter(pk=exercise_id).select_related("partnership", "created_by")


def statements_of(exercise: Exercise) -> list[DiamondStatement]:
    return list(exercise.statements.all())


def placements_by(exercise: Exercise, practitioner: Practitioner) -> dict[int, int | None]:
    """A member's current diamond: statement id → row (None when set aside); empty when
    they have not ranked yet."""
    return dict(
        DiamondPlacement.objects.filter(
            ranking__exercise=exercise, ranking__practitioner=practitioner
        ).values_list("statement_id", "row")
    )


# Diamond ranking: the group result --------------------------------------------------------


def tied_ranks(positions: Mapping[int, float]) -> dict[int, float]:
    """Ranks 1..n of the items by position, sharing the mean rank between ties (the
    statements one member put in the same row of the diamond)."""
    ordered = sorted(positions, key=lambda item: positions[item])
    ranks: dict[int, float] = {}
    start = 0
    while start < len(ordered):
        end = start
        while end + 1 < len(ordered) and positions[ordered[end + 1]] == positions[ordered[start]]:
            end += 1
        shared = (start + end) / 2 + 1
        for item in ordered[start : end + 1]:
            ranks[item] = shared
        start = end + 1
    return ranks


def kendalls_w(judgements: Sequence[Mapping[int, float]]) -> float | None:
    """Kendall's coefficient of concordance, W, corrected for ties: 0 when members rank the
    statements in unrelated orders, 1 when they all give the same order.

    Each judgement maps every statement to a position (a row of the diamond; set aside
    counts as a row below the bottom). Positions become ranks 1..n with ties sharing a
    mean rank; R_i is the sum of statement i's ranks over the m members and S the sum of
    squared deviations of R_i from their mean, m(n+1)/2. Then
        W = 12 S / (m²(n³ − n) − m Σ T),  T = Σ (t³ − t) over each member's groups of t ties.
    Undefined (None) with fewer than two members or two statements.
    """
    m = len(judgements)
    if m < 2:
        return None
    items = sorted(judgements[0])
    n = len(items)
    if n < 2:
        return None
    rank_sums = dict.fromkeys(items, 0.0)
    ties = 0
    for judgement in judgements:
        ranks = tied_ranks(judgement)
        for item in items:
            rank_sums[item] += ranks[item]
        group_sizes: dict[float, int] = defaultdict(int)
        for position in judgement.values():
            group_sizes[position] += 1
        ties += sum(t**3 - t for t in group_sizes.values())
    mean = m * (n + 1) / 2
    s = sum((total - mean) ** 2 for total in rank_sums.values())
    denominator = m**2 * (n**3 - n) - m * ties
    if denominator <= 0:
        return None
    return max(0.0, min(1.0, 12 * s / denominator))


def agreement_label(w: float | None) -> str:
    """Plain words for W. The bands are a rule of thumb for reading the number, not a test
    of significance."""
    if w is None:
        return "Not enough diamonds yet: agreement shows once two members have ranked."
    if w < 0.3:
        return "Little agreement"
    if w < 0.6:
        return "Some agreement"
    return "Strong agreement"


@dataclass(frozen=True)
class StatementResult:
    statement_id: int
    order: int
    text: str
    source: str
    mean_position: float | None
    spread: float | None
    kept_by: int
    set_aside_by: int
    top_by: int
    group_row: int | None  # None: set aside by the group


@dataclass(frozen=True)
class DiamondResult:
    member_count: int
    statements: list[StatementResult]  # in group order, most important first
    kendalls_w: float | None
    agreement: str

    def row(self, number: int) -> list[StatementResult]:
        return [s for s in self.statements if s.group_row == number]

    @property
    def rows(self) -> list[tuple[int, list[StatementResult]]]:
        return [(number, self.row(number)) for number in DIAMOND_ROWS]

    @property
    def set_aside(self) -> list[StatementResult]:
        return [s for s in self.statements if s.group_row is None]

    @property
    def agreement_percent(self) -> int | None:
        return None if self.kendalls_w is None else round(self.kendalls_w * 100)


def diamond_result(exercise: Exercise) -> DiamondResult:
    """Every member's diamond combined, in two queries however many members have ranked.

    Each statement's position is its mean row over the members (set aside counts as row
    6); the group ranking orders statements by that mean, then by how closely members
    agree on it (the spread: standard deviation of the rows), then by their order in the
    exercise, and fills the group's own 1-2-3-2-1 diamond from the top; the rest are set
    aside by the group. Agreement overall is Kendall's W (see kendalls_w)."""
    statements = list(exercise.statements.all())
    by_member: dict[int, dict[int, float]] = defaultdict(dict)
    for ranking_id, statement_id, row in DiamondPlacement.objects.filter(
        ranking__exercise=exercise
    ).values_list("ranking_id", "statement_id", "row"):
        by_member[ranking_id][statement_id] = row if row is not None else SET_ASIDE_POSITION
    statement_ids = {s.pk for s in statements}
    judgements = [j for j in by_member.values() if set(j) == statement_ids]
    member_count = len(judgements)

    summaries = []
    for statement in statements:
        positions = [j[statement.pk] for j in judgements]
        mean = sum(positions) / len(positions) if positions else None
        spread = (
            math.sqrt(sum((p - mean) ** 2 for p in positions) / len(positions))
            if positions and mean is not None
            else None
        )
        summaries.append((statement, positions, mean, spread))
    summaries.sort(
        key=lambda entry: (
            entry[2] if entry[2] is not None else SET_ASIDE_POSITION,
            entry[3] or 0.0,
            entry[0].order,
        )
    )
    group_rows = [row for row, count in DIAMOND_ROWS.items() for _ in range(count)]
    results = []
    for index, (statement, positions, mean, spread) in enumerate(summaries):
        results.append(
            StatementResult(
                statement_id=statement.pk,
                order=statement.order,
                text=statement.text,
                source=statement.source,
                mean_position=None if mean is None else round(mean, 2),
                spread=None if spread is None else round(spread, 2),
                kept_by=sum(1 for p in positions if p != SET_ASIDE_POSITION),
                set_aside_by=sum(1 for p in positions if p == SET_ASIDE_POSITION),
                top_by=sum(1 for p in positions if p == 1),
                group_row=group_rows[index] if member_count and index < len(group_rows) else None,
            )
        )
    w = kendalls_w(judgements)
    return DiamondResult(
        member_count=member_count, statements=results, kendalls_w=w, agreement=agreement_label(w)
    )


def ranking_members(exercise: Exercise) -> list[DiamondRanking]:
    return list(exercise.rankings.select_related("practitioner").order_by("submitted_at"))


# Force-field analysis --------------------------------------------------------------------


@dataclass(frozen=True)
class ForceFieldResult:
    forces_for: list[ForceFieldForce]
    forces_against: list[ForceFieldForce]
    strategies: list[ForceFieldStrategy]

    @property
    def total_for(self) -> int:
        return sum(force.strength for force in self.forces_for)

    @property
    def total_against(self) -> int:
        return sum(force.strength for force in self.forces_against)

    @property
    def balance(self) -> int:
        """Positive when the forces for the change outweigh those against."""
        return self.total_for - self.total_against

    @property
    def balance_words(self) -> str:
        if not (self.forces_for or self.forces_against):
            return "No forces have been added yet."
        if self.balance > 0:
            return f"The forces for the change are stronger, by {self.balance}."
        if self.balance < 0:
            return f"The forces against the change are stronger, by {-self.balance}."
        return "The forces for and against the change are evenly balanced."


def force_field_result(exercise: Exercise) -> ForceFieldResult:
    """Forces strongest first on each side, with totals; strategies in the order added."""
    forces = list(
        ForceFieldForce.objects.filter(exercise=exercise)
        .select_related("added_by")
        .order_by("-strength", "added_at", "pk")
    )
    strategies = list(
        ForceFieldStrategy.objects.filter(exercise=exercise).select_related("added_by", "addresses")
    )
    return ForceFieldResult(
        forces_for=[f for f in forces if f.direction == ForceDirection.FOR],
        forces_against=[f for f in forces if f.direction == ForceDirection.AGAINST],
        strategies=strategies,
    )


# SWOT ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SwotQuadrantResult:
    quadrant: str
    label: str
    items: list[SwotItem]


def swot_result(exercise: Exercise) -> list[SwotQuadrantResult]:
    """The four quadrants in the usual order, each with its items in the order added."""
    grouped: dict[str, list[SwotItem]] = defaultdict(list)
    for item in SwotItem.objects.filter(exercise=exercise).select_related("added_by"):
        grouped[item.quadrant].append(item)
    return [
        SwotQuadrantResult(quadrant=value, label=label, items=grouped[value])
        for value, label in SwotQuadrant.choices
    ]


# Meetings ------------------------------------------------------------------------------


def meetings_for_partnership(partnership: Partnership) -> QuerySet[PartnershipMeeting]:
    """The partnership's meetings in date order, with how many actions each has open."""
    return (
        PartnershipMeeting.objects.filter(partnership=partnership)
        .annotate(open_action_count=Count("actions", filter=Q(actions__done_on__isnull=True)))
        .order_by("held_on", "starts_at", "pk")
    )


def meeting_for_page(meeting_id: int) -> QuerySet[PartnershipMeeting]:
    return PartnershipMeeting.objects.select_related("partnership", "created_by").filter(
        pk=meeting_id
    )


def actions_of(meeting: PartnershipMeeting) -> list[MeetingAction]:
    return list(meeting.actions.select_related("owner"))


def term_dates_of(partnership: Partnership) -> list[TermDate]:
    return list(TermDate.objects.filter(partnership=partnership).order_by("starts_on", "pk"))


# Self-evaluation -----------------------------------------------------------------------


def self_evaluations_for_partnership(partnership: Partnership) -> QuerySet[SelfEvaluation]:
    return SelfEvaluation.objects.filter(partnership=partnership).annotate(
        member_count=Count("answers__member", distinct=True)
    )


def self_evaluation_for_page(self_evaluation_id: int) -> QuerySet[SelfEvaluation]:
    return SelfEvaluation.objects.select_related("partnership").filter(pk=self_evaluation_id)


def answers_by(evaluation: SelfEvaluation, member: Practitioner) -> dict[str, tuple[int, str]]:
    return {
        answer.item_key: (answer.rating, answer.evidence)
        for answer in evaluation.answers.filter(member=member)
    }


@dataclass(frozen=True)
class ItemResult:
    item: ChecklistItem
    ratings: tuple[int, ...]
    evidence_given: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.ratings)

    @property
    def mean(self) -> float | None:
        return round(sum(self.ratings) / len(self.ratings), 2) if self.ratings else None

    @property
    def spread(self) -> float | None:
        """The standard deviation of the ratings: 0 when every member gave the same."""
        if not self.ratings:
            return None
        mean = sum(self.ratings) / len(self.ratings)
        return round(math.sqrt(sum((r - mean) ** 2 for r in self.ratings) / len(self.ratings)), 2)

    def rating_counts(self) -> list[int]:
        return [self.ratings.count(value) for value in Rating.values]


def self_evaluation_result(evaluation: SelfEvaluation) -> list[ItemResult]:
    """Each item's ratings across the members who answered, in the checklist's order."""
    ratings: dict[str, list[int]] = defaultdict(list)
    evidence: dict[str, list[str]] = defaultdict(list)
    for key, rating, given in evaluation.answers.values_list("item_key", "rating", "evidence"):
        ratings[key].append(rating)
        if given:
            evidence[key].append(given)
    return [
        ItemResult(item, tuple(ratings[item.key]), tuple(evidence[item.key]))
        for item in checklists()[evaluation.checklist].items
    ]
