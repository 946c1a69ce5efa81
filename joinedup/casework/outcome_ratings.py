"""Outcomes over time (issue 4 part 7): each child's position on the five Every Child
Matters outcomes at the assessment, at every review and at closure, rated by the lead
professional with the child's or family's own rating beside it — services and selectors.

The 1–5 scale is data (casework/data/outcome_scale.json). A rating round holds a score for
every one of the five outcomes; the family's score is optional (they may not give one).
Views ask sharing.policy first; the episode page records its own access."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone

from joinedup.casework.models import (
    Assessment,
    AssessmentStatus,
    Episode,
    EpisodeChild,
    Outcome,
    OutcomeRating,
    OutcomeRatingRound,
    RatingOccasion,
    Review,
    ReviewStatus,
)
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child

SCALE_FILE = Path(__file__).resolve().parent / "data" / "outcome_scale.json"

# Scores: outcome code → (the practitioner's score, the family's score or None).
Scores = Mapping[str, tuple[int, int | None]]


@dataclass(frozen=True)
class ScalePoint:
    score: int
    label: str
    descriptor: str


@cache
def _scale() -> tuple[ScalePoint, ...]:
    data = json.loads(SCALE_FILE.read_text(encoding="utf-8"))
    points = sorted(data["points"], key=lambda point: point["score"])
    return tuple(ScalePoint(p["score"], p["label"], p["descriptor"]) for p in points)


def outcome_scale() -> list[ScalePoint]:
    """The five points of the distance-travelled scale, lowest first."""
    return list(_scale())


def outcomes() -> list[Outcome]:
    return list(Outcome.objects.order_by("position", "pk"))


# Services ------------------------------------------------------------------------------


def _lowest_and_highest() -> tuple[int, int]:
    scores = [point.score for point in _scale()]
    return min(scores), max(scores)


def _clean_scores(scores: Scores, family_rater: str, every: Sequence[Outcome]) -> None:
    """A score for every outcome, each on the scale; who gave the family's rating when
    any family score is given. Raises ValidationError with every problem found."""
    lowest, highest = _lowest_and_highest()
    names = {outcome.code: outcome.name for outcome in every}
    problems: list[str] = []
    unknown = sorted(set(scores) - set(names))
    if unknown:
        problems.append(f"These are not outcomes: {', '.join(unknown)}")
    for outcome in every:
        if outcome.code not in scores:
            problems.append(f"Give the practitioner's score for {outcome.name}")
            continue
        practitioner_score, family_score = scores[outcome.code]
        if not isinstance(practitioner_score, int) or not lowest <= practitioner_score <= highest:
            problems.append(
                f"The practitioner's score for {outcome.name} must be from {lowest} to {highest}"
            )
        if family_score is not None and (
            not isinstance(family_score, int) or not lowest <= family_score <= highest
        ):
            problems.append(
                f"The family's score for {outcome.name} must be from {lowest} to {highest}, "
                "or not given"
            )
    if any(family is not None for _score, family in scores.values()) and not family_rater.strip():
        problems.append("Say who gave the family's rating")
    if problems:
        raise ValidationError(problems)


def occasion_problem(
    *, episode: Episode, child: Child, occasion: str, review: Review | None = None
) -> str:
    """Why ratings cannot be recorded for this child on this occasion, or "" if they
    can. Shared by the service and the ratings page, so both say the same thing."""
    if not episode.is_open:
        return "This episode is closed"
    if not EpisodeChild.objects.filter(episode=episode, child=child).exists():
        return "This child is not part of the episode"
    if occasion not in RatingOccasion.values:
        return "Choose when the ratings are being recorded"
    if occasion == RatingOccasion.REVIEW:
        if review is None or review.episode_id != episode.pk:
            return "Choose a review of this episode"
        if review.status != ReviewStatus.HELD:
            return "Ratings at a review are recorded once the review is held"
        if OutcomeRatingRound.objects.filter(review=review, child=child).exists():
            return f"Ratings for {child.full_name} at this review are already recorded"
        return ""
    if review is not None:
        return "Only ratings at a review belong to a review"
    if occasion == RatingOccasion.ASSESSMENT:
        submitted = Assessment.objects.filter(
            episode=episode, child=child, status=AssessmentStatus.SUBMITTED
        )
        if not submitted.exists():
            return (
                f"Ratings at assessment are recorded once {child.full_name}'s assessment is "
                "submitted"
            )
        earlier = OutcomeRatingRound.objects.filter(
            episode=episode, child=child, occasion=RatingOccasion.ASSESSMENT
        ).first()
        if earlier is not None:
            return (
                f"Ratings for {child.full_name} at assessment were recorded on "
                f"{earlier.rated_on:%d %B %Y}; later ratings belong to a review or to closure"
            )
    return ""


@transaction.atomic
def record_rating_round(
    *,
    practitioner: Practitioner,
    episode: Episode,
    child: Child,
    occasion: str,
    scores: Scores,
    review: Review | None = None,
    family_rater: str = "",
    notes: str = "",
    rated_on: date | None = None,
) -> OutcomeRatingRound:
    """Record one child's scores on all five outcomes at the assessment (once it is
    submitted; once per episode), at a held review (once per review) or at closure
    (casework.closure.close_episode calls this). The episode must be open."""
    Episode.objects.select_for_update().filter(pk=episode.pk).first()  # one round at a time
    problem = occasion_problem(episode=episode, child=child, occasion=occasion, review=review)
    if problem:
        raise ValidationError(problem, code="occasion")
    every = outcomes()
    _clean_scores(scores, family_rater, every)
    day = rated_on or (
        review.held_on if review is not None and review.held_on else timezone.localdate()
    )
    if day > timezone.localdate():
        raise ValidationError("The date of the ratings must be today or earlier")
    try:
        with transaction.atomic():
            rating_round = OutcomeRatingRound.objects.create(
                episode=episode,
                child=child,
                occasion=occasion,
                review=review,
                rated_on=day,
                recorded_by=practitioner,
                family_rater=family_rater.strip(),
                notes=notes.strip(),
            )
    except IntegrityError as clash:  # the same review rated a moment ago
        raise ValidationError(
            f"Ratings for {child.full_name} at this review were recorded a moment ago"
        ) from clash
    OutcomeRating.objects.bulk_create(
        OutcomeRating(
            round=rating_round,
            outcome=outcome,
            practitioner_score=scores[outcome.code][0],
            family_score=scores[outcome.code][1],
        )
        for outcome in every
    )
    return rating_round


# Selectors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RatingsPage:
    episode: Episode
    child: Child
    occasion: str
    review: Review | None
    problem: str
    reason: str

    @property
    def occasion_label(self) -> str:
        if self.occasion == RatingOccasion.REVIEW and self.review and self.review.held_on:
            return f"At the review held on {self.review.held_on:%d %B %Y}"
        return RatingOccasion(self.occasion).label if self.occasion in RatingOccasion.values else ""


def ratings_page(
    *,
    practitioner: Practitioner,
    episode_id: int,
    child_id: int,
    occasion: str,
    review_id: int | None,
    path: str,
    action: str = AccessAction.VIEWED,
) -> RatingsPage:
    """The page recording one child's ratings, if the policy allows; the read and its
    access record happen in one transaction."""
    with transaction.atomic():
        episode = get_object_or_404(Episode, pk=episode_id)
        decision = policy.can_record_outcome_ratings(practitioner, episode)
        if not decision:
            raise PermissionDenied("Only the lead professional records outcome ratings.")
        link = get_object_or_404(
            EpisodeChild.objects.select_related("child"), episode=episode, child_id=child_id
        )
        review = None
        if occasion == RatingOccasion.REVIEW:
            review = get_object_or_404(Review, pk=review_id, episode=episode)
        audit.record_access(
            practitioner=practitioner,
            children=[link.child],
            decision=decision,
            action=action,
            what="Outcome ratings",
            path=path,
        )
        problem = occasion_problem(
            episode=episode, child=link.child, occasion=occasion, review=review
        )
    return RatingsPage(episode, link.child, occasion, review, problem, decision.reason)


# Distance travelled: per child, every round in order and the change first → latest.


@dataclass(frozen=True)
class RoundColumn:
    rating_round: OutcomeRatingRound
    label: str

    @property
    def rated_on(self) -> date:
        return self.rating_round.rated_on


@dataclass(frozen=True)
class Change:
    """From the first score given to the latest."""

    first: int | None
    latest: int | None

    @property
    def difference(self) -> int | None:
        if self.first is None or self.latest is None:
            return None
        return self.latest - self.first

    @property
    def words(self) -> str:
        """For the table: "Up 2 (from 2 to 4)", "Down 1 (…)", "No change (3)"."""
        difference = self.difference
        if difference is None:
            return "Not enough ratings"
        if difference == 0:
            return f"No change ({self.first})"
        direction = "Up" if difference > 0 else "Down"
        return f"{direction} {abs(difference)} (from {self.first} to {self.latest})"

    @property
    def sentence(self) -> str:
        """For the chart's description: "went up 2, from 2 to 4", "stayed at 3"."""
        difference = self.difference
        if difference is None:
            return f"was {self.first} (one rating)" if self.first is not None else "was not given"
        if difference == 0:
            return f"stayed at {self.first}"
        direction = "up" if difference > 0 else "down"
        return f"went {direction} {abs(difference)}, from {self.first} to {self.latest}"


def _change(scores: Sequence[int | None]) -> Change:
    given = [score for score in scores if score is not None]
    if len(given) < 2:
        return Change(given[0] if given else None, None)
    return Change(given[0], given[-1])


@dataclass(frozen=True)
class OutcomeSeries:
    outcome: Outcome
    practitioner: list[int | None]
    family: list[int | None]

    @property
    def practitioner_change(self) -> Change:
        return _change(self.practitioner)

    @property
    def family_change(self) -> Change:
        return _change(self.family)

    @property
    def cells(self) -> list[tuple[int | None, int | None]]:
        return list(zip(self.practitioner, self.family, strict=True))


@dataclass(frozen=True)
class ChildDistance:
    child: Child
    rounds: list[RoundColumn]
    series: list[OutcomeSeries]
    chart: RatingChart

    @property
    def summary(self) -> str:
        """The chart's description in words, for people who cannot see it."""
        if not self.rounds:
            return "No ratings have been recorded yet."
        lowest, highest = _scale()[0], _scale()[-1]
        count = len(self.rounds)
        parts = [
            f"Scores from {lowest.score} ({lowest.label.lower()}) to {highest.score} "
            f"({highest.label.lower()}) at {count} rating round{'s' if count != 1 else ''}: "
            f"{', '.join(column.label.lower() for column in self.rounds)}."
        ]
        for row in self.series:
            parts.append(
                f"{row.outcome.name}: the practitioner's score {row.practitioner_change.sentence}; "
                f"the family's {row.family_change.sentence}."
            )
        return " ".join(parts)


def _round_labels(rounds: Sequence[OutcomeRatingRound]) -> list[str]:
    labels = []
    reviews = 0
    for rating_round in rounds:
        if rating_round.occasion == RatingOccasion.REVIEW:
            reviews += 1
            labels.append(f"Review {reviews}")
        elif rating_round.occasion == RatingOccasion.ASSESSMENT:
            labels.append("Assessment")
        else:
            labels.append("Closure")
    return labels


def distance_travelled(episode: Episode, children: Iterable[Child]) -> list[ChildDistance]:
    """Each child's rating rounds in the episode, in order (assessment → reviews →
    closure), with both raters' scores on each of the five outcomes. Three queries however
    many rounds or children there are. The caller records the access (the episode page)."""
    every = outcomes()
    rounds = list(
        OutcomeRatingRound.objects.filter(episode=episode)
        .select_related("recorded_by")
        .prefetch_related("ratings")
        .order_by("rated_on", "pk")
    )
    result = []
    for child in children:
        own = [rating_round for rating_round in rounds if rating_round.child_id == child.pk]
        columns = [
            RoundColumn(rating_round, label)
            for rating_round, label in zip(own, _round_labels(own), strict=True)
        ]
        by_round = [
            {rating.outcome_id: rating for rating in rating_round.ratings.all()}
            for rating_round in own
        ]
        series = []
        for outcome in every:
            ratings = [ratings.get(outcome.pk) for ratings in by_round]
            series.append(
                OutcomeSeries(
                    outcome=outcome,
                    practitioner=[r.practitioner_score if r else None for r in ratings],
                    family=[r.family_score if r else None for r in ratings],
                )
            )
        result.append(
            ChildDistance(
                child=child, rounds=columns, series=series, chart=rating_chart(columns, series)
            )
        )
    return result


@dataclass(frozen=True)
class EpisodeOutcomes:
    """The "Distance travelled" section of the episode page."""

    children: list[ChildDistance]
    may_record: bool
    # Children whose ratings at assessment can be recorded now (assessment submitted,
    # no ratings at assessment yet).
    assessment_due: set[int]


def episode_outcomes(
    practitioner: Practitioner, episode: Episode, children: Sequence[Child]
) -> EpisodeOutcomes:
    """The episode page's distance-travelled section (the page records its own access).
    A fixed number of queries however many rounds there are."""
    distance = distance_travelled(episode, children)
    may_record = bool(policy.can_record_outcome_ratings(practitioner, episode))
    assessment_due: set[int] = set()
    if may_record:
        submitted = set(
            Assessment.objects.filter(
                episode=episode, status=AssessmentStatus.SUBMITTED
            ).values_list("child_id", flat=True)
        )
        rated = {
            row.child.pk
            for row in distance
            if any(c.rating_round.occasion == RatingOccasion.ASSESSMENT for c in row.rounds)
        }
        assessment_due = submitted - rated
    return EpisodeOutcomes(distance, may_record, assessment_due)


# The chart: server-side SVG geometry (the template draws it; a table sits beside it). ----
#
# One panel per outcome (small multiples), x = rating rounds in order, y = score 1–5. The
# practitioner's scores are a solid line with filled circles, labelled on the left; the
# family's a dashed line with hollow squares, labelled on the right: shape, line style,
# position and text tell the two apart, not colour alone.

CHART_LEFT = 150  # room for "1 Serious concern" beside the y axis
CHART_RIGHT = 40
CHART_STEP = 100  # between rounds
CHART_MIN_WIDTH = 520  # room for the legend
LEGEND_HEIGHT = 56
PANEL_HEADING = 22
PANEL_TOP_GAP = 10  # room above a point at 5
ROW_HEIGHT = 18  # between two scores
PANEL_BOTTOM = 32  # room below a point at 1, then the round names
PANEL_HEIGHT = PANEL_HEADING + PANEL_TOP_GAP + 4 * ROW_HEIGHT + PANEL_BOTTOM


@dataclass(frozen=True)
class ChartPoint:
    x: int
    y: int
    score: int


@dataclass(frozen=True)
class GridLine:
    y: int
    label: str


@dataclass(frozen=True)
class AxisTick:
    x: int
    label: str


@dataclass(frozen=True)
class ChartPanel:
    outcome: Outcome
    heading_y: int
    top: int
    bottom: int
    grid: list[GridLine]
    ticks: list[AxisTick]
    tick_y: int
    practitioner_points: list[ChartPoint]
    family_points: list[ChartPoint]
    practitioner_path: str
    family_path: str


@dataclass(frozen=True)
class RatingChart:
    width: int
    height: int
    plot_left: int
    plot_right: int
    panels: list[ChartPanel]


def _y(top: int, score: int) -> int:
    return top + (5 - score) * ROW_HEIGHT


def _points(xs: Sequence[int], top: int, scores: Sequence[int | None]) -> list[ChartPoint | None]:
    return [
        ChartPoint(x, _y(top, score), score) if score is not None else None
        for x, score in zip(xs, scores, strict=True)
    ]


def _path(points: Sequence[ChartPoint | None]) -> str:
    """An SVG path joining neighbouring rounds that both have a score (a missing family
    score leaves a gap rather than a line through it)."""
    commands: list[str] = []
    previous: ChartPoint | None = None
    for point in points:
        if point is not None:
            verb = "L" if previous is not None else "M"
            commands.append(f"{verb}{point.x} {point.y}")
        previous = point
    return " ".join(commands)


def rating_chart(rounds: Sequence[RoundColumn], series: Sequence[OutcomeSeries]) -> RatingChart:
    """Where everything goes in the chart of one child's rounds; the template draws it."""
    count = len(rounds)
    plot_width = CHART_STEP * max(count - 1, 1)
    first = CHART_LEFT + 12  # room for the practitioner's score label left of the point
    if count > 1:
        xs = [first + CHART_STEP * index for index in range(count)]
    else:
        xs = [first + plot_width // 2] * count
    panels = []
    for index, row in enumerate(series):
        offset = LEGEND_HEIGHT + index * PANEL_HEIGHT
        top = offset + PANEL_HEADING + PANEL_TOP_GAP
        bottom = _y(top, 1)
        practitioner = _points(xs, top, row.practitioner)
        family = _points(xs, top, row.family)
        panels.append(
            ChartPanel(
                outcome=row.outcome,
                heading_y=offset + 16,
                top=top,
                bottom=bottom,
                grid=[GridLine(_y(top, p.score), f"{p.score} {p.label}") for p in _scale()],
                ticks=[AxisTick(x, column.label) for x, column in zip(xs, rounds, strict=True)],
                tick_y=bottom + PANEL_BOTTOM - 10,
                practitioner_points=[p for p in practitioner if p is not None],
                family_points=[p for p in family if p is not None],
                practitioner_path=_path(practitioner),
                family_path=_path(family),
            )
        )
    return RatingChart(
        width=max(first + plot_width + CHART_RIGHT, CHART_MIN_WIDTH),
        height=LEGEND_HEIGHT + len(panels) * PANEL_HEIGHT,
        plot_left=CHART_LEFT - 10,
        plot_right=first + plot_width + 24,
        panels=panels,
    )
