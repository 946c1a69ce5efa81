"""Integrated casework (issue 4), first slice: early-help episodes, the check before
assessing, consent, the team around the child and the lead professional.

Access to an episode and its children through the team is decided in sharing.policy."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from joinedup.children.models import Child


def recent_cutoff(on: date | None = None) -> date:
    """Episodes closed on or after this date still count as recent (duplicate guard)."""
    day = on or timezone.localdate()
    return day - timedelta(days=getattr(settings, "EPISODE_RECENT_DAYS", 90))


class EpisodeStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class ClosureReason(models.TextChoices):
    OUTCOMES_ACHIEVED = "outcomes_achieved", "Outcomes achieved"
    UNIVERSAL_SERVICES = "universal_services", "Needs met by universal services"
    STEPPED_UP = "stepped_up", "Stepped up to children's social care"
    MOVED_AWAY = "moved_away", "Moved away"
    FAMILY_WITHDREW = "family_withdrew", "Family withdrew"
    OTHER = "other", "Other"


class Episode(models.Model):
    """One early-help episode for a child, or for brothers and sisters together (a team
    around the family)."""

    children: models.ManyToManyField[Child, EpisodeChild] = models.ManyToManyField(
        "children.Child", through="EpisodeChild", related_name="episodes"
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="episodes_opened"
    )
    opened_on = models.DateField(default=timezone.localdate)
    status = models.CharField(max_length=16, choices=EpisodeStatus.choices, default="open")
    closed_on = models.DateField(null=True, blank=True)
    # Closure (casework.closure): why, what the family said, and who closed it. Reopening
    # clears these; the history is kept in EpisodeReopening.
    closure_reason = models.CharField(
        max_length=32, choices=ClosureReason.choices, blank=True, default=""
    )
    closure_notes = models.TextField(blank=True)
    family_feedback = models.TextField("The family's feedback", blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="episodes_closed",
    )
    # The current lead professional (history in LeadProfessionalChoice).
    lead_professional = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="episodes_led",
    )

    class Meta:
        ordering = ["-opened_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open", closed_on__isnull=True)
                | Q(status="closed", closed_on__isnull=False),
                name="episode_closed_on_matches_status",
            )
        ]

    def __str__(self) -> str:
        return f"Early help episode {self.pk} opened {self.opened_on:%d %b %Y}"

    @property
    def is_open(self) -> bool:
        return self.status == EpisodeStatus.OPEN


class EpisodeChild(models.Model):
    """A child in an episode. ``is_open`` mirrors the episode's status so the database can
    hold a child to at most one open episode."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="episode_children")
    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="episode_links"
    )
    is_open = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["episode", "child"], name="episode_child_once"),
            models.UniqueConstraint(
                fields=["child"], condition=Q(is_open=True), name="one_open_episode_per_child"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.child} in episode {self.episode_id}"


class PreAssessmentCheck(models.Model):
    """Before assessing: does the child need more support than universal services give?"""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="checks")
    needs_more_than_universal = models.BooleanField()
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    recorded_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["-recorded_on", "-pk"]

    def __str__(self) -> str:
        return f"Pre-assessment check for episode {self.episode_id}"


class ConsentScope(models.TextChoices):
    """What an episode's consent covers, as the episode's consent form asks it. Recorded as
    a sharing.Consent (casework.services.record_consent maps it to purposes and scope)."""

    ASSESSMENT = "assessment", "To the assessment only"
    ASSESSMENT_AND_SHARING = (
        "assessment_and_sharing",
        "To the assessment and to sharing it with the team's agencies",
    )


def current_team_member_q(on: date | None = None, prefix: str = "") -> Q:
    """A team member is current from joined_on until (not including) left_on, as
    involvements are: leaving today ends the access it gave at once."""
    day = on or timezone.localdate()
    return Q(**{f"{prefix}joined_on__lte": day}) & (
        Q(**{f"{prefix}left_on__isnull": True}) | Q(**{f"{prefix}left_on__gt": day})
    )


class TeamMemberQuerySet(models.QuerySet["TeamMember"]):
    def current(self, on: date | None = None) -> TeamMemberQuerySet:
        return self.filter(current_team_member_q(on))


class TeamMember(models.Model):
    """A member of the team around the child: a practitioner, or a family member taking
    part (not a user)."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="team")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="team_memberships",
    )
    participant_name = models.CharField(max_length=200, blank=True)
    participant_relationship = models.CharField(max_length=100, blank=True)
    role = models.CharField(max_length=200, help_text="For example: school SENCo, family support.")
    agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    joined_on = models.DateField(default=timezone.localdate)
    left_on = models.DateField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = TeamMemberQuerySet.as_manager()

    class Meta:
        ordering = ["joined_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(practitioner__isnull=False, participant_name="")
                | Q(practitioner__isnull=True) & ~Q(participant_name=""),
                name="team_member_practitioner_or_participant",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")),
                name="team_member_left_after_joined",
            ),
        ]
        indexes = [models.Index(fields=["practitioner", "episode"], name="team_member_lookup_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return str(self.practitioner) if self.practitioner_id else self.participant_name

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.joined_on <= today and (self.left_on is None or self.left_on > today)


class LeadProfessionalChoice(models.Model):
    """The lead professional chosen at a team meeting, with the family's agreement."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="lead_choices")
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    chosen_on = models.DateField(default=timezone.localdate)
    family_agreement_recorded = models.BooleanField()
    family_agreed_by = models.CharField(max_length=200)
    notes = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-chosen_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(family_agreement_recorded=True), name="lead_needs_family_agreement"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} chosen {self.chosen_on:%d %b %Y}"


# The action plan (issue 4 parts 5 and 11) ----------------------------------------------
#
# Needs → desired outcomes (each tied to at least one of the five Every Child Matters
# outcomes) → actions with a responsible person, a due date and a status. Services and
# selectors live in casework.plan; access is decided in sharing.policy.


class Outcome(models.Model):
    """One of the five Every Child Matters outcomes, with its aims. Data, not code: loaded
    by migration 0002_action_plan from casework/data/outcomes.json."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100, unique=True)
    aims = models.JSONField(default=list, help_text="The outcome's aims, in the product's words.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class PlanNeed(models.Model):
    """A need the plan addresses. ``revision`` guards against lost edits."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="plan_needs")
    description = models.TextField()
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description[:60]


class DesiredOutcome(models.Model):
    """What the plan means to achieve for a need, tagged with Every Child Matters outcomes."""

    need = models.ForeignKey(PlanNeed, on_delete=models.CASCADE, related_name="desired_outcomes")
    description = models.TextField()
    outcomes = models.ManyToManyField(Outcome, related_name="desired_outcomes")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_on = models.DateField(default=timezone.localdate)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.description[:60]


class ActionStatus(models.TextChoices):
    NOT_STARTED = "not_started", "Not started"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    CANCELLED = "cancelled", "Cancelled"


FINISHED_ACTION_STATUSES = (ActionStatus.DONE, ActionStatus.CANCELLED)


def overdue_action_q(on: date | None = None, prefix: str = "") -> Q:
    """Due before today and neither done nor cancelled."""
    day = on or timezone.localdate()
    return Q(**{f"{prefix}due_on__lt": day}) & ~Q(
        **{f"{prefix}status__in": FINISHED_ACTION_STATUSES}
    )


class Action(models.Model):
    """Something someone will do towards a desired outcome. The responsible person is a
    practitioner on the team, or (practitioner empty) a family member or an agency named in
    ``responsible_name``. ``revision`` guards against lost edits."""

    desired_outcome = models.ForeignKey(
        DesiredOutcome, on_delete=models.CASCADE, related_name="actions"
    )
    description = models.TextField()
    responsible_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_actions",
    )
    responsible_name = models.CharField(
        max_length=200, blank=True, help_text="A family member or agency, when not a practitioner."
    )
    responsible_agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    due_on = models.DateField()
    status = models.CharField(
        max_length=16, choices=ActionStatus.choices, default=ActionStatus.NOT_STARTED
    )
    completed_on = models.DateField(null=True, blank=True)
    revision = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(responsible_practitioner__isnull=False)
                | ~Q(responsible_name="")
                | Q(responsible_agency__isnull=False),
                name="action_has_someone_responsible",
            ),
            models.CheckConstraint(
                condition=Q(status="done", completed_on__isnull=False)
                | (~Q(status="done") & Q(completed_on__isnull=True)),
                name="action_completed_on_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["responsible_practitioner", "due_on"], name="action_mine_idx")
        ]

    def __str__(self) -> str:
        return self.description[:60]

    @property
    def is_overdue(self) -> bool:
        return self.due_on < timezone.localdate() and self.status not in FINISHED_ACTION_STATUSES

    @property
    def responsible(self) -> str:
        if self.responsible_practitioner_id is not None:
            return str(self.responsible_practitioner)
        return self.responsible_name or (
            self.responsible_agency.name if self.responsible_agency else ""
        )


# The assessment (issue 4, part 3) -----------------------------------------------------
#
# The domains and their elements are data (loaded from data/assessment_elements.json by
# migration 0002_assessment and editable in the admin), not code.


class AssessmentDomain(models.Model):
    code = models.SlugField(max_length=50, unique=True)
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["number", "pk"]

    def __str__(self) -> str:
        return self.title


class AssessmentElement(models.Model):
    domain = models.ForeignKey(AssessmentDomain, on_delete=models.PROTECT, related_name="elements")
    code = models.SlugField(max_length=50, unique=True)
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)
    hint = models.TextField(blank=True)
    is_active = models.BooleanField(
        default=True, help_text="Inactive elements are left out of new assessments."
    )

    class Meta:
        ordering = ["domain__number", "position", "pk"]

    def __str__(self) -> str:
        return self.title


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


class Rating(models.TextChoices):
    STRENGTH = "strength", "Strength"
    NEED = "need", "Need"
    NOT_ASSESSED = "not_assessed", "Not assessed"


class Assessment(models.Model):
    """One version of the early help assessment of a child in an episode. A submitted
    version is locked; a revision is a new draft version copying it (``previous_version``).
    ``revision`` counts saves of this version, for optimistic locking."""

    episode = models.ForeignKey(Episode, on_delete=models.PROTECT, related_name="assessments")
    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="early_help_assessments"
    )
    version = models.PositiveIntegerField(default=1)
    status = models.CharField(
        max_length=16, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    assessing_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assessments_made"
    )
    agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.TextField("Why the assessment is being done", blank=True)
    child_views = models.TextField("The child's or young person's views", blank=True)
    parent_carer_views = models.TextField("The parent's or carer's views", blank=True)
    summary_strengths = models.TextField("Summary of strengths", blank=True)
    summary_needs = models.TextField("Summary of needs", blank=True)
    family_wants_to_change = models.TextField("What the family wants to change", blank=True)
    previous_version = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="next_version"
    )
    revision = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    TEXT_FIELDS = (
        "reason",
        "child_views",
        "parent_carer_views",
        "summary_strengths",
        "summary_needs",
        "family_wants_to_change",
    )

    class Meta:
        ordering = ["episode", "child", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "child", "version"], name="assessment_version_once"
            ),
            models.UniqueConstraint(
                fields=["episode", "child"],
                condition=Q(status="draft"),
                name="assessment_one_draft",
            ),
            models.CheckConstraint(
                condition=Q(status="draft", submitted_at__isnull=True)
                | Q(status="submitted", submitted_at__isnull=False),
                name="assessment_submitted_at_matches_status",
            ),
        ]

    def __str__(self) -> str:
        return f"Early help assessment, version {self.version}"

    @property
    def is_draft(self) -> bool:
        return self.status == AssessmentStatus.DRAFT


class AssessmentAnswer(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="answers")
    element = models.ForeignKey(AssessmentElement, on_delete=models.PROTECT, related_name="answers")
    rating = models.CharField(max_length=16, choices=Rating.choices, default=Rating.NOT_ASSESSED)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["element__domain__number", "element__position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "element"], name="answer_once")
        ]

    def __str__(self) -> str:
        return f"{self.element}: {self.get_rating_display()}"


# Handing over the lead role (issue 4, part 4) --------------------------------------------
#
# The lead professional offers the role to a current practitioner on the team; the offered
# practitioner accepts or declines, or the lead withdraws the offer. The family's agreement
# to the new lead is recorded with the offer and carried over to the LeadProfessionalChoice
# written on acceptance. Services in casework.handover; access in sharing.policy.


class HandoverStatus(models.TextChoices):
    OFFERED = "offered", "Offered"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn"


class LeadHandoverOffer(models.Model):
    """An offer of the lead professional role, from the lead to a team member."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="lead_offers")
    from_lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lead_offers_made"
    )
    to_practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="lead_offers_received"
    )
    offered_at = models.DateTimeField(default=timezone.now)
    message = models.TextField(blank=True)
    family_agreed_by = models.CharField(
        max_length=200, help_text="Who in the family agreed to the new lead professional."
    )
    status = models.CharField(
        max_length=16, choices=HandoverStatus.choices, default=HandoverStatus.OFFERED
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-offered_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(status="offered"),
                name="lead_offer_one_pending_per_episode",
            ),
            models.CheckConstraint(
                condition=Q(status="offered", decided_at__isnull=True)
                | (~Q(status="offered") & Q(decided_at__isnull=False)),
                name="lead_offer_decided_at_matches_status",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="lead_offer_decline_has_reason",
            ),
            models.CheckConstraint(condition=~Q(family_agreed_by=""), name="lead_offer_family"),
        ]
        indexes = [
            models.Index(fields=["to_practitioner", "status"], name="lead_offer_to_idx"),
        ]

    def __str__(self) -> str:
        return f"Lead role offered to {self.to_practitioner} ({self.get_status_display()})"

    @property
    def is_pending(self) -> bool:
        return self.status == HandoverStatus.OFFERED


# Reviews: team around the child meetings (issue 4 part 6) ------------------------------
#
# Scheduled by policy (casework.reviews.next_review_due_on), with invitations by email and
# a calendar file; attendance, minutes, progress on each action (red/amber/green) and the
# next review date are recorded when the review is held. Services in casework.reviews.


class ReviewStatus(models.TextChoices):
    SCHEDULED = "scheduled", "Scheduled"
    HELD = "held", "Held"
    CANCELLED = "cancelled", "Cancelled"


class Review(models.Model):
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="reviews")
    due_on = models.DateField(help_text="When policy says the review is due.")
    scheduled_for = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    status = models.CharField(
        max_length=16, choices=ReviewStatus.choices, default=ReviewStatus.SCHEDULED
    )
    held_on = models.DateField(null=True, blank=True)
    minutes = models.TextField(blank=True)
    next_review_due = models.DateField(null=True, blank=True)
    scheduled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["due_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="held", held_on__isnull=False)
                | (~Q(status="held") & Q(held_on__isnull=True)),
                name="review_held_on_matches_status",
            )
        ]

    def __str__(self) -> str:
        return f"Review of episode {self.episode_id} due {self.due_on:%d %b %Y}"

    @property
    def is_overdue(self) -> bool:
        return self.status == ReviewStatus.SCHEDULED and self.due_on < timezone.localdate()


class ReviewAttendance(models.Model):
    """Who was invited to (or came to) a review: a team member, or someone named."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="attendance")
    team_member = models.ForeignKey(
        TeamMember, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    name = models.CharField(max_length=200, blank=True)
    attended = models.BooleanField(default=False)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name or str(self.team_member)


class RAG(models.TextChoices):
    RED = "red", "Red: not on track"
    AMBER = "amber", "Amber: some progress"
    GREEN = "green", "Green: on track or done"


class ActionProgress(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="progress")
    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="review_progress")
    rag = models.CharField(max_length=8, choices=RAG.choices)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["action__due_on", "action_id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "action"], name="progress_once_per_review")
        ]

    def __str__(self) -> str:
        return f"{self.get_rag_display()}: {self.action}"


# Closure and reopening (casework.closure); step-up and step-down (casework.escalation). --


class EpisodeReopening(models.Model):
    """A closed episode reopened within the allowed period (EPISODE_REOPEN_DAYS), keeping
    what the closure said so the history reads in order."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="reopenings")
    reopened_on = models.DateField(default=timezone.localdate)
    reason = models.TextField()
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    previous_closed_on = models.DateField()
    previous_closure_reason = models.CharField(
        max_length=32, choices=ClosureReason.choices, blank=True
    )
    previous_closure_notes = models.TextField(blank=True)
    previous_family_feedback = models.TextField(blank=True)

    class Meta:
        ordering = ["reopened_on", "pk"]

    def __str__(self) -> str:
        return f"Episode {self.episode_id} reopened {self.reopened_on:%d %b %Y}"


class StepUpStatus(models.TextChoices):
    REFERRED = "referred", "Referred to children's social care"
    ACCEPTED = "accepted", "Accepted by children's social care"
    NOT_ACCEPTED = "not_accepted", "Not accepted: early help continues"


class StepUp(models.Model):
    """Escalation to children's social care when needs exceed early help: the reason, what
    is shared, and the team told. Accepted → the episode closes as stepped up; not
    accepted → early help continues."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="step_ups")
    to_agency = models.ForeignKey("partnerships.Agency", on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("Why needs exceed early help")
    # Which parts of the record go with it (codes from casework.escalation.SharedSection).
    shared_sections = models.JSONField(default=list)
    shared_notes = models.TextField("Anything else shared", blank=True)
    requested_on = models.DateField(default=timezone.localdate)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=StepUpStatus.choices, default=StepUpStatus.REFERRED
    )
    decided_on = models.DateField(null=True, blank=True)
    decision_note = models.TextField(blank=True)
    decision_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    team_informed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode"],
                condition=Q(status="referred"),
                name="one_pending_step_up_per_episode",
            )
        ]

    def __str__(self) -> str:
        return f"Step-up of episode {self.episode_id} ({self.get_status_display()})"


class StepDown(models.Model):
    """Step-down from children's social care into early help: the episode it opened and
    the social worker's handover summary."""

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, related_name="step_down")
    from_agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, related_name="+"
    )
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    social_care_reference = models.CharField(max_length=50, blank=True)
    summary = models.TextField("Why social care is ending and what has changed")
    needs_remaining = models.TextField("Needs that early help should pick up")
    risks = models.TextField("Risks the team should know about", blank=True)
    family_views = models.TextField("What the family thinks", blank=True)
    handed_over_on = models.DateField(default=timezone.localdate)

    def __str__(self) -> str:
        return f"Step-down into episode {self.episode_id}"


# Outcomes over time (casework.outcome_ratings). -------------------------------------------


class RatingOccasion(models.TextChoices):
    ASSESSMENT = "assessment", "At assessment"
    REVIEW = "review", "At a review"
    CLOSURE = "closure", "At closure"


class OutcomeRatingRound(models.Model):
    """One child's position on the five outcomes at one moment (the assessment, a review,
    closure), rated by the lead professional with the child's or family's own rating."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="rating_rounds")
    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="+")
    occasion = models.CharField(max_length=16, choices=RatingOccasion.choices)
    review = models.ForeignKey(
        Review, on_delete=models.CASCADE, null=True, blank=True, related_name="rating_rounds"
    )
    rated_on = models.DateField(default=timezone.localdate)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    family_rater = models.CharField("Who gave the family's rating", max_length=200, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ["rated_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["review", "child"],
                condition=Q(review__isnull=False),
                name="one_rating_round_per_child_per_review",
            ),
            models.CheckConstraint(
                condition=Q(occasion="review", review__isnull=False)
                | (~Q(occasion="review") & Q(review__isnull=True)),
                name="rating_round_review_matches_occasion",
            ),
        ]

    def __str__(self) -> str:
        return f"Outcome ratings for {self.child_id} {self.get_occasion_display().lower()}"


class OutcomeRating(models.Model):
    """A score on the 1–5 scale described in casework/data/outcome_scale.json."""

    round = models.ForeignKey(OutcomeRatingRound, on_delete=models.CASCADE, related_name="ratings")
    outcome = models.ForeignKey(Outcome, on_delete=models.PROTECT, related_name="+")
    practitioner_score = models.PositiveSmallIntegerField()
    family_score = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["outcome__position", "outcome_id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "outcome"], name="one_rating_per_outcome"),
            models.CheckConstraint(
                condition=Q(practitioner_score__gte=1, practitioner_score__lte=5),
                name="practitioner_score_on_scale",
            ),
            models.CheckConstraint(
                condition=Q(family_score__isnull=True)
                | Q(family_score__gte=1, family_score__lte=5),
                name="family_score_on_scale",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.outcome}: {self.practitioner_score}"
