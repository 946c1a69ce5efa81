"""Group exercises a partnership runs on itself (issue 7): diamond ranking, force-field
analysis and SWOT. Each exercise is dated, so results can be compared over time."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from joinedup.partnerships.models import Partnership
from joinedup.toolkit.content import checklists

# The diamond: one statement in row 1 (most important), then two, three, two and one.
DIAMOND_ROWS: dict[int, int] = {1: 1, 2: 2, 3: 3, 4: 2, 5: 1}
DIAMOND_KEPT = sum(DIAMOND_ROWS.values())  # 9
DIAMOND_STATEMENTS = 12  # so that each member sets aside three


class ExerciseKind(models.TextChoices):
    DIAMOND_RANKING = "diamond_ranking", "Diamond ranking"
    FORCE_FIELD = "force_field", "Force-field analysis"
    SWOT = "swot", "SWOT analysis"


class ExerciseStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class Exercise(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="exercises")
    kind = models.CharField(max_length=32, choices=ExerciseKind.choices)
    title = models.CharField(max_length=200)
    question = models.TextField(
        "Question or change being considered",
        blank=True,
        help_text="For a force-field analysis, the change the partnership is considering.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    held_on = models.DateField("Date held")
    status = models.CharField(
        max_length=8, choices=ExerciseStatus.choices, default=ExerciseStatus.OPEN
    )

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_kind_display()}, {self.held_on:%d %b %Y})"

    @property
    def is_open(self) -> bool:
        return self.status == ExerciseStatus.OPEN


class DiamondStatement(models.Model):
    """A statement copied from the toolkit's content into one exercise, where the
    partnership may reword it without changing other exercises."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="statements")
    text = models.CharField(max_length=300)
    source = models.CharField(max_length=200)
    order = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["order", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "order"], name="one_statement_per_place_in_exercise"
            )
        ]

    def __str__(self) -> str:
        return self.text


class DiamondRanking(models.Model):
    """One member's diamond for one exercise; submitting again replaces it."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="rankings")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["exercise", "practitioner"], name="one_diamond_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner}'s diamond for {self.exercise}"


class DiamondPlacement(models.Model):
    """Where one member put one statement: a row of the diamond (1 at the top to 5 at the
    bottom), or no row when they set it aside."""

    ranking = models.ForeignKey(DiamondRanking, on_delete=models.CASCADE, related_name="placements")
    statement = models.ForeignKey(DiamondStatement, on_delete=models.CASCADE, related_name="+")
    row = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="Empty when the statement was set aside.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["ranking", "statement"], name="one_placement_per_statement"
            ),
            models.CheckConstraint(
                condition=Q(row__isnull=True) | Q(row__gte=1, row__lte=5),
                name="diamond_row_between_1_and_5",
            ),
        ]

    def __str__(self) -> str:
        return f"Statement {self.statement_id}: {'set aside' if self.row is None else f'row {self.row}'}"


class ForceDirection(models.TextChoices):
    FOR = "for", "For the change"
    AGAINST = "against", "Against the change"


class ForceFieldForce(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="forces")
    direction = models.CharField(max_length=8, choices=ForceDirection.choices)
    description = models.CharField(max_length=300)
    strength = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(strength__gte=1, strength__lte=5), name="force_strength_1_to_5"
            )
        ]

    def __str__(self) -> str:
        return self.description


class ForceFieldStrategy(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="strategies")
    description = models.CharField(max_length=300)
    addresses = models.ForeignKey(
        ForceFieldForce,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="strategies",
        verbose_name="Force it addresses",
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]
        verbose_name_plural = "force-field strategies"

    def __str__(self) -> str:
        return self.description


class SwotQuadrant(models.TextChoices):
    STRENGTHS = "strengths", "Strengths"
    WEAKNESSES = "weaknesses", "Weaknesses"
    OPPORTUNITIES = "opportunities", "Opportunities"
    THREATS = "threats", "Threats"


class SwotItem(models.Model):
    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="swot_items")
    quadrant = models.CharField(max_length=16, choices=SwotQuadrant.choices)
    text = models.CharField(max_length=300)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["added_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_quadrant_display()}: {self.text}"


# Meetings (issue 7, part 8) ------------------------------------------------------------


class TermDate(models.Model):
    """One school term as a coordinator enters it. The days outside every term entered
    are school holidays, when the partnership does not meet."""

    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="terms")
    name = models.CharField("Term", max_length=100)
    starts_on = models.DateField("First day of term")
    ends_on = models.DateField("Last day of term")
    half_term_starts_on = models.DateField(
        "First day of the half-term holiday", null=True, blank=True
    )
    half_term_ends_on = models.DateField("Last day of the half-term holiday", null=True, blank=True)

    class Meta:
        ordering = ["starts_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=models.F("starts_on")), name="term_ends_after_it_starts"
            ),
            models.CheckConstraint(
                condition=(
                    Q(half_term_starts_on__isnull=True, half_term_ends_on__isnull=True)
                    | Q(
                        half_term_starts_on__gt=models.F("starts_on"),
                        half_term_ends_on__gte=models.F("half_term_starts_on"),
                        half_term_ends_on__lt=models.F("ends_on"),
                    )
                ),
                name="half_term_inside_term",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.starts_on:%d %b %Y} to {self.ends_on:%d %b %Y})"


class MeetingStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class PartnershipMeeting(models.Model):
    partnership = models.ForeignKey(Partnership, on_delete=models.CASCADE, related_name="meetings")
    held_on = models.DateField("Date")
    starts_at = models.TimeField("Start time", null=True, blank=True)
    location = models.CharField(max_length=200, blank=True)
    agenda = models.TextField(blank=True)
    minutes = models.TextField(blank=True)
    status = models.CharField(
        max_length=9, choices=MeetingStatus.choices, default=MeetingStatus.PLANNED
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["held_on", "starts_at", "pk"]

    def __str__(self) -> str:
        return f"Partnership meeting, {self.held_on:%d %b %Y}"


class MeetingAction(models.Model):
    meeting = models.ForeignKey(
        PartnershipMeeting, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.CharField(max_length=300)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField("Due by", null=True, blank=True)
    done_on = models.DateField("Done on", null=True, blank=True)

    class Meta:
        ordering = ["done_on", "due_on", "pk"]

    def __str__(self) -> str:
        return self.description


# Self-evaluation (issue 7, part 3) -----------------------------------------------------


class Rating(models.IntegerChoices):
    NOT_IN_PLACE = 1, "1 – Not in place"
    STARTING = 2, "2 – Starting to happen"
    MOSTLY = 3, "3 – Mostly in place"
    FULLY = 4, "4 – Fully in place"


class SelfEvaluation(models.Model):
    """One dated run of a checklist (toolkit/content/checklists/) by the partnership."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="self_evaluations"
    )
    checklist = models.CharField(max_length=64)
    held_on = models.DateField("Date held")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-pk"]

    def __str__(self) -> str:
        return f"Self-evaluation {self.checklist} ({self.held_on:%d %b %Y})"

    @property
    def name(self) -> str:
        """The checklist's name from the content files."""
        found = checklists().get(self.checklist)
        return found.name if found else self.checklist


class SelfEvaluationAnswer(models.Model):
    """One member's rating of one checklist item; answering again replaces it."""

    evaluation = models.ForeignKey(SelfEvaluation, on_delete=models.CASCADE, related_name="answers")
    item_key = models.CharField(max_length=64)
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    rating = models.PositiveSmallIntegerField(choices=Rating.choices)
    evidence = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["evaluation", "item_key", "member"], name="one_answer_per_item_and_member"
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=1, rating__lte=4), name="self_evaluation_rating_1_to_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item_key}: {self.rating}"
