"""Retention: archive children's records at 18, purge them after the configured period.

``manage.py apply_retention`` (scheduled daily; docs/operations.md) calls
``apply_retention``. An archived record is seen only by data managers (sharing.policy);
a purged record is deleted with its involvements, agencies' source records (and their
versions), shieldings and stated reasons. Access records are the audit trail and are kept,
detached from the child: ``child`` is emptied and ``purged_child_reference`` set to the
same keyed hash as the run's ``PurgeRecord``, and the text of any stated reason copied
into them is removed (it may describe the child). See docs/child-index.md, "Retention".
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.db.models.deletion import ProtectedError
from django.utils import timezone

from joinedup.children.models import (
    Child,
    Involvement,
    PurgeRecord,
    RetentionRun,
    Shielding,
    SourceRecord,
)
from joinedup.sharing.models import AccessBasis, AccessRecord, StatedReason

logger = logging.getLogger(__name__)

ARCHIVE_AT_AGE = 18
REDACTED_REASON = "Stated reason (text removed when the record was purged)"


def years_before(day: date, years: int) -> date:
    """The same day ``years`` earlier; 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def child_reference(child_id: int) -> str:
    """A keyed hash of a child's ID: lets the detached access records of a purged child be
    told apart and matched with its PurgeRecord, without personal data."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"child:{child_id}".encode(), hashlib.sha256).hexdigest()


@dataclass
class RetentionResult:
    run_for: date
    dry_run: bool
    purge_after_years: int
    to_archive: int = 0
    to_purge: int = 0
    archived: int = 0
    purged: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    run: RetentionRun | None = None


def children_to_archive(today: date) -> list[int]:
    born_by = years_before(today, ARCHIVE_AT_AGE)
    return list(
        Child.objects.filter(archived_on__isnull=True, date_of_birth__lte=born_by)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def children_to_purge(today: date, purge_after_years: int) -> list[int]:
    archived_by = years_before(today, purge_after_years)
    return list(
        Child.objects.filter(archived_on__isnull=False, archived_on__lte=archived_by)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _batches(ids: Sequence[int], size: int) -> list[Sequence[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def _counts(model: type, ids: Sequence[int], **filters: object) -> Counter[int]:
    rows = (
        model._default_manager.filter(child_id__in=ids, **filters)  # type: ignore[attr-defined]
        .values("child_id")
        .annotate(n=Count("pk"))
        .values_list("child_id", "n")
    )
    return Counter(dict(rows))


def _purge_batch(ids: Sequence[int], run: RetentionRun) -> int:
    """Purge one batch of archived children in one transaction; returns how many."""
    with transaction.atomic():
        children = list(
            Child.objects.select_for_update()
            .filter(pk__in=ids, archived_on__isnull=False)
            .values_list("pk", "archived_on")
        )
        ids = [pk for pk, _ in children]
        archived = {pk: archived_on for pk, archived_on in children if archived_on is not None}
        if not ids:
            return 0
        involvements = _counts(Involvement, ids)
        sources = _counts(SourceRecord, ids)
        shieldings = _counts(Shielding, ids)
        stated = _counts(StatedReason, ids)
        accesses = _counts(AccessRecord, ids)
        purges = []
        for pk in ids:
            reference = child_reference(pk)
            purges.append(
                PurgeRecord(
                    run=run,
                    child_reference=reference,
                    archived_on=archived[pk],
                    involvements=involvements[pk],
                    source_records=sources[pk],
                    shieldings=shieldings[pk],
                    stated_reasons=stated[pk],
                    access_records_kept=accesses[pk],
                )
            )
            # Access records are append-only for everyone else; retention is the one
            # documented exception: they are detached from the child, and stated reasons
            # copied into them removed, so the audit trail outlives the personal data.
            AccessRecord.objects.filter(child_id=pk).update(purged_child_reference=reference)
        AccessRecord.objects.filter(child_id__in=ids, basis=AccessBasis.STATED_REASON).update(
            reason=REDACTED_REASON
        )
        AccessRecord.objects.filter(child_id__in=ids).update(child=None)
        StatedReason.objects.filter(child_id__in=ids).delete()
        SourceRecord.objects.filter(child_id__in=ids).delete()
        Child.objects.filter(pk__in=ids).delete()
        PurgeRecord.objects.bulk_create(purges)
    return len(ids)


def apply_retention(
    *,
    today: date | None = None,
    dry_run: bool = False,
    purge_after_years: int | None = None,
    batch_size: int = 500,
    log: Callable[[str], None] | None = None,
) -> RetentionResult:
    """Archive every child who has turned 18 and purge every record archived at least
    ``purge_after_years`` (settings.RETENTION_PURGE_AFTER_YEARS) ago, in batches of
    ``batch_size``, each batch in one transaction. A dry run only counts. A real run is
    logged as a RetentionRun (with a PurgeRecord for each purged child)."""
    day = today or timezone.localdate()
    years = settings.RETENTION_PURGE_AFTER_YEARS if purge_after_years is None else purge_after_years

    def say(message: str) -> None:
        logger.info(message)
        if log is not None:
            log(message)

    result = RetentionResult(run_for=day, dry_run=dry_run, purge_after_years=years)
    to_purge = children_to_purge(day, years)
    to_archive = children_to_archive(day)
    result.to_purge, result.to_archive = len(to_purge), len(to_archive)
    mode = "Dry run: would" if dry_run else "Will"
    say(
        f"Retention for {day.isoformat()}: {mode} archive {len(to_archive)} record(s) of "
        f"children aged {ARCHIVE_AT_AGE} or over and purge {len(to_purge)} record(s) "
        f"archived on or before {years_before(day, years).isoformat()} ({years} years)."
    )
    if dry_run:
        return result

    run = RetentionRun.objects.create(run_for=day, dry_run=False, purge_after_years=years)
    result.run = run
    # Purge first, so a record archived today is never purged in the same run.
    for batch in _batches(to_purge, batch_size):
        try:
            done = _purge_batch(batch, run)
        except ProtectedError as problem:
            result.failed += len(batch)
            names = sorted({type(obj).__name__ for obj in problem.protected_objects})
            message = (
                f"Could not purge a batch of {len(batch)} record(s): still referred to by "
                f"{', '.join(names)}. Nothing in that batch was changed."
            )
            result.errors.append(message)
            say(message)
            continue
        result.purged += done
        say(f"Purged {done} record(s) ({result.purged} of {len(to_purge)}).")
    for batch in _batches(to_archive, batch_size):
        with transaction.atomic():
            done = Child.objects.filter(pk__in=batch, archived_on__isnull=True).update(
                archived_on=day
            )
        result.archived += done
        say(f"Archived {done} record(s) ({result.archived} of {len(to_archive)}).")
    run.archived, run.purged, run.failed = result.archived, result.purged, result.failed
    run.errors = "\n".join(result.errors)
    run.finished_at = timezone.now()
    run.save(update_fields=["archived", "purged", "failed", "errors", "finished_at"])
    say(
        f"Done: archived {result.archived}, purged {result.purged}"
        + (f", failed {result.failed}" if result.failed else "")
        + f" (retention run {run.pk})."
    )
    return result
