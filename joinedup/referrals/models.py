"""The multi-agency services directory: what each agency's services offer, who they are
for and how to refer to them (issue 5, "Swift and easy referral").

Referrals (the second part, below) use its fields: whether a service takes referrals
inside Joined Up, how fast it promises to acknowledge and decide, its waiting time and
its capacity.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    MaxValueValidator,
    MinValueValidator,
    URLValidator,
    validate_email,
)
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from joinedup.partnerships.models import Sector
from joinedup.referrals.areas import standard_postcode, validate_district

# Children and young people up to 25 (care leavers and young people with SEND).
OLDEST_AGE = 25

# Paths under /services/ that a service's slug may not take.
RESERVED_SLUGS = frozenset({"new", "mine", "print", "import", "imports", "export"})

PHONE_PATTERN = re.compile(r"^\+?[0-9][0-9 ()-]{5,}$")


class Offer(models.TextChoices):
    """What kind of help a service gives."""

    ONE_TO_ONE = "one_to_one", "One-to-one support"
    GROUP_WORK = "group_work", "Group work"
    ADVICE = "advice", "Advice and information"
    OUTREACH = "outreach", "Outreach and home visits"
    PRACTICAL = "practical", "Practical support"
    ASSESSMENT = "assessment", "Specialist assessment"
    THERAPY = "therapy", "Therapy or counselling"
    DROP_IN = "drop_in", "Drop-in sessions"
    REMOTE = "remote", "Support by phone or online"
    INTERPRETATION = "interpretation", "Interpretation and translation"
    PARTICULAR_GENDER = "particular_gender", "Provision for a particular gender"
    PARTICULAR_COMMUNITY = (
        "particular_community",
        "Provision for a particular ethnic or cultural group",
    )
    PRACTITIONER_CONSULTATION = (
        "practitioner_consultation",
        "Consultation and training for practitioners",
    )


class LevelOfNeed(models.TextChoices):
    """The continuum of need a local area's threshold document describes, from needs
    everyday services meet to those needing statutory or specialist help."""

    UNIVERSAL = "universal", "Universal"
    ADDITIONAL = "additional", "Additional"
    COMPLEX = "complex", "Complex"
    ACUTE = "acute", "Acute"


LEVEL_OF_NEED_HINTS: dict[str, str] = {
    LevelOfNeed.UNIVERSAL: "Needs met by everyday services such as schools, GPs and health visitors",
    LevelOfNeed.ADDITIONAL: "Needs that call for extra help from one or more services, often early help",
    LevelOfNeed.COMPLEX: "Several needs at once, needing a coordinated plan across agencies",
    LevelOfNeed.ACUTE: "Needs calling for specialist or statutory services, such as child protection",
}


class ReferralRoute(models.TextChoices):
    """How to refer to a service outside Joined Up."""

    EMAIL = "email", "By email"
    PHONE = "phone", "By phone"
    WEB_FORM = "web_form", "Using the service's online form"


class Cost(models.TextChoices):
    FREE = "free", "Free"
    CHARGE = "charge", "There is a charge"


class Capacity(models.TextChoices):
    TAKING_REFERRALS = "taking_referrals", "Taking referrals"
    LIMITED = "limited", "Limited capacity"
    FULL = "full", "Full — not taking referrals"


class Weekday(models.IntegerChoices):
    """Monday is 0, as ``date.weekday()`` counts."""

    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class Need(models.Model):
    """A need a service addresses: the directory's shared vocabulary, so that "speech and
    language" means the same in every agency's entry. Data, not code: loaded by migration
    0002_load_needs from referrals/data/needs.json; codes are stable."""

    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120, unique=True)
    description = models.CharField(max_length=300, blank=True)
    framework = models.CharField(
        max_length=200, help_text="The vocabulary or framework the term is drawn from."
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return self.name


def stale_before(today: date | None = None) -> date:
    """Entries last checked before this day are stale (DIRECTORY_STALE_AFTER_DAYS)."""
    today = today or timezone.localdate()
    return today - timedelta(days=settings.DIRECTORY_STALE_AFTER_DAYS)


class Service(models.Model):
    """One service of an agency, as the directory describes it to practitioners and
    families. Maintained by its own staff (``maintainers``) and by the agency's data
    managers; see sharing.policy.can_maintain_service."""

    agency = models.ForeignKey(
        "partnerships.Agency", on_delete=models.CASCADE, related_name="services"
    )
    sector = models.CharField(max_length=32, choices=Sector.choices)
    name = models.CharField(max_length=200)
    slug = models.SlugField(
        max_length=120,
        unique=True,
        help_text="The service's web address in the directory, and its key in CSV files.",
    )
    description = models.TextField(help_text="What the service does, in plain words.")
    website = models.URLField(blank=True)

    # Who it is for.
    age_from = models.PositiveSmallIntegerField(
        "From age", default=0, validators=[MaxValueValidator(OLDEST_AGE)]
    )
    age_to = models.PositiveSmallIntegerField(
        "To age", default=18, validators=[MaxValueValidator(OLDEST_AGE)]
    )
    needs = models.ManyToManyField(Need, related_name="services", blank=True)
    serves_all_districts = models.BooleanField("Serves every postcode district", default=False)

    # How to refer.
    referral_criteria = models.TextField(
        blank=True, help_text="Who the service accepts, and what a referral must include."
    )
    accepts_referrals_in_app = models.BooleanField(
        "Takes referrals through Joined Up", default=False
    )
    how_to_refer_outside = models.CharField(
        "How to refer outside Joined Up", max_length=16, choices=ReferralRoute.choices, blank=True
    )
    referral_address = models.CharField(
        "Where to send referrals",
        max_length=300,
        blank=True,
        help_text="The email address, phone number or web address of the referral form.",
    )
    accepts_self_referrals = models.BooleanField(
        "Families can contact the service themselves", default=False
    )

    # Contact person and place.
    contact_name = models.CharField("Contact person", max_length=200, blank=True)
    contact_role = models.CharField("Contact person's role", max_length=200, blank=True)
    contact_email = models.EmailField("Contact email", blank=True)
    contact_phone = models.CharField("Contact phone", max_length=40, blank=True)
    address_line_1 = models.CharField("Address line 1", max_length=200, blank=True)
    address_line_2 = models.CharField("Address line 2", max_length=200, blank=True)
    town = models.CharField("Town or city", max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    contact_times = models.CharField(
        "Contact times",
        max_length=300,
        blank=True,
        help_text="When people can phone or email, if different from the opening times.",
    )
    languages = models.JSONField(
        default=list, blank=True, help_text="Languages the service works in, besides English."
    )
    cost = models.CharField(max_length=16, choices=Cost.choices, default=Cost.FREE)
    cost_note = models.CharField("About the cost", max_length=300, blank=True)

    # Capacity and timeliness (referrals use these).
    capacity = models.CharField(
        max_length=20, choices=Capacity.choices, default=Capacity.TAKING_REFERRALS
    )
    waiting_weeks = models.PositiveSmallIntegerField(
        "Current waiting time in weeks",
        null=True,
        blank=True,
        validators=[MaxValueValidator(104)],
        help_text="How long a child referred today can expect to wait. Leave empty if not known.",
    )
    acknowledge_within_working_days = models.PositiveSmallIntegerField(
        "Acknowledges a referral within (working days)",
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(30)],
    )
    decide_within_working_days = models.PositiveSmallIntegerField(
        "Decides on a referral within (working days)",
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
    )

    # Keeping the entry up to date.
    is_published = models.BooleanField(
        "Shown in the directory",
        default=True,
        help_text="Unpublished entries are seen only by the people who maintain them.",
    )
    maintainers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        related_name="maintained_services",
        blank=True,
        help_text="The service's own staff, who keep the entry up to date.",
    )
    last_checked_on = models.DateField(default=timezone.localdate)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(age_from__lte=F("age_to")),
                name="service_age_range_in_order",
                violation_error_message="The age range must end at or after the age it starts",
            ),
            models.CheckConstraint(
                condition=Q(age_to__lte=OLDEST_AGE),
                name="service_ages_at_most_25",
                violation_error_message="The directory covers children and young people up to 25",
            ),
            models.CheckConstraint(
                condition=Q(acknowledge_within_working_days__gte=1)
                & Q(decide_within_working_days__gte=F("acknowledge_within_working_days")),
                name="service_decides_after_acknowledging",
                violation_error_message=(
                    "A referral must be decided no sooner than it is acknowledged"
                ),
            ),
            models.CheckConstraint(
                condition=Q(how_to_refer_outside="") | ~Q(referral_address=""),
                name="service_referral_route_has_address",
                violation_error_message="Enter where to send referrals",
            ),
        ]
        indexes = [models.Index(fields=["is_published", "name"])]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors: dict[str, str | list[str]] = {}
        try:
            self.postcode = standard_postcode(self.postcode)
        except ValidationError as problem:
            errors["postcode"] = problem.messages
        if self.age_from is not None and self.age_to is not None and self.age_from > self.age_to:
            errors["age_to"] = "The age range must end at or after the age it starts"
        acknowledge, decide = self.acknowledge_within_working_days, self.decide_within_working_days
        if acknowledge is not None and decide is not None and decide < acknowledge:
            errors["decide_within_working_days"] = (
                "A referral must be decided no sooner than it is acknowledged"
            )
        if self.slug in RESERVED_SLUGS:
            errors["slug"] = f"{self.slug} is a word the directory uses itself: choose another"
        address_problem = self._referral_address_problem()
        if address_problem:
            errors["referral_address"] = address_problem
        if not isinstance(self.languages, list) or not all(
            isinstance(language, str) for language in self.languages
        ):
            errors["languages"] = "List the languages as words, such as Urdu, Polish"
        if errors:
            raise ValidationError(errors)

    def _referral_address_problem(self) -> str:
        route, address = self.how_to_refer_outside, (self.referral_address or "").strip()
        self.referral_address = address
        if not route:
            return ""
        if not address:
            return "Enter where to send referrals: an email address, phone number or web address"
        try:
            if route == ReferralRoute.EMAIL:
                validate_email(address)
            elif route == ReferralRoute.WEB_FORM:
                URLValidator(schemes=["https", "http"])(address)
        except ValidationError:
            return (
                "Enter the email address to send referrals to, like referrals@example.org"
                if route == ReferralRoute.EMAIL
                else "Enter the web address of the referral form, starting https://"
            )
        if route == ReferralRoute.PHONE and not PHONE_PATTERN.fullmatch(address):
            return "Enter the phone number to call for referrals, like 01632 960000"
        return ""

    @property
    def age_range(self) -> str:
        if self.age_from == 0:
            return f"Birth to {self.age_to}"
        return f"{self.age_from} to {self.age_to}"

    @property
    def is_full(self) -> bool:
        return self.capacity == Capacity.FULL

    def is_stale(self, today: date | None = None) -> bool:
        return self.last_checked_on < stale_before(today)

    def offer_codes(self) -> list[str]:
        """Prefetch-friendly: uses ``offer_rows.all()``."""
        return sorted((row.offer for row in self.offer_rows.all()), key=_offer_position)

    def offer_labels(self) -> list[str]:
        return [Offer(code).label for code in self.offer_codes()]

    def level_codes(self) -> list[str]:
        return sorted((row.level for row in self.level_rows.all()), key=_level_position)

    def level_labels(self) -> list[str]:
        return [LevelOfNeed(code).label for code in self.level_codes()]

    def districts(self) -> list[str]:
        return sorted(area.district for area in self.areas.all())

    def opening_summary(self) -> list[str]:
        """The opening times in a few words, days with the same times run together:
        "Monday to Friday 9am to 5pm", "Saturday 10am to midday (Stay and play)"."""
        days_by_times: dict[tuple[time, str], list[int]] = {}
        for slot in self.opening_times.all():
            text = slot.times + (f" ({slot.note})" if slot.note else "")
            days_by_times.setdefault((slot.opens, text), []).append(slot.weekday)
        runs: list[tuple[int, time, str]] = []
        for (opens, text), days in days_by_times.items():
            start = previous = days[0]
            for day in [*days[1:], None]:
                if day is not None and day == previous + 1:
                    previous = day
                    continue
                if previous == start:
                    label = Weekday(start).label
                else:
                    joiner = " and " if previous == start + 1 else " to "
                    label = f"{Weekday(start).label}{joiner}{Weekday(previous).label}"
                runs.append((start, opens, f"{label} {text}"))
                if day is not None:
                    start = previous = day
        return [text for _, _, text in sorted(runs)]

    def is_open_at(self, moment: datetime) -> bool:
        """Whether one of the opening times covers this moment, in UK time. The queryset
        twin is selectors.open_at_q: keep the two in step."""
        local = timezone.localtime(moment)
        now = local.time()
        return any(
            slot.weekday == local.weekday() and slot.opens <= now < slot.closes
            for slot in self.opening_times.all()
        )


def _offer_position(code: str) -> int:
    return Offer.values.index(code) if code in Offer.values else len(Offer.values)


def _level_position(code: str) -> int:
    return LevelOfNeed.values.index(code) if code in LevelOfNeed.values else 99


class ServiceOffer(models.Model):
    """One kind of help a service offers (a row per kind, so filtering works alike on
    SQLite and PostgreSQL)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="offer_rows")
    offer = models.CharField(max_length=32, choices=Offer.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "offer"], name="one_row_per_service_offer")
        ]

    def __str__(self) -> str:
        return self.get_offer_display()


class ServiceLevelOfNeed(models.Model):
    """One level of need a service works at."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="level_rows")
    level = models.CharField(max_length=16, choices=LevelOfNeed.choices)

    class Meta:
        verbose_name = "level of need"
        constraints = [
            models.UniqueConstraint(fields=["service", "level"], name="one_row_per_service_level")
        ]

    def __str__(self) -> str:
        return self.get_level_display()


class ServiceArea(models.Model):
    """A postcode district a service covers (unless it serves every district)."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="areas")
    district = models.CharField(max_length=4, validators=[validate_district])

    class Meta:
        ordering = ["district"]
        constraints = [
            models.UniqueConstraint(fields=["service", "district"], name="one_row_per_service_area")
        ]
        indexes = [models.Index(fields=["district"])]

    def __str__(self) -> str:
        return self.district


def spoken_time(moment: time) -> str:
    """A time as people say it: 9am, 5:30pm, midday, midnight."""
    if moment == time(12, 0):
        return "midday"
    if moment == time(0, 0):
        return "midnight"
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


class ServiceOpeningTime(models.Model):
    """When a service is open on one day of the week (a day may have several rows, such as a
    morning and an evening session). Times are UK local time."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="opening_times")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()
    note = models.CharField(max_length=120, blank=True, help_text="For example, drop-in session")

    class Meta:
        ordering = ["weekday", "opens"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closes__gt=F("opens")), name="opening_time_closes_after_opening"
            ),
            models.CheckConstraint(
                condition=Q(weekday__lte=6), name="opening_time_weekday_is_a_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.times}"

    @property
    def times(self) -> str:
        return f"{spoken_time(self.opens)} to {spoken_time(self.closes)}"


# Importing the directory from CSV ------------------------------------------------------


class ServiceImport(models.Model):
    """One CSV file of directory entries imported by a data manager or coordinator."""

    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="service_imports"
    )
    imported_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=255)
    columns = models.JSONField(default=list, help_text="The file's column headings, in order.")
    rows_total = models.PositiveIntegerField(default=0)
    rows_created = models.PositiveIntegerField(default=0)
    rows_updated = models.PositiveIntegerField(default=0)
    rows_rejected = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-imported_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.imported_at:%d %b %Y %H:%M})"


class RejectedServiceRow(models.Model):
    """A row of an import that was not imported, kept with every problem found (column and
    reason) until it is corrected and imported, or the file is uploaded again."""

    service_import = models.ForeignKey(
        ServiceImport, on_delete=models.CASCADE, related_name="rejected_rows"
    )
    line_number = models.PositiveIntegerField()
    values = models.JSONField(help_text="The row's cells by column heading, as received.")
    problems = models.JSONField(
        default=list, help_text='Each problem as {"column": …, "reason": …}.'
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_service = models.ForeignKey(
        Service, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["line_number", "pk"]

    def __str__(self) -> str:
        return f"Line {self.line_number} of {self.service_import.filename}"

    @property
    def is_resolved(self) -> bool:
        return self.resolved_at is not None


# Referrals ------------------------------------------------------------------------------
#
# A referral of one child to one service, from a child's page or from an action in a plan.
# Its life: draft → sent → acknowledged → accepted or declined → started → completed, or
# withdrawn by the referrer before it ends. The rules of that life are in
# referrals.referral_services (``TRANSITIONS``, ``transition``); who may take each step is
# in sharing.policy. Every step is a ReferralEvent with who and when.


class ReferralStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SENT = "sent", "Sent"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    STARTED = "started", "Started"
    COMPLETED = "completed", "Completed"
    WITHDRAWN = "withdrawn", "Withdrawn"


# While a referral is live the receiving service sees exactly what was shared with it.
LIVE_STATUSES = frozenset(
    {
        ReferralStatus.SENT,
        ReferralStatus.ACKNOWLEDGED,
        ReferralStatus.ACCEPTED,
        ReferralStatus.STARTED,
    }
)
CLOSED_STATUSES = frozenset(
    {ReferralStatus.DECLINED, ReferralStatus.COMPLETED, ReferralStatus.WITHDRAWN}
)


class Urgency(models.TextChoices):
    ROUTINE = "routine", "Routine"
    URGENT = "urgent", "Urgent"


class ReferralSection(models.TextChoices):
    """What a referral shares with the service, beyond the child's name, date of birth and
    the referral itself (always sent). Minimum necessary: the referrer ticks each part."""

    CONTACT = "contact", "Address and parent or carer contact details"
    SETTING = "setting", "School or early years setting, and GP practice"
    INVOLVEMENTS = "involvements", "Who else is involved with the child"
    LATEST_ASSESSMENT = "latest_assessment", "The latest early help assessment"
    PLAN = "plan", "The plan and progress on its actions"
    OUTCOME_RATINGS = "outcome_ratings", "Outcome ratings"


# Parts that exist only when the referral is made within an early-help episode.
EPISODE_SECTIONS = frozenset(
    {ReferralSection.LATEST_ASSESSMENT, ReferralSection.PLAN, ReferralSection.OUTCOME_RATINGS}
)


class SharingBasis(models.TextChoices):
    CONSENT = "consent", "Consent"
    LAWFUL_REASON = "lawful_reason", "A lawful reason to share without consent"


class LawfulBasis(models.TextChoices):
    """Why information may go without consent; the referrer also says why in words."""

    RISK_OF_HARM = (
        "risk_of_harm",
        "Seeking consent would put the child or someone else at risk of harm",
    )
    SAFEGUARDING = "safeguarding", "To protect a child from significant harm (safeguarding)"
    LEGAL_DUTY = "legal_duty", "A legal duty to share"
    PUBLIC_TASK = "public_task", "Needed for a statutory function (public task)"


class ConsentGivenBy(models.TextChoices):
    YOUNG_PERSON = "young_person", "The young person (competent to decide)"
    PARENT_CARER = "parent_carer", "A parent or carer"


class DeclineReason(models.TextChoices):
    CRITERIA_NOT_MET = "criteria_not_met", "Does not meet the service's criteria"
    OUTSIDE_AREA = "outside_area", "Lives outside the area the service covers"
    OUTSIDE_AGE = "outside_age", "Outside the service's age range"
    BETTER_ELSEWHERE = "better_elsewhere", "Another service would meet the needs better"
    ALREADY_SUPPORTED = "already_supported", "Already getting this help"
    NO_CAPACITY = "no_capacity", "No capacity to take the child on"
    FAMILY_DECLINED = "family_declined", "The family did not want the service"
    NOT_ENOUGH_INFORMATION = "not_enough_information", "Not enough information to decide"
    OTHER = "other", "Another reason"


class ReferralOutcome(models.TextChoices):
    NEEDS_MET = "needs_met", "The needs referred for were met"
    PARTLY_MET = "partly_met", "The needs were partly met"
    NOT_MET = "not_met", "The needs were not met"
    FAMILY_DISENGAGED = "family_disengaged", "The family stopped taking part"
    MOVED_AWAY = "moved_away", "The family moved away"
    REFERRED_ON = "referred_on", "Referred on to another service"


class Referral(models.Model):
    """One child referred to one service."""

    child = models.ForeignKey("children.Child", on_delete=models.PROTECT, related_name="referrals")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="referrals")
    episode = models.ForeignKey(
        "casework.Episode",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        help_text="The early-help episode the referral was made from, if any.",
    )
    action = models.ForeignKey(
        "casework.Action",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        help_text="The action in the plan the referral carries out, if any.",
    )
    follows = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="followed_by",
        help_text="The declined referral this one was made after.",
    )
    referrer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="referrals_made"
    )
    referrer_agency = models.ForeignKey(
        "partnerships.Agency",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals_made",
        help_text="The referrer's home agency when the referral was made (for reports).",
    )
    reason = models.TextField(help_text="Why the child is referred, and what help is hoped for.")
    urgency = models.CharField(max_length=16, choices=Urgency.choices, default=Urgency.ROUTINE)
    shared_sections = models.JSONField(default=list, blank=True)

    sharing_basis = models.CharField(max_length=16, choices=SharingBasis.choices, blank=True)
    consent_given_by = models.CharField(max_length=16, choices=ConsentGivenBy.choices, blank=True)
    consent_given_by_name = models.CharField(max_length=200, blank=True)
    consent_competence_note = models.TextField(
        blank=True, help_text="Why the young person is competent to decide."
    )
    consent_given_on = models.DateField(null=True, blank=True)
    # The consent record (sharing.Consent) written when a referral is sent with consent:
    # the receiving service sees the referral only while it is in force.
    consent = models.ForeignKey(
        "sharing.Consent",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referrals",
    )
    lawful_basis = models.CharField(max_length=32, choices=LawfulBasis.choices, blank=True)
    lawful_reason = models.TextField(
        blank=True, help_text="Why the information is shared without consent."
    )

    # A service that does not take referrals through Joined Up gets a referral pack; the
    # referrer records its replies by hand in the same states.
    handled_outside = models.BooleanField(default=False)

    status = models.CharField(
        max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.DRAFT
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    # Timeliness: set when sent, from the service's response times in working days.
    acknowledge_by = models.DateField(null=True, blank=True)
    decide_by = models.DateField(null=True, blank=True)
    # Waiting list: the wait the referrer was shown when sending, and the service's estimate
    # when accepting.
    expected_wait_weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    expected_start_on = models.DateField(null=True, blank=True)

    decline_reason = models.CharField(max_length=32, choices=DeclineReason.choices, blank=True)
    decline_note = models.TextField(blank=True)
    suggested_service = models.ForeignKey(
        Service,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="A service that might meet the needs better.",
    )
    outcome = models.CharField(max_length=32, choices=ReferralOutcome.choices, blank=True)
    outcome_note = models.TextField(blank=True)
    withdrawal_reason = models.TextField(blank=True)

    # Interoperability: a referral received as a FHIR ServiceRequest keeps its identifier
    # and the referrer named in it (referrals.fhir).
    external_identifier = models.CharField(max_length=200, blank=True)
    external_referrer = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(sharing_basis=""),
                name="referral_sent_has_sharing_basis",
                violation_error_message="Say on what basis the information is shared",
            ),
            models.CheckConstraint(
                condition=~Q(sharing_basis="lawful_reason") | ~Q(lawful_reason=""),
                name="referral_lawful_reason_given",
                violation_error_message="Say why the information is shared without consent",
            ),
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(decline_reason=""),
                name="referral_decline_has_reason",
                violation_error_message="Say why the referral is declined",
            ),
            models.CheckConstraint(
                condition=~Q(status="completed") | ~Q(outcome=""),
                name="referral_completion_has_outcome",
                violation_error_message="Say what the outcome was",
            ),
        ]
        indexes = [
            models.Index(fields=["service", "status"], name="referral_service_status_idx"),
            models.Index(fields=["child", "created_at"], name="referral_child_time_idx"),
            models.Index(fields=["referrer", "status"], name="referral_referrer_status_idx"),
            models.Index(fields=["sent_at"], name="referral_sent_idx"),
        ]

    def __str__(self) -> str:
        return f"Referral {self.reference} to {self.service}"

    @property
    def reference(self) -> str:
        return f"R{self.pk:06d}" if self.pk else "R (not saved)"

    @property
    def is_live(self) -> bool:
        return self.status in LIVE_STATUSES

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def is_urgent(self) -> bool:
        return self.urgency == Urgency.URGENT

    @property
    def closed_at(self) -> datetime | None:
        return self.declined_at or self.completed_at or self.withdrawn_at

    def section_labels(self) -> list[str]:
        labels = dict(ReferralSection.choices)
        return [labels.get(code, code) for code in self.shared_sections]

    def shares(self, section: str) -> bool:
        return section in self.shared_sections


class ReferralEvent(models.Model):
    """One step in a referral's life: from which state to which, by whom, when. For a
    service outside Joined Up, the referrer records the service's reply by hand
    (``recorded_by_hand``), saying who replied and how (``reply_from``)."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=16, choices=ReferralStatus.choices, blank=True)
    to_status = models.CharField(max_length=16, choices=ReferralStatus.choices)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    recorded_by_hand = models.BooleanField(default=False)
    reply_from = models.CharField(
        max_length=300, blank=True, help_text="Who at the service replied, and how."
    )

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.referral.reference}: {self.from_status or 'new'} → {self.to_status}"


class PingPongOwnership(models.Model):
    """Someone taking ownership of a child referred from service to service without any
    service starting (the coordinator's ping-pong list, referrals.pingpong)."""

    child = models.ForeignKey(
        "children.Child", on_delete=models.CASCADE, related_name="pingpong_ownerships"
    )
    partnership = models.ForeignKey(
        "partnerships.Partnership", on_delete=models.CASCADE, related_name="+"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="pingpong_ownerships"
    )
    note = models.TextField(help_text="What the owner will do next.")
    taken_at = models.DateTimeField(default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-taken_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.owner} owns the referrals of child {self.child_id}"
