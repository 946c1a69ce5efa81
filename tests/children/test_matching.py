"""Child identity matching: generator, cannot-link, twin rule, bands, floors, FEBRL.

Small data only (≤ 2,000 records); the model is trained once per module. No timings are
asserted — speed is the benchmark's business (benchmarks/child_matching.py).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from joinedup.children.identifiers import is_valid_nhs_number, is_valid_upn
from joinedup.children.matching._normalise import prepare, prepare_one
from joinedup.children.matching.evaluate import evaluate
from joinedup.children.matching.febrl import run_febrl
from joinedup.children.matching.generator import GROUND_TRUTH_COLUMNS, generate
from joinedup.children.matching.incremental import ChildIndex
from joinedup.children.matching.model import (
    LinkResult,
    Thresholds,
    assign_bands,
    constrained_clusters,
    link,
)

SIZE = 2_000
SEED = 5

# Valid NHS numbers (modulus 11) outside the 999 test range, used for crafted twins.
TWIN_A_NHS = "4857773457"
TWIN_B_NHS = "9434765919"
SAME_NHS = "9434765870"


def _crafted() -> pd.DataFrame:
    """Twins who agree on everything but their NHS numbers, and a plain duplicate pair."""
    twin = {
        "agency": "health",
        "source_id": "NHS-T",
        "given_name": "Poppy",
        "family_name": "Quennell",
        "other_names": None,
        "date_of_birth": "14/06/2016",
        "sex": "F",
        "upn": None,
        "postcode": "LS6 2QT",
        "address_line_1": "12 Cardigan Road",
        "true_household_id": -1,
        "true_date_of_birth": "2016-06-14",
        "true_is_twin": True,
    }
    duplicate = {
        **twin,
        "given_name": "Bartholomew",
        "family_name": "Ormerod",
        "date_of_birth": "02/11/2012",
        "sex": "M",
        "postcode": "HX7 5AB",
        "address_line_1": "3 Mill Fold",
        "true_household_id": -2,
        "true_date_of_birth": "2012-11-02",
        "true_is_twin": False,
    }
    rows = [
        {**twin, "nhs_number": TWIN_A_NHS, "true_child_id": -1},
        {**twin, "nhs_number": TWIN_B_NHS, "true_child_id": -2},
        {**duplicate, "nhs_number": SAME_NHS, "true_child_id": -3},
        {**duplicate, "agency": "school", "nhs_number": SAME_NHS, "true_child_id": -3},
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def records() -> pd.DataFrame:
    generated = generate(SIZE - 4, seed=SEED)
    combined = pd.concat([generated, _crafted()], ignore_index=True)
    combined["record_id"] = np.arange(len(combined))
    return combined


@pytest.fixture(scope="module")
def result(records: pd.DataFrame) -> LinkResult:
    return link(records, Thresholds(), seed=SEED)


def test_generator_is_deterministic_for_a_seed() -> None:
    first, again, other = generate(800, seed=11), generate(800, seed=11), generate(800, seed=12)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


def test_generator_has_twins_siblings_and_every_agency() -> None:
    frame = generate(SIZE, seed=SEED)
    assert len(frame) == SIZE
    assert frame["true_is_twin"].any()
    children_per_household = frame.groupby("true_household_id")["true_child_id"].nunique()
    assert (children_per_household >= 2).sum() > 50
    assert set(frame["agency"]) == {"school", "health", "social_care", "voluntary"}
    # Twins share a household and a birthday but never a given name.
    twins = frame[frame["true_is_twin"]].drop_duplicates("true_child_id")
    pairs = twins.groupby("true_household_id")
    assert (pairs["true_date_of_birth"].nunique() == 1).all()


def test_agency_profiles_differ() -> None:
    frame = generate(SIZE, seed=SEED)
    has_nhs = frame["nhs_number"].notna().groupby(frame["agency"]).mean()
    has_upn = frame["upn"].notna().groupby(frame["agency"]).mean()
    assert has_nhs["health"] > 0.9 > 0.5 > has_nhs["school"]
    assert has_upn["school"] > 0.9
    assert has_nhs["voluntary"] < 0.2


def test_vectorised_identifier_checks_agree_with_the_identifiers_module() -> None:
    frame = generate(SIZE, seed=SEED)
    prepared = prepare(frame)
    for raw, kept in zip(frame["nhs_number"], prepared["nhs_number"], strict=True):
        expected = isinstance(raw, str) and is_valid_nhs_number(raw) and raw[:3] != "999"
        assert expected == (not pd.isna(kept))
    for raw, kept in zip(frame["upn"], prepared["upn"], strict=True):
        assert (isinstance(raw, str) and is_valid_upn(raw)) == (not pd.isna(kept))


def test_single_record_preparation_matches_the_batch() -> None:
    # The incremental matcher prepares one record without pandas; it must read every
    # record exactly as the batch does, or the two paths would disagree on a child.
    frame = generate(SIZE, seed=SEED)
    reference = date(2026, 11, 23)
    batch = prepare(frame, reference=reference)
    for position, record in enumerate(frame.to_dict("records")):
        one = prepare_one(record, reference=reference)
        for column, value in one.items():
            expected = batch[column].iloc[position]
            if isinstance(value, list) or isinstance(expected, list):
                assert value == expected, (column, record)
            else:
                assert (value is None and pd.isna(expected)) or value == expected, (column, record)


def test_dates_tolerate_formats_and_offer_the_swapped_reading() -> None:
    raw = pd.DataFrame(
        {
            "record_id": [0, 1, 2, 3],
            "date_of_birth": ["2015-03-04", "04/03/2015", "4/3/15", "31/02/2015"],
        }
    )
    prepared = prepare(raw, reference=date(2026, 11, 23))
    assert prepared["dob"].tolist()[:3] == ["2015-03-04", "2015-03-04", "2015-03-04"]
    # Day-first numeric dates could be the other way round; ISO dates cannot.
    swapped = prepared["dob_swapped"]
    assert pd.isna(swapped.iloc[0])
    assert swapped.iloc[1] == swapped.iloc[2] == "2015-04-03"
    assert pd.isna(prepared["dob"].iloc[3])  # 31 February is not a date


def test_different_valid_nhs_numbers_never_share_a_cluster(
    records: pd.DataFrame, result: LinkResult
) -> None:
    a, b = records.index[records["nhs_number"].isin([TWIN_A_NHS, TWIN_B_NHS])]
    assert result.cluster[a] != result.cluster[b]
    # And across the whole data set: one valid NHS number and UPN per cluster at most.
    for column in ("nhs_number", "upn"):
        per_cluster = (
            pd.DataFrame({"cluster": result.cluster, "id": result.prepared[column]})
            .dropna()
            .groupby("cluster")["id"]
            .nunique()
        )
        assert per_cluster.max() == 1


def test_identical_records_with_the_same_nhs_number_link(
    records: pd.DataFrame, result: LinkResult
) -> None:
    a, b = records.index[records["nhs_number"] == SAME_NHS]
    assert result.cluster[a] == result.cluster[b]
    assert result.band[a] == result.band[b] == "auto"


def test_constrained_clustering_refuses_a_chain_through_an_unidentified_record() -> None:
    # 0 (NHS x) – 2 (no number) – 1 (NHS y): the weaker edge must be refused.
    nhs = np.array([0, 1, -1])
    upn = np.array([-1, -1, -1])
    cluster, refused = constrained_clusters(
        3, np.array([0, 1]), np.array([2, 2]), np.array([0.999, 0.98]), nhs, upn
    )
    assert refused == 1
    assert cluster[0] == cluster[2] != cluster[1]


def test_bands_split_by_thresholds() -> None:
    thresholds = Thresholds(high=0.9, low=0.4)
    pairs = pd.DataFrame(
        {
            "unique_id_l": [0, 2, 4],
            "unique_id_r": [1, 3, 5],
            "match_probability": [0.95, 0.6, 0.3],
        }
    )
    auto = pairs[pairs["match_probability"] >= thresholds.high]
    no_ids = np.full(7, -1)
    cluster, _ = constrained_clusters(
        7,
        auto["unique_id_l"].to_numpy(),
        auto["unique_id_r"].to_numpy(),
        auto["match_probability"].to_numpy(),
        no_ids,
        no_ids,
    )
    kept = pairs[pairs["match_probability"] >= thresholds.low]
    band, review = assign_bands(7, kept, cluster, thresholds)
    assert band.tolist() == ["auto", "auto", "review", "review", "new", "new", "new"]
    assert len(review) == 1
    with pytest.raises(ValueError):
        Thresholds(high=0.4, low=0.9)


def test_quality_floors_on_two_thousand_records(records: pd.DataFrame, result: LinkResult) -> None:
    # Measured at this size with seeds 5, 6 and 7: precision 0.995–1.000, recall ≈ 0.985,
    # ≈ 98.5% of children exact, review 0.65–1.15%, at most one twin merge. The floors sit
    # below that so they catch regressions, not noise between seeds.
    metrics = evaluate(records, result.cluster, result.band, len(result.review_pairs))
    assert metrics.precision >= 0.98
    assert metrics.recall >= 0.93
    assert metrics.children_exact >= 0.93
    assert metrics.twin_merges <= 2
    assert metrics.review_share <= 0.05


def test_match_one_against_the_index(records: pd.DataFrame, result: LinkResult) -> None:
    index = ChildIndex(
        result.prepared, result.cluster, result.linker.misc.save_model_to_json(), Thresholds()
    )
    source = [c for c in records.columns if c not in GROUND_TRUTH_COLUMNS]
    a = int(records.index[records["nhs_number"] == SAME_NHS][0])
    again = index.match_one(records.loc[a, source].to_dict())
    assert again.band == "auto"
    assert again.cluster == result.cluster[a]

    # Unique ids need not be positions (the app uses database ids): same answer.
    renumbered = result.prepared.assign(unique_id=result.prepared["unique_id"] + 10_000)
    shuffled = renumbered.sample(frac=1.0, random_state=1)
    order = shuffled.index.to_numpy()
    elsewhere = ChildIndex(
        shuffled, result.cluster[order], result.linker.misc.save_model_to_json(), Thresholds()
    )
    assert elsewhere.match_one(records.loc[a, source].to_dict()).cluster == result.cluster[a]

    # A third "twin" with a new NHS number: never auto-linked to either twin's child.
    twin_a = int(records.index[records["nhs_number"] == TWIN_A_NHS][0])
    third = {**records.loc[twin_a, source].to_dict(), "nhs_number": "6549873215"}
    decision = index.match_one(third)
    assert decision.band != "auto"

    unknown = {
        **third,
        "given_name": "Zebedee",
        "family_name": "Xanthopoulos",
        "postcode": "WF1 1AA",
    }
    unknown["date_of_birth"] = "01/01/2010"
    assert index.match_one(unknown).band == "new"


def test_febrl_regression_floor() -> None:
    # FEBRL 4, first 1,000 people (2,000 records). Measured: precision 1.000, recall 0.700
    # (the same with seeds 1, 2 and 42). Recall is low because FEBRL's Australian postcodes
    # are invalid to UK standardisation, so neither blocking nor scoring can use them.
    metrics, _ = run_febrl(4, entities=1_000)
    assert metrics.precision >= 0.98
    assert metrics.recall >= 0.65
