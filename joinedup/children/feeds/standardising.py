"""The seam between feeds and standardisation.

``standardise_row`` is the one function importing calls. The shared module
``joinedup.children.standardise`` (being written alongside feeds) will take over here;
until it exists this module checks each field with ``joinedup.children.identifiers`` and a
strict date parser. Either way the rule is the same: a value that is not valid is *marked*
with a reason and kept exactly as received in the source record — never "fixed".
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from joinedup.children import identifiers
from joinedup.children.feeds.format import FIELDS_BY_KEY, Kind
from joinedup.children.models import Sex


@dataclass
class Standardised:
    values: dict[str, str] = field(default_factory=dict)  # field key → standard form
    invalid: dict[str, str] = field(default_factory=dict)  # field key → reason


def standardise_row(values: Mapping[str, str], *, reference: date) -> Standardised:
    """Standardise one row's values (field key → text as received).

    This is the switch-over point to ``joinedup.children.standardise`` — replace the body
    with a call to its ``standardise_record`` once it exists (see docs/feeds.md).
    """
    result = Standardised()
    for key, raw in values.items():
        text = (raw or "").strip()
        if not text:
            continue
        spec = FIELDS_BY_KEY.get(key)
        kind = spec.kind if spec else Kind.TEXT
        try:
            result.values[key] = _standardise(kind, text, reference)
        except ValueError as problem:
            result.invalid[key] = str(problem)
    return result


FORMULA_START = ("=", "+", "@")


def _standardise(kind: str, text: str, reference: date) -> str:
    if kind == Kind.NAME:
        if text.startswith(FORMULA_START):
            raise ValueError("Looks like a spreadsheet formula, not a name")
        return re.sub(r"\s+", " ", text)
    if kind == Kind.DATE:
        day = parse_date(text)
        if day > reference:
            raise ValueError(f"The date {day:%d %B %Y} is in the future")
        return day.isoformat()
    if kind == Kind.SEX:
        return parse_sex(text)
    if kind == Kind.NHS_NUMBER:
        return _checked(identifiers.validate_nhs_number, identifiers.normalise_nhs_number(text))
    if kind == Kind.UPN:
        return _checked(identifiers.validate_upn, identifiers.normalise_upn(text))
    if kind == Kind.POSTCODE:
        return _checked(identifiers.validate_postcode, identifiers.normalise_postcode(text))
    if kind == Kind.EMAIL:
        return _checked(validate_email, text)
    if kind == Kind.PHONE:
        if not re.fullmatch(r"[0-9+()\s.-]{6,24}", text) or len(re.sub(r"\D", "", text)) < 6:
            raise ValueError("Not a telephone number")
        return re.sub(r"\s+", " ", text)
    return re.sub(r"\s+", " ", text)


def _checked(validate: Callable[[str], None], value: str) -> str:
    try:
        validate(value)
    except ValidationError as error:
        raise ValueError(" ".join(error.messages)) from error
    return value


DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d %b %Y", "%d %B %Y", "%Y/%m/%d")
MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def parse_date(text: str) -> date:
    """A date in one of the documented forms. Impossible dates (31/02/2015) and two-digit
    years are refused with a reason rather than guessed."""
    cleaned = re.sub(r"\s+", " ", text.strip())
    cleaned = re.sub(r"[ T]00:00(:00)?$", "", cleaned)  # midnight from a spreadsheet date
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(cleaned, pattern).date()
        except ValueError:
            continue
    numbers = re.fullmatch(r"(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})", cleaned)
    if numbers:
        first, month, last = (int(part) for part in numbers.groups())
        year, day = (first, last) if len(numbers.group(1)) == 4 else (last, first)
        if len(numbers.group(1)) != 4 and len(numbers.group(3)) != 4:
            raise ValueError("The year must have four digits, like 14/03/2015")
        if not 1 <= month <= 12:
            raise ValueError(f"There is no month {month}")
        raise ValueError(f"There is no day {day} in {MONTHS[month - 1].title()} {year}")
    raise ValueError("Not a date: use the form 2015-03-14 or 14/03/2015")


SEXES = {
    "f": Sex.FEMALE,
    "female": Sex.FEMALE,
    "girl": Sex.FEMALE,
    "2": Sex.FEMALE,
    "m": Sex.MALE,
    "male": Sex.MALE,
    "boy": Sex.MALE,
    "1": Sex.MALE,
    "i": Sex.INDETERMINATE,
    "indeterminate": Sex.INDETERMINATE,
    "9": Sex.INDETERMINATE,
    "u": Sex.NOT_KNOWN,
    "unknown": Sex.NOT_KNOWN,
    "not known": Sex.NOT_KNOWN,
    "not stated": Sex.NOT_KNOWN,
    "0": Sex.NOT_KNOWN,
}


def parse_sex(text: str) -> str:
    try:
        return str(SEXES[text.strip().casefold()])
    except KeyError:
        raise ValueError(
            "Not a recognised value: use Female, Male, Indeterminate or Not known"
        ) from None
