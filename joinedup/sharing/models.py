"""Records of who looked at or changed a child's record, when and why."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone


class AccessAction(models.TextChoices):
    VIEWED = "viewed", "Viewed"
    LISTED = "listed", "Listed"
    CHANGED = "changed", "Changed"


class AccessBasis(models.TextChoices):
    """The relationship (or stated reason) that allowed the access."""

    INVOLVEMENT = "involvement", "Current involvement with the child"
    STATED_REASON = "stated_reason", "Stated reason"
    AGENCY_RECORD = "agency_record", "The agency's own submitted records"
    # Shielding and retention: a data manager of an agency that holds a record about the
    # child (a source record or an involvement) — see sharing.policy.is_data_manager_for_child.
    DATA_MANAGER = "data_manager", "Data manager of an agency holding a record about the child"
    # Casework: a current member of the team around the child of an open episode.
    TEAM_MEMBERSHIP = "team_membership", "Member of the team around the child"
    # Casework work queues: a coordinator overseeing the episodes of their partnership.
    PARTNERSHIP_OVERSIGHT = (
        "partnership_oversight",
        "Coordinator overseeing the partnership's casework",
    )
    # Referrals: the practitioner who made the referral, and the staff of the service it
    # was sent to while it is live (only what the referral shares).
    # Issue 6: emergency access outside the practitioner's relationships.
    BREAK_GLASS = "break_glass", "Emergency (break-glass) access"
    REFERRER = "referrer", "Made the referral"
    RECEIVING_SERVICE = "receiving_service", "Staff of the service a live referral was sent to"


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an access record."""


class AccessRecord(models.Model):
    """One access to a child's record. Append-only: saved once, never changed or deleted."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_records"
    )
    # Empty only once the child's record has been purged under the retention rules: the
    # access record is kept as the audit trail, detached, with ``purged_child_reference``
    # (the keyed hash in children.PurgeRecord) instead. See docs/child-index.md, "Retention".
    child = models.ForeignKey(
        "children.Child",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="access_records",
    )
    purged_child_reference = models.CharField(
        max_length=64, blank=True, editable=False, db_default=""
    )
    action = models.CharField(max_length=16, choices=AccessAction.choices)
    what = models.CharField(
        max_length=200, help_text="The part of the record, e.g. 'Child record'."
    )
    basis = models.CharField(max_length=32, choices=AccessBasis.choices)
    reason = models.TextField(help_text="Why the access was allowed, in words.")
    path = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Every view of a shielded child's record is flagged for a data manager to review
    # (set by sharing.audit.record_access; reviews are AccessReview rows).
    flagged_for_review = models.BooleanField(default=False, editable=False, db_default=False)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["child", "occurred_at"], name="access_child_time_idx"),
            models.Index(
                fields=["occurred_at"],
                condition=models.Q(flagged_for_review=True),
                name="access_flagged_idx",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.practitioner} {self.action} {self.child} at {self.occurred_at:%Y-%m-%d %H:%M}"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Access records cannot be changed once written")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Access records cannot be deleted")


class StatedReason(models.Model):
    """A practitioner's stated reason for opening the record of a child they have no
    relationship with. It gives time-limited access, and every view under it is recorded
    with the reason."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="stated_reasons"
    )
    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="stated_reasons"
    )
    reason = models.TextField()
    stated_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-stated_at"]
        indexes = [
            models.Index(
                fields=["practitioner", "child", "expires_at"], name="stated_reason_lookup_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.practitioner} for {self.child}: {self.reason[:40]}"


class AccessReview(models.Model):
    """A data manager's review of a flagged access record (a view of a shielded child's
    record). Kept apart because access records are append-only."""

    access_record = models.OneToOneField(
        AccessRecord, on_delete=models.PROTECT, related_name="review"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_reviews"
    )
    reviewed_at = models.DateTimeField(auto_now_add=True)
    note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-reviewed_at"]

    def __str__(self) -> str:
        return f"Review of access {self.access_record_id} by {self.reviewed_by}"


class SearchRecord(models.Model):
    """One search of the child index: who searched, when, with what, and which children the
    search returned (in rank order). Append-only, like access records; written in the same
    transaction as the search (sharing.audit.record_search)."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="search_records"
    )
    searched_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # What was entered, as entered (NHS number and UPN as given), and how it was read.
    parameters = models.JSONField(default=dict)
    result_child_ids = models.JSONField(
        default=list, help_text="The children returned, best match first."
    )
    result_count = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-searched_at", "-pk"]
        indexes = [
            models.Index(fields=["practitioner", "searched_at"], name="search_practitioner_idx")
        ]

    def __str__(self) -> str:
        return f"Search by {self.practitioner} at {self.searched_at:%Y-%m-%d %H:%M}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Search records cannot be changed once written")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Search records cannot be deleted")


class BreakGlassReview(models.TextChoices):
    JUSTIFIED = "justified", "Justified: the emergency called for it"
    NOT_JUSTIFIED = "not_justified", "Not justified: taken up with the practitioner's manager"


class BreakGlassAccess(models.Model):
    """Emergency ("break-glass") access to a child's record outside the practitioner's
    relationships: a mandatory reason, time-limited (settings.BREAK_GLASS_HOURS), the
    partnership's data protection leads told at once, and a review queue until one of
    them reviews it. Every view under it is an access record with the reason."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="break_glass_accesses"
    )
    reason = models.TextField()
    started_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="break_glass_reviews",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_outcome = models.CharField(max_length=16, choices=BreakGlassReview.choices, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(
                fields=["practitioner", "child", "expires_at"], name="break_glass_lookup_idx"
            ),
            models.Index(
                fields=["started_at"],
                condition=models.Q(reviewed_at__isnull=True),
                name="break_glass_unreviewed_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~models.Q(reason=""), name="break_glass_has_reason"),
            models.CheckConstraint(
                condition=models.Q(reviewed_at__isnull=True) | ~models.Q(review_outcome=""),
                name="break_glass_review_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"Break-glass access by {self.practitioner} at {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.expires_at > timezone.now()


class DisclosureKind(models.TextChoices):
    REFERRAL = "referral", "A referral sent to a service"
    REFERRAL_PACK = "referral_pack", "A referral pack for a service outside Joined Up"
    FHIR_EXPORT = "fhir_export", "A referral exported for another system (FHIR)"
    PAPER_COPY = "paper_copy", "A printed or PDF copy"
    STEP_UP = "step_up", "A step-up to children's social care"
    TEAM_SHARE = "team_share", "Shared with a new member of the team around the child"
    EXPORT = "export", "An export of records"


class DisclosureBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    LAWFUL_REASON = "lawful_reason", "A lawful reason to share without consent"
    RELATIONSHIP = "relationship", "Within the practitioner's relationship with the child"


class Disclosure(models.Model):
    """Information about a child going to someone new or leaving Joined Up: what, with
    whom, why and on what basis (issue 6, the disclosure log). Append-only. Written by
    sharing.disclosures.record_disclosure in the transaction that discloses."""

    child = models.ForeignKey(
        "children.Child",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="disclosures",
    )
    disclosed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="disclosures_made"
    )
    kind = models.CharField(max_length=32, choices=DisclosureKind.choices)
    what = models.CharField(max_length=500, help_text="What was disclosed.")
    recipient = models.CharField(
        max_length=300, help_text="With whom: a person, service or agency."
    )
    why = models.TextField()
    basis = models.CharField(max_length=16, choices=DisclosureBasis.choices)
    basis_detail = models.TextField(
        blank=True, help_text="Whose consent, or which lawful reason and why."
    )
    path = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [
            models.Index(fields=["child", "occurred_at"], name="disclosure_child_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} to {self.recipient}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Disclosures cannot be changed once recorded")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Disclosures cannot be deleted")
