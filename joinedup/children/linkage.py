"""Identity matching in the app: which agencies' records make up which child.

The matching library (``children.matching``) scores records; this module applies its
decisions to the database and keeps the history (docs/child-index.md, "Identity matching
in the app"):

- ``link_all`` — the batch run: every source record (and every child not yet backed by a
  source record, as an index record, so that feeds link to children already known) is
  standardised, the model trained and pairs scored and clustered. A cluster holding one
  known child links to it; a cluster with none becomes a new child; a cluster that would
  join two known children, and every pair in the middle band, becomes a ``MatchReview``
  for a data manager — never a silent merge.
- ``match_source_records`` — new and changed records after an import, matched one at a
  time against the existing index with the saved model (no retraining, no reclustering).
- ``decide_review``, ``merge_children``, ``split_child``, ``undo_link_event``,
  ``unlink_source_record`` — a data manager's decisions.

Every change writes an append-only ``LinkEvent`` (who — empty for automatic — why, the
probability and evidence, and the ids of what moved), so a merge can be undone exactly.
Cannot-link: two different valid NHS numbers (or UPNs) are never in one child.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from joinedup.children.models import (
    Child,
    Involvement,
    LinkEvent,
    LinkEventKind,
    MatchingModel,
    MatchReview,
    MatchReviewStatus,
    Sex,
    Shielding,
    SourceRecord,
    SourceRecordVersion,
)
from joinedup.children.provenance import fields_as_received
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Feed

logger = logging.getLogger(__name__)

# The columns the matching library reads (see matching/generator.py).
MATCH_COLUMNS = (
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "nhs_number",
    "upn",
    "postcode",
    "address_line_1",
)
INDEX_AGENCY = "joinedup-index"  # the "agency" of a child used as an index record

# How the evidence table names each comparison of the model.
COMPARISON_LABELS = {
    "given_name": "Given name",
    "family_name": "Family name",
    "dob": "Date of birth",
    "other_first": "Middle name",
    "sex": "Sex",
    "address": "Address and postcode",
    "nhs_number": "NHS number",
    "upn": "Unique pupil number",
}
AGREEMENT_LABELS = {
    "agree": "Agree",
    "partial": "Partly agree",
    "disagree": "Disagree",
    "missing": "Missing on one side",
}

# Identity fields a merge may fill in on the child kept when it has none.
FILL_FIELDS = ("other_names", "address_line_1", "postcode", "nhs_number", "upn")


class MatchingUnavailable(Exception):
    """There is nothing to train a model on yet."""


# The matching library's interface -----------------------------------------------------
#
# Imported lazily: pandas, DuckDB and Splink take a while to load, and only matching runs
# need them.


def _library() -> Any:
    from joinedup.children.matching import model

    return model


def _thresholds(model_row: MatchingModel | None = None) -> Any:
    library = _library()
    if model_row is None:
        return library.Thresholds()
    return library.Thresholds(high=model_row.high_threshold, low=model_row.low_threshold)


def _record_row(record: SourceRecord) -> dict[str, Any]:
    """A source record in the matching library's columns, as the agency sent it."""
    received = fields_as_received(record)
    row: dict[str, Any] = {
        "agency": str(record.agency_id),
        "source_id": record.source_id,
    }
    for column in MATCH_COLUMNS:
        row[column] = received.get(column) or None
    return row


def _child_row(child: Child) -> dict[str, Any]:
    """A child without source records, as an index record (what Joined Up holds)."""
    return {
        "agency": INDEX_AGENCY,
        "source_id": f"child-{child.pk}",
        "given_name": child.given_name or None,
        "family_name": child.family_name or None,
        "other_names": child.other_names or None,
        "date_of_birth": child.date_of_birth.isoformat() if child.date_of_birth else None,
        "sex": child.sex if child.sex != Sex.NOT_KNOWN else None,
        "nhs_number": child.nhs_number or None,
        "upn": child.upn or None,
        "postcode": child.postcode or None,
        "address_line_1": child.address_line_1 or None,
    }


@dataclass
class _Entry:
    record: SourceRecord | None = None
    child: Child | None = None

    @property
    def child_id(self) -> int | None:
        if self.record is not None:
            return self.record.child_id
        return self.child.pk if self.child is not None else None


def _frame(entries: Sequence[_Entry]) -> pd.DataFrame:
    rows = [
        _record_row(entry.record) if entry.record is not None else _child_row(entry.child)  # type: ignore[arg-type]
        for entry in entries
    ]
    frame = pd.DataFrame(rows, columns=["agency", "source_id", *MATCH_COLUMNS])
    frame.insert(0, "record_id", np.arange(len(frame), dtype=np.int64))
    return frame


def _source_records() -> Any:
    return SourceRecord.objects.select_related("agency", "last_feed").defer("last_feed__content")


def _index_children() -> Any:
    """Children known to Joined Up that no source record backs (entered directly, or the
    demo area's): they take part in matching as records of their own."""
    return (
        Child.objects.filter(merged_into__isnull=True)
        .exclude(pk__in=SourceRecord.objects.filter(child__isnull=False).values("child_id"))
        .order_by("pk")
    )


# Evidence ------------------------------------------------------------------------------


# Splink's own level labels, said the way a data manager would say them.
PLAIN_LEVELS = [
    (
        re.compile(r"^\(Exact match on postcode\) AND \(Jaro-Winkler distance of address_line_1"),
        "Same postcode and first line of address",
    ),
    (re.compile(r"^Exact match on postcode_sector$"), "Same postcode sector"),
    (re.compile(r"^Exact match on postcode_district$"), "Same postcode district"),
    (re.compile(r"^Exact match on postcode$"), "Same postcode"),
    (re.compile(r"^Jaro-Winkler distance of address_line_1"), "Similar first line of address"),
    (re.compile(r"^Exact match on "), "The same"),
    (re.compile(r"^Jaro-Winkler distance of \w+ >= 0\.9"), "Spelt almost the same"),
    (re.compile(r"^Jaro-Winkler distance of "), "Spelt similarly"),
    (re.compile(r"^Array intersection size"), "Share a name"),
    (re.compile(r"^Damerau-Levenshtein distance of dob"), "One digit different"),
    (re.compile(r"^Abs difference of .*dob"), "Within a month"),
    (re.compile(r"^All other comparisons$"), "Different"),
]


def plain_level(label: str) -> str:
    for pattern, plain in PLAIN_LEVELS:
        if pattern.search(label):
            return plain
    return label[:1].upper() + label[1:]


def _levels(comparison: dict[str, Any]) -> list[str]:
    """The labels of a comparison's non-null levels, best first, in plain words."""
    return [
        plain_level(str(level.get("label_for_charts") or level.get("sql_condition") or ""))
        for level in comparison["comparison_levels"]
        if not level.get("is_null_level")
    ]


def pair_evidence(
    model_settings: dict[str, Any], left: pd.DataFrame, right: pd.DataFrame
) -> dict[str, Any]:
    """Which fields agree, and how much each counts, for the left record against the best
    of the right ones (prepared rows). Plain data, kept on the review and the link event."""
    from splink import DuckDBAPI
    from splink.internals import realtime

    settings = dict(model_settings)
    settings["retain_intermediate_calculation_columns"] = True
    settings["retain_matching_columns"] = True
    result = realtime.compare_records(left, right, settings, DuckDBAPI())
    scored = result.as_pandas_dataframe()
    if scored.empty:
        return {"fields": [], "match_weight": None, "match_probability": None}
    best = scored.loc[scored["match_weight"].idxmax()]
    fields = []
    for comparison in model_settings.get("comparisons", []):
        name = comparison["output_column_name"]
        gamma = int(best.get(f"gamma_{name}", -1))
        levels = _levels(comparison)
        if gamma < 0:
            agreement, level = "missing", "Not given on one side"
        else:
            position = max(0, len(levels) - 1 - gamma)
            level = levels[position] if position < len(levels) else ""
            if gamma == 0:
                agreement = "disagree"
            elif gamma == len(levels) - 1:
                agreement = "agree"
            else:
                agreement = "partial"
        fields.append(
            {
                "field": name,
                "label": COMPARISON_LABELS.get(name, name.replace("_", " ").capitalize()),
                "agreement": agreement,
                "agreement_label": AGREEMENT_LABELS[agreement],
                "level": level,
                "gamma": gamma,
                "weight": round(float(best.get(f"mw_{name}", 0.0)), 2),
            }
        )
    return {
        "fields": fields,
        "match_weight": round(float(best["match_weight"]), 2),
        "match_probability": float(best["match_probability"]),
        "compared_with": int(best["unique_id_r"]),
    }


def _evidence_or_empty(
    model_settings: dict[str, Any] | None, left: pd.DataFrame, right: pd.DataFrame
) -> dict[str, Any]:
    if not model_settings or left.empty or right.empty:
        return {"fields": []}
    try:
        return pair_evidence(model_settings, left, right)
    except Exception:  # evidence is for the reviewer; never block a link over it
        logger.exception("Could not compute the evidence for a possible match")
        return {"fields": []}


# Children from source records ----------------------------------------------------------


def identity_from_records(records: Iterable[SourceRecord]) -> dict[str, Any] | None:
    """A child's identity from its agencies' records: for each field, the most recently
    received valid value. None when no record has a valid date of birth (a child in the
    index needs one)."""
    ordered = sorted(records, key=lambda r: (r.last_received_at, r.pk), reverse=True)
    identity: dict[str, Any] = {}
    for record in ordered:
        invalid = record.invalid_fields or {}
        received = fields_as_received(record)
        standardised = record.standardised or {}

        def offer(key: str, value: Any, *, _invalid: dict[str, str] = invalid) -> None:
            if value and key not in identity and key not in _invalid:
                identity[key] = value

        offer("given_name", received.get("given_name") or record.given_name.title())
        offer("family_name", received.get("family_name") or record.family_name.title())
        offer("other_names", received.get("other_names"))
        offer("date_of_birth", record.date_of_birth)
        sex = standardised.get("sex")
        if sex in Sex.values and sex != Sex.NOT_KNOWN:
            offer("sex", sex)
        for key in ("address_line_1", "address_line_2", "town"):
            offer(key, received.get(key))
        offer("postcode", record.postcode)
        offer("nhs_number", record.nhs_number)
        offer("upn", record.upn)
    if not identity.get("date_of_birth"):
        return None
    identity.setdefault("given_name", "")
    identity.setdefault("family_name", "")
    for key, limit in (("given_name", 100), ("family_name", 100), ("other_names", 200)):
        if key in identity:
            identity[key] = str(identity[key])[:limit]
    for key in ("address_line_1", "address_line_2", "town"):
        if key in identity:
            identity[key] = str(identity[key])[: 100 if key == "town" else 200]
    return identity


def _new_child(
    records: Sequence[SourceRecord], *, by: Practitioner | None, reason: str
) -> Child | None:
    identity = identity_from_records(records)
    if identity is None:
        return None
    child = Child(**identity)
    child.save()
    LinkEvent.objects.create(
        kind=LinkEventKind.CREATED,
        child=child,
        performed_by=by,
        reason=reason,
        evidence={"from_source_records": [record.pk for record in records]},
    )
    return child


def _link(
    record: SourceRecord,
    child: Child,
    *,
    by: Practitioner | None,
    reason: str,
    probability: float | None = None,
    evidence: dict[str, Any] | None = None,
) -> None:
    previous = record.child_id
    SourceRecord.objects.filter(pk=record.pk).update(child=child)
    record.child = child
    LinkEvent.objects.create(
        kind=LinkEventKind.LINKED,
        source_record=record,
        child=child,
        other_child_id=previous,
        moved_source_records=[record.pk],
        performed_by=by,
        reason=reason,
        match_probability=probability,
        match_weight=(evidence or {}).get("match_weight"),
        evidence=evidence or {},
    )


def _review_exists(a: int, b: int) -> bool:
    """A pending or already decided review of these two children (either way round)."""
    return MatchReview.objects.filter(
        Q(child_id=a, candidate_child_id=b) | Q(child_id=b, candidate_child_id=a)
    ).exists()


def _queue_review(
    *,
    child: Child,
    candidate: Child,
    source_record: SourceRecord | None,
    candidate_record: SourceRecord | None,
    probability: float,
    evidence: dict[str, Any],
) -> MatchReview | None:
    if child.pk == candidate.pk or _review_exists(child.pk, candidate.pk):
        return None
    return MatchReview.objects.create(
        source_record=source_record,
        child=child,
        candidate_child=candidate,
        candidate_record=candidate_record,
        probability=probability,
        match_weight=evidence.get("match_weight"),
        evidence=evidence,
    )


# The batch run -------------------------------------------------------------------------

TRAINING_ATTEMPTS = 3


def _seeded(run: Callable[[int], Any], seed: int) -> Any:
    """Training on little data can fail for one random sample (Splink refuses an m or u
    probability that underflows); try the next seeds before giving up."""
    for attempt in range(TRAINING_ATTEMPTS):
        try:
            return run(seed + attempt)
        except ValueError:
            if attempt == TRAINING_ATTEMPTS - 1:
                raise
            logger.warning(
                "Training with seed %s failed; trying seed %s", seed + attempt, seed + attempt + 1
            )
    raise AssertionError("unreachable")


@dataclass
class LinkSummary:
    records: int = 0
    index_children: int = 0
    children_created: int = 0
    records_linked: int = 0
    reviews_queued: int = 0
    not_linked: int = 0  # no valid date of birth: cannot make a child in the index
    model_id: int | None = None
    timings: dict[str, float] = field(default_factory=dict)


def save_model(result: Any, records: int) -> MatchingModel:
    return MatchingModel.objects.create(
        records=records,
        settings=result.linker.misc.save_model_to_json(),
        high_threshold=result.thresholds.high,
        low_threshold=result.thresholds.low,
    )


def link_all(
    *,
    performed_by: Practitioner | None = None,
    thresholds: Any = None,
    seed: int = 42,
    progress: Callable[[int], object] | None = None,
) -> LinkSummary:
    """Link every source record: train, score, cluster and apply (see the module notes)."""
    records = list(_source_records().order_by("pk"))
    children = list(_index_children())
    entries = [_Entry(record=r) for r in records] + [_Entry(child=c) for c in children]
    summary = LinkSummary(records=len(records), index_children=len(children))
    if not records:
        return summary
    result = None
    if len(entries) >= 2:
        library = _library()
        frame = _frame(entries)
        result = _seeded(
            lambda s: library.link(frame, thresholds or library.Thresholds(), seed=s), seed
        )
        summary.timings = dict(result.timings)
    with transaction.atomic():
        model_row = save_model(result, len(entries)) if result is not None else None
        summary.model_id = model_row.pk if model_row else None
        if result is None:
            cluster = np.arange(len(entries))
            best: dict[int, float] = {}
        else:
            cluster = np.asarray(result.cluster)
            high = result.thresholds.high
            auto = result.pairs[result.pairs["match_probability"] >= high]
            best = {}
            for left, right, p in auto[
                ["unique_id_l", "unique_id_r", "match_probability"]
            ].itertuples(index=False):
                for position in (int(left), int(right)):
                    best[position] = max(best.get(position, 0.0), float(p))
        by_cluster: dict[int, list[int]] = {}
        for position, label in enumerate(cluster.tolist()):
            by_cluster.setdefault(int(label), []).append(position)
        child_of: dict[int, Child] = {}
        known = {c.pk: c for c in children}
        known.update(
            {c.pk: c for c in Child.objects.filter(source_records__isnull=False).distinct()}
        )
        for positions in by_cluster.values():
            _apply_cluster(positions, entries, known, best, child_of, performed_by, summary)
            if progress is not None:
                progress(len(positions))
        if result is not None:
            settings = model_row.settings if model_row else None
            prepared = result.prepared
            for left, right, p in result.review_pairs[
                ["unique_id_l", "unique_id_r", "match_probability"]
            ].itertuples(index=False):
                a, b = child_of.get(int(left)), child_of.get(int(right))
                if a is None or b is None or a.pk == b.pk:
                    continue
                # The record on a new child is the one to review against the known child.
                first, second = int(left), int(right)
                if entries[second].record is not None and entries[first].record is None:
                    first, second = second, first
                evidence = _evidence_or_empty(
                    settings, prepared.iloc[[first]], prepared.iloc[[second]]
                )
                if _queue_review(
                    child=child_of[first],
                    candidate=child_of[second],
                    source_record=entries[first].record,
                    candidate_record=entries[second].record,
                    probability=float(p),
                    evidence=evidence,
                ):
                    summary.reviews_queued += 1
    return summary


def _apply_cluster(
    positions: list[int],
    entries: Sequence[_Entry],
    known: dict[int, Child],
    best: dict[int, float],
    child_of: dict[int, Child],
    by: Practitioner | None,
    summary: LinkSummary,
) -> None:
    existing: list[int] = []
    for position in positions:
        child_id = entries[position].child_id
        if child_id is not None and child_id not in existing:
            existing.append(child_id)
    records = [entries[p].record for p in positions if entries[p].record is not None]
    if not existing:
        target = _new_child(
            [r for r in records if r is not None],
            by=by,
            reason="No child in the index matched these records",
        )
        if target is None:
            summary.not_linked += len(records)
            return
        summary.children_created += 1
    else:
        # The child holding most of the cluster's records keeps them.
        counts = {
            child_id: sum(1 for p in positions if entries[p].child_id == child_id)
            for child_id in existing
        }
        target = known.get(max(existing, key=lambda c: (counts[c], -c))) or Child.objects.get(
            pk=max(existing, key=lambda c: (counts[c], -c))
        )
    for position in positions:
        entry = entries[position]
        if entry.record is not None and entry.record.child_id is None:
            _link(
                entry.record,
                target,
                by=by,
                reason="Matched automatically (above the automatic link threshold)"
                if len(positions) > 1
                else "The only record of a new child",
                probability=best.get(position),
            )
            summary.records_linked += 1
        child_of[position] = target
    # Two known children in one cluster: a data manager decides, never a silent merge.
    for child_id in existing:
        if child_id == target.pk:
            continue
        other = known.get(child_id) or Child.objects.get(pk=child_id)
        mine = [p for p in positions if entries[p].child_id == child_id]
        for p in mine:
            child_of[p] = other
        theirs = [p for p in positions if entries[p].child_id == target.pk]
        if _queue_review(
            child=other,
            candidate=target,
            source_record=entries[mine[0]].record if mine else None,
            candidate_record=entries[theirs[0]].record if theirs else None,
            probability=max([best.get(p, 0.0) for p in mine] or [0.0]),
            evidence={"fields": [], "note": "Matching would join two children already known."},
        ):
            summary.reviews_queued += 1


# Incremental matching ------------------------------------------------------------------


def train_model(*, seed: int = 42) -> MatchingModel:
    """Train a model on the records held now and save it (no linking)."""
    library = _library()
    from joinedup.children.matching._normalise import prepare

    entries = [_Entry(record=r) for r in _source_records().order_by("pk")] + [
        _Entry(child=c) for c in _index_children()
    ]
    if len(entries) < 2:
        raise MatchingUnavailable("There are not enough records to train a matching model.")
    prepared = prepare(_frame(entries))
    linker = _seeded(lambda s: library.train(prepared, seed=s), seed)
    thresholds = library.Thresholds()
    return MatchingModel.objects.create(
        records=len(entries),
        settings=linker.misc.save_model_to_json(),
        high_threshold=thresholds.high,
        low_threshold=thresholds.low,
    )


def current_model() -> MatchingModel | None:
    return MatchingModel.objects.order_by("-trained_at", "-pk").first()


@dataclass
class IncrementalSummary:
    matched: int = 0
    linked: int = 0
    children_created: int = 0
    reviews_queued: int = 0
    not_linked: int = 0
    decisions: dict[int, str] = field(default_factory=dict)  # source record id → band


def _child_index(model_row: MatchingModel, exclude: set[int]) -> tuple[Any, list[_Entry]]:
    from joinedup.children.matching._normalise import prepare
    from joinedup.children.matching.incremental import ChildIndex

    entries = [
        _Entry(record=r)
        for r in _source_records()
        .filter(child__isnull=False, child__merged_into__isnull=True)
        .exclude(pk__in=exclude)
        .order_by("pk")
    ] + [_Entry(child=c) for c in _index_children()]
    if not entries:
        return None, entries
    prepared = prepare(_frame(entries))
    cluster = np.array([entry.child_id for entry in entries], dtype=np.int64)
    index = ChildIndex(prepared, cluster, model_row.settings, _thresholds(model_row))
    return index, entries


def _add_to_index(
    index: Any,
    entries: list[_Entry],
    model_row: MatchingModel,
    record: SourceRecord,
    new_row: pd.DataFrame,
    child: Child,
) -> Any:
    """Put a record just linked (or just made a child) in the index, so the next record
    of the same call can match it (two records of one new child in one feed). Returns the
    index (made from this record when there was none)."""
    from joinedup.children.matching.incremental import ChildIndex

    if index is None:
        first = new_row.assign(unique_id=0)
        index = ChildIndex(
            first, np.array([child.pk], dtype=np.int64), model_row.settings, _thresholds(model_row)
        )
    else:
        index.add(new_row, child.pk)
    entries.append(_Entry(record=record))
    return index


def match_source_records(
    records: Iterable[SourceRecord], *, performed_by: Practitioner | None = None
) -> IncrementalSummary:
    """Match new or changed source records one at a time against the index as it stands,
    with the saved model (trained first if there is none). A new record is linked (auto
    band), given a new child and queued for review (middle band), or given a new child
    (below). A changed record already linked is only queued for review if it now looks
    like another child; it is never moved silently. Each record joins the index once it
    is placed, so later records of the same call can match it."""
    from joinedup.children.matching._normalise import prepare

    records = list(records)
    summary = IncrementalSummary()
    if not records:
        return summary
    model_row = current_model() or train_model()
    index, entries = _child_index(model_row, {r.pk for r in records})
    with transaction.atomic():
        for record in records:
            summary.matched += 1
            row = _record_row(record)
            decision = index.match_one(row) if index is not None else None
            band = decision.band if decision is not None else "new"
            summary.decisions[record.pk] = band
            candidate = (
                Child.objects.filter(pk=decision.cluster).first()
                if decision is not None and decision.cluster is not None
                else None
            )
            one = _frame([_Entry(record=record)])
            one["record_id"] = -1
            new_row = prepare(one)
            evidence: dict[str, Any] = {}
            candidate_record = None
            if index is not None and candidate is not None and band in {"auto", "review"}:
                mine = np.flatnonzero(index.cluster == candidate.pk)
                evidence = _evidence_or_empty(model_row.settings, new_row, index.rows(mine))
                compared = evidence.get("compared_with")
                if compared is not None:
                    position = int(np.flatnonzero(index.unique_ids == compared)[0])
                    candidate_record = entries[position].record
            probability = decision.probability if decision is not None else None
            if record.child_id is not None:
                moved = candidate is not None and candidate.pk != record.child_id
                if (
                    moved
                    and band != "new"
                    and candidate is not None
                    and record.child is not None
                    and _queue_review(
                        child=record.child,
                        candidate=candidate,
                        source_record=record,
                        candidate_record=candidate_record,
                        probability=float(probability or 0.0),
                        evidence=evidence,
                    )
                ):
                    summary.reviews_queued += 1
                if record.child is not None and record.child.merged_into_id is None:
                    index = _add_to_index(index, entries, model_row, record, new_row, record.child)
                continue
            if band == "auto" and candidate is not None:
                _link(
                    record,
                    candidate,
                    by=performed_by,
                    reason="Matched automatically when the record arrived",
                    probability=probability,
                    evidence=evidence,
                )
                summary.linked += 1
                index = _add_to_index(index, entries, model_row, record, new_row, candidate)
                continue
            child = _new_child(
                [record],
                by=performed_by,
                reason="A possible match is waiting for review"
                if band == "review"
                else "No child in the index matched this record",
            )
            if child is None:
                summary.not_linked += 1
                continue
            summary.children_created += 1
            _link(record, child, by=performed_by, reason="The first record of a new child")
            index = _add_to_index(index, entries, model_row, record, new_row, child)
            if (
                band == "review"
                and candidate is not None
                and _queue_review(
                    child=child,
                    candidate=candidate,
                    source_record=record,
                    candidate_record=candidate_record,
                    probability=float(probability or 0.0),
                    evidence=evidence,
                )
            ):
                summary.reviews_queued += 1
    return summary


def match_feed(*, feed: Feed) -> IncrementalSummary | None:
    """After an import has committed: match the feed's new and changed records. Runs only
    once an index exists (a model has been trained by ``manage.py link_children``);
    before that there is nothing to match against."""
    if current_model() is None:
        return None
    changed = SourceRecordVersion.objects.filter(feed=feed, number__gt=1).values("source_record_id")
    records = _source_records().filter(
        Q(last_feed=feed) & (Q(child__isnull=True) | Q(pk__in=changed))
    )
    return match_source_records(records.order_by("pk"))


# A data manager's decisions --------------------------------------------------------------


def _identifiers(child: Child) -> tuple[set[str], set[str]]:
    nhs = {n for n in child.source_records.values_list("nhs_number", flat=True) if n}
    upn = {u for u in child.source_records.values_list("upn", flat=True) if u}
    if child.nhs_number:
        nhs.add(child.nhs_number)
    if child.upn:
        upn.add(child.upn)
    return nhs, upn


def cannot_link_reason(a: Child, b: Child) -> str:
    """Why two children can never be one (different valid NHS numbers or UPNs), or ''."""
    nhs_a, upn_a = _identifiers(a)
    nhs_b, upn_b = _identifiers(b)
    if nhs_a and nhs_b and not nhs_a & nhs_b:
        return (
            "These records cannot be merged: they hold different NHS numbers, so they are "
            "two children (twins often agree on everything else)."
        )
    if upn_a and upn_b and not upn_a & upn_b:
        return (
            "These records cannot be merged: they hold different unique pupil numbers, so "
            "they are two children."
        )
    return ""


def _record_change(by: Practitioner, children: Sequence[Child], decision: Any, what: str) -> None:
    audit.record_access(
        practitioner=by,
        children=children,
        decision=decision,
        action=AccessAction.CHANGED,
        what=what,
    )


def merge_children(
    *,
    keep: Child,
    merge: Child,
    by: Practitioner,
    reason: str,
    review: MatchReview | None = None,
) -> LinkEvent:
    """Merge ``merge`` into ``keep``: its source records, involvements and shielding move
    to ``keep``, and ``merge`` is marked merged. Refused when the two hold different valid
    NHS numbers or UPNs. Undo with ``undo_link_event``."""
    if not reason.strip():
        raise ValidationError("Say why these records are one child.")
    with transaction.atomic():
        keep = Child.objects.select_for_update().get(pk=keep.pk)
        merge = Child.objects.select_for_update().get(pk=merge.pk)
        decision = policy.can_merge_children(by, keep, merge)
        policy.require(decision, "You cannot merge these records.")
        problem = cannot_link_reason(keep, merge)
        if problem:
            raise ValidationError(problem)
        shieldings = list(
            Shielding.objects.active().filter(child=merge).values_list("pk", flat=True)
        )
        if shieldings and Shielding.objects.active().filter(child=keep).exists():
            raise ValidationError(
                "Both records are shielded. Lift one of the shieldings before merging them."
            )
        moved_records = list(merge.source_records.order_by("pk").values_list("pk", flat=True))
        moved_involvements = list(merge.involvements.order_by("pk").values_list("pk", flat=True))
        SourceRecord.objects.filter(pk__in=moved_records).update(child=keep)
        Involvement.objects.filter(pk__in=moved_involvements).update(child=keep)
        Shielding.objects.filter(pk__in=shieldings).update(child=keep)
        before = {name: getattr(keep, name) for name in FILL_FIELDS}
        filled = [name for name in FILL_FIELDS if not before[name] and getattr(merge, name)]
        for name in filled:
            setattr(keep, name, getattr(merge, name))
        if filled:
            keep.save()
        Child.objects.filter(pk=merge.pk).update(merged_into=keep)
        event = LinkEvent.objects.create(
            kind=LinkEventKind.MERGED,
            child=keep,
            other_child=merge,
            moved_source_records=moved_records,
            moved_involvements=moved_involvements,
            performed_by=by,
            reason=reason,
            match_probability=review.probability if review else None,
            match_weight=review.match_weight if review else None,
            evidence={
                "moved_shieldings": shieldings,
                "filled_fields": {name: before[name] for name in filled},
                "review": review.pk if review else None,
            },
        )
        # Reviews of these two children are settled by the merge.
        now = timezone.now()
        MatchReview.objects.filter(
            Q(child=keep, candidate_child=merge) | Q(child=merge, candidate_child=keep),
            status=MatchReviewStatus.PENDING,
        ).update(status=MatchReviewStatus.LINKED, decided_by=by, decided_at=now, reason=reason)
        _record_change(by, [keep, merge], decision, "Merged two records of one child")
    return event


def split_child(
    *,
    child: Child,
    source_records: Sequence[SourceRecord],
    by: Practitioner,
    reason: str,
    involvements: Sequence[Involvement] = (),
) -> LinkEvent:
    """Move some of a child's source records (and the chosen involvements) to a new child,
    whose identity comes from those records. Undo with ``undo_link_event``."""
    if not reason.strip():
        raise ValidationError("Say why these records are a different child.")
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        decision = policy.can_manage_child_identity(by, child)
        policy.require(decision, "You cannot split this child's records.")
        record_ids = sorted({r.pk for r in source_records})
        records = list(_source_records().filter(pk__in=record_ids, child=child))
        if not records or len(records) != len(record_ids):
            raise ValidationError("Choose which of this child's records belong to another child.")
        if len(records) == child.source_records.count():
            raise ValidationError(
                "Leave at least one record with this child: choose only the records that "
                "belong to another child."
            )
        involvement_ids = sorted({i.pk for i in involvements})
        if Involvement.objects.filter(pk__in=involvement_ids).exclude(child=child).exists():
            raise ValidationError("Choose only this child's involvements.")
        identity = identity_from_records(records)
        if identity is None:
            identity = {
                "given_name": child.given_name,
                "family_name": child.family_name,
                "date_of_birth": child.date_of_birth,
                "sex": child.sex,
            }
        new = Child(**identity)
        new.save()
        SourceRecord.objects.filter(pk__in=record_ids).update(child=new)
        Involvement.objects.filter(pk__in=involvement_ids).update(child=new)
        event = LinkEvent.objects.create(
            kind=LinkEventKind.SPLIT,
            child=new,
            other_child=child,
            moved_source_records=record_ids,
            moved_involvements=involvement_ids,
            performed_by=by,
            reason=reason,
        )
        _record_change(by, [child, new], decision, "Split a child's records into two children")
    return event


def undo_link_event(*, event: LinkEvent, by: Practitioner, reason: str) -> LinkEvent:
    """Reverse a merge (both children restored, each with exactly the source records,
    involvements and shielding it had) or a split (the records and involvements go back,
    and the child made by the split is marked merged back)."""
    if not reason.strip():
        raise ValidationError("Say why the change is being undone.")
    with transaction.atomic():
        event = LinkEvent.objects.select_related("child", "other_child").get(pk=event.pk)
        decision = policy.can_undo_link_event(by, event)
        policy.require(decision, "This change cannot be undone, or not by you.")
        if event.child is None or event.other_child is None:
            raise ValidationError("This change cannot be undone: a child it involved is gone.")
        if event.kind == LinkEventKind.MERGED:
            keep, merged = event.child, event.other_child
            SourceRecord.objects.filter(pk__in=event.moved_source_records, child=keep).update(
                child=merged
            )
            Involvement.objects.filter(pk__in=event.moved_involvements, child=keep).update(
                child=merged
            )
            Shielding.objects.filter(
                pk__in=event.evidence.get("moved_shieldings", []), child=keep
            ).update(child=merged)
            filled = event.evidence.get("filled_fields", {})
            if filled:
                for name, value in filled.items():
                    setattr(keep, name, value)
                keep.save()
            Child.objects.filter(pk=merged.pk).update(merged_into=None)
            kind, new_child, other = LinkEventKind.SPLIT, merged, keep
            review_id = event.evidence.get("review")
            if review_id:
                MatchReview.objects.filter(pk=review_id).update(
                    status=MatchReviewStatus.KEPT_APART,
                    decided_by=by,
                    decided_at=timezone.now(),
                    reason=f"Merge undone: {reason}",
                )
        else:  # a split: everything goes back to the child it came from
            made, original = event.child, event.other_child
            SourceRecord.objects.filter(pk__in=event.moved_source_records, child=made).update(
                child=original
            )
            Involvement.objects.filter(pk__in=event.moved_involvements, child=made).update(
                child=original
            )
            Child.objects.filter(pk=made.pk).update(merged_into=original)
            kind, new_child, other = LinkEventKind.MERGED, original, made
        undo = LinkEvent.objects.create(
            kind=kind,
            child=new_child,
            other_child=other,
            moved_source_records=event.moved_source_records,
            moved_involvements=event.moved_involvements,
            performed_by=by,
            reason=reason,
            reverses=event,
        )
        _record_change(
            by, [event.child, event.other_child], decision, "Undid a merge or split of records"
        )
    return undo


def decide_review(
    *, review: MatchReview, decision: str, by: Practitioner, reason: str
) -> MatchReview:
    """Decide a possible match: ``"link"`` merges the record's child into the candidate
    child; ``"kept_apart"`` records that they are two children (not asked again)."""
    if decision not in {"link", "kept_apart"}:
        raise ValidationError("Choose whether these are the same child.")
    if not reason.strip():
        raise ValidationError("Say why you decided this.")
    with transaction.atomic():
        review = MatchReview.objects.select_for_update().get(pk=review.pk)
        allowed = policy.can_decide_review(by, review)
        policy.require(allowed, "You cannot decide this possible match.")
        if review.status != MatchReviewStatus.PENDING:
            raise ValidationError("This possible match has already been decided.")
        candidate = review.candidate_child
        if decision == "link":
            if review.child is not None:
                merge_children(
                    keep=candidate, merge=review.child, by=by, reason=reason, review=review
                )
            elif review.source_record is not None:
                _link(
                    review.source_record,
                    candidate,
                    by=by,
                    reason=reason,
                    probability=review.probability,
                    evidence=review.evidence,
                )
            status = MatchReviewStatus.LINKED
        else:
            LinkEvent.objects.create(
                kind=LinkEventKind.KEPT_APART,
                source_record=review.source_record,
                child=review.child,
                other_child=candidate,
                performed_by=by,
                reason=reason,
                match_probability=review.probability,
                match_weight=review.match_weight,
                evidence=review.evidence,
            )
            status = MatchReviewStatus.KEPT_APART
        MatchReview.objects.filter(pk=review.pk).update(
            status=status, decided_by=by, decided_at=timezone.now(), reason=reason
        )
        review.refresh_from_db()
        children = [c for c in (review.child, candidate) if c is not None]
        _record_change(by, children, allowed, "Decided a possible match of records")
    return review


def unlink_source_record(*, record: SourceRecord, by: Practitioner, reason: str) -> LinkEvent:
    """Take a source record off its child: it becomes the first record of a new child of
    its own (so it stays in the index). The same as splitting out one record."""
    if record.child is None:
        raise ValidationError("This record is not linked to a child.")
    with transaction.atomic():
        event = split_child(child=record.child, source_records=[record], by=by, reason=reason)
        LinkEvent.objects.create(
            kind=LinkEventKind.UNLINKED,
            source_record=record,
            child=event.other_child,
            other_child=event.child,
            moved_source_records=[record.pk],
            performed_by=by,
            reason=reason,
        )
    return event
