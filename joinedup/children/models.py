"""Children known to services, and who is involved with them."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from joinedup.children import identifiers


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    INDETERMINATE = "indeterminate", "Indeterminate"
    NOT_KNOWN = "not_known", "Not known"


class Child(models.Model):
    """One child as Joined Up knows them. Identity matching across agencies' records (the
    child index) builds on this; here it holds the basic identity only — no case notes."""

    given_name = models.CharField(max_length=100)
    family_name = models.CharField(max_length=100)
    other_names = models.CharField(max_length=200, blank=True)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=16, choices=Sex.choices, default=Sex.NOT_KNOWN)
    address_line_1 = models.CharField("Address line 1", max_length=200, blank=True)
    address_line_2 = models.CharField("Address line 2", max_length=200, blank=True)
    town = models.CharField("Town or city", max_length=100, blank=True)
    postcode = models.CharField(
        max_length=8, blank=True, validators=[identifiers.validate_postcode]
    )
    nhs_number = models.CharField(
        "NHS number", max_length=10, blank=True, validators=[identifiers.validate_nhs_number]
    )
    upn = models.CharField(
        "Unique pupil number (UPN)",
        max_length=13,
        blank=True,
        validators=[identifiers.validate_upn],
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_name", "given_name", "date_of_birth"]
        verbose_name_plural = "children"
        indexes = [
            models.Index(fields=["family_name", "given_name"], name="child_name_idx"),
            models.Index(fields=["nhs_number"], name="child_nhs_number_idx"),
            models.Index(fields=["upn"], name="child_upn_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def nhs_number_display(self) -> str:
        return identifiers.format_nhs_number(self.nhs_number)

    def age_on(self, day: date) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))

    @property
    def age(self) -> int:
        return self.age_on(timezone.localdate())

    def clean(self) -> None:
        self.postcode = identifiers.normalise_postcode(self.postcode)
        self.nhs_number = identifiers.normalise_nhs_number(self.nhs_number)
        self.upn = identifiers.normalise_upn(self.upn)


class InvolvementQuerySet(models.QuerySet["Involvement"]):
    def current(self, on: date | None = None) -> InvolvementQuerySet:
        return self.filter(current_involvement_q(on))


def current_involvement_q(on: date | None = None, prefix: str = "") -> Q:
    """An involvement is current from its start date until (not including) its end date,
    so ending an involvement today removes the access it gave at once."""
    day = on or timezone.localdate()
    return Q(**{f"{prefix}started_on__lte": day}) & (
        Q(**{f"{prefix}ended_on__isnull": True}) | Q(**{f"{prefix}ended_on__gt": day})
    )


class Involvement(models.Model):
    """A practitioner's or an agency's involvement with a child, from one date to another."""

    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="involvements")
    agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, related_name="involvements"
    )
    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="involvements",
        help_text="Empty when the agency or one of its services is involved rather than a named person.",
    )
    role = models.CharField(max_length=200, help_text="For example: class teacher, school nurse.")
    started_on = models.DateField("From", default=timezone.localdate)
    ended_on = models.DateField("To", null=True, blank=True)
    ended_reason = models.CharField(max_length=200, blank=True)

    objects = InvolvementQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="involvement_ends_after_it_starts",
            ),
        ]
        indexes = [
            models.Index(fields=["practitioner", "ended_on"], name="involvement_practitioner_idx"),
            models.Index(fields=["child", "ended_on"], name="involvement_child_idx"),
        ]

    def __str__(self) -> str:
        who = self.practitioner or self.agency
        return f"{who} — {self.role} for {self.child}"

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.started_on <= today and (self.ended_on is None or self.ended_on > today)
