"""The seam between feeds and standardisation.

``standardise_row`` is the one function importing calls. The identity fields — names, date
of birth, sex, postcode, NHS number and UPN — are standardised by the shared
:func:`joinedup.children.standardise.standardise_record`, the same code identity matching
relies on (see docs/child-index.md). The other fields of the format (previous names,
contacts, involvement dates, settings) are checked here, reusing the shared date parser.

Either way the rule is the same: a value that is not valid is *marked* with a reason and
kept exactly as received in the source record — never "fixed". A feed adds one rule of its
own: a name that starts like a spreadsheet formula is not valid, whatever the standardiser
would make of its letters.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from joinedup.children import standardise
from joinedup.children.feeds.format import FIELDS_BY_KEY, Kind

# The fields of the format the shared standardiser owns.
IDENTITY_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "other_names",
        "date_of_birth",
        "sex",
        "postcode",
        "nhs_number",
        "upn",
    }
)
FORMULA_START = ("=", "+", "@")
FORMULA_REASON = "Looks like a spreadsheet formula, not a name"


@dataclass
class Standardised:
    # What goes in SourceRecord.standardised: field key → standard form, and the identity
    # features matching uses (see ``identity_values``).
    values: dict[str, Any] = field(default_factory=dict)
    invalid: dict[str, str] = field(default_factory=dict)  # field key → reason


def test_nhs_numbers_allowed() -> bool:
    """Whether 999 (test range) NHS numbers count as evidence: only in development and the
    demo area (``ALLOW_TEST_NHS_NUMBERS``); in production they are marked not valid."""
    return bool(getattr(settings, "ALLOW_TEST_NHS_NUMBERS", False))


def standardise_row(
    values: Mapping[str, str], *, reference: date, allow_test_nhs_numbers: bool | None = None
) -> Standardised:
    """Standardise one row's values (field key → text as received); ``reference`` is the
    day the feed arrived."""
    if allow_test_nhs_numbers is None:
        allow_test_nhs_numbers = test_nhs_numbers_allowed()
    result = Standardised()
    formulas = {
        key
        for key in IDENTITY_FIELDS
        if FIELDS_BY_KEY[key].kind == Kind.NAME
        and (values.get(key) or "").strip().startswith(FORMULA_START)
    }
    record = standardise.standardise_record(
        {key: values.get(key, "") for key in IDENTITY_FIELDS - formulas},
        reference=reference,
        allow_test_nhs_numbers=allow_test_nhs_numbers,
    )
    result.values.update(identity_values(record))
    result.invalid.update({key: _sentence(reason) for key, reason in record.invalid_fields.items()})
    result.invalid.update(dict.fromkeys(formulas, FORMULA_REASON))

    for key, raw in values.items():
        text = (raw or "").strip()
        if key in IDENTITY_FIELDS or not text:
            continue
        spec = FIELDS_BY_KEY.get(key)
        try:
            result.values[key] = _standardise(spec.kind if spec else Kind.TEXT, text, reference)
        except ValueError as problem:
            result.invalid[key] = str(problem)
    return result


def identity_values(record: standardise.StandardisedRecord) -> dict[str, Any]:
    """The standardiser's outputs, as JSON, for ``SourceRecord.standardised``. Every key is
    always present (empty when the value is missing or not valid), so matching can read
    them without checking."""
    dob = record.date_of_birth
    swapped = record.date_of_birth_swapped
    sex_known = not ({"sex"} & (record.missing_fields | set(record.invalid_fields)))
    return {
        "given_name": record.given_name,
        "given_name_canonical": record.given_name_canonical,
        "given_name_variants": sorted(record.given_name_variants),
        "given_name_phonetic": record.given_name_phonetic,
        "other_names": record.other_names,
        "family_name": record.family_name,
        "family_name_parts": list(record.family_name_parts),
        "family_name_phonetic": record.family_name_phonetic,
        "date_of_birth": dob.isoformat() if dob else "",
        "date_of_birth_ambiguous": standardise.FLAG_DOB_AMBIGUOUS in record.flags,
        "date_of_birth_swapped": swapped.isoformat() if swapped else "",
        "sex": record.sex if sex_known else "",
        "postcode": record.postcode,
        "postcode_district": record.postcode_district,
        "postcode_sector": record.postcode_sector,
        "nhs_number": record.nhs_number,
        "nhs_number_is_test": standardise.FLAG_NHS_TEST_NUMBER in record.flags,
        "upn": record.upn,
        "upn_is_temporary": standardise.FLAG_UPN_TEMPORARY in record.flags,
        "flags": sorted(record.flags),
    }


def _sentence(reason: str) -> str:
    return reason[:1].upper() + reason[1:]


def _standardise(kind: str, text: str, reference: date) -> str:
    """The fields identity matching does not use: previous and contact names, involvement
    dates, e-mail addresses, telephone numbers and free text."""
    if kind == Kind.NAME:
        if text.startswith(FORMULA_START):
            raise ValueError(FORMULA_REASON)
        return re.sub(r"\s+", " ", text)
    if kind == Kind.DATE:
        parsed = standardise.parse_date(text, reference=reference)
        if parsed.value is None:
            raise ValueError(_sentence(parsed.error or "Not a date"))
        if parsed.value > reference:
            raise ValueError(f"The date {parsed.value:%d %B %Y} is in the future")
        return parsed.value.isoformat()
    if kind == Kind.EMAIL:
        try:
            validate_email(text)
        except ValidationError as error:
            raise ValueError(" ".join(error.messages)) from error
        return text
    if kind == Kind.PHONE:
        if not re.fullmatch(r"[0-9+()\s.-]{6,24}", text) or len(re.sub(r"\D", "", text)) < 6:
            raise ValueError("Not a telephone number")
        return re.sub(r"\s+", " ", text)
    return re.sub(r"\s+", " ", text)
