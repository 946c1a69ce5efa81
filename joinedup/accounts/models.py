"""Practitioners: the people who sign in to Joined Up."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone


class ProfessionalBackground(models.TextChoices):
    TEACHING = "teaching", "Teaching"
    EARLY_YEARS = "early_years", "Early years"
    NURSING = "nursing", "Nursing"
    HEALTH_VISITING = "health_visiting", "Health visiting"
    MEDICINE = "medicine", "Medicine"
    PSYCHOLOGY = "psychology", "Psychology"
    SPEECH_AND_LANGUAGE = "speech_and_language", "Speech and language therapy"
    SOCIAL_WORK = "social_work", "Social work"
    FAMILY_SUPPORT = "family_support", "Family support"
    YOUTH_WORK = "youth_work", "Youth work"
    POLICING = "policing", "Policing"
    YOUTH_JUSTICE = "youth_justice", "Youth justice"
    HOUSING = "housing", "Housing"
    ADMINISTRATION = "administration", "Administration and management"
    OTHER = "other", "Other"


class NotificationEmails(models.TextChoices):
    EACH = "each", "An email for each notification"
    DAILY_DIGEST = "daily_digest", "One email a day with all of them (a daily digest)"
    NONE = "none", "No emails: I will look in Joined Up"


class Practitioner(AbstractUser):
    """A person who works with children, employed by a home agency.

    A practitioner keeps their home agency (employer, line manager, professional supervisor)
    even when they work in a multi-agency partnership; partnership roles are memberships.
    """

    email = models.EmailField("Email address", unique=True)
    home_agency = models.ForeignKey(
        "partnerships.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="practitioners",
    )
    job_title = models.CharField(max_length=200, blank=True)
    professional_background = models.CharField(
        max_length=32, choices=ProfessionalBackground.choices, blank=True
    )
    phone = models.CharField("Telephone", max_length=40, blank=True)
    line_manager = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="line_reports",
        help_text="Line manager in the home agency.",
    )
    professional_supervisor = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervisees",
        help_text="Supervisor from the practitioner's own discipline, such as nursing or psychology.",
    )
    signed_in_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_data_manager = models.BooleanField(
        "Data manager",
        default=False,
        help_text="May send the home agency's records to Joined Up (agency feeds) and see "
        "what happened to them.",
    )
    notification_emails = models.CharField(
        "Emails about notifications",
        max_length=16,
        default=NotificationEmails.EACH,
        choices=NotificationEmails.choices,
    )

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def is_system_administrator(self) -> bool:
        """Administrators manage accounts; they see no child data through this role."""
        return self.is_superuser

    def record_sign_in(self) -> None:
        self.signed_in_at = timezone.now()
        self.save(update_fields=["signed_in_at"])


class Notification(models.Model):
    """Something that happened that a practitioner should know about (a referral changed
    state, say), shown in the app and sent by email as they choose
    (``Practitioner.notification_emails``). Sent by joinedup.accounts.notifications."""

    recipient = models.ForeignKey(
        Practitioner, on_delete=models.CASCADE, related_name="notifications"
    )
    subject = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    kind = models.CharField(max_length=40, blank=True, help_text="For example, referral.")
    is_urgent = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "read_at"], name="notification_unread_idx"),
        ]

    def __str__(self) -> str:
        return self.subject
