"""Measure a linkage against ground truth: pairwise precision/recall, exact children, twins.

Pairwise metrics count record pairs placed in one cluster (predicted) against pairs that
belong to one true child, computed from cluster/child contingency counts, so no pair list
is ever materialised (a million records would have too many).
"""

from __future__ import annotations

import resource
import sys
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd


def _pairs(counts: np.ndarray) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


@dataclass
class Metrics:
    records: int
    children: int
    precision: float
    recall: float
    f1: float
    children_exact: float  # share of true children reconstructed as exactly one cluster
    false_merge_pairs: int  # distinct-child pairs in one cluster, by relationship:
    twin_merges: int
    sibling_merges: int
    unrelated_merges: int
    review_share: float  # records in the review band / all records
    review_pairs: int
    new_share: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def evaluate(
    truth: pd.DataFrame, cluster: np.ndarray, band: np.ndarray, review_pairs: int = 0
) -> Metrics:
    """``truth`` has true_child_id, true_household_id, true_date_of_birth per record."""
    true_child = truth["true_child_id"].to_numpy()
    frame = pd.DataFrame({"cluster": cluster, "child": true_child})
    both = frame.groupby(["cluster", "child"]).size().to_numpy()
    tp = _pairs(both)
    predicted = _pairs(frame.groupby("cluster").size().to_numpy())
    actual = _pairs(frame.groupby("child").size().to_numpy())
    precision = tp / predicted if predicted else 1.0
    recall = tp / actual if actual else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0

    # A child is reconstructed exactly when its records form one whole cluster alone.
    per_child_clusters = frame.groupby("child")["cluster"].nunique()
    per_cluster_children = frame.groupby("cluster")["child"].nunique()
    first_cluster = frame.groupby("child")["cluster"].first()
    exact = (per_child_clusters == 1) & (
        per_cluster_children.reindex(first_cluster.to_numpy()).to_numpy() == 1
    )

    # False merges, counted once per pair of distinct children sharing a cluster.
    if "true_household_id" not in truth.columns:  # e.g. FEBRL: no households
        truth = truth.assign(true_household_id=-1 - truth["true_child_id"], true_date_of_birth="")
    children = truth.assign(cluster=cluster).drop_duplicates(["cluster", "true_child_id"])[
        ["cluster", "true_child_id", "true_household_id", "true_date_of_birth"]
    ]
    shared = children[children.duplicated("cluster", keep=False)]
    joined = shared.merge(shared, on="cluster", suffixes=("_a", "_b"))
    joined = joined[joined["true_child_id_a"] < joined["true_child_id_b"]]
    same_household = joined["true_household_id_a"] == joined["true_household_id_b"]
    same_birthday = joined["true_date_of_birth_a"] == joined["true_date_of_birth_b"]
    twins = int((same_household & same_birthday).sum())
    siblings = int((same_household & ~same_birthday).sum())

    n = len(truth)
    return Metrics(
        records=n,
        children=len(per_child_clusters),
        precision=precision,
        recall=recall,
        f1=f1,
        children_exact=float(exact.mean()),
        false_merge_pairs=len(joined),
        twin_merges=twins,
        sibling_merges=siblings,
        unrelated_merges=int((~same_household).sum()),
        review_share=float((band == "review").mean()),
        review_pairs=review_pairs,
        new_share=float((band == "new").mean()),
    )


def peak_rss_mib() -> float:
    """Peak resident set size of this process (ru_maxrss is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024
