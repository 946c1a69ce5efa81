"""Standardising child records before identity matching (joinedup/children/standardise.py)."""

import csv
import math
from datetime import date, datetime

import pytest

from joinedup.children import identifiers, standardise
from joinedup.children.models import Sex
from joinedup.children.standardise import (
    canonical_given_name,
    family_name_parts,
    given_name_variants,
    parse_date,
    parse_date_of_birth,
    phonetic_key,
    postcode_district,
    postcode_sector,
    standardise_name,
    standardise_nhs_number,
    standardise_postcode,
    standardise_record,
    standardise_sex,
    standardise_upn,
)

REFERENCE = date(2025, 6, 1)
VALID_NHS = "9434765919"
VALID_NHS_2 = "4010232137"
TEST_RANGE_NHS = "9990000018"  # 999 range with a correct check digit


def make_upn(first_twelve_after_check: str) -> str:
    return identifiers.upn_check_letter(first_twelve_after_check) + first_twelve_after_check


PERMANENT_UPN = make_upn("201300101001")
TEMPORARY_UPN = make_upn("20130010100A")


# --- Names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("José", "JOSE"),
        ("Zoë", "ZOE"),
        ("Chloé", "CHLOE"),
        ("Renée", "RENEE"),
        ("Łukasz", "LUKASZ"),
        ("Søren", "SOREN"),
        ("Straße", "STRASSE"),
        ("Æthelred", "AETHELRED"),
        ("O'Brien", "OBRIEN"),
        ("O’Brien", "OBRIEN"),
        ("D`Arcy", "DARCY"),
        ("Smith-Jones", "SMITH JONES"),
        ("Smith – Jones", "SMITH JONES"),
        ("  smith   jones ", "SMITH JONES"),
        ("Mary-Jane", "MARY JANE"),
        ("st. john", "ST JOHN"),
        ("Mr John Smith", "JOHN SMITH"),
        ("Miss Amy", "AMY"),
        ("Master Oliver", "OLIVER"),
        ("John Smith Jr.", "JOHN SMITH"),
        ("Henry III", "HENRY"),
        ("Miss", "MISS"),  # a title alone is all there is: kept, not emptied
        ("", ""),
        (None, ""),
        ("\u00a0Amy\u00a0", "AMY"),
        ("Li 李", "LI 李"),  # letters of other scripts are kept
        ("John2", "JOHN2"),  # digits kept so the record can be marked invalid
    ],
)
def test_standardise_name(raw, expected):
    assert standardise_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Smith", ["SMITH"]),
        ("Smith-Jones", ["SMITH", "JONES"]),
        ("Smith Jones", ["SMITH", "JONES"]),
        ("smith-JONES-Brown", ["SMITH", "JONES", "BROWN"]),
        ("O'Brien", ["OBRIEN"]),
        ("O Brien", ["OBRIEN"]),
        ("Mc Donald", ["MCDONALD"]),
        ("van der Berg", ["VANDERBERG"]),
        ("De La Cruz-Smith", ["DELACRUZ", "SMITH"]),
        ("Saint John", ["STJOHN"]),
        ("St. John", ["STJOHN"]),
        ("Smith-Smith", ["SMITH"]),
        ("Le", ["LE"]),
        ("", []),
    ],
)
def test_family_name_parts(raw, expected):
    assert family_name_parts(raw) == expected


def test_double_barrelled_surnames_share_a_part_with_either_single_name():
    parts = set(family_name_parts("Smith-Jones"))
    assert parts & set(family_name_parts("Smith"))
    assert parts & set(family_name_parts("jones"))
    assert not parts & set(family_name_parts("Brown"))


def test_family_name_parts_returns_a_fresh_list_each_time():
    family_name_parts("Smith-Jones").append("MUTATED")
    assert family_name_parts("Smith-Jones") == ["SMITH", "JONES"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Bill", "WILLIAM"),
        ("Billy", "WILLIAM"),
        ("Will", "WILLIAM"),
        ("Liam", "WILLIAM"),
        ("William", "WILLIAM"),
        ("Alfie", "ALFRED"),
        ("Kate", "KATHERINE"),
        ("Katie", "KATHERINE"),
        ("Kat", "KATHERINE"),
        ("Catherine", "KATHERINE"),
        ("Becky", "REBECCA"),
        ("Mohammed", "MUHAMMAD"),
        ("Billy-Joe", "WILLIAM JOSEPH"),
        ("Zoë", "ZOE"),
        ("Maddie", "MADDIE"),  # several formal names: not guessed
        ("Alex", "ALEX"),
        ("Charlie", "CHARLIE"),
        ("Aarav", "AARAV"),  # not in the table: unchanged
        ("", ""),
    ],
)
def test_canonical_given_name(raw, expected):
    assert canonical_given_name(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Maddie", {"MADDIE", "MADISON", "MADELEINE"}),
        ("Bill", {"BILL", "WILLIAM"}),
        ("William", {"WILLIAM"}),
        ("Charlie", {"CHARLIE", "CHARLES", "CHARLOTTE"}),
        ("Sam", {"SAM", "SAMUEL", "SAMANTHA"}),
        ("Freddie", {"FREDDIE", "FREDERICK", "ALFRED"}),
        ("Oliver James", {"OLIVER"}),  # only the first given name
        ("", set()),
    ],
)
def test_given_name_variants(raw, expected):
    assert given_name_variants(raw) == frozenset(expected)


@pytest.mark.parametrize(
    ("first", "second", "compatible"),
    [
        ("Maddie", "Madison", True),
        ("Maddie", "Madeleine", True),
        ("Madison", "Madeleine", False),
        ("Bill", "Billy", True),
        ("Will", "William", True),
        ("Alfie", "Freddie", True),
        ("Charlie", "Charlotte", True),
        ("Charles", "Charlotte", False),
        ("Kate", "Katie", True),
        ("Kate", "Karen", False),
    ],
)
def test_given_names_are_compatible_when_their_variants_overlap(first, second, compatible):
    assert bool(given_name_variants(first) & given_name_variants(second)) is compatible


def test_the_nickname_file_is_well_formed():
    with standardise.NICKNAMES_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) >= 300
    pairs = {(row["nickname"], row["formal"]) for row in rows}
    assert len(pairs) == len(rows), "no duplicate rows"
    for nickname, formal in pairs:
        assert nickname == standardise_name(nickname)
        assert formal == standardise_name(formal)
        assert nickname != formal
    # A formal name is never itself a nickname, so one look-up is always enough.
    nicknames = {nickname for nickname, _ in pairs}
    formals = {formal for _, formal in pairs}
    assert not nicknames & formals


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Mohammed", "Muhammad"),
        ("Catherine", "Katherine"),
        ("Stephen", "Steven"),
        ("Jon", "John"),
        ("Aidan", "Aiden"),
    ],
)
def test_phonetic_key_matches_names_that_sound_alike(first, second):
    assert phonetic_key(first) == phonetic_key(second)


def test_phonetic_key_keys_each_word_and_ignores_accents_and_case():
    assert phonetic_key("Smith-Jones") == f"{phonetic_key('Smith')} {phonetic_key('Jones')}"
    assert phonetic_key("josé") == phonetic_key("JOSE")
    assert phonetic_key("") == ""
    assert phonetic_key("Smith") != phonetic_key("Jones")


# --- Dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "form"),
    [
        ("2015-03-24", date(2015, 3, 24), "iso"),
        ("2015-3-4", date(2015, 3, 4), "iso"),
        ("2015-03-24T00:00:00", date(2015, 3, 24), "iso"),
        ("2015-03-24 13:45", date(2015, 3, 24), "iso"),
        ("2015-03-24T10:00:00+01:00", date(2015, 3, 24), "iso"),
        ("20150324", date(2015, 3, 24), "iso-basic"),
        ("2015/03/24", date(2015, 3, 24), "ymd"),
        ("2015.03.24", date(2015, 3, 24), "ymd"),
        ("24/03/2015", date(2015, 3, 24), "dmy"),
        ("24-03-2015", date(2015, 3, 24), "dmy"),
        ("24.03.2015", date(2015, 3, 24), "dmy"),
        ("24 03 2015", date(2015, 3, 24), "dmy"),
        ("24/3/2015", date(2015, 3, 24), "dmy"),
        (" 24/03/2015 ", date(2015, 3, 24), "dmy"),
        ("24/03/2015 00:00:00", date(2015, 3, 24), "dmy"),
        ("24/03/15", date(2015, 3, 24), "dmy"),
        ("24 March 2015", date(2015, 3, 24), "d-month-y"),
        ("24th March, 2015", date(2015, 3, 24), "d-month-y"),
        ("24-Mar-2015", date(2015, 3, 24), "d-month-y"),
        ("24-mar-15", date(2015, 3, 24), "d-month-y"),
        ("24Mar2015", date(2015, 3, 24), "d-month-y"),
        ("1 Sept 2015", date(2015, 9, 1), "d-month-y"),
        ("March 24, 2015", date(2015, 3, 24), "month-d-y"),
        ("Mar 24 2015", date(2015, 3, 24), "month-d-y"),
        (date(2015, 3, 24), date(2015, 3, 24), "date"),
        (datetime(2015, 3, 24, 9, 30), date(2015, 3, 24), "date"),
        (42087, date(2015, 3, 24), "excel-serial"),
        (42087.0, date(2015, 3, 24), "excel-serial"),
        (42087.99, date(2015, 3, 24), "excel-serial"),  # a time of day is dropped
        (61, date(1900, 3, 1), "excel-serial"),
    ],
)
def test_parse_date_reads_every_accepted_form(raw, expected, form):
    parsed = parse_date(raw, reference=REFERENCE)
    assert parsed.is_valid, parsed.error
    assert parsed.value == expected
    assert parsed.format == form
    assert not parsed.is_day_month_ambiguous
    assert parsed.swapped is None
    assert parsed.error == ""


@pytest.mark.parametrize(
    ("raw", "value", "swapped"),
    [
        ("04/03/2015", date(2015, 3, 4), date(2015, 4, 3)),
        ("4/3/2015", date(2015, 3, 4), date(2015, 4, 3)),
        ("04-03-2015", date(2015, 3, 4), date(2015, 4, 3)),
        ("04.03.15", date(2015, 3, 4), date(2015, 4, 3)),
        ("12 01 2010", date(2010, 1, 12), date(2010, 12, 1)),
    ],
)
def test_day_first_dates_that_could_be_month_first_are_flagged(raw, value, swapped):
    parsed = parse_date(raw, reference=REFERENCE)
    assert parsed.is_valid
    assert parsed.value == value  # read day first, the UK way: never month first
    assert parsed.is_day_month_ambiguous
    assert parsed.swapped == swapped


@pytest.mark.parametrize(
    "raw",
    [
        "05/05/2015",  # day and month equal: both readings are the same date
        "13/04/2015",  # 13 cannot be a month
        "2015-03-04",  # ISO is year-month-day by definition
        "4 March 2015",  # the month is written out
    ],
)
def test_dates_that_can_only_be_read_one_way_are_not_flagged(raw):
    parsed = parse_date(raw, reference=REFERENCE)
    assert parsed.is_valid
    assert not parsed.is_day_month_ambiguous
    assert parsed.swapped is None


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("31/02/2015", "31/02/2015 is not a real date: February 2015 has 28 days"),
        ("29/02/2023", "February 2023 has 28 days"),
        ("31/04/2015", "April 2015 has 30 days"),
        ("00/04/2015", "not a real date"),
        ("2015-02-30", "February 2015 has 28 days"),
        ("30 Feb 2016", "February 2016 has 29 days"),
        ("04/13/2015", "there is no month 13 (dates are read day first"),
        ("13/13/2015", "there is no month 13"),
        ("2015-13-01", "there is no month 13"),
        ("01/01/1850", "before 1900"),
        ("01/01/15 5", "not a date in a form we read"),
        ("04/03-2015", "not a date in a form we read"),
        ("4 Marchember 2015", "not a date in a form we read"),
        ("next Tuesday", "not a date in a form we read"),
        ("1/1/201", "not a date in a form we read"),
    ],
)
def test_impossible_or_unreadable_dates_are_invalid_never_guessed(raw, message):
    parsed = parse_date(raw, reference=REFERENCE)
    assert not parsed.is_valid
    assert parsed.value is None
    assert parsed.swapped is None
    assert message in parsed.error
    assert parsed.raw == raw


def test_leap_days_are_real_in_leap_years():
    assert parse_date("29/02/2016", reference=REFERENCE).value == date(2016, 2, 29)
    assert parse_date("29/02/00", reference=REFERENCE).value == date(2000, 2, 29)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("24/03/15", date(2015, 3, 24)),
        ("24/03/99", date(1999, 3, 24)),
        ("24/03/00", date(2000, 3, 24)),
        ("31/05/25", date(2025, 5, 31)),  # on or before the reference day: this century
        ("01/06/25", date(2025, 6, 1)),  # the reference day itself
        ("02/06/25", date(1925, 6, 2)),  # the day after: last century, never the future
        ("24/03/30", date(1930, 3, 24)),
    ],
)
def test_two_digit_years_take_the_latest_century_not_after_the_reference(raw, expected):
    assert parse_date(raw, reference=REFERENCE).value == expected


def test_two_digit_years_depend_on_the_reference_date():
    assert parse_date("24/03/30", reference=date(2031, 1, 1)).value == date(2030, 3, 24)


@pytest.mark.parametrize("raw", [None, "", "   ", math.nan])
def test_empty_dates_are_missing_not_invalid(raw):
    parsed = parse_date(raw, reference=REFERENCE)
    assert parsed.value is None
    assert not parsed.is_valid
    assert parsed.error == ""
    assert parsed.is_missing


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (60, "not a spreadsheet date serial"),  # Excel's non-existent 29 February 1900
        (0, "not a spreadsheet date serial"),
        (-5, "not a spreadsheet date serial"),
        (math.inf, "not a spreadsheet date serial"),
        (3_000_000, "not a spreadsheet date serial"),
        (True, "is not a date"),
        ([2015, 3, 4], "is not a date"),
    ],
)
def test_unusable_non_text_values_are_invalid(raw, message):
    parsed = parse_date(raw, reference=REFERENCE)
    assert not parsed.is_valid
    assert message in parsed.error


def test_parse_date_keeps_the_raw_text():
    assert parse_date(" 04/03/2015 ", reference=REFERENCE).raw == " 04/03/2015 "
    assert parse_date(42087, reference=REFERENCE).raw == "42087"


def test_parse_date_defaults_its_reference_to_today():
    assert parse_date("04/03/2015").value == date(2015, 3, 4)


@pytest.mark.parametrize("raw", ["02/06/2025", "2026-01-01", "01/01/2099"])
def test_a_date_of_birth_in_the_future_is_refused(raw):
    parsed = parse_date_of_birth(raw, reference=REFERENCE)
    assert not parsed.is_valid
    assert parsed.value is None
    assert parsed.error == "a date of birth cannot be after 01/06/2025"


def test_a_date_of_birth_on_the_reference_day_is_accepted():
    assert parse_date_of_birth("01/06/2025", reference=REFERENCE).value == REFERENCE


def test_a_date_of_birth_is_not_ambiguous_when_the_other_reading_is_in_the_future():
    parsed = parse_date_of_birth("05/04/2025", reference=date(2025, 4, 20))
    assert parsed.value == date(2025, 4, 5)
    assert not parsed.is_day_month_ambiguous
    assert parsed.swapped is None
    still = parse_date_of_birth("05/04/2025", reference=date(2025, 6, 1))
    assert still.is_day_month_ambiguous
    assert still.swapped == date(2025, 5, 4)


# --- Postcodes and identifiers -------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("SW1A 1AA", "SW1A 1AA"),
        ("sw1a1aa", "SW1A 1AA"),
        ("  sw1a   1aa ", "SW1A 1AA"),
        ("m1 1ae", "M1 1AE"),
        ("B338TH", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("DN55\u00a01PT", "DN55 1PT"),
    ],
)
def test_postcodes_are_made_canonical(raw, expected):
    result = standardise_postcode(raw)
    assert result.is_valid
    assert result.value == expected
    assert result.raw == raw
    assert result.error == ""


@pytest.mark.parametrize("raw", ["SW1A 1A", "12345", "SW1A-1AA", "not a postcode", "SW1A 1AAA"])
def test_invalid_postcodes_are_kept_raw_and_marked(raw):
    result = standardise_postcode(raw)
    assert not result.is_valid
    assert result.value == ""
    assert result.raw == raw
    assert result.error == "Enter a real postcode, like SW1A 1AA"


@pytest.mark.parametrize("raw", [None, "", "  "])
def test_empty_postcodes_are_missing(raw):
    assert standardise_postcode(raw).is_missing


@pytest.mark.parametrize(
    ("raw", "district", "sector"),
    [
        ("sw1a 1aa", "SW1A", "SW1A 1"),
        ("M1 1AE", "M1", "M1 1"),
        ("B33 8TH", "B33", "B33 8"),
        ("nonsense", "", ""),
        ("", "", ""),
    ],
)
def test_postcode_district_and_sector(raw, district, sector):
    assert postcode_district(raw) == district
    assert postcode_sector(raw) == sector


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (VALID_NHS, VALID_NHS),
        ("943 476 5919", VALID_NHS),
        ("943-476-5919", VALID_NHS),
        (" 9434765919 ", VALID_NHS),
        (int(VALID_NHS_2), VALID_NHS_2),  # a number cell from a spreadsheet
        (float(VALID_NHS_2), VALID_NHS_2),
    ],
)
def test_valid_nhs_numbers(raw, expected):
    result = standardise_nhs_number(raw)
    assert result.is_valid
    assert result.value == expected
    assert not result.is_test_number


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("9434765918", "This NHS number is not valid"),
        ("943476591", "Enter an NHS number of 10 digits"),
        ("94347659190", "Enter an NHS number of 10 digits"),
        ("94347G5919", "Enter an NHS number of 10 digits"),
        ("9990000017", "This NHS number is not valid"),  # 999 and a wrong check digit
    ],
)
def test_invalid_nhs_numbers_are_kept_raw_and_flagged(raw, message):
    result = standardise_nhs_number(raw)
    assert not result.is_valid
    assert result.value == ""
    assert result.raw == raw
    assert message in result.error


def test_999_nhs_numbers_are_test_numbers_not_evidence_by_default():
    result = standardise_nhs_number("999 000 0018")
    assert result.is_test_number
    assert not result.is_valid
    assert result.value == ""
    assert "test numbers" in result.error


def test_the_demo_area_can_let_999_numbers_count():
    result = standardise_nhs_number("999 000 0018", allow_test_range=True)
    assert result.is_test_number
    assert result.is_valid
    assert result.value == TEST_RANGE_NHS


def test_allowing_the_test_range_never_lets_a_bad_check_digit_through():
    assert not standardise_nhs_number("9990000017", allow_test_range=True).is_valid


@pytest.mark.parametrize("raw", [None, "", " "])
def test_empty_nhs_numbers_are_missing(raw):
    assert standardise_nhs_number(raw).is_missing


@pytest.mark.parametrize(
    ("raw", "temporary"),
    [
        (PERMANENT_UPN, False),
        (PERMANENT_UPN.lower(), False),
        (f" {PERMANENT_UPN[:4]} {PERMANENT_UPN[4:]} ", False),
        (TEMPORARY_UPN, True),
        (TEMPORARY_UPN.lower(), True),
    ],
)
def test_valid_upns_permanent_and_temporary(raw, temporary):
    result = standardise_upn(raw)
    assert result.is_valid, result.error
    assert result.value == raw.replace(" ", "").upper()
    assert result.is_temporary is temporary


def test_the_test_upns_are_really_permanent_and_temporary():
    assert PERMANENT_UPN[-1].isdigit()
    assert TEMPORARY_UPN[-1] == "A"


def wrong_check_letter(upn: str) -> str:
    other = next(letter for letter in "ABC" if letter != upn[0])
    return other + upn[1:]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (wrong_check_letter(PERMANENT_UPN), "its check letter does not match"),
        (wrong_check_letter(TEMPORARY_UPN), "its check letter does not match"),
        (PERMANENT_UPN[:-1], "Enter a unique pupil number of 13 characters"),
        ("I201300101001", "its check letter does not match"),  # I is not a check letter
    ],
)
def test_invalid_upns_are_kept_raw_and_flagged(raw, message):
    result = standardise_upn(raw)
    assert not result.is_valid
    assert result.value == ""
    assert result.raw == raw
    assert message in result.error


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("M", Sex.MALE),
        ("m", Sex.MALE),
        ("Male", Sex.MALE),
        (" boy ", Sex.MALE),
        ("1", Sex.MALE),
        (1, Sex.MALE),
        ("F", Sex.FEMALE),
        ("female", Sex.FEMALE),
        ("Girl", Sex.FEMALE),
        ("2", Sex.FEMALE),
        (2.0, Sex.FEMALE),
        ("I", Sex.INDETERMINATE),
        ("Indeterminate", Sex.INDETERMINATE),
        ("U", Sex.NOT_KNOWN),
        ("unknown", Sex.NOT_KNOWN),
        ("Not known", Sex.NOT_KNOWN),
        ("not_known", Sex.NOT_KNOWN),
        ("N/K", Sex.NOT_KNOWN),
        ("0", Sex.NOT_KNOWN),
    ],
)
def test_standardise_sex(raw, expected):
    result = standardise_sex(raw)
    assert result.is_valid
    assert result.value == expected


@pytest.mark.parametrize("raw", ["9", "X", "B", "other", "mail"])
def test_unrecognised_sex_values_are_invalid(raw):
    result = standardise_sex(raw)
    assert not result.is_valid
    assert result.value == ""
    assert result.raw == raw
    assert "is not a sex we recognise" in result.error


def test_the_sex_constants_match_the_model_choices():
    assert {
        standardise.SEX_FEMALE,
        standardise.SEX_MALE,
        standardise.SEX_INDETERMINATE,
        standardise.SEX_NOT_KNOWN,
    } == set(Sex.values)


# --- Whole records -------------------------------------------------------------------


def full_record(**overrides: object) -> dict[str, object]:
    record: dict[str, object] = {
        "given_name": "Billy",
        "family_name": "O'Brien-Smith",
        "other_names": "José",
        "date_of_birth": "24/03/2015",
        "sex": "M",
        "postcode": "sw1a1aa",
        "nhs_number": "943 476 5919",
        "upn": PERMANENT_UPN,
        "agency_reference": "ignored",
    }
    record.update(overrides)
    return record


def test_a_clean_record_is_fully_standardised():
    result = standardise_record(full_record(), reference=REFERENCE)
    assert result.given_name == "BILLY"
    assert result.given_name_canonical == "WILLIAM"
    assert result.given_name_variants == {"BILLY", "WILLIAM"}
    assert result.given_name_phonetic == phonetic_key("Billy")
    assert result.other_names == "JOSE"
    assert result.family_name == "OBRIEN SMITH"
    assert result.family_name_parts == ("OBRIEN", "SMITH")
    assert result.family_name_phonetic == phonetic_key("OBRIEN SMITH")
    assert result.date_of_birth == date(2015, 3, 24)
    assert result.date_of_birth_swapped is None
    assert result.sex == Sex.MALE
    assert result.postcode == "SW1A 1AA"
    assert result.postcode_district == "SW1A"
    assert result.postcode_sector == "SW1A 1"
    assert result.nhs_number == VALID_NHS
    assert result.upn == PERMANENT_UPN
    assert result.invalid_fields == {}
    assert result.missing_fields == frozenset()
    assert result.flags == frozenset()


def test_a_record_with_invalid_fields_marks_each_and_keeps_the_rest():
    record = full_record(
        date_of_birth="31/02/2015",
        postcode="SW1A 1A",
        nhs_number="9434765918",
        upn=wrong_check_letter(PERMANENT_UPN),
        sex="X",
        given_name="J0hn",
        family_name="???",
    )
    result = standardise_record(record, reference=REFERENCE)
    assert set(result.invalid_fields) == {
        "date_of_birth",
        "postcode",
        "nhs_number",
        "upn",
        "sex",
        "given_name",
        "family_name",
    }
    assert "February 2015 has 28 days" in result.invalid_fields["date_of_birth"]
    assert result.invalid_fields["given_name"] == "contains digits"
    assert result.invalid_fields["family_name"] == "contains no letters"
    assert result.date_of_birth is None
    assert result.postcode == result.postcode_district == ""
    assert result.nhs_number == result.upn == result.given_name == result.family_name == ""
    assert result.given_name_variants == frozenset()
    assert result.sex == Sex.NOT_KNOWN
    assert result.other_names == "JOSE"  # the valid field is still standardised
    # The caller's values are left exactly as they were.
    assert record["date_of_birth"] == "31/02/2015"
    assert record["nhs_number"] == "9434765918"


def test_missing_fields_are_listed_not_marked_invalid():
    result = standardise_record({"given_name": "Amy", "family_name": "Ng"}, reference=REFERENCE)
    assert result.invalid_fields == {}
    assert result.missing_fields == {
        "other_names",
        "date_of_birth",
        "sex",
        "postcode",
        "nhs_number",
        "upn",
    }
    assert result.sex == Sex.NOT_KNOWN


def test_record_flags():
    result = standardise_record(
        full_record(date_of_birth="04/03/2015", nhs_number=TEST_RANGE_NHS, upn=TEMPORARY_UPN),
        reference=REFERENCE,
    )
    assert result.flags == {"dob_ambiguous", "nhs_number_test_range", "upn_temporary"}
    assert result.date_of_birth == date(2015, 3, 4)
    assert result.date_of_birth_swapped == date(2015, 4, 3)
    assert result.upn == TEMPORARY_UPN
    assert result.nhs_number == ""
    assert "nhs_number" in result.invalid_fields


def test_the_demo_area_record_keeps_its_999_number():
    result = standardise_record(
        full_record(nhs_number=TEST_RANGE_NHS), reference=REFERENCE, allow_test_nhs_numbers=True
    )
    assert result.nhs_number == TEST_RANGE_NHS
    assert "nhs_number" not in result.invalid_fields
    assert "nhs_number_test_range" in result.flags


def test_a_future_date_of_birth_is_invalid_in_a_record():
    result = standardise_record(full_record(date_of_birth="2025-06-02"), reference=REFERENCE)
    assert result.date_of_birth is None
    assert result.invalid_fields["date_of_birth"] == "a date of birth cannot be after 01/06/2025"


def test_a_date_of_birth_over_25_years_ago_is_kept_but_flagged():
    result = standardise_record(full_record(date_of_birth="24/03/90"), reference=REFERENCE)
    assert result.date_of_birth == date(1990, 3, 24)
    assert "dob_over_25_years_ago" in result.flags
    assert "date_of_birth" not in result.invalid_fields


def test_records_from_spreadsheets_with_native_types():
    result = standardise_record(
        full_record(
            date_of_birth=datetime(2015, 3, 24),
            nhs_number=float(VALID_NHS_2),
            sex=2,
            other_names=math.nan,
        ),
        reference=REFERENCE,
    )
    assert result.date_of_birth == date(2015, 3, 24)
    assert result.nhs_number == VALID_NHS_2
    assert result.sex == Sex.FEMALE
    assert "other_names" in result.missing_fields
    assert result.invalid_fields == {}


def test_records_from_two_agencies_standardise_to_comparable_values():
    school = standardise_record(
        {
            "given_name": "Katie",
            "family_name": "Smith-Jones",
            "date_of_birth": "04/03/2015",
            "postcode": "m1 1ae",
        },
        reference=REFERENCE,
    )
    health = standardise_record(
        {
            "given_name": "Catherine",
            "family_name": "JONES",
            "date_of_birth": "2015-04-03",
            "postcode": "M11AE",
        },
        reference=REFERENCE,
    )
    assert school.given_name_canonical == health.given_name_canonical == "KATHERINE"
    assert set(school.family_name_parts) & set(health.family_name_parts)
    assert school.date_of_birth_swapped == health.date_of_birth
    assert school.postcode == health.postcode
