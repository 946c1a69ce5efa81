"""Match one new source record against an already-linked index, without a rebuild.

The batch run is too slow to repeat for every record an agency sends, so new records are
matched one at a time:

0. the record is prepared by ``_normalise.prepare_one`` (the batch's rules, without
   pandas);
1. candidates come from in-memory look-up tables keyed exactly like the batch blocking
   rules (``model.BLOCKING_KEYS``), so a record is compared with the same kind of
   neighbours it would meet in a full run, typically a few dozen records;
2. the trained Splink model scores the new record against those candidates (the SQL is
   generated once by ``splink``'s real-time ``compare_records`` and then reused);
3. cannot-link is applied against each candidate's *cluster* (a cluster already holding a
   different valid NHS number or UPN is never offered), the twin rule as in the batch
   (``model.twin_signature``), and the best cluster decides the band.

Once a record has been linked (or has made a new child), ``ChildIndex.add`` puts it in
the index, so the next record of the same call can match it: two records of one new child
in one feed become one child, not two.

Splink 5 removed ``linker.inference.find_matches_to_new_records``; ``predict_between``
replaces it but blocks inside DuckDB over the whole index on every call, which is far
slower than a dictionary look-up for a single record.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from splink import DuckDBAPI
from splink.internals import realtime

from joinedup.children.matching._normalise import LIST_COLUMNS, prepare_one
from joinedup.children.matching.model import (
    BLOCKING_KEYS,
    TWIN_COLUMNS,
    Thresholds,
    twin_arrays,
    twin_signature_arrays,
)

_PLACEHOLDER = "joinedupincremental"
_CACHE_KEY = "joinedup-match-one"
MAX_CANDIDATES = 1000  # a guard against a pathological key (e.g. a junk default date)


@dataclass(frozen=True)
class MatchDecision:
    band: str  # "auto", "review" or "new"
    cluster: int | None  # best cluster (None when no candidate survived)
    probability: float  # best cluster's match probability (0 when no candidate)
    candidates: int  # records scored
    runner_up: float  # second-best cluster's probability (ambiguity signal)


class _Scorer:
    """Scores one record against candidates with the trained model's SQL."""

    def __init__(self, settings: dict[str, Any], example: pd.DataFrame) -> None:
        self._con = duckdb.connect()
        self._con.execute("SET threads = 1")  # one record: threads only add overhead
        self._settings = settings
        self._db_api = DuckDBAPI(self._con)
        # Splink's SQL cache is global and the model's parameters are written into the SQL,
        # so each index uses a key of its own: a newly trained model can never be scored
        # with an older one's SQL.
        self._cache_key = f"{_CACHE_KEY}-{uuid.uuid4().hex}"
        realtime.compare_records(
            example.iloc[[0]],
            example.iloc[[0]],
            settings,
            self._db_api,
            sql_cache_key=self._cache_key,
        )
        # Reuse the generated SQL over views of our own; falls back to the public call if
        # Splink's (private) cache ever changes shape.
        cached = getattr(realtime, "_sql_cache", None)
        self._sql = cached.get(self._cache_key, _PLACEHOLDER) if cached is not None else None
        self._left = f"__splink__compare_records_left_{_PLACEHOLDER}"
        self._right = f"__splink__compare_records_right_{_PLACEHOLDER}"
        if self._sql is not None:
            # A view parses the long generated SQL once; each call only binds and runs it.
            self._con.register(self._left, example.iloc[[0]])
            self._con.register(self._right, example.iloc[[0]])
            self._con.execute(f"CREATE VIEW joinedup_scored AS {self._sql}")

    def score(self, new: pd.DataFrame, candidates: pd.DataFrame) -> pd.DataFrame:
        if self._sql is None:
            result = realtime.compare_records(
                new, candidates, self._settings, self._db_api, sql_cache_key=self._cache_key
            )
            frame = result.as_pandas_dataframe()
            result.drop_table_from_database_and_remove_from_cache()
            return frame
        self._con.register(self._left, new)
        self._con.register(self._right, candidates)
        return self._con.execute("SELECT * FROM joinedup_scored").df()


def _repeat(value: object, count: int) -> np.ndarray:
    """An object array holding ``value`` ``count`` times (lists stay whole)."""
    out = np.empty(count, dtype=object)
    for i in range(count):
        out[i] = value
    return out


class _Growing:
    """A 1-D array that grows at the end in amortised constant time (capacity doubling),
    so adding a record never copies a million-row index."""

    def __init__(self, values: np.ndarray) -> None:
        self._data = values
        self._size = len(values)

    @property
    def values(self) -> np.ndarray:
        return self._data[: self._size]

    def append(self, value: object) -> None:
        if self._size == len(self._data):
            bigger = np.empty(max(16, 2 * len(self._data)), dtype=self._data.dtype)
            bigger[: self._size] = self._data[: self._size]
            self._data = bigger
        self._data[self._size] = value  # an object element may be a list: stored whole
        self._size += 1


class ChildIndex:
    """The linked records (prepared form) with their clusters, ready for ``match_one``.

    Positions are row numbers: the records given to the constructor first, then those
    added with ``add`` in turn."""

    def __init__(
        self,
        prepared: pd.DataFrame,
        cluster: np.ndarray,
        settings: dict[str, Any],
        thresholds: Thresholds,
    ) -> None:
        self._base = prepared.reset_index(drop=True)
        # Records added after construction (small: one call's records), kept apart from
        # the base frame so that adding one never copies the whole index.
        self._added: pd.DataFrame | None = None
        self._whole: pd.DataFrame | None = None
        self._cluster = _Growing(np.asarray(cluster).copy())
        self.thresholds = thresholds
        # One identifier per cluster at most (the batch clustering guarantees it).
        frame = pd.DataFrame(
            {
                "cluster": self.cluster,
                "nhs": self._base["nhs_number"],
                "upn": self._base["upn"],
            }
        )
        self.cluster_nhs: dict[int, str] = (
            frame.dropna(subset=["nhs"])
            .drop_duplicates("cluster")
            .set_index("cluster")["nhs"]
            .to_dict()
        )
        self.cluster_upn: dict[int, str] = (
            frame.dropna(subset=["upn"])
            .drop_duplicates("cluster")
            .set_index("cluster")["upn"]
            .to_dict()
        )
        self._lookups: list[tuple[tuple[str, ...], tuple[str, ...], dict[Any, np.ndarray]]] = []
        for keys in BLOCKING_KEYS:
            sides = {tuple(right for _, right in keys): tuple(left for left, _ in keys)}
            sides.setdefault(tuple(left for left, _ in keys), tuple(right for _, right in keys))
            for indexed, queried in sides.items():
                groups = self._base.groupby(list(indexed), sort=False, dropna=True).indices
                self._lookups.append((indexed, queried, groups))
        self._scorer = _Scorer(settings, self._base)
        self._twin_columns = {
            c: _Growing(values.copy()) for c, values in twin_arrays(self._base).items()
        }
        self._unique_ids = _Growing(self._base["unique_id"].to_numpy().copy())
        self._next_id = int(self._base["unique_id"].max()) + 1 if len(self._base) else 0
        self._text_dtypes = {
            c: "string" for c in self._base.columns if c not in (*LIST_COLUMNS, "unique_id")
        }

    @property
    def cluster(self) -> np.ndarray:
        """Each position's cluster."""
        return self._cluster.values

    @property
    def unique_ids(self) -> np.ndarray:
        """Each position's ``unique_id`` (the ids Splink's scored pairs name)."""
        return self._unique_ids.values

    @property
    def prepared(self) -> pd.DataFrame:
        """Every record of the index, by position (copies once after an ``add``)."""
        if self._added is None:
            return self._base
        if self._whole is None:
            self._whole = pd.concat([self._base, self._added])
        return self._whole

    def __len__(self) -> int:
        return len(self._cluster.values)

    def rows(self, positions: np.ndarray) -> pd.DataFrame:
        """The prepared records at these positions (in ascending order)."""
        base = len(self._base)
        if self._added is None or positions.size == 0 or int(positions.max()) < base:
            return self._base.iloc[positions]
        return pd.concat(
            [
                self._base.iloc[positions[positions < base]],
                self._added.loc[positions[positions >= base]],
            ]
        )

    def add(self, prepared_row: pd.DataFrame | pd.Series, cluster: int) -> int:
        """Put one more record (a prepared row, as ``_normalise.prepare`` makes it) in the
        index as a member of ``cluster``, so that later ``match_one`` calls find it; returns
        its position. It gets a fresh ``unique_id``. The cluster's NHS number and UPN are
        the first it holds, as in the batch (``match_one`` never links a record to a cluster
        holding a different one)."""
        row = prepared_row.to_frame().T if isinstance(prepared_row, pd.Series) else prepared_row
        if len(row) != 1:
            raise ValueError("add takes one prepared record")
        position = len(self)
        row = row[list(self._base.columns)].astype(self._base.dtypes.to_dict())
        row.index = pd.RangeIndex(position, position + 1)
        row["unique_id"] = self._next_id
        self._next_id += 1
        values = row.iloc[0]
        self._added = row if self._added is None else pd.concat([self._added, row])
        self._whole = None
        self._cluster.append(int(cluster))
        self._unique_ids.append(int(values["unique_id"]))
        for column, stored in twin_arrays(row).items():
            self._twin_columns[column].append(stored[0])
        for identifiers, column in ((self.cluster_nhs, "nhs_number"), (self.cluster_upn, "upn")):
            if not pd.isna(values[column]):
                identifiers.setdefault(int(cluster), values[column])
        for indexed, _queried, groups in self._lookups:
            keys = [values[column] for column in indexed]
            if any(pd.isna(key) for key in keys):
                continue
            key = keys[0] if len(indexed) == 1 else tuple(keys)
            held = groups.get(key)
            groups[key] = (
                np.array([position], dtype=np.intp) if held is None else np.append(held, position)
            )
        return position

    def candidates(self, new: Mapping[str, Any]) -> np.ndarray:
        found: list[np.ndarray] = []
        for indexed, queried, groups in self._lookups:
            values = [new[column] for column in queried]
            if any(value is None for value in values):
                continue
            key = values[0] if len(indexed) == 1 else tuple(values)
            hit = groups.get(key)
            if hit is not None:
                found.append(hit)
        if not found:
            return np.empty(0, dtype=np.int64)
        return np.unique(np.concatenate(found))[:MAX_CANDIDATES]

    def match_one(self, record: Mapping[str, Any]) -> MatchDecision:
        """Band one new source record (same columns as the generator's output)."""
        prepared = prepare_one(record)
        prepared["unique_id"] = -1  # not part of the index; never equal to an indexed id
        positions = self.candidates(prepared)
        if positions.size == 0:
            return MatchDecision("new", None, 0.0, 0, 0.0)
        # Missing lists become empty lists so DuckDB types the one-row table as lists too
        # (no overlap either way, so the score is the same).
        new = pd.DataFrame([{**prepared, **{c: prepared[c] or [] for c in LIST_COLUMNS}}]).astype(
            self._text_dtypes
        )
        scored = self._scorer.score(new, self.rows(positions))
        probability = scored["match_probability"].to_numpy().copy()
        # Scored rows come back in any order and unique ids need not be positions.
        position_of = dict(
            zip(self.unique_ids[positions].tolist(), positions.tolist(), strict=True)
        )
        ids = np.array([position_of[u] for u in scored["unique_id_r"].tolist()], dtype=np.int64)
        clusters = self.cluster[ids]
        # The batch twin rule, applied the same way (see model.apply_twin_rule).
        signature, maybe_nickname = twin_signature_arrays(
            {c: _repeat(prepared[c], len(ids)) for c in TWIN_COLUMNS},
            {c: values.values[ids] for c, values in self._twin_columns.items()},
        )
        probability[signature & ~maybe_nickname] = 0.0
        capped = maybe_nickname
        probability[capped] = np.minimum(probability[capped], np.nextafter(self.thresholds.high, 0))
        # Cannot-link against the whole cluster, not just the scored record.
        nhs, upn = prepared["nhs_number"], prepared["upn"]
        allowed = np.ones(len(clusters), dtype=bool)
        for i, c in enumerate(clusters.tolist()):
            held_nhs, held_upn = self.cluster_nhs.get(c), self.cluster_upn.get(c)
            if (nhs is not None and held_nhs is not None and held_nhs != nhs) or (
                upn is not None and held_upn is not None and held_upn != upn
            ):
                allowed[i] = False
        if not allowed.any():
            return MatchDecision("new", None, 0.0, int(positions.size), 0.0)
        best = (
            pd.Series(probability[allowed])
            .groupby(clusters[allowed])
            .max()
            .sort_values(ascending=False)
        )
        top, top_p = int(best.index[0]), float(best.iloc[0])
        runner_up = float(best.iloc[1]) if len(best) > 1 else 0.0
        if top_p >= self.thresholds.high and runner_up < self.thresholds.high:
            band = "auto"
        elif top_p < self.thresholds.low:
            band = "new"
        else:
            # Includes two clusters both above the high threshold: a person decides.
            band = "review"
        return MatchDecision(band, top, top_p, int(positions.size), runner_up)


def timed_matches(
    index: ChildIndex, records: pd.DataFrame
) -> tuple[list[MatchDecision], np.ndarray]:
    """Match each record in turn; returns decisions and per-record latency in seconds."""
    decisions: list[MatchDecision] = []
    latencies = np.empty(len(records))
    for i, row in enumerate(records.to_dict("records")):
        start = time.perf_counter()
        decisions.append(index.match_one(row))
        latencies[i] = time.perf_counter() - start
    return decisions, latencies
