"""Changes to the services directory, each in one transaction. Views ask sharing.policy
first; these functions record who changed what and when."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from joinedup.referrals.models import (
    RESERVED_SLUGS,
    RejectedServiceRow,
    Service,
    ServiceArea,
    ServiceImport,
    ServiceLevelOfNeed,
    ServiceOffer,
    ServiceOpeningTime,
)

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.partnerships.models import Agency
    from joinedup.referrals.models import Need

# The plain fields of a Service that a maintainer edits (the form and the CSV file).
EDITABLE_FIELDS = (
    "name",
    "sector",
    "description",
    "website",
    "age_from",
    "age_to",
    "serves_all_districts",
    "referral_criteria",
    "accepts_referrals_in_app",
    "how_to_refer_outside",
    "referral_address",
    "accepts_self_referrals",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "contact_times",
    "languages",
    "cost",
    "cost_note",
    "capacity",
    "waiting_weeks",
    "acknowledge_within_working_days",
    "decide_within_working_days",
    "is_published",
)


@dataclass(frozen=True)
class OpeningTime:
    weekday: int
    opens: time
    closes: time
    note: str = ""


@dataclass
class ServiceDetails:
    """What an entry says. ``None`` for a list leaves it as it is (a CSV file without that
    column); ``fields`` holds only the plain fields given."""

    fields: dict[str, Any] = field(default_factory=dict)
    needs: Sequence[Need] | None = None
    offers: Sequence[str] | None = None
    levels: Sequence[str] | None = None
    districts: Sequence[str] | None = None
    opening_times: Sequence[OpeningTime] | None = None
    maintainers: Sequence[Practitioner] | None = None


def unique_slug(name: str, *, taken: Iterable[str] = ()) -> str:
    """A slug made from the name, with -2, -3… added if another service (or ``taken``)
    already has it."""
    base = slugify(name)[:100].strip("-") or "service"
    avoid = set(taken) | RESERVED_SLUGS
    candidate, number = base, 1
    while candidate in avoid or Service.objects.filter(slug=candidate).exists():
        number += 1
        candidate = f"{base}-{number}"
    return candidate


def apply_details(service: Service, details: ServiceDetails) -> None:
    """Set the plain fields on the (unsaved) service and validate it, as a form or an
    import row would: raises ValidationError keyed by field."""
    unknown = set(details.fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable service fields: {sorted(unknown)}")
    for name, value in details.fields.items():
        setattr(service, name, value)
    if not service.slug:
        service.slug = unique_slug(service.name)
    service.full_clean(exclude=["checked_by", "updated_by"])
    if details.opening_times is not None:
        for slot in details.opening_times:
            if slot.closes <= slot.opens:
                raise ValidationError(
                    {"opening_times": "An opening time must close after it opens"}
                )


def _save_related(service: Service, details: ServiceDetails) -> None:
    if details.needs is not None:
        service.needs.set(details.needs)
    if details.maintainers is not None:
        service.maintainers.set(details.maintainers)
    if details.offers is not None:
        service.offer_rows.all().delete()
        ServiceOffer.objects.bulk_create(
            ServiceOffer(service=service, offer=code) for code in dict.fromkeys(details.offers)
        )
    if details.levels is not None:
        service.level_rows.all().delete()
        ServiceLevelOfNeed.objects.bulk_create(
            ServiceLevelOfNeed(service=service, level=code)
            for code in dict.fromkeys(details.levels)
        )
    if details.districts is not None:
        service.areas.all().delete()
        ServiceArea.objects.bulk_create(
            ServiceArea(service=service, district=district)
            for district in dict.fromkeys(details.districts)
        )
    if details.opening_times is not None:
        service.opening_times.all().delete()
        ServiceOpeningTime.objects.bulk_create(
            ServiceOpeningTime(
                service=service,
                weekday=slot.weekday,
                opens=slot.opens,
                closes=slot.closes,
                note=slot.note.strip(),
            )
            for slot in details.opening_times
        )


@transaction.atomic
def create_service(
    *,
    agency: Agency,
    details: ServiceDetails,
    created_by: Practitioner,
    slug: str = "",
    today: date | None = None,
) -> Service:
    """Add an entry for the agency; its details count as checked today by its author."""
    service = Service(
        agency=agency,
        sector=agency.sector,
        slug=slug,
        last_checked_on=today or timezone.localdate(),
        checked_by=created_by,
        updated_by=created_by,
    )
    apply_details(service, details)
    service.save()
    _save_related(service, details)
    return service


@transaction.atomic
def update_service(
    *,
    service: Service,
    details: ServiceDetails,
    updated_by: Practitioner,
    details_confirmed: bool = False,
    today: date | None = None,
) -> Service:
    """Change an entry, recording who changed it. When the maintainer confirms that the
    details are still correct, the entry also counts as checked today."""
    locked = Service.objects.select_for_update().get(pk=service.pk)
    apply_details(locked, details)
    locked.updated_by = updated_by
    if details_confirmed:
        locked.last_checked_on = today or timezone.localdate()
        locked.checked_by = updated_by
    locked.save()
    _save_related(locked, details)
    return locked


@transaction.atomic
def confirm_service_checked(
    *, service: Service, checked_by: Practitioner, today: date | None = None
) -> Service:
    """ "Details still correct": the entry counts as checked today, nothing else changes."""
    today = today or timezone.localdate()
    Service.objects.filter(pk=service.pk).update(
        last_checked_on=today, checked_by=checked_by, updated_at=timezone.now()
    )
    service.last_checked_on = today
    service.checked_by = checked_by
    return service


# Importing from CSV -------------------------------------------------------------------


class ImportRefused(Exception):
    """The whole file is refused; nothing is imported."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@transaction.atomic
def import_services(
    *,
    content: bytes,
    filename: str,
    imported_by: Practitioner,
    today: date | None = None,
) -> ServiceImport:
    """Import a CSV (or XLSX) file of directory entries in one transaction: every valid row
    is created or updated (by slug); every other row is kept as a RejectedServiceRow with
    its line, columns and reasons, for correcting. Raises ImportRefused when the file
    itself cannot be used (not a table, unknown or missing columns)."""
    from joinedup.referrals import directory_csv

    table = directory_csv.read_file(content)
    checker = directory_csv.RowChecker(importer=imported_by, today=today)
    record = ServiceImport.objects.create(
        imported_by=imported_by,
        filename=filename[:255],
        columns=table.headings,
        rows_total=len(table.rows),
    )
    seen: dict[str, int] = {}
    for line, values in table.rows:
        checked = checker.check(values, seen_slugs=seen, line=line)
        if checked.problems:
            RejectedServiceRow.objects.create(
                service_import=record,
                line_number=line,
                values=values,
                problems=[problem.as_dict() for problem in checked.problems],
            )
            record.rows_rejected += 1
            continue
        save_checked_row(checked, by=imported_by)
        if checked.is_new:
            record.rows_created += 1
        else:
            record.rows_updated += 1
    record.save(update_fields=["rows_created", "rows_updated", "rows_rejected"])
    return record


def save_checked_row(checked: Any, *, by: Practitioner) -> Service:
    """Write one row that passed every check (directory_csv.CheckedRow)."""
    service: Service = checked.service
    if checked.is_new or not checked.checked_on_given:
        service.checked_by = by
    service.updated_by = by
    service.save()
    _save_related(service, checked.details)
    return service


@transaction.atomic
def retry_rejected_row(
    *,
    row: RejectedServiceRow,
    values: dict[str, str],
    retried_by: Practitioner,
    today: date | None = None,
) -> tuple[Service | None, list[Any]]:
    """Check a corrected rejected row again: imported (and the row marked resolved) when it
    passes, otherwise kept with the new problems. Returns (service, problems)."""
    from joinedup.referrals import directory_csv

    locked = RejectedServiceRow.objects.select_for_update().get(pk=row.pk)
    if locked.resolved_at is not None:
        raise ValidationError("This row has already been imported")
    checker = directory_csv.RowChecker(importer=retried_by, today=today)
    checked = checker.check(values, seen_slugs={}, line=locked.line_number)
    locked.values = values
    if checked.problems:
        locked.problems = [problem.as_dict() for problem in checked.problems]
        locked.save(update_fields=["values", "problems"])
        return None, checked.problems
    service = save_checked_row(checked, by=retried_by)
    locked.problems = []
    locked.resolved_at = timezone.now()
    locked.resolved_service = service
    locked.save(update_fields=["values", "problems", "resolved_at", "resolved_service"])
    return service, []
