"""Matcher columns from source records, using the shared standardisation rules.

Names, dates of birth, sex and postcodes go through :mod:`joinedup.children.standardise`
(the rules in docs/child-index.md, "Standardisation"), so the matcher and the rest of the
child index read a record the same way. Those functions work on one value at a time; here
they run once per *distinct* value and the result is broadcast back to every record
(a million records hold only tens of thousands of distinct names, dates and postcodes).

NHS numbers and UPNs are nearly all distinct, so they are checked in bulk with numpy
instead, using the same check-digit rules as :mod:`joinedup.children.identifiers` (a test
compares the two on generated data). As in ``standardise``, 999 test-range NHS numbers and
invalid identifiers become missing: they are never evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import date
from typing import TypeVar

import numpy as np
import pandas as pd

from joinedup.children import standardise
from joinedup.children.identifiers import UPN_CHECK_ALPHABET

_Frame = TypeVar("_Frame", pd.Series, pd.DataFrame)


def _valid_nhs(series: pd.Series) -> pd.Series:
    """NHS numbers that pass the modulus-11 check, else missing (vectorised)."""
    digits = series.astype("string").str.replace(r"[\s-]", "", regex=True)
    shaped = digits.str.fullmatch(r"\d{10}").fillna(False).to_numpy(dtype=bool)
    out = pd.Series(pd.NA, index=series.index, dtype="string")
    if not shaped.any():
        return out
    values = digits[shaped].to_numpy(dtype="U10")
    matrix = values.view("<U1").reshape(-1, 10).astype(np.int64)
    total = matrix[:, :9] @ np.arange(10, 1, -1)
    check = 11 - total % 11
    check[check == 11] = 0
    ok = (check == matrix[:, 9]) & (check != 10)
    # Test-range numbers (999…) never identify a real child, so they are not evidence.
    ok &= ~np.char.startswith(values, "999")
    idx = series.index[shaped][ok]
    out.loc[idx] = values[ok]
    return out


_UPN_VALUES = np.full(128, -1, dtype=np.int64)
for _i, _c in enumerate("0123456789"):
    _UPN_VALUES[ord(_c)] = _i
for _i, _c in enumerate(UPN_CHECK_ALPHABET):
    # Letters take their position in the 23-letter check alphabet (temporary UPNs).
    if _UPN_VALUES[ord(_c)] == -1:
        _UPN_VALUES[ord(_c)] = _i


def _valid_upn(series: pd.Series) -> pd.Series:
    """UPNs whose check letter matches (weights 2–13, modulus 23), else missing."""
    upn = series.astype("string").str.replace(r"\s", "", regex=True).str.upper()
    pattern = rf"[{UPN_CHECK_ALPHABET}]\d{{11}}[0-9{UPN_CHECK_ALPHABET}]"
    shaped = upn.str.fullmatch(pattern).fillna(False).to_numpy(dtype=bool)
    out = pd.Series(pd.NA, index=series.index, dtype="string")
    if not shaped.any():
        return out
    values = upn[shaped].to_numpy(dtype="U13")
    codes = values.view("<U1").reshape(-1, 13)
    ords = codes.view(np.int32).astype(np.int64)
    numeric = _UPN_VALUES[ords[:, 1:]]
    total = numeric @ np.arange(2, 14)
    alphabet = np.array(list(UPN_CHECK_ALPHABET))
    ok = alphabet[total % 23] == codes[:, 0]
    idx = series.index[shaped][ok]
    out.loc[idx] = values[ok]
    return out


_NOT_ADDRESS = re.compile(r"[^A-Z0-9 ]")
_SPACES = re.compile(r"\s+")


def _or_none(value: str) -> str | None:
    return value or None


# Per-value features. Each runs once per distinct value in ``prepare`` and once per field
# in ``prepare_one``, so batch and incremental matching read a record identically.


def name_features(raw: object) -> tuple[str | None, str | None, list[str] | None, str | None]:
    """First given name (standardised), its formal form, possible formal names, sound key."""
    first = standardise.standardise_name(raw).split(" ", 1)[0]
    if not first:
        return None, None, None, None
    return (
        first,
        _or_none(standardise.canonical_given_name(first)),
        sorted(standardise.given_name_variants(first)) or None,
        _or_none(standardise.phonetic_key(first)),
    )


def family_features(raw: object) -> tuple[str | None, list[str] | None, str | None]:
    """Family name without spaces (SMITH JONES → SMITHJONES), its parts, sound key."""
    full = standardise.standardise_name(raw)
    if not full:
        return None, None, None
    return (
        full.replace(" ", ""),
        standardise.family_name_parts(full) or None,
        _or_none(standardise.phonetic_key(full)),
    )


def date_features(raw: object, reference: date) -> tuple[str | None, str | None, str | None]:
    """Date of birth (ISO), the day/month-swapped reading when ambiguous, and the year."""
    parsed = standardise.parse_date_of_birth(raw, reference=reference)
    if parsed.value is None:
        return None, None, None
    swapped = parsed.swapped.isoformat() if parsed.swapped else None
    return parsed.value.isoformat(), swapped, str(parsed.value.year)


def postcode_features(raw: object) -> tuple[str | None, str | None, str | None]:
    postcode = standardise.standardise_postcode(raw).value
    if not postcode:
        return None, None, None
    return postcode, standardise.postcode_sector(postcode), standardise.postcode_district(postcode)


def sex_value(raw: object) -> str | None:
    value = standardise.standardise_sex(raw).value
    # "Not known" says nothing about the child, so it is missing, not a value to compare.
    return None if value in ("", standardise.SEX_NOT_KNOWN) else value


def address_value(raw: object) -> str | None:
    """First address line, upper case, letters, digits and single spaces only."""
    if not isinstance(raw, str):
        return None
    return _or_none(_SPACES.sub(" ", _NOT_ADDRESS.sub(" ", raw.upper())).strip())


LIST_COLUMNS = ("given_variants", "family_parts")


def _features(
    func: Callable[[object], tuple[object, ...]], columns: list[str], lists: tuple[str, ...] = ()
) -> Callable[[pd.Series], pd.DataFrame]:
    """Turn a per-value feature function into a distinct-values → DataFrame function."""

    def apply(distinct: pd.Series) -> pd.DataFrame:
        frame = pd.DataFrame([func(v) for v in distinct.tolist()], columns=columns, dtype=object)
        for column in columns:
            if column not in lists:
                frame[column] = frame[column].astype("string")
        return frame

    return apply


def _per_distinct(series: pd.Series, func: Callable[[pd.Series], _Frame]) -> _Frame:
    """Run a column transformation over the distinct values only, then broadcast back.

    Names, dates and postcodes repeat heavily (a million records hold tens of thousands
    of distinct values), so this turns a slow per-row string pipeline into a fast one.
    """
    codes, uniques = pd.factorize(series.astype("string"), use_na_sentinel=True)
    distinct = pd.Series(pd.array(uniques, dtype="string"), name=series.name)
    result = func(distinct)
    # Missing input (code -1) maps to an appended all-missing row.
    padded = pd.concat([result, result.iloc[:0].reindex([len(result)])])
    taken = padded.take(np.where(codes < 0, len(result), codes))
    taken.index = series.index
    return taken


def prepare(records: pd.DataFrame, *, reference: date | None = None) -> pd.DataFrame:
    """Turn source records into the matcher's comparison columns.

    Keeps ``record_id`` (as ``unique_id``) and ``agency``; every other column is derived.
    Columns absent from the input are treated as missing. ``reference`` is the day the
    records were received (dates of birth after it are invalid; two-digit years are read
    against it); today by default.
    """
    reference = reference or date.today()

    def get(column: str) -> pd.Series:
        if column in records.columns:
            return records[column]
        return pd.Series(pd.NA, index=records.index, dtype="string")

    names = _features(
        name_features, ["name", "canonical", "variants", "phonetic"], lists=("variants",)
    )
    given = _per_distinct(get("given_name"), names)
    other = _per_distinct(get("other_names"), names)
    family = _per_distinct(
        get("family_name"),
        _features(family_features, ["name", "parts", "phonetic"], lists=("parts",)),
    )
    dates = _per_distinct(
        get("date_of_birth"),
        _features(lambda r: date_features(r, reference), ["dob", "dob_swapped", "dob_year"]),
    )
    postcodes = _per_distinct(
        get("postcode"),
        _features(postcode_features, ["postcode", "postcode_sector", "postcode_district"]),
    )
    sex = _per_distinct(get("sex"), _features(lambda r: (sex_value(r),), ["sex"]))["sex"]
    address = _per_distinct(
        get("address_line_1"), _features(lambda r: (address_value(r),), ["address"])
    )["address"]
    return pd.DataFrame(
        {
            "unique_id": records["record_id"].astype("int64"),
            "agency": get("agency").astype("string"),
            "given_name": given["name"],
            "given_canonical": given["canonical"],
            "given_variants": given["variants"],
            "given_phonetic": given["phonetic"],
            "other_first": other["name"],
            "family_name": family["name"],
            "family_parts": family["parts"],
            "family_phonetic": family["phonetic"],
            "dob": dates["dob"],
            "dob_swapped": dates["dob_swapped"],
            "dob_year": dates["dob_year"],
            "sex": sex,
            "postcode": postcodes["postcode"],
            "postcode_sector": postcodes["postcode_sector"],
            "postcode_district": postcodes["postcode_district"],
            "address_line_1": address,
            "nhs_number": _valid_nhs(get("nhs_number")),
            "upn": _valid_upn(get("upn")),
        },
        index=records.index,
    )


def prepare_one(
    record: Mapping[str, object], *, reference: date | None = None
) -> dict[str, object]:
    """``prepare`` for a single record, without pandas (the incremental matcher's hot path).

    Same per-value features as ``prepare``; identifiers use the shared standardisation
    (a test checks it agrees with ``prepare``'s vectorised checks).
    """
    reference = reference or date.today()
    given, canonical, variants, phonetic = name_features(record.get("given_name"))
    other_first = name_features(record.get("other_names"))[0]
    family, parts, family_phonetic = family_features(record.get("family_name"))
    dob, swapped, year = date_features(record.get("date_of_birth"), reference)
    postcode, sector, district = postcode_features(record.get("postcode"))
    nhs = standardise.standardise_nhs_number(record.get("nhs_number")).value
    upn = standardise.standardise_upn(record.get("upn")).value
    return {
        "unique_id": int(record.get("record_id", -1)),  # type: ignore[call-overload]
        "agency": record.get("agency"),
        "given_name": given,
        "given_canonical": canonical,
        "given_variants": variants,
        "given_phonetic": phonetic,
        "other_first": other_first,
        "family_name": family,
        "family_parts": parts,
        "family_phonetic": family_phonetic,
        "dob": dob,
        "dob_swapped": swapped,
        "dob_year": year,
        "sex": sex_value(record.get("sex")),
        "postcode": postcode,
        "postcode_sector": sector,
        "postcode_district": district,
        "address_line_1": address_value(record.get("address_line_1")),
        "nhs_number": nhs or None,
        "upn": upn or None,
    }
