"""Records of who looked at or changed a child's record, when and why."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


class AccessAction(models.TextChoices):
    VIEWED = "viewed", "Viewed"
    LISTED = "listed", "Listed"
    CHANGED = "changed", "Changed"


class AccessBasis(models.TextChoices):
    """The relationship (or stated reason) that allowed the access."""

    INVOLVEMENT = "involvement", "Current involvement with the child"
    STATED_REASON = "stated_reason", "Stated reason"
    AGENCY_RECORD = "agency_record", "The agency's own submitted records"


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete an access record."""


class AccessRecord(models.Model):
    """One access to a child's record. Append-only: saved once, never changed or deleted."""

    practitioner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="access_records"
    )
    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="access_records"
    )
    action = models.CharField(max_length=16, choices=AccessAction.choices)
    what = models.CharField(
        max_length=200, help_text="The part of the record, e.g. 'Child record'."
    )
    basis = models.CharField(max_length=32, choices=AccessBasis.choices)
    reason = models.TextField(help_text="Why the access was allowed, in words.")
    path = models.CharField(max_length=500, blank=True)
    occurred_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["child", "occurred_at"], name="access_child_time_idx")]

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
