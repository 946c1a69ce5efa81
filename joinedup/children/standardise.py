"""Standardising child records before identity matching (the child index).

Every record an agency sends (CSV or XLSX feed) is put into one standard form before the
matcher compares it with other records: names, dates of birth, sex, postcodes, NHS numbers
and unique pupil numbers (UPNs). The rules are described for people in
``docs/child-index.md`` ("Standardisation"); the identifier checks themselves live in
:mod:`joinedup.children.identifiers` and are reused here, not repeated.

Two promises run through the module:

* **Nothing is silently fixed.** A value that cannot be read is reported as invalid with a
  reason; its standardised value is empty so it can never count as evidence, and the caller
  keeps the raw value exactly as the agency sent it.
* **Nothing is guessed.** ``04/03/2015`` is read day first (UK), never month first, but is
  flagged as ambiguous with the other reading offered so that matching can tolerate a
  day/month swap. ``31/02/2015`` is invalid, not "probably 28 February".

An empty value is *missing*, not invalid: ``is_valid`` is false and ``error`` is empty.

Performance: this runs over every record of a feed (benchmarks use a million). Regular
expressions are compiled once, the nickname table is loaded once, and the functions whose
inputs repeat a lot across a feed (names, dates of birth, postcodes) are cached, so a
typical record costs a handful of dictionary look-ups. See ``docs/child-index.md`` for the
measured throughput.
"""

from __future__ import annotations

import csv
import math
import numbers
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

import jellyfish
from django.core.exceptions import ValidationError

from joinedup.children import identifiers

__all__ = [
    "SEX_FEMALE",
    "SEX_INDETERMINATE",
    "SEX_MALE",
    "SEX_NOT_KNOWN",
    "NhsNumber",
    "ParsedDate",
    "StandardisedRecord",
    "StandardisedValue",
    "Upn",
    "canonical_given_name",
    "family_name_parts",
    "given_name_variants",
    "nickname_table",
    "parse_date",
    "parse_date_of_birth",
    "phonetic_key",
    "postcode_district",
    "postcode_sector",
    "standardise_name",
    "standardise_nhs_number",
    "standardise_postcode",
    "standardise_record",
    "standardise_sex",
    "standardise_upn",
]

NICKNAMES_CSV = Path(__file__).resolve().parent / "data" / "nicknames.csv"

# The values of joinedup.children.models.Sex, repeated so this module needs no Django app
# registry (a test keeps the two in step).
SEX_FEMALE = "female"
SEX_MALE = "male"
SEX_INDETERMINATE = "indeterminate"
SEX_NOT_KNOWN = "not_known"

# Flags a record can carry (see StandardisedRecord.flags).
FLAG_DOB_AMBIGUOUS = "dob_ambiguous"
FLAG_DOB_OVER_25 = "dob_over_25_years_ago"
FLAG_NHS_TEST_NUMBER = "nhs_number_test_range"
FLAG_UPN_TEMPORARY = "upn_temporary"

# A child index covers children and young people up to 25 (care leavers); older dates of
# birth are kept but flagged for a person to look at.
OLDEST_AGE_EXPECTED = 25

_CACHE_SIZE = 1 << 17


# ---------------------------------------------------------------------------------------
# Result types
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StandardisedValue:
    """One standardised field. ``value`` is empty unless ``is_valid``."""

    value: str
    raw: str
    is_valid: bool
    error: str = ""

    @property
    def is_missing(self) -> bool:
        return not self.is_valid and not self.error


@dataclass(frozen=True, slots=True)
class NhsNumber(StandardisedValue):
    """An NHS number; ``is_test_number`` for the 999 range, which belongs to nobody."""

    is_test_number: bool = False


@dataclass(frozen=True, slots=True)
class Upn(StandardisedValue):
    """A unique pupil number; ``is_temporary`` when it ends in a letter."""

    is_temporary: bool = False


@dataclass(frozen=True, slots=True)
class ParsedDate:
    """A date read from a feed.

    ``swapped`` is the other reading of an all-numeric day-first date whose day and month
    are both 12 or less and differ (``04/03/2015`` → 3 April 2015); it has the same year.
    ``format`` names the form recognised: ``iso``, ``iso-basic``, ``ymd``, ``dmy``,
    ``d-month-y``, ``month-d-y``, ``excel-serial`` or ``date``.
    """

    value: date | None
    raw: str
    is_valid: bool
    is_day_month_ambiguous: bool = False
    swapped: date | None = None
    error: str = ""
    format: str = ""

    @property
    def is_missing(self) -> bool:
        return not self.is_valid and not self.error


@dataclass(frozen=True, slots=True)
class StandardisedRecord:
    """A child record in the standard form the matcher compares.

    Raw values are not copied here: the caller keeps them. A field named in
    ``invalid_fields`` (field → reason) has an empty standardised value.
    """

    given_name: str = ""
    given_name_canonical: str = ""
    given_name_variants: frozenset[str] = frozenset()
    given_name_phonetic: str = ""
    other_names: str = ""
    family_name: str = ""
    family_name_parts: tuple[str, ...] = ()
    family_name_phonetic: str = ""
    date_of_birth: date | None = None
    date_of_birth_swapped: date | None = None
    sex: str = SEX_NOT_KNOWN
    postcode: str = ""
    postcode_district: str = ""
    postcode_sector: str = ""
    nhs_number: str = ""
    upn: str = ""
    invalid_fields: dict[str, str] = field(default_factory=dict)
    missing_fields: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()


def _raw_text(raw: object) -> str:
    if isinstance(raw, str):
        return raw
    if raw is None:
        return ""
    if isinstance(raw, float) and math.isnan(raw):  # a blank cell read by pandas
        return ""
    return str(raw)


def _validation_message(validator: Callable[[str], None], value: str) -> str:
    """The practitioner-facing message the identifiers module gives for ``value``."""
    try:
        validator(value)
    except ValidationError as error:
        return " ".join(str(message) for message in error.messages)
    return ""  # pragma: no cover - only called for values already known to be invalid


# ---------------------------------------------------------------------------------------
# Names
# ---------------------------------------------------------------------------------------

# Letters NFKD does not decompose into a base letter and accents.
_UNDECOMPOSABLE = str.maketrans(
    {
        "ß": "ss",
        "ẞ": "SS",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "TH",
        "þ": "th",
        "ı": "i",
    }
)
_APOSTROPHES = "'`´‘’‛′ʼ"
_ASCII_LETTERS_DIGITS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ")
# Applied after upper-casing: apostrophes vanish (O'Brien → OBRIEN); every other ASCII
# character that is not a letter, digit or space becomes a space (hyphens, dots, commas,
# slashes, brackets), as do the Unicode dashes and spaces people paste in.
_NAME_TABLE: dict[int, str | None] = {ord(c): None for c in _APOSTROPHES}
_NAME_TABLE.update(
    {
        code: " "
        for code in range(128)
        if chr(code) not in _ASCII_LETTERS_DIGITS and chr(code) not in _APOSTROPHES
    }
)
_NAME_TABLE.update({ord(c): " " for c in "‐‑‒–—―\u00a0\u2007\u202f"})

TITLES = frozenset({"MR", "MRS", "MS", "MISS", "MX", "MASTER", "DR"})
SUFFIXES = frozenset({"JR", "JNR", "SR", "SNR", "II", "III", "IV"})
# Words that belong to the next word of a family name: "van der Berg" is one name, and
# "O Brien", "Mc Donald" and "St John" are compared as OBRIEN, MCDONALD and STJOHN.
FAMILY_NAME_PARTICLES = frozenset(
    {
        "AL",
        "AP",
        "BIN",
        "BINT",
        "BINTI",
        "DA",
        "DAS",
        "DE",
        "DEL",
        "DELLA",
        "DEN",
        "DER",
        "DI",
        "DOS",
        "DU",
        "EL",
        "LA",
        "LE",
        "MAC",
        "MC",
        "O",
        "ST",
        "TEN",
        "TER",
        "VAN",
        "VON",
    }
)
_PARTICLE_SPELLINGS = {"SAINT": "ST"}


def _fold_accents(text: str) -> str:
    """José → Jose, Zoë → Zoe, Łukasz → Lukasz; other scripts' letters are kept."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSABLE))
    kept = []
    for character in decomposed:
        if unicodedata.combining(character):
            continue
        if character.isascii() or character.isalpha() or character in _APOSTROPHES:
            kept.append(character)
        else:
            kept.append(" ")
    return "".join(kept)


@lru_cache(maxsize=_CACHE_SIZE)
def _standardise_name_text(text: str) -> str:
    if not text.isascii():
        text = _fold_accents(text)
    tokens = text.upper().translate(_NAME_TABLE).split()
    while len(tokens) > 1 and tokens[0] in TITLES:
        del tokens[0]
    while len(tokens) > 1 and tokens[-1] in SUFFIXES:
        del tokens[-1]
    return " ".join(tokens)


def standardise_name(raw: object) -> str:
    """A name in the form names are compared in.

    Accents folded (José → JOSE), upper case, apostrophes removed (O'Brien → OBRIEN),
    hyphens and other punctuation become spaces, spaces collapse to one, and a leading title
    (Mr, Miss, Master…) or trailing suffix (Jr, III…) is dropped when other words remain.
    Digits are kept, so that a record can be marked invalid rather than quietly cleaned.
    """
    return _standardise_name_text(_raw_text(raw))


@lru_cache(maxsize=_CACHE_SIZE)
def _family_name_parts(standardised: str) -> tuple[str, ...]:
    parts: list[str] = []
    pending = ""
    for token in standardised.split():
        token = _PARTICLE_SPELLINGS.get(token, token)
        if token in FAMILY_NAME_PARTICLES:
            pending += token
            continue
        part = pending + token
        pending = ""
        if part not in parts:
            parts.append(part)
    if pending and pending not in parts:
        parts.append(pending)
    return tuple(parts)


def family_name_parts(raw: object) -> list[str]:
    """The separate family names in a (possibly double-barrelled) family name.

    "Smith-Jones" and "Smith Jones" give ``["SMITH", "JONES"]`` so either can match a record
    that has only "Smith" or only "Jones". Particles stay with the next word: "van der
    Berg" gives ``["VANDERBERG"]`` and "O Brien" gives ``["OBRIEN"]`` (as does "O'Brien").
    """
    return list(_family_name_parts(standardise_name(raw)))


@lru_cache(maxsize=1)
def nickname_table() -> Mapping[str, frozenset[str]]:
    """Nickname (or variant spelling) → the formal names it can stand for.

    Read once from ``data/nicknames.csv`` (columns ``nickname,formal``; a nickname with
    several possible formal names has one row for each).
    """
    table: dict[str, set[str]] = {}
    with NICKNAMES_CSV.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            nickname = standardise_name(row["nickname"])
            formal = standardise_name(row["formal"])
            if nickname and formal and nickname != formal:
                table.setdefault(nickname, set()).add(formal)
    return {nickname: frozenset(formals) for nickname, formals in table.items()}


@lru_cache(maxsize=_CACHE_SIZE)
def _canonical_token(token: str) -> str:
    formals = nickname_table().get(token)
    if formals is not None and len(formals) == 1:
        (formal,) = formals
        return formal
    return token


def canonical_given_name(raw: object) -> str:
    """The given name with each nickname replaced by its formal name.

    "Billy" → WILLIAM, "Alfie" → ALFRED, "Katie" → KATHERINE, "Billy-Joe" → WILLIAM JOSEPH.
    A nickname that can stand for several formal names ("Maddie": Madison or Madeleine) is
    left as it is rather than guessed; use :func:`given_name_variants` to compare those.
    """
    return " ".join(_canonical_token(token) for token in standardise_name(raw).split())


@lru_cache(maxsize=_CACHE_SIZE)
def _given_name_variants(standardised: str) -> frozenset[str]:
    if not standardised:
        return frozenset()
    first = standardised.split(" ", 1)[0]
    return frozenset({first}) | nickname_table().get(first, frozenset())


def given_name_variants(raw: object) -> frozenset[str]:
    """Every name the first given name could be a form of, including itself.

    "Maddie" → {MADDIE, MADISON, MADELEINE}; "William" → {WILLIAM}; "Bill" → {BILL,
    WILLIAM}. Two given names are compatible when their variants overlap, so "Maddie"
    agrees with "Madison" and with "Madeleine", but "Madison" does not agree with
    "Madeleine". Only the first given name is used: it is the one a child is usually known by.
    """
    return _given_name_variants(standardise_name(raw))


@lru_cache(maxsize=_CACHE_SIZE)
def _phonetic_key(standardised: str) -> str:
    return " ".join(jellyfish.nysiis(token) for token in standardised.split())


def phonetic_key(name: object) -> str:
    """A sound-alike key (NYSIIS, via jellyfish) for each word of the standardised name.

    "Smith" and "Smyth" differ here ("SNAT", "SNYT") but "Mohammed" and "Muhammad" agree
    ("MAHANAD"). Words are keyed separately and joined with single spaces.
    """
    return _phonetic_key(standardise_name(name))


# ---------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------

EXCEL_EPOCH = date(1899, 12, 30)
# Serial 60 is Excel's non-existent 29 February 1900; serials from 61 on are exact.
EXCEL_FIRST_EXACT_SERIAL = 61
EXCEL_LAST_SERIAL = (date(9999, 12, 31) - EXCEL_EPOCH).days
EARLIEST_YEAR = 1900

_TIME = r"(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[AP]M)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}", re.IGNORECASE)
_ISO_BASIC = re.compile(r"(\d{4})(\d{2})(\d{2})")
_YMD = re.compile(rf"(\d{{4}})([/. ])(\d{{1,2}})\2(\d{{1,2}}){_TIME}", re.IGNORECASE)
_DMY = re.compile(rf"(\d{{1,2}})([/.\- ])(\d{{1,2}})\2(\d{{4}}|\d{{2}}){_TIME}", re.IGNORECASE)
_D_MONTH_Y = re.compile(
    r"(\d{1,2})(?:ST|ND|RD|TH)?[ \-/.]?([A-Z]{3,9})\.?,?[ \-/.]?(\d{4}|\d{2})", re.IGNORECASE
)
_MONTH_D_Y = re.compile(
    r"([A-Z]{3,9})\.?[ \-/.]?(\d{1,2})(?:ST|ND|RD|TH)?,?[ \-/.]?(\d{4})", re.IGNORECASE
)

MONTH_NAMES = (
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
)
_MONTHS: dict[str, int] = {
    **{name: number for number, name in enumerate(MONTH_NAMES, start=1)},
    **{name[:3]: number for number, name in enumerate(MONTH_NAMES, start=1)},
    "SEPT": 9,
}


def _days_in_month(year: int, month: int) -> int:
    if month == 12:
        return 31
    return (date(year, month + 1, 1) - timedelta(days=1)).day


def _pivot_year(two_digits: int, month: int, day: int, reference: date) -> int:
    """The century for a two-digit year: the latest date not after ``reference``.

    A child's date of birth is never in the future, so with a reference of 1 June 2025 the
    year 15 is 2015, 25 is 2025 only up to 1 June (a later day is 1925), and 30 is 1930.
    """
    year = reference.year // 100 * 100 + two_digits
    if (year, month, day) > (reference.year, reference.month, reference.day):
        year -= 100
    return year


def _build_date(
    raw: str,
    year_text: str,
    month: int,
    day: int,
    reference: date,
    form: str,
    *,
    may_swap: bool,
) -> ParsedDate:
    if len(year_text) == 2:
        year = _pivot_year(int(year_text), month, day, reference)
    else:
        year = int(year_text)
    if year < EARLIEST_YEAR:
        return ParsedDate(None, raw, False, error=f"the year {year_text} is before {EARLIEST_YEAR}")
    if not 1 <= month <= 12:
        hint = " (dates are read day first, as in the UK)" if may_swap and 1 <= day <= 12 else ""
        return ParsedDate(None, raw, False, error=f"there is no month {month}{hint}")
    last_day = _days_in_month(year, month)
    if not 1 <= day <= last_day:
        return ParsedDate(
            None,
            raw,
            False,
            error=(
                f"{raw.strip()} is not a real date: "
                f"{MONTH_NAMES[month - 1].title()} {year} has {last_day} days"
            ),
        )
    value = date(year, month, day)
    if may_swap and day <= 12 and day != month:
        return ParsedDate(value, raw, True, True, date(year, day, month), format=form)
    return ParsedDate(value, raw, True, format=form)


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_date_text(raw: str, reference: date) -> ParsedDate:
    text = " ".join(raw.split())
    if not text:
        return ParsedDate(None, raw, False)
    if match := _ISO.fullmatch(text):
        year, month, day = match.groups()
        return _build_date(raw, year, int(month), int(day), reference, "iso", may_swap=False)
    if match := _YMD.fullmatch(text):
        year, _, month, day = match.groups()
        return _build_date(raw, year, int(month), int(day), reference, "ymd", may_swap=False)
    if match := _DMY.fullmatch(text):
        day, _, month, year = match.groups()
        return _build_date(raw, year, int(month), int(day), reference, "dmy", may_swap=True)
    if match := _ISO_BASIC.fullmatch(text):
        year, month, day = match.groups()
        return _build_date(raw, year, int(month), int(day), reference, "iso-basic", may_swap=False)
    if match := _D_MONTH_Y.fullmatch(text):
        day, month_name, year = match.groups()
        month_number = _MONTHS.get(month_name.upper())
        if month_number is not None:
            return _build_date(
                raw, year, month_number, int(day), reference, "d-month-y", may_swap=False
            )
    if match := _MONTH_D_Y.fullmatch(text):
        month_name, day, year = match.groups()
        month_number = _MONTHS.get(month_name.upper())
        if month_number is not None:
            return _build_date(
                raw, year, month_number, int(day), reference, "month-d-y", may_swap=False
            )
    return ParsedDate(
        None,
        raw,
        False,
        error=(
            f"{text!r} is not a date in a form we read "
            "(day/month/year such as 04/03/2015, or 2015-03-04)"
        ),
    )


def _parse_excel_serial(raw: str, serial: float) -> ParsedDate:
    if math.isnan(serial):
        return ParsedDate(None, "", False)
    if not math.isfinite(serial) or not (
        EXCEL_FIRST_EXACT_SERIAL <= serial < EXCEL_LAST_SERIAL + 1
    ):
        return ParsedDate(
            None,
            raw,
            False,
            error=f"{raw} is not a spreadsheet date serial between 1 March 1900 and 9999",
        )
    value = EXCEL_EPOCH + timedelta(days=math.floor(serial))
    return ParsedDate(value, raw, True, format="excel-serial")


def parse_date(raw: object, *, reference: date | None = None) -> ParsedDate:
    """Read a date from a feed without guessing.

    Accepted: ISO ``2015-03-04`` (with or without a time), ISO basic ``20150304``, year
    first with ``/`` ``.`` or a space, UK day/month/year with ``/`` ``-`` ``.`` or a space
    and a two- or four-digit year, written months (``4 March 2015``, ``04-Mar-15``,
    ``March 4, 2015``), spreadsheet serial numbers (an ``int`` or ``float`` counting days
    from 30 December 1899, as XLSX cells hold them) and ``date``/``datetime`` objects.

    Two-digit years take the century that puts the date on or before ``reference``
    (today if not given): see :func:`_pivot_year`. Month first (US) is never assumed.
    """
    if reference is None:
        reference = date.today()
    if isinstance(raw, str):
        return _parse_date_text(raw, reference)
    if raw is None:
        return ParsedDate(None, "", False)
    if isinstance(raw, datetime):
        return ParsedDate(raw.date(), str(raw), True, format="date")
    if isinstance(raw, date):
        return ParsedDate(raw, str(raw), True, format="date")
    if isinstance(raw, numbers.Real) and not isinstance(raw, bool):
        return _parse_excel_serial(str(raw), float(raw))
    text = str(raw)
    return ParsedDate(None, text, False, error=f"{text!r} is not a date")


def parse_date_of_birth(raw: object, *, reference: date) -> ParsedDate:
    """:func:`parse_date`, refusing dates after ``reference`` (a birth cannot be in the
    future). When only the day/month-swapped reading would be in the future, the date is
    not ambiguous after all and is returned without the alternative."""
    if isinstance(raw, str):
        return _parse_date_of_birth_text(raw, reference)
    return _date_of_birth(parse_date(raw, reference=reference), reference)


@lru_cache(maxsize=_CACHE_SIZE)
def _parse_date_of_birth_text(raw: str, reference: date) -> ParsedDate:
    return _date_of_birth(_parse_date_text(raw, reference), reference)


def _date_of_birth(parsed: ParsedDate, reference: date) -> ParsedDate:
    if parsed.value is None:
        return parsed
    if parsed.value > reference:
        return ParsedDate(
            None,
            parsed.raw,
            False,
            error=f"a date of birth cannot be after {reference:%d/%m/%Y}",
            format=parsed.format,
        )
    if parsed.swapped is not None and parsed.swapped > reference:
        return ParsedDate(parsed.value, parsed.raw, True, format=parsed.format)
    return parsed


# ---------------------------------------------------------------------------------------
# Postcodes and identifiers
# ---------------------------------------------------------------------------------------


@lru_cache(maxsize=_CACHE_SIZE)
def _standardise_postcode_text(raw: str) -> StandardisedValue:
    normalised = identifiers.normalise_postcode(raw)
    if not normalised:
        return StandardisedValue("", raw, False)
    if identifiers.POSTCODE_PATTERN.fullmatch(normalised):
        return StandardisedValue(normalised, raw, True)
    return StandardisedValue(
        "", raw, False, _validation_message(identifiers.validate_postcode, raw)
    )


def standardise_postcode(raw: object) -> StandardisedValue:
    """Upper case with one space before the inward code ("sw1a1aa" → "SW1A 1AA")."""
    return _standardise_postcode_text(_raw_text(raw))


def postcode_district(postcode: object) -> str:
    """The outward code ("SW1A 1AA" → "SW1A"), or "" for an invalid postcode."""
    value = standardise_postcode(postcode).value
    return value.split(" ", 1)[0] if value else ""


def postcode_sector(postcode: object) -> str:
    """The outward code and the first character of the inward code ("SW1A 1")."""
    value = standardise_postcode(postcode).value
    return value[:-2] if value else ""


def _identifier_text(raw: object) -> str:
    """Spreadsheets hand numbers over as int or float (4857773456.0); read them as digits."""
    if isinstance(raw, float) and raw.is_integer():
        return str(int(raw))
    return _raw_text(raw)


def standardise_nhs_number(raw: object, *, allow_test_range: bool = False) -> NhsNumber:
    """Ten digits with the modulus 11 check digit.

    Numbers beginning 999 are test numbers that belong to no real child. They are always
    marked ``is_test_number``; they count as valid (usable as matching evidence) only when
    ``allow_test_range`` is set, as it is for the demo area. In production a 999 number is
    kept raw and marked invalid, so it can never join two real children's records.
    """
    text = _identifier_text(raw)
    if len(text) == 10 and text.isdigit() and text.isascii():
        number = text  # the usual case: already ten plain digits
        check = identifiers.nhs_check_digit(number[:9])
        valid = check is not None and check == ord(number[9]) - 48
    else:
        number = identifiers.normalise_nhs_number(text)
        if not number:
            return NhsNumber("", text, False)
        valid = identifiers.is_valid_nhs_number(number)
    is_test = number.startswith(identifiers.NHS_TEST_RANGE_PREFIX)
    if not valid:
        message = _validation_message(identifiers.validate_nhs_number, number)
        return NhsNumber("", text, False, message, is_test_number=is_test)
    if is_test and not allow_test_range:
        return NhsNumber(
            "",
            text,
            False,
            "NHS numbers beginning 999 are test numbers and belong to no real child",
            is_test_number=True,
        )
    return NhsNumber(number, text, True, is_test_number=is_test)


def standardise_upn(raw: object) -> Upn:
    """Thirteen characters with a correct check letter; ``is_temporary`` when the last
    character is a letter (a temporary UPN, later replaced by a permanent one). Both are
    valid evidence; matching can weigh a temporary UPN less."""
    text = _raw_text(raw)
    upn = identifiers.normalise_upn(text) if text else ""
    if not upn:
        return Upn("", text, False)
    if not identifiers.is_valid_upn(upn):
        return Upn("", text, False, _validation_message(identifiers.validate_upn, upn))
    return Upn(upn, text, True, is_temporary=upn[-1].isalpha())


# ---------------------------------------------------------------------------------------
# Sex
# ---------------------------------------------------------------------------------------

_SEX_WORDS: dict[str, str] = {
    "M": SEX_MALE,
    "MALE": SEX_MALE,
    "BOY": SEX_MALE,
    "1": SEX_MALE,
    "F": SEX_FEMALE,
    "FEMALE": SEX_FEMALE,
    "GIRL": SEX_FEMALE,
    "2": SEX_FEMALE,
    "I": SEX_INDETERMINATE,
    "INDETERMINATE": SEX_INDETERMINATE,
    "U": SEX_NOT_KNOWN,
    "UNKNOWN": SEX_NOT_KNOWN,
    "NOT KNOWN": SEX_NOT_KNOWN,
    "NK": SEX_NOT_KNOWN,
    "N/K": SEX_NOT_KNOWN,
    "0": SEX_NOT_KNOWN,
    "NOT STATED": SEX_NOT_KNOWN,
    "NOT SPECIFIED": SEX_NOT_KNOWN,
    "UNSPECIFIED": SEX_NOT_KNOWN,
    "NOT RECORDED": SEX_NOT_KNOWN,
}


def standardise_sex(raw: object) -> StandardisedValue:
    """M/F/Male/Female/boy/girl, I (indeterminate), U/unknown, and the codes 0, 1 and 2
    (not known, male, female — the same in the NHS and ISO 5218 code lists). Code 9 is
    refused: one list uses it for "indeterminate", the other for "not applicable"."""
    return _standardise_sex_text(_identifier_text(raw))


@lru_cache(maxsize=1024)
def _standardise_sex_text(text: str) -> StandardisedValue:
    key = " ".join(text.upper().replace("_", " ").split())
    if not key:
        return StandardisedValue("", text, False)
    value = _SEX_WORDS.get(key)
    if value is None:
        return StandardisedValue(
            "",
            text,
            False,
            f"{text.strip()!r} is not a sex we recognise "
            "(use male, female, indeterminate or not known)",
        )
    return StandardisedValue(value, text, True)


# ---------------------------------------------------------------------------------------
# Whole records
# ---------------------------------------------------------------------------------------


_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=_CACHE_SIZE)
def _name_field(text: str) -> tuple[str, str]:
    """(standardised name, problem) for a name field; both empty when the field is blank."""
    if not text or text.isspace():
        return "", ""
    standardised = _standardise_name_text(text)
    if not standardised:
        return "", "contains no letters"
    if _DIGIT.search(standardised):
        return "", "contains digits"
    return standardised, ""


@lru_cache(maxsize=_CACHE_SIZE)
def _given_name_features(standardised: str) -> tuple[str, frozenset[str], str]:
    return (
        canonical_given_name(standardised),
        _given_name_variants(standardised),
        _phonetic_key(standardised),
    )


@lru_cache(maxsize=_CACHE_SIZE)
def _family_name_features(standardised: str) -> tuple[tuple[str, ...], str]:
    return _family_name_parts(standardised), _phonetic_key(standardised)


def standardise_record(
    values: Mapping[str, object],
    *,
    reference: date,
    allow_test_nhs_numbers: bool = False,
) -> StandardisedRecord:
    """Standardise one record whose keys follow the child model: ``given_name``,
    ``family_name``, ``other_names``, ``date_of_birth``, ``sex``, ``postcode``,
    ``nhs_number`` and ``upn`` (other keys are ignored; absent keys are missing).

    ``reference`` is the day the feed was received: dates of birth after it are invalid
    and two-digit years are read against it. ``allow_test_nhs_numbers`` lets the demo
    area's 999 NHS numbers count as evidence.
    """
    invalid: dict[str, str] = {}
    missing: set[str] = set()
    flags: set[str] = set()

    names: dict[str, str] = {}
    for key in ("given_name", "family_name", "other_names"):
        standardised, problem = _name_field(_raw_text(values.get(key)))
        if problem:
            invalid[key] = problem
        elif not standardised:
            missing.add(key)
        names[key] = standardised
    given, family = names["given_name"], names["family_name"]
    given_canonical, given_variants, given_phonetic = _given_name_features(given)
    family_parts, family_phonetic = _family_name_features(family)

    dob = parse_date_of_birth(values.get("date_of_birth"), reference=reference)
    if dob.error:
        invalid["date_of_birth"] = dob.error
    elif dob.value is None:
        missing.add("date_of_birth")
    else:
        if dob.is_day_month_ambiguous:
            flags.add(FLAG_DOB_AMBIGUOUS)
        born = dob.value
        age = (
            reference.year - born.year - ((reference.month, reference.day) < (born.month, born.day))
        )
        if age > OLDEST_AGE_EXPECTED:
            flags.add(FLAG_DOB_OVER_25)

    sex = standardise_sex(values.get("sex"))
    if sex.error:
        invalid["sex"] = sex.error
    elif not sex.is_valid:
        missing.add("sex")

    postcode = standardise_postcode(values.get("postcode"))
    if postcode.error:
        invalid["postcode"] = postcode.error
    elif not postcode.is_valid:
        missing.add("postcode")
    postcode_value = postcode.value

    nhs = standardise_nhs_number(values.get("nhs_number"), allow_test_range=allow_test_nhs_numbers)
    if nhs.error:
        invalid["nhs_number"] = nhs.error
    elif not nhs.is_valid:
        missing.add("nhs_number")
    if nhs.is_test_number:
        flags.add(FLAG_NHS_TEST_NUMBER)

    upn = standardise_upn(values.get("upn"))
    if upn.error:
        invalid["upn"] = upn.error
    elif not upn.is_valid:
        missing.add("upn")
    if upn.is_temporary:
        flags.add(FLAG_UPN_TEMPORARY)

    return StandardisedRecord(
        given_name=given,
        given_name_canonical=given_canonical,
        given_name_variants=given_variants,
        given_name_phonetic=given_phonetic,
        other_names=names["other_names"],
        family_name=family,
        family_name_parts=family_parts,
        family_name_phonetic=family_phonetic,
        date_of_birth=dob.value,
        date_of_birth_swapped=dob.swapped,
        sex=sex.value or SEX_NOT_KNOWN,
        postcode=postcode_value,
        postcode_district=postcode_value.split(" ", 1)[0] if postcode_value else "",
        postcode_sector=postcode_value[:-2] if postcode_value else "",
        nhs_number=nhs.value,
        upn=upn.value,
        invalid_fields=invalid,
        missing_fields=frozenset(missing),
        flags=frozenset(flags),
    )
