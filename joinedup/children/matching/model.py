"""Probabilistic identity matching of children's source records (Splink + DuckDB).

Pipeline: ``prepare`` (standardise) → ``train`` (u by seeded random sampling, m by EM on
two blocking rules) → ``predict`` (scored candidate pairs from the blocking rules) →
cannot-link filter → constrained clustering → bands.

Cannot-link: two different *valid* NHS numbers, or two different valid UPNs, never end up
in one child. A valid identifier is issued to one child only, and check digits catch almost
every typing slip, so a conflict means two children — most often twins, who agree on
everything else. Invalid identifiers were already set to missing in ``prepare``, so a
mistyped number can't block a true link.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import jellyfish
import numpy as np
import pandas as pd
import splink.comparison_level_library as cll
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.blocking_rule_library import CustomRule

from joinedup.children.matching._normalise import prepare

logger = logging.getLogger(__name__)

# Each rule is a list of (left column, right column) equalities. They are used both by
# Splink for the batch run and by the incremental matcher's look-up tables, so the two
# always agree on what counts as a candidate.
BLOCKING_KEYS: tuple[tuple[tuple[str, str], ...], ...] = (
    (("nhs_number", "nhs_number"),),
    (("upn", "upn"),),
    (("dob", "dob"), ("family_phonetic", "family_phonetic")),
    (("dob", "dob"), ("given_canonical", "given_canonical")),
    # Day and month typed the other way round (04/03 vs 03/04).
    (("dob", "dob_swapped"), ("given_canonical", "given_canonical")),
    (("postcode", "postcode"), ("dob_year", "dob_year")),
    (("postcode", "postcode"), ("given_canonical", "given_canonical")),
    (("postcode", "postcode"), ("family_phonetic", "family_phonetic")),
    (("given_canonical", "given_canonical"), ("family_phonetic", "family_phonetic"), ("dob_year", "dob_year")),
    # Date of birth missing or badly wrong: names and the postal district.
    (("given_canonical", "given_canonical"), ("family_phonetic", "family_phonetic"), ("postcode_district", "postcode_district")),
)  # fmt: skip


@dataclass(frozen=True)
class Thresholds:
    """Match-probability bands: auto-link ≥ high; review in [low, high); new child < low."""

    # Chosen on the synthetic data with seed 1 at 100k records (precision stays ≈ 0.9999
    # from 0.8 to 0.995; 0.95 keeps the review queue small); benchmarks use other seeds.
    high: float = 0.95
    low: float = 0.5

    def __post_init__(self) -> None:
        if not 0 < self.low <= self.high < 1:
            raise ValueError("thresholds need 0 < low ≤ high < 1")


def _blocking_rule(keys: tuple[tuple[str, str], ...]) -> Any:
    if all(left == right for left, right in keys):
        return block_on(*(left for left, _ in keys))
    return CustomRule(" AND ".join(f"l.{left} = r.{right}" for left, right in keys))


def _levels(column: str, *extra: Any) -> list[Any]:
    return [cll.NullLevel(column), *extra, cll.ElseLevel()]


def _jw(column: str, threshold: float) -> Any:
    return cll.JaroWinklerLevel(column, threshold)


def comparisons() -> list[Any]:
    given = cl.CustomComparison(
        output_column_name="given_name",
        comparison_levels=_levels(
            "given_name",
            cll.ExactMatchLevel("given_name"),
            cll.ExactMatchLevel("given_canonical").configure(label_for_charts="nickname"),
            # A nickname that could stand for either (Ollie: Oliver or Olivia).
            cll.ArrayIntersectLevel("given_variants", 1),
            _jw("given_name", 0.92),
            cll.ExactMatchLevel("given_phonetic").configure(label_for_charts="sounds alike"),
            cll.CustomLevel(
                "given_name_l = other_first_r OR other_first_l = given_name_r",
                "known by a middle name",
            ),
            _jw("given_name", 0.8),
        ),
    )
    family = cl.CustomComparison(
        output_column_name="family_name",
        comparison_levels=_levels(
            "family_name",
            cll.ExactMatchLevel("family_name"),
            # Shares a part of a double-barrelled name.
            cll.ArrayIntersectLevel("family_parts", 1),
            _jw("family_name", 0.92),
            cll.ExactMatchLevel("family_phonetic").configure(label_for_charts="sounds alike"),
            _jw("family_name", 0.8),
        ),
    )
    dob = cl.CustomComparison(
        output_column_name="dob",
        comparison_levels=_levels(
            "dob",
            cll.ExactMatchLevel("dob"),
            cll.CustomLevel("dob_l = dob_swapped_r", "day and month swapped"),
            cll.DamerauLevenshteinLevel("dob", 1),  # one digit different
            cll.AbsoluteDateDifferenceLevel(
                "dob", input_is_string=True, threshold=31, metric="day"
            ),  # within a month
        ),
    )
    # Postcode and first address line are one comparison, not two: they say the same
    # thing (where the child lives), and scoring them separately double-counts a shared
    # home — which is what siblings have in common.
    address = cl.CustomComparison(
        output_column_name="address",
        comparison_levels=[
            cll.And(cll.NullLevel("postcode"), cll.NullLevel("address_line_1")).configure(
                is_null_level=True, label_for_charts="no address to compare"
            ),
            cll.And(cll.ExactMatchLevel("postcode"), cll.JaroWinklerLevel("address_line_1", 0.9)),
            cll.ExactMatchLevel("postcode"),
            cll.JaroWinklerLevel("address_line_1", 0.9),  # same house, postcode differs
            cll.ExactMatchLevel("postcode_sector"),
            cll.ExactMatchLevel("postcode_district"),
            cll.ElseLevel(),
        ],
    )
    return [
        given,
        family,
        dob,
        # Middle names: agencies often drop them (missing is neutral), but two different
        # middle names are strong evidence of two children.
        cl.ExactMatch("other_first"),
        cl.ExactMatch("sex"),
        address,
        cl.ExactMatch("nhs_number"),
        cl.ExactMatch("upn"),
    ]


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="unique_id",
        comparisons=comparisons(),
        blocking_rules_to_generate_predictions=[_blocking_rule(k) for k in BLOCKING_KEYS],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
    )


def train(prepared: pd.DataFrame, *, seed: int = 42, u_pairs: float = 5e6) -> Linker:
    """Train a model on prepared records without any labels.

    Deterministic for a seed: u comes from seeded random sampling; EM starts from fixed
    defaults and runs on complete (unsampled) blocks, so it is repeatable too.
    """
    db_api = DuckDBAPI()
    records = db_api.register(prepared, dataset_display_name="records")
    linker = Linker(records, settings(), log_level=logging.WARNING)
    # Data without NHS numbers (e.g. the FEBRL regression set) train on names instead.
    has_nhs = prepared["nhs_number"].notna().mean() >= 0.01
    # Prior: how many random pairs match, from near-certain deterministic rules.
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("nhs_number"),
            block_on("upn"),
            block_on("given_canonical", "family_name", "dob"),
        ],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_pairs, seed=seed)
    em_rules = (
        [
            # Same NHS number: how names, dates and postcodes vary within one child.
            block_on("nhs_number"),
            # Same birthday and surname sound: identifiers and given names; the block
            # holds twins, so it teaches what *disagreeing* given names mean.
            block_on("dob", "family_phonetic"),
        ]
        if has_nhs
        # No identifiers: names, then date of birth alone (this data has no UK postcodes
        # to narrow it: FEBRL's are Australian, which standardisation treats as invalid).
        else [block_on("given_canonical", "family_phonetic"), block_on("dob")]
    )
    trained = 0
    for rule in em_rules:
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                rule, estimate_without_term_frequencies=True
            )
        except ValueError as problem:
            # On small or unusual data one block can drive an m probability to zero,
            # which Splink refuses. The other block trains most comparisons too (those
            # it does not block on), so carry on without this one rather than fail.
            logger.warning("Skipped one training block (%s): %s", rule, problem)
        else:
            trained += 1
    if not trained:
        raise ValueError("No training block could be estimated from these records")
    return linker


def predict(linker: Linker, low: float) -> pd.DataFrame:
    """Scored candidate pairs at or above ``low`` (unique_id_l, unique_id_r, probability)."""
    frame = linker.inference.predict(threshold_match_probability=low, warning_mode="never")
    pairs = frame.as_pandas_dataframe()[["unique_id_l", "unique_id_r", "match_probability"]]
    frame.drop_table_from_database_and_remove_from_cache()
    return pairs


def twin_signature(left: pd.DataFrame, right: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Pairs that look like twins: same birthday and family, clearly different given name.

    Fellegi–Sunter treats agreements as independent, but among *non-matches* agreeing on
    date of birth, family name and postcode are far from independent — that is exactly a
    pair of twins — so the model over-counts them and scored twins above 0.99 in testing.
    The given names are what tell twins apart, so when they disagree outright (not a
    nickname, sound-alike, middle name or one-letter typo) the pair must not be linked
    automatically — unless both records carry the same NHS number or UPN, which settles it.

    Returns (signature, maybe_nickname) aligned with the rows; ``maybe_nickname`` marks
    signature pairs whose names share their first two letters (Edie/Edith, an unknown
    nickname) and so deserve a person's look rather than a firm "two children".
    ``left``/``right`` are prepared records aligned pair by pair.
    """
    return twin_signature_arrays(twin_arrays(left), twin_arrays(right))


TWIN_COLUMNS = (
    "dob", "dob_swapped", "given_name", "given_canonical", "given_variants", "given_phonetic",
    "other_first", "family_phonetic", "nhs_number", "upn",
)  # fmt: skip


def twin_arrays(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The twin-rule columns as object arrays with None for missing."""
    subset = frame[list(TWIN_COLUMNS)]
    converted = subset.astype(object).where(subset.notna(), None)
    return {column: converted[column].to_numpy() for column in TWIN_COLUMNS}


def twin_signature_arrays(
    left: dict[str, np.ndarray], right: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """``twin_signature`` on aligned object arrays (the incremental matcher's fast path)."""

    def col(side: dict[str, np.ndarray], name: str) -> np.ndarray:
        return side[name]

    ld, rd = col(left, "dob"), col(right, "dob")
    lg, rg = col(left, "given_name"), col(right, "given_name")
    ln, rn = col(left, "nhs_number"), col(right, "nhs_number")
    lu, ru = col(left, "upn"), col(right, "upn")
    candidate = (
        (ld != None)  # noqa: E711 - element-wise comparison on object arrays
        & (lg != None)  # noqa: E711
        & (rg != None)  # noqa: E711
        & ((ld == rd) | (ld == col(right, "dob_swapped")))
        & (col(left, "family_phonetic") == col(right, "family_phonetic"))
        & (col(left, "given_canonical") != col(right, "given_canonical"))
        & (col(left, "given_phonetic") != col(right, "given_phonetic"))
        & (lg != col(right, "other_first"))
        & (col(left, "other_first") != rg)
        & ~((ln != None) & (ln == rn))  # noqa: E711
        & ~((lu != None) & (lu == ru))  # noqa: E711
    )
    signature = np.zeros(len(ld), dtype=bool)
    maybe_nickname = np.zeros(len(ld), dtype=bool)
    # Only the few pairs that pass the cheap tests get the per-pair Python work.
    left_variants = left["given_variants"]
    right_variants = right["given_variants"]
    for i in np.flatnonzero(candidate).tolist():
        a, b = lg[i], rg[i]
        shared = set(left_variants[i] if left_variants[i] is not None else ()) & set(
            right_variants[i] if right_variants[i] is not None else ()
        )
        signature[i] = (
            not shared
            and jellyfish.damerau_levenshtein_distance(a, b) > 1
            and jellyfish.jaro_winkler_similarity(a, b) < 0.8
        )
        maybe_nickname[i] = a[:2] == b[:2]
    return signature, signature & maybe_nickname


def apply_twin_rule(
    pairs: pd.DataFrame, prepared: pd.DataFrame, thresholds: Thresholds
) -> tuple[pd.DataFrame, int]:
    """Twin-like pairs never auto-link.

    Names that could not be one another (Ivy/Faith, Adam/Archie): two children, the pair
    is dropped. Names sharing their first two letters (Edie/Edith — a nickname the table
    does not know): a person decides, so the probability is capped just below the
    auto-link threshold.
    """
    left = prepared.iloc[pairs["unique_id_l"].to_numpy()].reset_index(drop=True)
    right = prepared.iloc[pairs["unique_id_r"].to_numpy()].reset_index(drop=True)
    signature, maybe_nickname = twin_signature(left, right)
    out = pairs.copy()
    capped = maybe_nickname & (out["match_probability"].to_numpy() >= thresholds.high)
    out.loc[capped, "match_probability"] = np.nextafter(thresholds.high, 0)
    keep = ~(signature & ~maybe_nickname)
    return out.loc[keep].reset_index(drop=True), int(signature.sum())


def _identifier_codes(values: pd.Series) -> np.ndarray:
    """Integer codes for identifiers, -1 for missing (cheap to compare in bulk)."""
    codes, _ = pd.factorize(values, use_na_sentinel=True)
    return codes.astype(np.int64)


def drop_conflicting_pairs(
    pairs: pd.DataFrame, nhs_codes: np.ndarray, upn_codes: np.ndarray
) -> tuple[pd.DataFrame, int]:
    """Remove pairs whose records hold different valid NHS numbers or UPNs.

    ``*_codes`` are indexed by unique_id (record ids are 0..n-1 positions).
    """
    left = pairs["unique_id_l"].to_numpy()
    right = pairs["unique_id_r"].to_numpy()
    conflict = np.zeros(len(pairs), dtype=bool)
    for codes in (nhs_codes, upn_codes):
        a, b = codes[left], codes[right]
        conflict |= (a >= 0) & (b >= 0) & (a != b)
    return pairs.loc[~conflict].reset_index(drop=True), int(conflict.sum())


def constrained_clusters(
    n: int,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    nhs_codes: np.ndarray,
    upn_codes: np.ndarray,
) -> tuple[np.ndarray, int]:
    """Union-find over edges in descending probability that refuses cannot-link unions.

    Each cluster carries at most one NHS number and one UPN (the invariant the cannot-link
    rule demands), so checking a union is O(1). Returns the cluster label of each record
    (the smallest record position in its cluster) and the number of refused unions.
    """
    parent = np.arange(n)
    cluster_nhs = nhs_codes.copy()
    cluster_upn = upn_codes.copy()
    refused = 0
    order = np.argsort(-probability, kind="stable")
    parent_list = parent.tolist()  # plain lists are much faster than numpy in this loop
    nhs_list = cluster_nhs.tolist()
    upn_list = cluster_upn.tolist()

    def find(x: int) -> int:
        root = x
        while parent_list[root] != root:
            root = parent_list[root]
        while parent_list[x] != root:  # path compression
            parent_list[x], x = root, parent_list[x]
        return root

    for a, b in zip(left[order].tolist(), right[order].tolist(), strict=True):
        ra, rb = find(a), find(b)
        if ra == rb:
            continue
        na, nb = nhs_list[ra], nhs_list[rb]
        ua, ub = upn_list[ra], upn_list[rb]
        if (na >= 0 and nb >= 0 and na != nb) or (ua >= 0 and ub >= 0 and ua != ub):
            refused += 1
            continue
        if rb < ra:
            ra, rb = rb, ra
        parent_list[rb] = ra
        nhs_list[ra] = na if na >= 0 else nb
        upn_list[ra] = ua if ua >= 0 else ub
    roots = np.fromiter((find(i) for i in range(n)), dtype=np.int64, count=n)
    return roots, refused


@dataclass
class LinkResult:
    prepared: pd.DataFrame
    pairs: pd.DataFrame  # candidate pairs ≥ low, cannot-link conflicts removed
    cluster: np.ndarray  # cluster label per record position
    band: np.ndarray  # "auto", "review" or "new" per record position
    review_pairs: pd.DataFrame
    linker: Linker
    thresholds: Thresholds
    conflicting_pairs: int
    refused_unions: int
    twin_like_pairs: int
    timings: dict[str, float] = field(default_factory=dict)


def assign_bands(
    n: int, pairs: pd.DataFrame, cluster: np.ndarray, thresholds: Thresholds
) -> tuple[np.ndarray, pd.DataFrame]:
    """Band each record.

    auto   — linked to at least one other record (an edge ≥ high survived cannot-link);
    review — not settled: a pair in [low, high) joins it to a record in another cluster;
    new    — otherwise (a new child in the index).
    A review pair whose two records already share a cluster is settled and not queued.
    """
    sizes = np.bincount(cluster, minlength=n)
    band = np.where(sizes[cluster] > 1, "auto", "new").astype(object)
    middle = pairs[pairs["match_probability"] < thresholds.high]
    left = middle["unique_id_l"].to_numpy()
    right = middle["unique_id_r"].to_numpy()
    unresolved = cluster[left] != cluster[right]
    review_pairs = middle.loc[unresolved].reset_index(drop=True)
    queued = np.unique(np.concatenate([left[unresolved], right[unresolved]]))
    band[queued] = "review"
    return band.astype(str), review_pairs


def link(
    records: pd.DataFrame,
    thresholds: Thresholds | None = None,
    *,
    seed: int = 42,
    u_pairs: float = 5e6,
    twin_rule: bool = True,
) -> LinkResult:
    """Standardise, train, predict, apply cannot-link and the twin rule, cluster, band.

    ``records`` needs ``record_id`` equal to its row position (0..n-1), which the
    generator guarantees; callers with database ids should renumber and map back.
    """
    thresholds = thresholds or Thresholds()
    if not (records["record_id"].to_numpy() == np.arange(len(records))).all():
        raise ValueError("record_id must be 0..n-1 in row order; renumber before linking")
    timings: dict[str, float] = {}
    start = time.perf_counter()
    prepared = prepare(records)
    timings["prepare"] = time.perf_counter() - start

    start = time.perf_counter()
    linker = train(prepared, seed=seed, u_pairs=u_pairs)
    timings["train"] = time.perf_counter() - start

    start = time.perf_counter()
    pairs = predict(linker, thresholds.low)
    timings["predict"] = time.perf_counter() - start

    start = time.perf_counter()
    nhs_codes = _identifier_codes(prepared["nhs_number"])
    upn_codes = _identifier_codes(prepared["upn"])
    pairs, conflicting = drop_conflicting_pairs(pairs, nhs_codes, upn_codes)
    if twin_rule:
        pairs, twin_like = apply_twin_rule(pairs, prepared, thresholds)
    else:
        twin_like = 0
    auto = pairs[pairs["match_probability"] >= thresholds.high]
    cluster, refused = constrained_clusters(
        len(prepared),
        auto["unique_id_l"].to_numpy(),
        auto["unique_id_r"].to_numpy(),
        auto["match_probability"].to_numpy(),
        nhs_codes,
        upn_codes,
    )
    band, review_pairs = assign_bands(len(prepared), pairs, cluster, thresholds)
    timings["cluster"] = time.perf_counter() - start
    return LinkResult(
        prepared=prepared,
        pairs=pairs,
        cluster=cluster,
        band=band,
        review_pairs=review_pairs,
        linker=linker,
        thresholds=thresholds,
        conflicting_pairs=conflicting,
        refused_unions=refused,
        twin_like_pairs=twin_like,
        timings=timings,
    )
