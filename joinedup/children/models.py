"""Children known to services, and who is involved with them."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from joinedup.children import identifiers
from joinedup.children.search_keys import (
    SEARCH_KEY_FIELDS,
    SEARCH_SOURCE_FIELDS,
    search_keys_for,
)
from joinedup.partnerships.models import SensitiveService


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
    # Retention (docs/child-index.md, "Retention"): set by ``apply_retention`` when the child
    # turns 18. An archived record is seen only by data managers, and is purged
    # RETENTION_PURGE_AFTER_YEARS after this date.
    archived_on = models.DateField(null=True, blank=True, db_index=True, editable=False)
    # Search keys (docs/child-index.md, "Search"): computed from the names and postcode by
    # children.search_keys.search_keys_for on every save, by the demo loader and by
    # ``manage.py rebuild_search_keys``; never edited by hand.
    search_given = models.CharField(max_length=100, blank=True, editable=False)
    search_given_canonical = models.CharField(max_length=100, blank=True, editable=False)
    search_given_phonetic = models.CharField(max_length=100, blank=True, editable=False)
    search_family = models.CharField(max_length=100, blank=True, editable=False)
    search_family_phonetic = models.CharField(max_length=100, blank=True, editable=False)
    search_family_phonetic_last = models.CharField(max_length=100, blank=True, editable=False)
    search_postcode = models.CharField(max_length=8, blank=True, editable=False)
    # Identity matching: set when this record was merged into another child (the merge can
    # be undone from the link history; see children.linkage).
    merged_into = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="merged_children"
    )

    class Meta:
        ordering = ["family_name", "given_name", "date_of_birth"]
        verbose_name_plural = "children"
        indexes = [
            models.Index(fields=["family_name", "given_name"], name="child_name_idx"),
            models.Index(fields=["nhs_number"], name="child_nhs_number_idx"),
            models.Index(fields=["upn"], name="child_upn_idx"),
            # Search (children.search): each index serves one candidate predicate.
            models.Index(
                fields=["date_of_birth", "search_family_phonetic"], name="child_search_dob_idx"
            ),
            models.Index(
                fields=["search_family_phonetic", "search_given_phonetic"],
                name="child_search_family_idx",
            ),
            models.Index(
                fields=["search_family_phonetic", "search_given"],
                name="child_search_family_given_idx",
            ),
            models.Index(
                fields=["search_family_phonetic_last", "search_given_phonetic"],
                name="child_search_family_last_idx",
            ),
            models.Index(
                fields=["search_given_phonetic", "search_family"], name="child_search_given_idx"
            ),
            models.Index(fields=["search_postcode"], name="child_search_postcode_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep the search keys in step with the names and postcode they come from."""
        for name, value in search_keys_for(
            {field: getattr(self, field) for field in SEARCH_SOURCE_FIELDS}
        ).items():
            setattr(self, name, value)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and set(update_fields) & set(SEARCH_SOURCE_FIELDS):
            kwargs["update_fields"] = {*update_fields, *SEARCH_KEY_FIELDS}
        super().save(*args, **kwargs)

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
    # Involvement with a sensitive service (sexual health, mental health, substance misuse)
    # is shown only to the practitioner involved until explicit consent is recorded
    # (sharing.policy.visible_involvements_filter). An agency that is itself a sensitive
    # service (Agency.sensitive_service) makes all its involvements sensitive.
    sensitive_service = models.CharField(
        max_length=32, choices=SensitiveService.choices, blank=True, db_default=""
    )
    consent_recorded_on = models.DateField(
        "Consent to share recorded on",
        null=True,
        blank=True,
        help_text="The day the child (or parent/carer) gave explicit, informed consent to "
        "show this involvement to other practitioners.",
    )
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

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


# Agency feeds: each agency's own records about children ---------------------------------
#
# An agency sends its records as a CSV or XLSX file (a *feed*). Every usable row is kept as
# a *source record* exactly as received; identity matching later links source records to a
# Child but never edits what the agency sent. See docs/feeds.md.


class FeedStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to start"
    RUNNING = "running", "Importing"
    DONE = "done", "Imported"
    REFUSED = "refused", "Refused"


class FeedFileKind(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel workbook (XLSX)"


class Feed(models.Model):
    """One file of records received from an agency, and what importing it did."""

    agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, related_name="feeds"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="submitted_feeds",
        help_text="Empty when the file came in on the command line without --as.",
    )
    filename = models.CharField(max_length=255)
    file_kind = models.CharField(max_length=8, choices=FeedFileKind.choices, blank=True)
    size_bytes = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    received_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=FeedStatus.choices, default=FeedStatus.QUEUED)
    refusal_message = models.TextField(blank=True)
    # The mapping used: the agency's own column heading → a field of the documented format.
    mapping = models.JSONField(default=dict, blank=True)
    columns = models.JSONField(
        default=list, blank=True, help_text="The file's column headings, in order."
    )
    unused_columns = models.JSONField(default=list, blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_checked = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_unchanged = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)
    rows_with_invalid_fields = models.PositiveIntegerField(default=0)
    rejects_resolved = models.PositiveIntegerField(
        default=0, help_text="Rejected rows of earlier feeds that this feed corrected."
    )
    # The uploaded file, held only until the import has run (then emptied).
    content = models.BinaryField(default=b"", editable=False)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["agency", "received_at"], name="feed_agency_time_idx")]

    def __str__(self) -> str:
        return f"{self.filename} from {self.agency} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in {FeedStatus.DONE, FeedStatus.REFUSED}

    @property
    def progress_percent(self) -> int:
        if self.is_finished:
            return 100
        if not self.rows_total:
            return 0
        # Checking the rows is most of the work; saving them is the last tenth.
        return min(90, round(90 * self.rows_checked / self.rows_total))


class SourceRecord(models.Model):
    """One agency's record about one child, exactly as the agency sent it.

    ``values`` holds the row as received (the agency's own column headings → the text in
    each cell); it is only ever replaced by a later row with the same source id from the
    same agency, and every version is kept in ``versions``. Identity matching sets
    ``child`` and nothing else.
    """

    agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.PROTECT, related_name="source_records"
    )
    source_id = models.CharField("Agency's record ID", max_length=100)
    values = models.JSONField(default=dict)
    standardised = models.JSONField(default=dict, blank=True)
    invalid_fields = models.JSONField(
        default=dict, blank=True, help_text="Field of the format → why its value is not valid."
    )
    content_hash = models.CharField(max_length=64)
    # Standardised copies of the fields identity matching searches on.
    given_name = models.CharField(max_length=100, blank=True)
    family_name = models.CharField(max_length=100, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    nhs_number = models.CharField(max_length=10, blank=True)
    upn = models.CharField(max_length=13, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    first_received_at = models.DateTimeField()
    last_received_at = models.DateTimeField()
    first_feed = models.ForeignKey(
        Feed, on_delete=models.PROTECT, related_name="first_records", null=True, blank=True
    )
    last_feed = models.ForeignKey(
        Feed, on_delete=models.PROTECT, related_name="latest_records", null=True, blank=True
    )
    child = models.ForeignKey(
        Child,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="source_records",
        help_text="Set by identity matching; never changes the values.",
    )

    class Meta:
        ordering = ["agency", "source_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "source_id"], name="source_record_unique_per_agency"
            )
        ]
        indexes = [
            models.Index(fields=["nhs_number"], name="source_record_nhs_idx"),
            models.Index(
                fields=["family_name", "date_of_birth"], name="source_record_name_dob_idx"
            ),
            models.Index(fields=["postcode"], name="source_record_postcode_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.agency} record {self.source_id}"


class SourceRecordVersion(models.Model):
    """Every distinct version of a source record, as received, with the feed it came in."""

    source_record = models.ForeignKey(
        SourceRecord, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    values = models.JSONField(default=dict)
    content_hash = models.CharField(max_length=64)
    feed = models.ForeignKey(Feed, on_delete=models.PROTECT, related_name="record_versions")
    received_at = models.DateTimeField()

    class Meta:
        ordering = ["source_record", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["source_record", "number"], name="source_record_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_record} version {self.number}"


class RejectedRow(models.Model):
    """A row that could not be used, kept for correction and resubmission."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="rejected_rows")
    line_number = models.PositiveIntegerField()
    column = models.CharField(max_length=200, blank=True)
    reason = models.TextField()
    source_id = models.CharField(max_length=100, blank=True, db_index=True)
    values = models.JSONField(default=dict, help_text="The row as received.")
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        Feed,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="resolved_rejects",
        help_text="The later feed whose corrected row took this one's place.",
    )
    # Or a data manager marked it as dealt with, without sending it again (resolved_at is
    # then when they did).
    dealt_with_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    dealt_with_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["feed", "line_number"]

    def __str__(self) -> str:
        return f"Line {self.line_number} of {self.feed.filename}: {self.reason}"


class FeedInvalidField(models.Model):
    """A field imported with a value that is not valid: the raw value is kept, marked."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="invalid_fields")
    source_record = models.ForeignKey(
        SourceRecord, on_delete=models.CASCADE, related_name="invalid_field_reports"
    )
    line_number = models.PositiveIntegerField()
    field = models.CharField(max_length=64)
    column = models.CharField(max_length=200)
    value = models.TextField(blank=True)
    reason = models.TextField()

    class Meta:
        ordering = ["feed", "line_number", "field"]

    def __str__(self) -> str:
        return f"Line {self.line_number}: {self.field} — {self.reason}"


class FeedColumnMapping(models.Model):
    """How an agency's own column headings map onto the documented format's fields."""

    agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.CASCADE, related_name="feed_column_mappings"
    )
    their_heading = models.CharField(max_length=200)
    field = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["agency", "field"]
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "their_heading"], name="feed_mapping_heading_unique"
            ),
            models.UniqueConstraint(fields=["agency", "field"], name="feed_mapping_field_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.agency}: {self.their_heading} → {self.field}"


# Shielding ----------------------------------------------------------------------------
#
# A data manager shields a child whose whereabouts must be hidden; address, setting and
# contact details are then suppressed for everyone except the data managers allowed to
# see them (sharing.policy.can_see_whereabouts). Shielding is kept as a history: lifting
# one fills in ``lifted_at``; shielding again adds a new row. See docs/child-index.md.


class ShieldingQuerySet(models.QuerySet["Shielding"]):
    def active(self) -> ShieldingQuerySet:
        return self.filter(lifted_at__isnull=True)


class Shielding(models.Model):
    child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="shieldings")
    reason = models.TextField()
    review_on = models.DateField("Review by")
    shielded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    shielded_at = models.DateTimeField(default=timezone.now)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    lift_reason = models.TextField(blank=True)

    objects = ShieldingQuerySet.as_manager()

    class Meta:
        ordering = ["-shielded_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["child"],
                condition=Q(lifted_at__isnull=True),
                name="shielding_one_active_per_child",
            )
        ]

    def __str__(self) -> str:
        state = "lifted" if self.lifted_at else "active"
        return f"Shielding of child {self.child_id} ({state})"

    @property
    def is_due_for_review(self) -> bool:
        return self.lifted_at is None and self.review_on <= timezone.localdate()


# Retention ----------------------------------------------------------------------------
#
# ``manage.py apply_retention`` archives children who have turned 18 and purges those
# archived longer than RETENTION_PURGE_AFTER_YEARS. Each run is logged here; a purged
# child leaves a PurgeRecord with counts and a keyed hash, never personal data.


class RetentionRun(models.Model):
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    run_for = models.DateField(help_text="The day the rules were applied for (--today).")
    dry_run = models.BooleanField(default=False)
    purge_after_years = models.PositiveSmallIntegerField()
    archived = models.PositiveIntegerField(default=0)
    purged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Retention run {self.run_for} ({self.archived} archived, {self.purged} purged)"


class PurgeRecord(models.Model):
    """That a child's record was purged, and how much went with it — no personal data."""

    run = models.ForeignKey(RetentionRun, on_delete=models.PROTECT, related_name="purges")
    child_reference = models.CharField(
        max_length=64,
        db_index=True,
        help_text="A keyed hash of the child's old ID, to match the detached access records.",
    )
    archived_on = models.DateField()
    purged_at = models.DateTimeField(default=timezone.now)
    involvements = models.PositiveIntegerField(default=0)
    source_records = models.PositiveIntegerField(default=0)
    shieldings = models.PositiveIntegerField(default=0)
    stated_reasons = models.PositiveIntegerField(default=0)
    access_records_kept = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-purged_at", "-pk"]

    def __str__(self) -> str:
        return f"Purged {self.child_reference[:12]} on {self.purged_at:%Y-%m-%d}"


# Identity matching in the app ---------------------------------------------------------
#
# ``children.linkage`` links agencies' source records to children with the matching
# library (``children.matching``): automatic links above a high threshold, a review queue
# for the middle band, a new child below. Every link, merge, split and decision is kept as
# an append-only LinkEvent with who and why, and a merge can be undone exactly (the moved
# source records and involvements are listed on its event). See docs/child-index.md,
# "Identity matching in the app".


class MatchingModel(models.Model):
    """A trained matching model (the Splink settings with its estimated parameters), saved
    so that new records can be scored one at a time without training again."""

    trained_at = models.DateTimeField(default=timezone.now)
    records = models.PositiveIntegerField(default=0, help_text="Records it was trained on.")
    settings = models.JSONField(help_text="The model as Splink saves it (save_model_to_json).")
    high_threshold = models.FloatField()
    low_threshold = models.FloatField()

    class Meta:
        ordering = ["-trained_at", "-pk"]
        get_latest_by = "trained_at"

    def __str__(self) -> str:
        return f"Matching model of {self.trained_at:%Y-%m-%d %H:%M} ({self.records} records)"


class LinkEventKind(models.TextChoices):
    CREATED = "created", "New child created"
    LINKED = "linked", "Record linked"
    UNLINKED = "unlinked", "Record unlinked"
    MERGED = "merged", "Children merged"
    SPLIT = "split", "Child split"
    KEPT_APART = "kept_apart", "Kept apart"


class LinkEvent(models.Model):
    """One change to which records make up which child, with who and why (append-only).

    ``performed_by`` empty means identity matching did it automatically. For a merge,
    ``child`` is the child kept and ``other_child`` the one merged into it; for a split,
    ``child`` is the new child and ``other_child`` the one split. The moved source records
    and involvements are listed by id so that the change can be reversed exactly."""

    kind = models.CharField(max_length=16, choices=LinkEventKind.choices)
    source_record = models.ForeignKey(
        SourceRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="link_events"
    )
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, null=True, blank=True, related_name="link_events"
    )
    other_child = models.ForeignKey(
        Child, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    moved_source_records = models.JSONField(default=list, blank=True)
    moved_involvements = models.JSONField(default=list, blank=True)
    performed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when identity matching did it automatically.",
    )
    reason = models.TextField(blank=True)
    match_probability = models.FloatField(null=True, blank=True)
    match_weight = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    reverses = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversed_by"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["child", "created_at"], name="link_event_child_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d %H:%M})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.pop("allow_update", False):
            raise ValueError("Link events are append-only")
        super().save(*args, **kwargs)


class MatchReviewStatus(models.TextChoices):
    PENDING = "pending", "To review"
    LINKED = "linked", "Linked"
    KEPT_APART = "kept_apart", "Kept apart"


class MatchReview(models.Model):
    """A possible match in the middle band, for a data manager to decide: is ``child``
    (the record's child as matching left it) the same child as ``candidate_child``?"""

    source_record = models.ForeignKey(
        SourceRecord, on_delete=models.CASCADE, null=True, blank=True, related_name="reviews"
    )
    child = models.ForeignKey(
        Child, on_delete=models.CASCADE, related_name="match_reviews", null=True, blank=True
    )
    candidate_child = models.ForeignKey(Child, on_delete=models.CASCADE, related_name="+")
    candidate_record = models.ForeignKey(
        SourceRecord, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    probability = models.FloatField()
    match_weight = models.FloatField(null=True, blank=True)
    evidence = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=MatchReviewStatus.choices, default=MatchReviewStatus.PENDING
    )
    created_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["status", "created_at"], name="match_review_status_idx")]

    def __str__(self) -> str:
        return f"Possible match {self.pk} ({self.get_status_display()})"
