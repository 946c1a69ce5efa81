"""Agencies and the multi-agency partnerships they form."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Sector(models.TextChoices):
    EDUCATION = "education", "Education"
    HEALTH = "health", "Health"
    SOCIAL_CARE = "social_care", "Children's social care"
    POLICE = "police", "Police"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"
    HOUSING = "housing", "Housing"
    VOLUNTARY = "voluntary", "Voluntary and community"
    OTHER = "other", "Other"


class AgencyKind(models.TextChoices):
    SCHOOL = "school", "School"
    EXTENDED_SCHOOL = "extended_school", "Extended school"
    NURSERY = "nursery", "Nursery"
    CHILDRENS_CENTRE = "childrens_centre", "Children's centre"
    GP_PRACTICE = "gp_practice", "GP practice"
    HEALTH_VISITING = "health_visiting", "Health visiting"
    SCHOOL_NURSING = "school_nursing", "School nursing"
    CAMHS = "camhs", "Child and adolescent mental health service (CAMHS)"
    SPEECH_AND_LANGUAGE = "speech_and_language", "Speech and language therapy"
    SOCIAL_CARE_TEAM = "social_care_team", "Children's social care team"
    POLICE_TEAM = "police_team", "Police team"
    YOUTH_OFFENDING_TEAM = "youth_offending_team", "Youth offending team"
    HOUSING_SERVICE = "housing_service", "Housing service"
    YOUTH_SERVICE = "youth_service", "Youth service"
    VOLUNTARY_ORGANISATION = "voluntary_organisation", "Voluntary or community organisation"
    OTHER = "other", "Other"


class SensitiveService(models.TextChoices):
    """Services whose involvement with a child is shown only with explicit consent (as the
    child index rules require): see docs/child-index.md, "Child's index page"."""

    SEXUAL_HEALTH = "sexual_health", "Sexual health"
    MENTAL_HEALTH = "mental_health", "Mental health"
    SUBSTANCE_MISUSE = "substance_misuse", "Substance misuse"


class Agency(models.Model):
    """An organisation whose practitioners work with children: a school, a health service…"""

    name = models.CharField(max_length=200, unique=True)
    sector = models.CharField(max_length=32, choices=Sector.choices)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    address_line_1 = models.CharField("Address line 1", max_length=200, blank=True)
    address_line_2 = models.CharField("Address line 2", max_length=200, blank=True)
    town = models.CharField("Town or city", max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    phone = models.CharField("Telephone", max_length=40, blank=True)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    # Child index: an agency that *is* a sensitive service (a sexual health clinic, CAMHS, a
    # substance misuse service). Its involvements and its records about a child are shown
    # only where explicit consent is recorded (sharing.policy.visible_involvements_filter).
    sensitive_service = models.CharField(
        max_length=32,
        choices=SensitiveService.choices,
        blank=True,
        db_default="",
        help_text="Leave empty unless the agency is a sexual health, mental health or "
        "substance misuse service: its involvement with a child is then shown only with consent.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class GovernmentModel(models.TextChoices):
    """The three models named in government guidance on multi-agency working."""

    PANEL = "panel", "Multi-agency panel"
    TEAM = "team", "Multi-agency team"
    INTEGRATED_SERVICE = "integrated_service", "Integrated service"


class ActivityModel(models.TextChoices):
    """The five models of activity found by the national research study, from agencies
    keeping distinct roles (decision-making groups) to roles merging (operational teams)."""

    DECISION_MAKING_GROUP = "decision_making_group", "Decision-making group"
    CONSULTATION_AND_TRAINING = "consultation_and_training", "Consultation and training"
    CENTRE_BASED = "centre_based", "Centre-based delivery"
    COORDINATED = "coordinated", "Coordinated delivery"
    OPERATIONAL_TEAM = "operational_team", "Operational-team delivery"


# One line each, in Joined Up's own words, shown beside a partnership's models so that
# everyone reads the labels the same way.
GOVERNMENT_MODEL_EXPLANATIONS: dict[str, str] = {
    GovernmentModel.PANEL: (
        "Practitioners stay in their own agencies and meet regularly to talk through "
        "children's needs and agree who will do what."
    ),
    GovernmentModel.TEAM: (
        "Practitioners are seconded or recruited into one team with its own leader and "
        "identity, while keeping links with their home agencies."
    ),
    GovernmentModel.INTEGRATED_SERVICE: (
        "Several services work from one site, such as a children's centre or extended "
        "school, sharing a vision and a building."
    ),
}

ACTIVITY_MODEL_EXPLANATIONS: dict[str, str] = {
    ActivityModel.DECISION_MAKING_GROUP: (
        "Representatives of agencies meet to plan and decide together; each agency keeps "
        "its own distinct role."
    ),
    ActivityModel.CONSULTATION_AND_TRAINING: (
        "Practitioners from one agency advise and train colleagues in others, so skills "
        "spread across agencies."
    ),
    ActivityModel.CENTRE_BASED: (
        "Staff from different agencies deliver services from one place, so families find "
        "help under one roof."
    ),
    ActivityModel.COORDINATED: (
        "A coordinator draws separate services together so that support for each child "
        "is joined up rather than duplicated."
    ),
    ActivityModel.OPERATIONAL_TEAM: (
        "Practitioners from different agencies work day to day as one team, and their "
        "roles begin to merge."
    ),
}


class Partnership(models.Model):
    """A multi-agency arrangement: a panel, a team or an integrated service."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    government_model = models.CharField(
        "Model (government guidance)", max_length=32, choices=GovernmentModel.choices
    )
    activity_model = models.CharField(
        "Model of activity (research study)", max_length=32, choices=ActivityModel.choices
    )
    member_agencies = models.ManyToManyField(Agency, related_name="partnerships", blank=True)
    base_setting = models.ForeignKey(
        Agency,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="based_partnerships",
        help_text="The school, children's centre or office the partnership works from.",
    )
    started_on = models.DateField("Start date")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def government_model_explanation(self) -> str:
        return GOVERNMENT_MODEL_EXPLANATIONS.get(self.government_model, "")

    @property
    def activity_model_explanation(self) -> str:
        return ACTIVITY_MODEL_EXPLANATIONS.get(self.activity_model, "")


class MembershipRole(models.TextChoices):
    MEMBER = "member", "Member"
    COORDINATOR = "coordinator", "Coordinator or chair"
    MANAGER = "manager", "Manager"
    # Told at once of every emergency ("break-glass") access to a child's record and
    # reviews it (issue 6); see sharing.policy, "Break-glass".
    DATA_PROTECTION_LEAD = "data_protection", "Data protection lead"


class CurrentMembershipQuerySet(models.QuerySet["Membership"]):
    def current(self) -> CurrentMembershipQuerySet:
        today = timezone.localdate()
        return self.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today), started_on__lte=today)


class Membership(models.Model):
    """A practitioner's place in a partnership. A practitioner keeps their home agency; where
    the partnership also line-manages them (dual line management) that manager is recorded
    here."""

    partnership = models.ForeignKey(
        Partnership, on_delete=models.CASCADE, related_name="memberships"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(
        max_length=16, choices=MembershipRole.choices, default=MembershipRole.MEMBER
    )
    partnership_line_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="partnership_reports",
        help_text=(
            "Only where the partnership line-manages this practitioner as well as their "
            "home agency."
        ),
    )
    started_on = models.DateField(default=timezone.localdate)
    ended_on = models.DateField(null=True, blank=True)

    objects = CurrentMembershipQuerySet.as_manager()

    class Meta:
        ordering = ["partnership", "practitioner__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["partnership", "practitioner"],
                condition=Q(ended_on__isnull=True),
                name="one_open_membership_per_partnership",
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="membership_ends_after_it_starts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} in {self.partnership} ({self.get_role_display()})"

    @property
    def has_dual_line_management(self) -> bool:
        """True when the partnership line-manages the practitioner as well as, and
        differently from, their home agency."""
        return (
            self.partnership_line_manager_id is not None
            and self.partnership_line_manager_id != self.practitioner.line_manager_id
        )

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.started_on <= today and (self.ended_on is None or self.ended_on > today)
