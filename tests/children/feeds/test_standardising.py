"""What a source record's ``standardised`` JSON carries for identity matching, from the
shared standardiser (joinedup/children/standardise.py), and the feed's own rules on top."""

from __future__ import annotations

from datetime import date

import pytest

from joinedup.children import identifiers
from joinedup.children.feeds.importing import import_feed
from joinedup.children.feeds.standardising import standardise_row
from joinedup.children.models import FeedInvalidField, SourceRecord
from tests.children.feeds.conftest import csv_file

pytestmark = pytest.mark.django_db

RECEIVED = date(2026, 1, 15)
HEAD = "Record ID,Given name,Family name,Date of birth,Sex,NHS number,UPN,Postcode"


def upn(last_twelve: str) -> str:
    return identifiers.upn_check_letter(last_twelve) + last_twelve


def test_identity_fields_carry_what_matching_needs(agency, settings):
    settings.ALLOW_TEST_NHS_NUMBERS = False
    row = f"A1,Billy-Joe,O'Brien-Smith,04/03/2015,M,943 476 5919,{upn('20120010100A')},sw1a1aa"
    import_feed(agency=agency, file=csv_file(HEAD, row), filename="a.csv", today=RECEIVED)
    record = SourceRecord.objects.get(source_id="A1")
    s = record.standardised
    assert (s["given_name"], s["given_name_canonical"]) == ("BILLY JOE", "WILLIAM JOSEPH")
    assert s["given_name_variants"] == ["BILLY", "WILLIAM"]
    assert s["given_name_phonetic"] == "BALY J"
    assert (s["family_name"], s["family_name_parts"]) == ("OBRIEN SMITH", ["OBRIEN", "SMITH"])
    assert s["family_name_phonetic"] == "OBRAN SNAT"
    # Read day first, flagged, and the other reading kept for matching.
    assert s["date_of_birth"] == "2015-03-04" and s["date_of_birth_ambiguous"] is True
    assert s["date_of_birth_swapped"] == "2015-04-03"
    assert s["sex"] == "male"
    assert (s["postcode"], s["postcode_district"], s["postcode_sector"]) == (
        "SW1A 1AA",
        "SW1A",
        "SW1A 1",
    )
    assert (s["nhs_number"], s["nhs_number_is_test"]) == ("9434765919", False)
    assert s["upn"] == upn("20120010100A") and s["upn_is_temporary"] is True
    assert s["flags"] == ["dob_ambiguous", "upn_temporary"]
    # The indexed columns are the standardised values.
    assert (record.given_name, record.family_name, str(record.date_of_birth)) == (
        "BILLY JOE",
        "OBRIEN SMITH",
        "2015-03-04",
    )
    assert (record.nhs_number, record.upn, record.postcode) == (
        "9434765919",
        upn("20120010100A"),
        "SW1A 1AA",
    )
    assert record.invalid_fields == {}
    assert record.values["Given name"] == "Billy-Joe"  # the raw value, as sent


def test_an_unambiguous_date_and_missing_fields_leave_their_keys_empty(agency):
    import_feed(
        agency=agency,
        file=csv_file(HEAD, "A1,Amy,,2015-03-04,,,,"),
        filename="a.csv",
        today=RECEIVED,
    )
    s = SourceRecord.objects.get(source_id="A1").standardised
    assert s["date_of_birth"] == "2015-03-04" and s["date_of_birth_ambiguous"] is False
    assert s["date_of_birth_swapped"] == ""
    assert (s["family_name"], s["family_name_parts"], s["sex"], s["nhs_number"]) == ("", [], "", "")
    assert s["flags"] == []


@pytest.mark.parametrize("allowed", [True, False])
def test_999_test_numbers_count_only_where_the_setting_allows(agency, settings, allowed):
    settings.ALLOW_TEST_NHS_NUMBERS = allowed
    feed = import_feed(
        agency=agency,
        file=csv_file(HEAD, "A1,Amy,Example,2015-03-14,F,999 000 0018,,"),
        filename="a.csv",
        today=RECEIVED,
    )
    record = SourceRecord.objects.get(source_id="A1")
    assert record.standardised["nhs_number_is_test"] is True
    assert "nhs_number_test_range" in record.standardised["flags"]
    assert record.values["NHS number"] == "999 000 0018"
    if allowed:  # development and the demo area
        assert record.nhs_number == "9990000018" and record.invalid_fields == {}
    else:  # production: kept raw, marked, never evidence
        assert record.nhs_number == "" and record.standardised["nhs_number"] == ""
        assert "test numbers" in record.invalid_fields["nhs_number"]
        assert FeedInvalidField.objects.get(feed=feed).column == "NHS number"


def test_invalid_identity_values_are_marked_with_the_standardisers_reason(agency):
    feed = import_feed(
        agency=agency,
        file=csv_file(HEAD, "A1,J0hn,Example,04/13/2015,9,943 476 5918,X12,AW1"),
        filename="a.csv",
        today=RECEIVED,
    )
    record = SourceRecord.objects.get(source_id="A1")
    assert set(record.invalid_fields) == {
        "given_name",
        "date_of_birth",
        "sex",
        "nhs_number",
        "upn",
        "postcode",
    }
    assert record.invalid_fields["given_name"] == "Contains digits"
    assert record.invalid_fields["date_of_birth"].startswith("There is no month 13")
    assert "9" in record.invalid_fields["sex"]
    s = record.standardised
    assert (s["given_name"], s["date_of_birth"], s["sex"], s["nhs_number"], s["upn"]) == (
        "",
        "",
        "",
        "",
        "",
    )
    assert s["family_name"] == "EXAMPLE"  # the valid fields are still standardised
    assert record.date_of_birth is None and record.postcode == ""
    assert feed.rows_with_invalid_fields == 1


def test_a_name_like_a_formula_is_invalid_even_though_it_has_letters():
    result = standardise_row(
        {"given_name": "=HYPERLINK(1)", "family_name": "Example", "parent_carer_1_name": "@Mum"},
        reference=RECEIVED,
    )
    assert result.invalid == {
        "given_name": "Looks like a spreadsheet formula, not a name",
        "parent_carer_1_name": "Looks like a spreadsheet formula, not a name",
    }
    assert result.values["given_name"] == "" and result.values["given_name_variants"] == []
    assert result.values["family_name"] == "EXAMPLE"


def test_other_fields_keep_their_own_checks():
    result = standardise_row(
        {
            "given_name": "Amy",
            "involved_from": "4/3/25",
            "involved_to": "01/01/2027",
            "parent_carer_1_email": "not an address",
            "parent_carer_1_phone": "07700 900123",
            "town": "  Ashworth   Vale ",
        },
        reference=RECEIVED,
    )
    assert result.values["involved_from"] == "2025-03-04"
    assert result.invalid["involved_to"] == "The date 01 January 2027 is in the future"
    assert "email" in result.invalid["parent_carer_1_email"]
    assert result.values["parent_carer_1_phone"] == "07700 900123"
    assert result.values["town"] == "Ashworth Vale"


def test_an_unchanged_row_gets_the_newer_standardised_form_without_a_new_version(agency):
    content = csv_file(HEAD, "A1,Amy,Example,2015-03-14,F,943 476 5919,,AW1 1AA")
    import_feed(agency=agency, file=content, filename="a.csv", today=RECEIVED)
    # As if imported by the seam's earlier, simpler standardisation.
    SourceRecord.objects.filter(source_id="A1").update(
        standardised={"given_name": "Amy"}, given_name="Amy"
    )
    again = import_feed(agency=agency, file=content, filename="a.csv", today=RECEIVED)
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 1)
    record = SourceRecord.objects.get(source_id="A1")
    assert record.given_name == "AMY" and record.standardised["given_name_phonetic"] == "ANY"
    assert record.versions.count() == 1
