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


class ConsentGiver(models.TextChoices):
    YOUNG_PERSON = "young_person", "The young person (competent to decide)"
    PARENT_CARER = "parent_carer", "A parent or carer"


class ConsentScope(models.TextChoices):
    ASSESSMENT = "assessment", "To the assessment only"
    ASSESSMENT_AND_SHARING = (
        "assessment_and_sharing",
        "To the assessment and to sharing it with the team's agencies",
    )


class Consent(models.Model):
    """Consent to the assessment (and to sharing it). Withdrawal is recorded on the row and
    takes effect at once: from the withdrawal date the consent no longer counts."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="consents")
    given_by_kind = models.CharField(max_length=16, choices=ConsentGiver.choices)
    given_by_name = models.CharField(max_length=200)
    competence_note = models.TextField(
        blank=True, help_text="Why the young person is competent to decide."
    )
    given_on = models.DateField()
    scope = models.CharField(max_length=32, choices=ConsentScope.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    withdrawal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-given_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_by_kind="young_person") | ~Q(competence_note=""),
                name="consent_young_person_competence",
            )
        ]

    def __str__(self) -> str:
        return f"Consent from {self.given_by_name} ({self.get_scope_display()})"

    @property
    def is_active(self) -> bool:
        return self.withdrawn_on is None or self.withdrawn_on > timezone.localdate()

    @property
    def covers_sharing(self) -> bool:
        return self.scope == ConsentScope.ASSESSMENT_AND_SHARING


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
