"""Records of who looked at or changed a child's record, when and why; the consent and
sharing decisions that allow it; and the hash chain that makes the audit tamper-evident."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
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
    # Issue 6: confirming a decision to share without consent (the decider's supervisor,
    # or a data protection lead once escalated).
    SHARING_REVIEW = (
        "sharing_review",
        "Confirming a decision to share without consent",
    )
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
    # Set at creation (default now). Only the demo area gives an earlier time, when it
    # writes the history of demo referrals; nothing changes it afterwards (append-only).
    occurred_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
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


# Consent (issue 6) ---------------------------------------------------------------------


class ConsentGiver(models.TextChoices):
    YOUNG_PERSON = "young_person", "The young person (competent to decide)"
    PARENT_CARER = "parent_carer", "A parent or carer"


class InformationKind(models.TextChoices):
    """The kinds of information a consent covers (its scope)."""

    IDENTITY = "identity", "Name, date of birth, address and family contact details"
    INVOLVEMENTS = "involvements", "Which agencies and services are involved"
    ASSESSMENT = "assessment", "The early help assessment"
    PLAN = "plan", "The plan, its actions and reviews"
    OUTCOME_RATINGS = "outcome_ratings", "Outcome ratings"
    REFERRAL = "referral", "Referrals and what they say"
    SETTING = "setting", "School or early years setting, and GP practice"


def current_consent_q(on: date | None = None, prefix: str = "") -> Q:
    """Consent in force on a day: the latest version, given on or before the day, not yet
    expired and not withdrawn. Expiry and withdrawal take effect on their date."""
    day = on or timezone.localdate()
    return (
        Q(**{f"{prefix}superseded_at__isnull": True})
        & Q(**{f"{prefix}given_on__lte": day})
        & (Q(**{f"{prefix}expires_on__isnull": True}) | Q(**{f"{prefix}expires_on__gt": day}))
        & (Q(**{f"{prefix}withdrawn_on__isnull": True}) | Q(**{f"{prefix}withdrawn_on__gt": day}))
    )


class ConsentQuerySet(models.QuerySet["Consent"]):
    def in_force(self, on: date | None = None) -> ConsentQuerySet:
        return self.filter(current_consent_q(on))

    def latest_versions(self) -> ConsentQuerySet:
        return self.filter(superseded_at__isnull=True)


class Consent(models.Model):
    """One consent about a child: who gave it (and why them), for what purposes, covering
    which kinds of information, to whom, from when until when. Versioned: changing a
    consent writes a new version with the same ``series`` and marks the old one
    superseded; a version, once written, changes only to be superseded or withdrawn.
    Withdrawal and expiry take effect at once through sharing.policy (current_consent_q)."""

    series = models.UUIDField(default=uuid.uuid4, editable=False, db_index=True)
    version = models.PositiveSmallIntegerField(default=1)
    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="consents")
    # Consent given within an early-help episode (to its assessment and team).
    episode = models.ForeignKey(
        "casework.Episode",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="consents",
    )
    given_by_kind = models.CharField(max_length=16, choices=ConsentGiver.choices)
    given_by_name = models.CharField(max_length=200)
    giver_reason = models.TextField(
        blank=True,
        help_text=(
            "Why this person decides: why the young person is competent, or why a parent "
            "or carer gives consent for the child."
        ),
    )
    # Purposes.
    for_assessment = models.BooleanField(default=False)
    for_sharing = models.BooleanField(default=False)
    for_referral = models.BooleanField(default=False)
    for_reporting = models.BooleanField(
        default=False, help_text="De-identified reporting on outcomes."
    )
    scope = models.JSONField(
        default=list, help_text="The kinds of information covered (InformationKind values)."
    )
    # To whom: the agencies of the team around the child, and/or named agencies or services.
    to_team = models.BooleanField(default=False)
    agencies = models.ManyToManyField("partnerships.Agency", blank=True, related_name="+")
    services = models.ManyToManyField("referrals.Service", blank=True, related_name="+")
    given_on = models.DateField()
    review_on = models.DateField(null=True, blank=True)
    expires_on = models.DateField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)
    change_note = models.TextField(blank=True, help_text="Why this version replaced the last.")
    superseded_at = models.DateTimeField(null=True, blank=True)
    withdrawn_on = models.DateField(null=True, blank=True)
    withdrawn_reason = models.TextField(blank=True)
    withdrawal_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_on", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(given_by_kind="young_person") | ~Q(giver_reason=""),
                name="sharing_consent_young_person_reason",
            ),
            models.UniqueConstraint(fields=["series", "version"], name="consent_series_version"),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("given_on")),
                name="consent_expires_after_given",
            ),
        ]
        indexes = [
            models.Index(
                fields=["child", "given_on"],
                condition=Q(superseded_at__isnull=True),
                name="consent_child_current_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Consent from {self.given_by_name} ({self.purposes_display})"

    @property
    def purposes(self) -> list[str]:
        return [
            label
            for flag, label in (
                (self.for_assessment, "assessment"),
                (self.for_sharing, "sharing"),
                (self.for_referral, "a referral"),
                (self.for_reporting, "de-identified reporting"),
            )
            if flag
        ]

    @property
    def purposes_display(self) -> str:
        return ", ".join(self.purposes) or "no purpose"

    def is_in_force(self, on: date | None = None) -> bool:
        day = on or timezone.localdate()
        return (
            self.superseded_at is None
            and self.given_on <= day
            and (self.expires_on is None or self.expires_on > day)
            and (self.withdrawn_on is None or self.withdrawn_on > day)
        )

    @property
    def is_active(self) -> bool:
        return self.is_in_force()

    @property
    def covers_sharing(self) -> bool:
        return self.for_sharing

    def covers(self, kind: str) -> bool:
        return kind in self.scope

    @property
    def status(self) -> str:
        today = timezone.localdate()
        if self.superseded_at is not None:
            return "Replaced by a later version"
        if self.withdrawn_on is not None and self.withdrawn_on <= today:
            return f"Withdrawn on {self.withdrawn_on:%d %b %Y}"
        if self.expires_on is not None and self.expires_on <= today:
            return f"Expired on {self.expires_on:%d %b %Y}"
        if self.given_on > today:
            return f"From {self.given_on:%d %b %Y}"
        return "In force"


# Sharing without consent (issue 6) -----------------------------------------------------


class LawfulBasis(models.TextChoices):
    """Why information may be shared without consent."""

    SIGNIFICANT_HARM = (
        "significant_harm",
        "To protect a child from significant harm (safeguarding)",
    )
    RISK_OF_HARM = (
        "risk_of_harm",
        "Seeking consent would put the child or someone else at risk of harm",
    )
    CRIME = "crime", "To prevent or detect a serious crime"
    VITAL_INTERESTS = "vital_interests", "To protect someone's life (vital interests)"
    LEGAL_DUTY = "legal_duty", "A legal duty or court order requires it"
    PUBLIC_TASK = "public_task", "Needed for a statutory function (public task)"


class ConsentPosition(models.TextChoices):
    """Why consent was not sought, or was overridden."""

    NOT_SOUGHT_RISK = "not_sought_risk", "Not sought: asking would put someone at risk"
    NOT_SOUGHT_DELAY = "not_sought_delay", "Not sought: asking would cause a harmful delay"
    NOT_SOUGHT_EVIDENCE = (
        "not_sought_evidence",
        "Not sought: asking could prejudice the prevention or detection of a crime",
    )
    REFUSED_OVERRIDDEN = "refused_overridden", "Refused, and the refusal overridden"
    WITHDRAWN_OVERRIDDEN = "withdrawn_overridden", "Withdrawn, and the withdrawal overridden"


class SharingDecisionOutcome(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed: the sharing was right"
    NOT_CONFIRMED = "not_confirmed", "Not confirmed: the sharing was not justified"


class SharingDecision(models.Model):
    """A decision to share information about a child without consent: the lawful basis,
    why consent was not sought or was overridden, who decided, what was shared with whom.
    A supervisor confirms it within settings.SHARING_DECISION_CONFIRM_HOURS, or it is
    escalated to the partnership's data protection leads (sharing.sharing_decisions)."""

    child = models.ForeignKey(
        "children.Child", on_delete=models.PROTECT, related_name="sharing_decisions"
    )
    episode = models.ForeignKey(
        "casework.Episode",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sharing_decisions",
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="sharing_decisions",
    )
    lawful_basis = models.CharField(max_length=32, choices=LawfulBasis.choices)
    consent_position = models.CharField(max_length=32, choices=ConsentPosition.choices)
    why = models.TextField(help_text="Why consent was not sought or was overridden.")
    what_shared = models.TextField()
    shared_with = models.CharField(max_length=300)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sharing_decisions"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    # Who must confirm: the decider's professional supervisor, else their line manager;
    # empty when they have neither (the data protection leads then confirm).
    supervisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sharing_decisions_to_confirm",
    )
    confirm_by = models.DateTimeField()
    outcome = models.CharField(max_length=16, choices=SharingDecisionOutcome.choices, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="sharing_decisions_confirmed",
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_note = models.TextField(blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        indexes = [
            models.Index(
                fields=["confirm_by"],
                condition=Q(confirmed_at__isnull=True),
                name="sharing_decision_open_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=~Q(why=""), name="sharing_decision_has_why"),
            models.CheckConstraint(
                condition=Q(confirmed_at__isnull=True) | ~Q(outcome=""),
                name="sharing_decision_confirmed_has_outcome",
            ),
        ]

    def __str__(self) -> str:
        return f"Shared without consent with {self.shared_with} by {self.decided_by}"

    @property
    def is_overdue(self) -> bool:
        return self.confirmed_at is None and self.confirm_by <= timezone.now()


# The tamper-evident audit (issue 6) ----------------------------------------------------


class AuditChainHead(models.Model):
    """The end of the audit hash chain: one row (pk 1), locked while links are appended.
    ``last_ids`` holds, per stream, the highest record id sealed so far; ``pending`` the
    ids below it not yet seen (a transaction that had not committed when a higher id was
    sealed), checked again on each seal until they appear or are given up."""

    sequence = models.BigIntegerField(default=0)
    last_hash = models.CharField(max_length=64, default="0" * 64)
    last_ids = models.JSONField(default=dict)
    pending = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Audit chain at {self.sequence}"


class AuditChainLink(models.Model):
    """One audited row sealed into the chain: digests of its content (``digest``; and of
    what retention may redact, ``redactable_digest``) and the hash joining it to the link
    before. sharing.chain verifies every link against the row it seals."""

    sequence = models.BigIntegerField(unique=True)
    stream = models.CharField(max_length=32)
    object_id = models.BigIntegerField()
    digest = models.CharField(max_length=64)
    redactable_digest = models.CharField(max_length=64, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["sequence"]
        constraints = [
            models.UniqueConstraint(fields=["stream", "object_id"], name="audit_link_once"),
        ]

    def __str__(self) -> str:
        return f"{self.sequence}: {self.stream} {self.object_id}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("Audit chain links cannot be changed once written")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("Audit chain links cannot be deleted")
