"""Importing a feed: every usable row becomes (or updates) a source record.

Two phases, so that progress can be shown while an import runs on the embedded SQLite
database without holding its one write lock for long:

1. *Checking* reads the file and checks every row. It writes nothing but the feed's own
   progress. A refused file stops here, with the feed marked refused and nothing else
   changed.
2. *Saving* writes every source record, version, rejected row and invalid field in one
   transaction, so a feed is imported whole or not at all.

Importing the same rows again changes nothing: a row whose values are exactly as before is
counted as unchanged. A changed row replaces the source record's values and adds a version;
earlier versions are kept. Rows missing from a later file are not deleted.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import IO, TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from joinedup.children.feeds import format as feed_format
from joinedup.children.feeds.reading import FeedRefused, Row, read_table
from joinedup.children.feeds.standardising import standardise_row
from joinedup.children.models import (
    Feed,
    FeedColumnMapping,
    FeedInvalidField,
    FeedStatus,
    RejectedRow,
    SourceRecord,
    SourceRecordVersion,
)
from joinedup.partnerships.models import Agency
from joinedup.sharing import policy

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner

logger = logging.getLogger(__name__)

MAX_SOURCE_ID = 100
CHUNK = 500
ESCAPED_FORMULA = ("'=", "'+", "'-", "'@", "'\t", "'\r")


# Entry points ---------------------------------------------------------------------------


def import_feed(
    *,
    agency: Agency,
    file: bytes | IO[bytes],
    filename: str = "",
    submitted_by: Practitioner | None = None,
    mapping: Mapping[str, str] | None = None,
    today: date | None = None,
) -> Feed:
    """Receive and import a file at once (the command line and tests). Returns the feed,
    refused or done."""
    feed = receive_feed(
        agency=agency, file=file, filename=filename, submitted_by=submitted_by, mapping=mapping
    )
    return run_feed(feed_id=feed.pk, today=today)


def receive_feed(
    *,
    agency: Agency,
    file: bytes | IO[bytes],
    filename: str = "",
    submitted_by: Practitioner | None = None,
    mapping: Mapping[str, str] | None = None,
) -> Feed:
    """Record a file as received and waiting to be imported. A file over the size limit is
    refused here, before it is stored."""
    from joinedup.children.feeds.reading import max_bytes

    if submitted_by is not None:
        policy.require(
            policy.can_submit_feed(submitted_by, agency),
            "Only the agency's data managers can send its records.",
        )
    limit = max_bytes()
    if isinstance(file, bytes):
        content = file
    else:
        content = file.read(limit + 1)
        filename = filename or str(getattr(file, "name", "") or "")
    chosen = dict(mapping) if mapping is not None else agency_mapping(agency=agency)
    feed = Feed(
        agency=agency,
        submitted_by=submitted_by,
        filename=(filename.rsplit("/", 1)[-1] or "upload")[:255],
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        mapping=chosen,
    )
    try:
        feed_format.check_mapping(chosen)
        if len(content) > limit:
            read_table(content)  # raises FeedRefused with the size message
    except (FeedRefused, feed_format.MappingError) as refusal:
        feed.status = FeedStatus.REFUSED
        feed.refusal_message = getattr(refusal, "message", None) or str(refusal)
        feed.finished_at = timezone.now()
        feed.save()
        return feed
    feed.content = content
    feed.save()
    return feed


def agency_mapping(*, agency: Agency) -> dict[str, str]:
    return dict(
        FeedColumnMapping.objects.filter(agency=agency).values_list("their_heading", "field")
    )


def run_feed(*, feed_id: int, today: date | None = None) -> Feed:
    """Import a received feed: check every row, then save them all in one transaction."""
    feed = Feed.objects.select_related("agency").get(pk=feed_id)
    if feed.status != FeedStatus.QUEUED:
        return feed
    today = today or timezone.localdate()
    Feed.objects.filter(pk=feed.pk).update(status=FeedStatus.RUNNING, started_at=timezone.now())
    feed.status = FeedStatus.RUNNING
    try:
        checked = check_rows(feed=feed, content=bytes(feed.content), today=today)
    except FeedRefused as refusal:
        return _refuse(feed, refusal.message)
    try:
        save_rows(feed=feed, checked=checked)
    except Exception:
        logger.exception("Feed %s failed while saving", feed.pk)
        _refuse(
            feed,
            "Joined Up could not finish importing this file because of a fault, so nothing "
            "was changed. Try again later; if it happens again, tell your system administrator.",
        )
        raise
    feed.refresh_from_db()
    _match_imported(feed)
    return feed


def _match_imported(feed: Feed) -> None:
    """Identity matching (children.linkage) of the feed's new and changed records, against
    the index as it stands, once the import has committed. A failure leaves the records
    unlinked for ``manage.py link_children``; it never undoes the import."""
    from joinedup.children import linkage

    try:
        linkage.match_feed(feed=feed)
    except Exception:
        logger.exception("Identity matching of feed %s failed", feed.pk)


def _refuse(feed: Feed, message: str) -> Feed:
    Feed.objects.filter(pk=feed.pk).update(
        status=FeedStatus.REFUSED,
        refusal_message=message,
        finished_at=timezone.now(),
        content=b"",
    )
    feed.refresh_from_db()
    return feed


# Checking -------------------------------------------------------------------------------


@dataclass
class GoodRow:
    line: int
    source_id: str
    values: dict[str, str]
    field_values: dict[str, str]
    standardised: dict[str, Any]
    invalid: dict[str, str]
    content_hash: str
    reference: int | None


@dataclass
class BadRow:
    line: int
    column: str
    reason: str
    source_id: str
    values: dict[str, str]


@dataclass
class Checked:
    plan: feed_format.ColumnPlan
    good: list[GoodRow] = field(default_factory=list)
    bad: list[BadRow] = field(default_factory=list)


def content_hash(values: Mapping[str, str]) -> str:
    encoded = json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def check_rows(*, feed: Feed, content: bytes, today: date) -> Checked:
    table = read_table(content)
    try:
        plan = feed_format.plan_columns(table.headings, feed.mapping)
    except feed_format.MissingColumns as missing:
        raise FeedRefused(str(missing)) from missing
    Feed.objects.filter(pk=feed.pk).update(
        file_kind=table.kind,
        columns=table.headings,
        unused_columns=plan.unused,
        rows_total=len(table.rows),
    )
    checked = Checked(plan)
    seen: dict[str, int] = {}
    step = max(50, len(table.rows) // 50)
    resubmission = plan.reference_column is not None
    for number, row in enumerate(table.rows, start=1):
        _check_row(row, plan, table.kind, resubmission, seen, checked, today)
        if number % step == 0:
            Feed.objects.filter(pk=feed.pk).update(rows_checked=number)
    Feed.objects.filter(pk=feed.pk).update(rows_checked=len(table.rows))
    return checked


def _unescape(cell: str) -> str:
    """Undo the quote the rejects file puts before a cell that would start a formula."""
    return cell[1:] if cell.startswith(ESCAPED_FORMULA) else cell


def _check_row(
    row: Row,
    plan: feed_format.ColumnPlan,
    kind: str,
    resubmission: bool,
    seen: dict[str, int],
    checked: Checked,
    today: date,
) -> None:
    headings = plan.headings
    cells = [_unescape(c) for c in row.cells] if resubmission else list(row.cells)
    width = len(headings)
    values = _as_received(headings, cells, plan)
    id_column = plan.field_columns.get(feed_format.REQUIRED_ID, width)
    # The record ID, as far as it can be told, so a later row with it resolves the reject.
    stated_id = cells[id_column].strip()[:MAX_SOURCE_ID] if id_column < len(cells) else ""
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        checked.bad.append(
            BadRow(
                row.line,
                "",
                f"The row has {len(cells)} values but the file has {width} columns, so Joined Up cannot tell which value belongs in which column.",
                stated_id,
                values,
            )
        )
        return
    if len(cells) < width and kind == "csv":
        checked.bad.append(
            BadRow(
                row.line,
                headings[len(cells)] if len(cells) < width else "",
                f"The row has {len(cells)} values but the file has {width} columns, so Joined Up cannot tell which value belongs in which column.",
                stated_id,
                values,
            )
        )
        return
    cells += [""] * (width - len(cells))
    leftover = [plan.headings[i] for i in plan.extra_columns if cells[i].strip()]
    if leftover:
        checked.bad.append(
            BadRow(
                row.line,
                "; ".join(leftover),
                f"There is still a value in {' and '.join(leftover)}: move it to the column it belongs in, or delete it.",
                "",
                values
                | {
                    feed_format.unnamed_column(i): cells[i]
                    for i in plan.extra_columns
                    if cells[i].strip()
                },
            )
        )
        return
    field_values = {key: cells[index] for key, index in plan.field_columns.items()}
    source_id = field_values.get(feed_format.REQUIRED_ID, "").strip()
    problems: list[tuple[str, str]] = []
    if not source_id:
        problems.append((plan.column_of("source_id"), "There is no record ID."))
    elif len(source_id) > MAX_SOURCE_ID:
        problems.append(
            (
                plan.column_of("source_id"),
                f"The record ID is longer than {MAX_SOURCE_ID} characters.",
            )
        )
    elif source_id in seen:
        problems.append(
            (
                plan.column_of("source_id"),
                f"The record ID {source_id} is also on line {seen[source_id]}; only the row on line {seen[source_id]} was imported.",
            )
        )
    if not any(field_values.get(key, "").strip() for key in feed_format.NAME_FIELDS):
        columns = [
            plan.column_of(key) for key in feed_format.NAME_FIELDS if key in plan.field_columns
        ]
        problems.append(
            (" and ".join(columns), "There is no name: a row needs a given name or a family name.")
        )
    if problems:
        checked.bad.append(
            BadRow(
                row.line,
                "; ".join(column for column, _ in problems),
                " ".join(reason for _, reason in problems),
                source_id[:MAX_SOURCE_ID],
                values,
            )
        )
        return
    seen[source_id] = row.line
    standardised = standardise_row(
        {k: v for k, v in field_values.items() if k != feed_format.REQUIRED_ID}, reference=today
    )
    reference = None
    if plan.reference_column is not None and plan.reference_column < len(cells):
        text = cells[plan.reference_column].strip()
        reference = int(text) if text.isdigit() else None
    checked.good.append(
        GoodRow(
            line=row.line,
            source_id=source_id,
            values=values,
            field_values=field_values,
            standardised=standardised.values,
            invalid=standardised.invalid,
            content_hash=content_hash(values),
            reference=reference,
        )
    )


def _as_received(
    headings: list[str], cells: list[str], plan: feed_format.ColumnPlan
) -> dict[str, str]:
    """The row as the agency sent it, keyed by its own headings (the rejects file's own
    extra columns left out). A value beyond the last heading is kept as "(column N)"."""
    reserved = {feed_format.normalise_heading(h) for h in feed_format.REJECTS_COLUMNS}
    values: dict[str, str] = {}
    for index, cell in enumerate(cells):
        heading = headings[index] if index < len(headings) else ""
        if feed_format.normalise_heading(heading) in reserved or index in plan.extra_columns:
            continue
        values[heading or feed_format.unnamed_column(index)] = cell
    return values


# Saving ---------------------------------------------------------------------------------


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


def _indexed(row: GoodRow) -> dict[str, object]:
    """The standardised values copied into SourceRecord's indexed columns."""
    s = row.standardised
    born = s.get("date_of_birth") or ""
    return {
        "given_name": (s.get("given_name") or "")[:100],
        "family_name": (s.get("family_name") or "")[:100],
        "date_of_birth": date.fromisoformat(born) if born else None,
        "nhs_number": s.get("nhs_number") or "",
        "upn": s.get("upn") or "",
        "postcode": s.get("postcode") or "",
    }


DERIVED_FIELDS = [
    "standardised",
    "invalid_fields",
    "given_name",
    "family_name",
    "date_of_birth",
    "nhs_number",
    "upn",
    "postcode",
]


def save_rows(*, feed: Feed, checked: Checked) -> None:
    received = feed.received_at
    with transaction.atomic():
        # One import per agency at a time, so two files cannot race on one source id.
        Agency.objects.select_for_update().filter(pk=feed.agency_id).first()
        existing: dict[str, SourceRecord] = {}
        for ids in _chunks([row.source_id for row in checked.good]):
            for record in SourceRecord.objects.filter(agency_id=feed.agency_id, source_id__in=ids):
                existing[record.source_id] = record
        created: list[tuple[GoodRow, SourceRecord]] = []
        changed: list[tuple[GoodRow, SourceRecord]] = []
        unchanged: list[tuple[GoodRow, SourceRecord]] = []
        refreshed: list[SourceRecord] = []
        for row in checked.good:
            found = existing.get(row.source_id)
            if found is None:
                record = SourceRecord(
                    agency_id=feed.agency_id,
                    source_id=row.source_id,
                    values=row.values,
                    standardised=row.standardised,
                    invalid_fields=row.invalid,
                    content_hash=row.content_hash,
                    first_received_at=received,
                    last_received_at=received,
                    first_feed=feed,
                    last_feed=feed,
                    **_indexed(row),
                )
                created.append((row, record))
            elif found.content_hash != row.content_hash:
                found.values = row.values
                found.standardised = row.standardised
                found.invalid_fields = row.invalid
                found.content_hash = row.content_hash
                found.last_received_at = received
                found.last_feed = feed
                for name, value in _indexed(row).items():
                    setattr(found, name, value)
                changed.append((row, found))
            else:
                unchanged.append((row, found))
                if found.standardised != row.standardised or found.invalid_fields != row.invalid:
                    # The same values, standardised by a newer standardiser (or against a
                    # later day): refresh what is derived from them; no new version.
                    found.standardised = row.standardised
                    found.invalid_fields = row.invalid
                    for name, value in _indexed(row).items():
                        setattr(found, name, value)
                    refreshed.append(found)
        SourceRecord.objects.bulk_create([record for _, record in created], batch_size=CHUNK)
        SourceRecord.objects.bulk_update(
            [record for _, record in changed],
            ["values", "content_hash", "last_received_at", "last_feed", *DERIVED_FIELDS],
            batch_size=CHUNK,
        )
        SourceRecord.objects.bulk_update(refreshed, DERIVED_FIELDS, batch_size=CHUNK)
        latest = dict(
            SourceRecordVersion.objects.filter(source_record__in=[r for _, r in changed])
            .values("source_record")
            .annotate(last=Max("number"))
            .values_list("source_record", "last")
        )
        SourceRecordVersion.objects.bulk_create(
            [
                SourceRecordVersion(
                    source_record=record,
                    number=latest.get(record.pk, 0) + 1,
                    values=row.values,
                    content_hash=row.content_hash,
                    feed=feed,
                    received_at=received,
                )
                for row, record in (*created, *changed)
            ],
            batch_size=CHUNK,
        )
        FeedInvalidField.objects.bulk_create(
            [
                FeedInvalidField(
                    feed=feed,
                    source_record=record,
                    line_number=row.line,
                    field=key,
                    column=checked.plan.column_of(key),
                    value=row.field_values.get(key, ""),
                    reason=reason,
                )
                for row, record in (*created, *changed, *unchanged)
                for key, reason in row.invalid.items()
            ],
            batch_size=CHUNK,
        )
        RejectedRow.objects.bulk_create(
            [
                RejectedRow(
                    feed=feed,
                    line_number=bad.line,
                    column=bad.column[:200],
                    reason=bad.reason,
                    source_id=bad.source_id,
                    values=bad.values,
                )
                for bad in checked.bad
            ],
            batch_size=CHUNK,
        )
        resolved = _resolve_earlier_rejects(feed, checked.good)
        Feed.objects.filter(pk=feed.pk).update(
            status=FeedStatus.DONE,
            finished_at=timezone.now(),
            content=b"",
            rows_checked=len(checked.good) + len(checked.bad),
            rows_created=len(created),
            rows_updated=len(changed),
            rows_unchanged=len(unchanged),
            rows_rejected=len(checked.bad),
            rows_with_invalid_fields=sum(1 for row in checked.good if row.invalid),
            rejects_resolved=resolved,
        )


def _resolve_earlier_rejects(feed: Feed, good: list[GoodRow]) -> int:
    """A row that imports now resolves the earlier rejects it corrects: the one named by the
    rejects file's reference column, and any with the same record ID."""
    open_rejects = RejectedRow.objects.filter(
        feed__agency_id=feed.agency_id, resolved_at__isnull=True
    ).exclude(feed=feed)
    now = timezone.now()
    references = [row.reference for row in good if row.reference is not None]
    resolved = open_rejects.filter(pk__in=references).update(resolved_at=now, resolved_by=feed)
    for ids in _chunks([row.source_id for row in good]):
        resolved += open_rejects.filter(source_id__in=ids).update(resolved_at=now, resolved_by=feed)
    return resolved
