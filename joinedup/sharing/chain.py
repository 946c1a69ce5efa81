"""The tamper-evident audit (issue 6): every row of the append-only audit tables is sealed
into one hash chain, and ``verify_chain`` checks the chain and every sealed row.

Each audited table is a *stream*. A stream says which columns make up a row's content;
their canonical JSON (sorted keys) is hashed into the link's ``digest``. What retention's
purge may legitimately change goes into ``redactable_digest`` instead, and the child is
represented by the keyed reference the purge itself writes
(``children.retention.child_reference``), so a purge changes no ``digest``:

- access records: the purge empties ``child`` and sets ``purged_child_reference`` to the
  same keyed reference (no change to the digest), and replaces a stated reason with
  ``REDACTED_REASON`` (the reason is the redactable part);
- disclosures: deleting the child empties ``child`` (SET_NULL) and nothing records whose
  it was, so the child's reference is the redactable part; a disclosure whose child is
  now empty is accepted as redacted only if its sealed reference is that of a purged child
  (a PurgeRecord);
- searches and referral events: the purge does not touch them (a referred child cannot be
  purged: Referral.child is PROTECT).

Link events (children.LinkEvent) are not chained: the purge deletes them with the child
(CASCADE), so their history is not append-only.

Sealing (``seal_pending``) takes every row with an id above the last one sealed in its
stream, in id order, in short transactions that lock the head row. An id skipped in the
sequence may belong to a transaction that has not committed yet; it is kept as pending and
sealed when it appears, or given up after ``PENDING_TIMEOUT`` (a rolled-back transaction).
The writers schedule a seal after their transaction commits (``schedule_seal``), and
``manage.py seal_audit_chain`` seals whatever is left (run it from cron).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from joinedup.sharing.models import (
    AccessBasis,
    AccessRecord,
    AuditChainHead,
    AuditChainLink,
    Disclosure,
    SearchRecord,
)

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
HEAD_PK = 1
# An id skipped in a stream is given up after this long: its transaction rolled back.
PENDING_TIMEOUT = timedelta(hours=1)
# A larger jump in ids is not a transaction still in flight (e.g. ids used before a flush).
MAX_GAP = 1000
SEAL_BATCH = 5000
VERIFY_CHUNK = 2000
# Well under SQLite's limit on query parameters.
IN_CHUNK = 900

Row = Mapping[str, Any]


def _plain(value: Any) -> Any:
    """What JSON cannot hold, as stable text: times in UTC, ISO 8601."""
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return str(value)


def digest_of(content: Mapping[str, Any]) -> str:
    text = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain
    )
    return hashlib.sha256(text.encode()).hexdigest()


def link_hash(
    previous_hash: str, stream: str, object_id: int, digest: str, redactable: str, sequence: int
) -> str:
    text = f"{previous_hash}|{stream}|{object_id}|{digest}|{redactable}|{sequence}"
    return hashlib.sha256(text.encode()).hexdigest()


def _child_reference(child_id: int | None, key: str | None = None) -> str:
    """The purge's keyed reference to a child (children.retention.child_reference), or the
    same under an earlier ``key`` (settings.SECRET_KEY_FALLBACKS, after a key change)."""
    # Imported here: children.retention imports sharing.models, and sharing.audit (which
    # imports this module) is imported early.
    from joinedup.children.retention import child_reference

    if child_id is None:
        return ""
    if key is None:
        return child_reference(child_id)
    return hmac.new(key.encode(), f"child:{child_id}".encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Stream:
    name: str
    model: type[models.Model]
    label: str  # "access record 12" in messages
    columns: tuple[str, ...]
    # Each takes the row and the key for child references (None: settings.SECRET_KEY).
    content: Callable[[Row, str | None], dict[str, Any]]
    redactable: Callable[[Row, str | None], dict[str, Any]] | None = None

    def digests(self, row: Row, key: str | None = None) -> tuple[str, str]:
        redactable = digest_of(self.redactable(row, key)) if self.redactable else ""
        return digest_of(self.content(row, key)), redactable

    def rows(self, ids: Iterable[int]) -> dict[int, Row]:
        wanted = set(ids)
        if not wanted:
            return {}
        manager = self.model._default_manager
        low, high = min(wanted), max(wanted)
        if high - low < 4 * len(wanted):
            # Links follow ids, so a chunk's ids are nearly contiguous: one range query.
            query = manager.filter(pk__gte=low, pk__lte=high).values(*self.columns)
            return {row["id"]: row for row in query if row["id"] in wanted}
        found: dict[int, Row] = {}
        ordered = sorted(wanted)
        for start in range(0, len(ordered), IN_CHUNK):
            chunk = ordered[start : start + IN_CHUNK]
            for row in manager.filter(pk__in=chunk).values(*self.columns):
                found[row["id"]] = row
        return found


def _access_content(row: Row, key: str | None) -> dict[str, Any]:
    reference = row["purged_child_reference"] or _child_reference(row["child_id"], key)
    return {
        "id": row["id"],
        "practitioner": row["practitioner_id"],
        "child": reference,
        "action": row["action"],
        "what": row["what"],
        "basis": row["basis"],
        "path": row["path"],
        "occurred_at": row["occurred_at"],
        "flagged_for_review": row["flagged_for_review"],
    }


def _disclosure_content(row: Row, key: str | None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "disclosed_by": row["disclosed_by_id"],
        "kind": row["kind"],
        "what": row["what"],
        "recipient": row["recipient"],
        "why": row["why"],
        "basis": row["basis"],
        "basis_detail": row["basis_detail"],
        "path": row["path"],
        "occurred_at": row["occurred_at"],
    }


def _disclosure_child(row: Row, key: str | None) -> dict[str, Any]:
    return {"child": _child_reference(row["child_id"], key)}


def _search_content(row: Row, key: str | None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "practitioner": row["practitioner_id"],
        "searched_at": row["searched_at"],
        "parameters": row["parameters"],
        "result_child_ids": row["result_child_ids"],
        "result_count": row["result_count"],
    }


def _referral_event_content(row: Row, key: str | None) -> dict[str, Any]:
    return {
        "id": row["id"],
        "referral": row["referral_id"],
        "from_status": row["from_status"],
        "to_status": row["to_status"],
        "by": row["by_id"],
        "at": row["at"],
        "note": row["note"],
        "recorded_by_hand": row["recorded_by_hand"],
        "reply_from": row["reply_from"],
    }


def streams() -> list[Stream]:
    """The audited tables, in the order they are sealed."""
    from joinedup.referrals.models import ReferralEvent

    return [
        Stream(
            "access",
            AccessRecord,
            "Access record",
            (
                "id",
                "practitioner_id",
                "child_id",
                "purged_child_reference",
                "action",
                "what",
                "basis",
                "reason",
                "path",
                "occurred_at",
                "flagged_for_review",
            ),
            _access_content,
            lambda row, key: {"reason": row["reason"]},
        ),
        Stream(
            "disclosure",
            Disclosure,
            "Disclosure",
            (
                "id",
                "child_id",
                "disclosed_by_id",
                "kind",
                "what",
                "recipient",
                "why",
                "basis",
                "basis_detail",
                "path",
                "occurred_at",
            ),
            _disclosure_content,
            _disclosure_child,
        ),
        Stream(
            "search",
            SearchRecord,
            "Search record",
            (
                "id",
                "practitioner_id",
                "searched_at",
                "parameters",
                "result_child_ids",
                "result_count",
            ),
            _search_content,
        ),
        Stream(
            "referral_event",
            ReferralEvent,
            "Referral event",
            (
                "id",
                "referral_id",
                "from_status",
                "to_status",
                "by_id",
                "at",
                "note",
                "recorded_by_hand",
                "reply_from",
            ),
            _referral_event_content,
        ),
    ]


# Sealing -------------------------------------------------------------------------------


@dataclass
class SealResult:
    sealed: Counter[str] = field(default_factory=Counter)
    pending: int = 0
    given_up: int = 0
    sequence: int = 0
    head_hash: str = GENESIS_HASH

    @property
    def total(self) -> int:
        return sum(self.sealed.values())


def _head_for_update() -> AuditChainHead:
    AuditChainHead.objects.get_or_create(pk=HEAD_PK)
    return AuditChainHead.objects.select_for_update().get(pk=HEAD_PK)


def seal_pending(*, batch_size: int = SEAL_BATCH, now: datetime | None = None) -> SealResult:
    """Seal every audited row not yet in the chain, ``batch_size`` rows per transaction
    (each short, holding the head row's lock). Safe to run at the same time as itself."""
    result = SealResult()
    while True:
        with transaction.atomic():
            sealed = _seal_batch(batch_size, now or timezone.now(), result)
        if sealed < batch_size:
            return result


def _seal_batch(limit: int, now: datetime, result: SealResult) -> int:
    head = _head_for_update()
    last_ids: dict[str, int] = dict(head.last_ids or {})
    pending: dict[str, dict[str, str]] = {
        name: dict(ids) for name, ids in (head.pending or {}).items()
    }
    sequence, previous = head.sequence, head.last_hash
    links: list[tuple[Any, ...]] = []
    result.given_up += _give_up_old(pending, now)
    for stream in streams():
        room = limit - len(links)
        if room <= 0:
            break
        last = int(last_ids.get(stream.name, 0))
        waiting = pending.get(stream.name, {})
        where = Q(pk__gt=last)
        if waiting:
            where |= Q(pk__in=[int(pk) for pk in waiting])
        rows = stream.model._default_manager.filter(where).order_by("pk").values(*stream.columns)
        highest = last
        for row in rows[:room]:
            pk = row["id"]
            if str(pk) in waiting:
                del waiting[str(pk)]
            elif pk > highest:
                # Ids skipped since the last row: transactions that may still commit.
                if highest and 1 < pk - highest <= MAX_GAP:
                    for missing in range(highest + 1, pk):
                        waiting[str(missing)] = now.isoformat()
                highest = pk
            digest, redactable = stream.digests(row)
            sequence += 1
            current = link_hash(previous, stream.name, pk, digest, redactable, sequence)
            links.append((sequence, stream.name, pk, digest, redactable, previous, current))
            previous = current
            result.sealed[stream.name] += 1
        last_ids[stream.name] = highest
        if waiting:
            pending[stream.name] = waiting
        else:
            pending.pop(stream.name, None)
    _insert_links(links, now)
    head.sequence, head.last_hash = sequence, previous
    head.last_ids, head.pending = last_ids, pending
    head.save()
    result.sequence, result.head_hash = sequence, previous
    result.pending = sum(len(ids) for ids in pending.values())
    return len(links)


def _insert_links(links: list[tuple[Any, ...]], now: datetime) -> None:
    """One prepared INSERT for all the batch's links: building model instances for
    bulk_create took half the time of sealing."""
    if not links:
        return
    columns = [
        "sequence",
        "stream",
        "object_id",
        "digest",
        "redactable_digest",
        "previous_hash",
        "hash",
        "sealed_at",
    ]
    quote = connection.ops.quote_name
    sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - names from the model
        quote(AuditChainLink._meta.db_table),
        ", ".join(quote(name) for name in columns),  # no foreign keys: column = name
        ", ".join(["%s"] * len(columns)),
    )
    sealed_at = connection.ops.adapt_datetimefield_value(now)
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(*link, sealed_at) for link in links])


def _give_up_old(pending: dict[str, dict[str, str]], now: datetime) -> int:
    given_up = 0
    for ids in pending.values():
        for pk, noticed in list(ids.items()):
            if now - datetime.fromisoformat(noticed) > PENDING_TIMEOUT:
                del ids[pk]
                given_up += 1
    if given_up:
        logger.info("Audit chain: gave up %d skipped id(s) (rolled-back writes)", given_up)
    return given_up


def _seal_after_commit() -> None:
    try:
        seal_pending()
    except Exception:
        # The user's request has already committed; the next seal (or the cron's
        # seal_audit_chain) picks the rows up.
        logger.exception("Sealing the audit chain after a commit failed")


def schedule_seal() -> None:
    """Seal the audit rows written by the current transaction once it commits (once per
    transaction, however many rows). A failure is logged, never raised to the user."""
    if not getattr(settings, "AUDIT_CHAIN_SEAL_ON_COMMIT", True):
        return
    connection = transaction.get_connection()
    for entry in getattr(connection, "run_on_commit", []):
        if len(entry) > 1 and entry[1] is _seal_after_commit:
            return
    transaction.on_commit(_seal_after_commit, robust=True)


def reset_chain() -> None:
    """Forget the whole chain (the demo area's flush, which deletes the audited rows). The
    next seal starts a new chain over whatever rows remain. QuerySet.delete() bypasses the
    links' append-only guard, which only stops instance deletes."""
    AuditChainLink.objects.all().delete()
    AuditChainHead.objects.all().delete()


# Verifying -----------------------------------------------------------------------------

PROBLEM_KINDS = {
    "altered_row": "record(s) changed after they were sealed",
    "removed_row": "record(s) deleted after they were sealed",
    "broken_link": "break(s) in the chain (links removed, reordered or altered)",
    "unsealed_row": "record(s) inserted outside the chain",
    "head": "problem(s) with the end of the chain",
}


# Messages kept for the report, per kind of problem; the rest are only counted, so that a
# wholesale change to a million rows cannot exhaust memory.
MAX_MESSAGES = 200


@dataclass
class VerifyResult:
    links: int = 0
    per_stream: Counter[str] = field(default_factory=Counter)
    problems: list[tuple[str, str]] = field(default_factory=list)
    problem_counts: Counter[str] = field(default_factory=Counter)
    redacted: list[str] = field(default_factory=list)
    redacted_count: int = 0
    awaiting: Counter[str] = field(default_factory=Counter)
    head_sequence: int = 0
    head_hash: str = GENESIS_HASH
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problem_counts

    def problem(self, kind: str, message: str) -> None:
        self.problem_counts[kind] += 1
        if self.problem_counts[kind] <= MAX_MESSAGES:
            self.problems.append((kind, message))

    def redaction(self, message: str) -> None:
        self.redacted_count += 1
        if self.redacted_count <= MAX_MESSAGES:
            self.redacted.append(message)


class _PurgedReferences:
    """The references of purged children (their PurgeRecords), and the redactable digest a
    disclosure of each would have had: read once, and only if a redaction is to be
    checked."""

    def __init__(self) -> None:
        self._references: set[str] | None = None
        self._digests: set[str] = set()

    def _load(self) -> set[str]:
        if self._references is None:
            from joinedup.children.models import PurgeRecord

            query = PurgeRecord.objects.values_list("child_reference", flat=True)
            self._references = set(query.iterator())
            self._digests = {digest_of({"child": ref}) for ref in self._references}
        return self._references

    def has_reference(self, reference: str) -> bool:
        return reference in self._load()

    def has_disclosure_digest(self, digest: str) -> bool:
        self._load()
        return digest in self._digests


def _redacted_by_retention(
    stream: Stream, row: Row, link_redactable: str, purged: _PurgedReferences
) -> bool:
    """Whether the purge explains a change to the redactable part: an access record of a
    purged child with its stated reason replaced by the purge's wording, or a disclosure
    that lost a child who was purged."""
    from joinedup.children.retention import REDACTED_REASON

    if stream.name == "access":
        return (
            row["child_id"] is None
            and row["basis"] == AccessBasis.STATED_REASON
            and row["reason"] == REDACTED_REASON
            and purged.has_reference(row["purged_child_reference"])
        )
    if stream.name == "disclosure":
        return row["child_id"] is None and purged.has_disclosure_digest(link_redactable)
    return False


def _links(chunk_size: int) -> Iterator[list[tuple[Any, ...]]]:
    """The links in sequence order, a chunk at a time (keyset paging: never all in memory)."""
    after: int | None = None
    columns = (
        "sequence",
        "stream",
        "object_id",
        "digest",
        "redactable_digest",
        "previous_hash",
        "hash",
    )
    while True:
        query = AuditChainLink.objects.order_by("sequence")
        if after is not None:
            query = query.filter(sequence__gt=after)
        chunk = list(query.values_list(*columns)[:chunk_size])
        if not chunk:
            return
        yield chunk
        after = chunk[-1][0]


def verify_chain(*, chunk_size: int = VERIFY_CHUNK) -> VerifyResult:
    """Check every link and the row it seals; say what is wrong in plain words."""
    started = time.monotonic()
    result = VerifyResult()
    by_name = {stream.name: stream for stream in streams()}
    purged = _PurgedReferences()
    expected_sequence, previous = 1, GENESIS_HASH
    for chunk in _links(chunk_size):
        wanted: dict[str, list[int]] = defaultdict(list)
        for link in chunk:
            wanted[link[1]].append(link[2])
        rows = {name: by_name[name].rows(ids) for name, ids in wanted.items() if name in by_name}
        for sequence, name, object_id, digest, redactable, previous_hash, own_hash in chunk:
            result.links += 1
            result.per_stream[name] += 1
            _check_link(
                result,
                (sequence, name, object_id, digest, redactable, previous_hash, own_hash),
                expected_sequence,
                previous,
            )
            expected_sequence, previous = sequence + 1, own_hash
            stream = by_name.get(name)
            if stream is None:
                result.problem(
                    "broken_link", f"Link {sequence} names an unknown kind of record “{name}”."
                )
                continue
            _check_row(
                result,
                stream,
                rows[name].get(object_id),
                sequence,
                object_id,
                digest,
                redactable,
                purged,
            )
    _check_head(result, expected_sequence - 1, previous)
    for stream in by_name.values():
        _check_unsealed(result, stream)
    result.seconds = time.monotonic() - started
    return result


def _check_link(
    result: VerifyResult, link: tuple[Any, ...], expected_sequence: int, previous: str
) -> None:
    sequence, name, object_id, digest, redactable, previous_hash, own_hash = link
    if sequence != expected_sequence:
        if sequence > expected_sequence:
            missing = (
                f"link {expected_sequence} is"
                if sequence == expected_sequence + 1
                else f"links {expected_sequence} to {sequence - 1} are"
            )
            result.problem("broken_link", f"The chain has a gap: {missing} missing.")
        else:
            result.problem(
                "broken_link", f"Link {sequence} is out of order (expected {expected_sequence})."
            )
    if previous_hash != previous:
        result.problem(
            "broken_link",
            f"Link {sequence} does not follow the link before it: links were removed, "
            "reordered or changed here.",
        )
    if link_hash(previous_hash, name, object_id, digest, redactable, sequence) != own_hash:
        result.problem("broken_link", f"Link {sequence} has been changed (its hash is wrong).")


def _check_row(
    result: VerifyResult,
    stream: Stream,
    row: Row | None,
    sequence: int,
    object_id: int,
    digest: str,
    redactable: str,
    purged: _PurgedReferences,
) -> None:
    what = f"{stream.label} {object_id}"
    if row is None:
        result.problem("removed_row", f"{what} was deleted after it was sealed (link {sequence}).")
        return
    now_digest, now_redactable = stream.digests(row)
    if (now_digest, now_redactable) != (digest, redactable):
        # Sealed before SECRET_KEY changed: the child's reference was keyed with an old key.
        for key in getattr(settings, "SECRET_KEY_FALLBACKS", []):
            if stream.digests(row, key) == (digest, redactable):
                return
    if now_digest != digest:
        result.problem(
            "altered_row", f"{what} has been changed since it was sealed (link {sequence})."
        )
    elif now_redactable != redactable:
        if _redacted_by_retention(stream, row, redactable, purged):
            result.redaction(
                f"{what} was redacted by retention when its child's record was purged "
                "(expected, not a change)."
            )
        else:
            result.problem(
                "altered_row",
                f"{what} has been changed since it was sealed (link {sequence}): "
                + ("its reason" if stream.name == "access" else "its child")
                + " is different, and not by retention.",
            )


def _check_head(result: VerifyResult, last_sequence: int, last_hash: str) -> None:
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    if head is None:
        if last_sequence:
            result.problem("head", "The chain has links but its head row is missing.")
        return
    result.head_sequence, result.head_hash = head.sequence, head.last_hash
    if head.sequence != last_sequence or head.last_hash != last_hash:
        result.problem(
            "head",
            f"The chain ends at link {last_sequence} but its head says link {head.sequence}: "
            "links were removed from the end, or the head was changed.",
        )


def _check_unsealed(result: VerifyResult, stream: Stream) -> None:
    """Rows with an id at or below the newest sealed one of their stream but no link were
    inserted outside the chain (or their link was deleted) — unless still pending."""
    newest = AuditChainLink.objects.filter(stream=stream.name).aggregate(top=Max("object_id"))[
        "top"
    ]
    head = AuditChainHead.objects.filter(pk=HEAD_PK).first()
    head_last = int((head.last_ids or {}).get(stream.name, 0)) if head else 0
    waiting = {int(pk) for pk in ((head.pending or {}).get(stream.name, {}) if head else {})}
    manager = stream.model._default_manager
    result.awaiting[stream.name] = manager.filter(pk__gt=max(newest or 0, head_last)).count() + (
        manager.filter(pk__in=list(waiting)).count() if waiting else 0
    )
    if newest is None:
        return
    linked = AuditChainLink.objects.filter(stream=stream.name, object_id=OuterRef("pk"))
    unsealed = (
        manager.filter(pk__lte=newest)
        .exclude(pk__in=list(waiting))
        .filter(~Exists(linked))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in unsealed.iterator(chunk_size=VERIFY_CHUNK):
        result.problem(
            "unsealed_row",
            f"{stream.label} {pk} is not in the chain, though newer records are: it was "
            "inserted outside the chain, or its link was deleted.",
        )
