"""Rows become source records: kept as received, versioned, rejected or marked."""

from __future__ import annotations

import csv
import io

import pytest

from joinedup.children.feeds import exports
from joinedup.children.feeds.importing import import_feed
from joinedup.children.models import (
    FeedInvalidField,
    FeedStatus,
    RejectedRow,
    SourceRecord,
    SourceRecordVersion,
)
from tests.children.feeds.conftest import CORPUS, HEAD, csv_file

pytestmark = pytest.mark.django_db


def corpus(agency, name, **kwargs):
    return import_feed(agency=agency, file=(CORPUS / name).read_bytes(), filename=name, **kwargs)


def test_rows_are_kept_exactly_as_received(agency):
    feed = import_feed(
        agency=agency,
        file=csv_file(HEAD, "A1, Amy ,Example,14/03/2015,943 476 5919,aw1 1aa"),
        filename="a.csv",
    )
    assert (feed.status, feed.rows_created, feed.rows_rejected) == (FeedStatus.DONE, 1, 0)
    record = SourceRecord.objects.get(agency=agency, source_id="A1")
    assert record.values == {
        "Record ID": "A1",
        "Given name": " Amy ",
        "Family name": "Example",
        "Date of birth": "14/03/2015",
        "NHS number": "943 476 5919",
        "Postcode": "aw1 1aa",
    }
    assert record.standardised["given_name"] == "AMY"  # the shared standardiser's form
    assert record.given_name == "AMY" and record.family_name == "EXAMPLE"
    assert record.nhs_number == "9434765919"
    assert record.postcode == "AW1 1AA"
    assert str(record.date_of_birth) == "2015-03-14"
    assert record.invalid_fields == {}
    assert record.child is None
    assert record.versions.count() == 1


def test_importing_the_same_file_twice_changes_nothing(agency):
    content = (CORPUS / "invalid_fields.csv").read_bytes()
    import_feed(agency=agency, file=content, filename="a.csv")
    before = list(SourceRecord.objects.order_by("pk").values())
    versions = SourceRecordVersion.objects.count()
    again = import_feed(agency=agency, file=content, filename="a.csv")
    assert (again.rows_created, again.rows_updated, again.rows_unchanged) == (0, 0, 4)
    assert list(SourceRecord.objects.order_by("pk").values()) == before
    assert SourceRecordVersion.objects.count() == versions


def test_a_changed_row_updates_its_record_and_keeps_the_history(agency):
    first = import_feed(
        agency=agency,
        file=csv_file(HEAD, "A1,Amy,Example,2015-03-14,,AW1 1AA", "A2,Ben,Example,2014-01-02,,"),
        filename="a.csv",
    )
    second = import_feed(
        agency=agency, file=csv_file(HEAD, "A1,Amy,Example,2015-03-14,,AW2 2BB"), filename="b.csv"
    )
    assert (second.rows_created, second.rows_updated, second.rows_unchanged) == (0, 1, 0)
    record = SourceRecord.objects.get(source_id="A1")
    assert record.values["Postcode"] == "AW2 2BB" and record.postcode == "AW2 2BB"
    assert record.first_feed == first and record.last_feed == second
    history = list(record.versions.order_by("number"))
    assert [v.number for v in history] == [1, 2]
    assert [v.values["Postcode"] for v in history] == ["AW1 1AA", "AW2 2BB"]
    assert [v.feed for v in history] == [first, second]
    # A record missing from a later file is never lost.
    assert SourceRecord.objects.filter(source_id="A2").exists()


def test_invalid_fields_are_imported_marked_and_kept_raw(agency):
    feed = corpus(agency, "invalid_fields.csv")
    assert (feed.rows_created, feed.rows_rejected, feed.rows_with_invalid_fields) == (4, 0, 3)
    a1 = SourceRecord.objects.get(source_id="A1")
    assert "check" in a1.invalid_fields["nhs_number"]
    assert a1.values["NHS number"] == "943 476 5918"
    assert a1.nhs_number == ""  # never "fixed"
    a2 = SourceRecord.objects.get(source_id="A2")
    assert a2.invalid_fields["date_of_birth"] == (
        "31/02/2015 is not a real date: February 2015 has 28 days"
    )
    assert a2.values["Date of birth"] == "31/02/2015" and a2.date_of_birth is None
    a3 = SourceRecord.objects.get(source_id="A3")
    assert "postcode" in a3.invalid_fields["postcode"] and a3.values["Postcode"] == "AW1"
    a4 = SourceRecord.objects.get(source_id="A4")
    # A two-digit year takes the century that puts the birth on or before the day the
    # file arrived (docs/child-index.md), so 14/03/15 is not invalid.
    assert a4.invalid_fields == {} and str(a4.date_of_birth) == "2015-03-14"
    assert a4.postcode == "AW1 1AA"  # a valid postcode is standardised; the raw stays
    assert a4.values["Postcode"] == "aw11aa"
    reported = FeedInvalidField.objects.get(feed=feed, source_record=a2)
    assert (reported.line_number, reported.column, reported.value) == (
        3,
        "Date of birth",
        "31/02/2015",
    )


def test_unusable_rows_are_rejected_with_line_column_and_reason(agency):
    feed = corpus(agency, "unusable_rows.csv")
    assert (feed.rows_total, feed.rows_created, feed.rows_rejected) == (4, 1, 3)
    rejects = list(RejectedRow.objects.filter(feed=feed).order_by("line_number"))
    assert [(r.line_number, r.column) for r in rejects] == [
        (3, "Record ID"),
        (4, "Given name and Family name"),
        (5, "Record ID; Given name and Family name"),
    ]
    assert rejects[0].reason == "There is no record ID."
    assert "There is no name" in rejects[1].reason and rejects[1].source_id == "A3"
    assert rejects[0].values["Given name"] == "Ben"  # kept for correction


def test_a_repeated_record_id_keeps_the_first_row_and_rejects_the_rest(agency):
    feed = corpus(agency, "duplicate_ids.csv")
    assert (feed.rows_created, feed.rows_rejected) == (2, 1)
    assert SourceRecord.objects.get(source_id="A1").values["Given name"] == "Amy"
    reject = RejectedRow.objects.get(feed=feed)
    assert reject.line_number == 4
    assert "also on line 2" in reject.reason


def test_ragged_rows_are_rejected_unless_the_extra_cells_are_empty(agency):
    feed = corpus(agency, "ragged_rows.csv")
    assert (feed.rows_created, feed.rows_rejected) == (2, 2)
    reasons = dict(RejectedRow.objects.filter(feed=feed).values_list("line_number", "reason"))
    assert "has 8 values but the file has 6 columns" in reasons[3]
    assert "has 3 values but the file has 6 columns" in reasons[4]
    assert set(SourceRecord.objects.values_list("source_id", flat=True)) == {"A1", "A4"}


def test_formula_cells_are_kept_as_text_and_escaped_in_the_rejects_file(agency):
    feed = corpus(agency, "formula_injection.csv")
    a1 = SourceRecord.objects.get(source_id="A1")
    assert a1.values["Given name"].startswith("=HYPERLINK(")
    assert "formula" in a1.invalid_fields["given_name"]
    assert SourceRecord.objects.get(source_id="-2+3").invalid_fields["family_name"]
    rejects = list(RejectedRow.objects.filter(feed=feed))
    rows = list(csv.reader(io.StringIO(exports.rejects_csv(feed, rejects).decode("utf-8-sig"))))
    assert rows[1][:3] == ["", "'+cmd|' /C calc'!A0", "'@SUM(1)"]
    assert exports.safe_cell("-1") == "'-1" and exports.safe_cell("Amy") == "Amy"


def test_an_agency_mapping_names_its_own_columns(agency):
    content = csv_file("Adno,Forename,Surname,DOB,Notes", "77,Amy,Example,14/03/2015,likes trains")
    feed = import_feed(
        agency=agency,
        file=content,
        filename="sims.csv",
        mapping={"Adno": "source_id", "DOB": "date_of_birth"},
    )
    assert feed.rows_created == 1 and feed.unused_columns == ["Notes"]
    record = SourceRecord.objects.get(source_id="77")
    assert record.family_name == "EXAMPLE" and str(record.date_of_birth) == "2015-03-14"
    assert record.values["Notes"] == "likes trains"


def test_an_xlsx_workbook_is_read_from_its_first_sheet(agency):
    from datetime import datetime

    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Record ID", "Given name", "Family name", "Date of birth", "NHS number"])
    sheet.append([1001, "Amy", "Example", datetime(2015, 3, 14), 9434765919])
    sheet.append([None, None, None, None, None])
    sheet.append(["1002", "", "", "", ""])
    buffer = io.BytesIO()
    workbook.save(buffer)
    feed = import_feed(agency=agency, file=buffer.getvalue(), filename="records.xlsx")
    assert (feed.file_kind, feed.rows_created, feed.rows_rejected) == ("xlsx", 1, 1)
    record = SourceRecord.objects.get(source_id="1001")
    assert record.values["Date of birth"] == "2015-03-14"
    assert record.nhs_number == "9434765919"
    assert RejectedRow.objects.get(feed=feed).line_number == 4


def test_a_corrected_rejects_file_resolves_the_rejects(agency):
    feed = corpus(agency, "unusable_rows.csv")
    rejects = list(RejectedRow.objects.filter(feed=feed).order_by("line_number"))
    text = exports.rejects_csv(feed, rejects).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][-3:] == ["Rejection reference", "Line in original file", "Reason for rejection"]
    rows[1][0] = "A2"  # give the row its ID
    rows[2][1] = "Cal"  # give the row its name
    corrected = io.StringIO()
    csv.writer(corrected).writerows(rows[:3])
    again = import_feed(agency=agency, file=corrected.getvalue().encode(), filename="fixed.csv")
    assert (again.rows_created, again.rows_rejected, again.rejects_resolved) == (2, 0, 2)
    rejects = list(RejectedRow.objects.filter(feed=feed).order_by("line_number"))
    assert [r.resolved_by for r in rejects] == [again, again, None]
    assert SourceRecord.objects.get(source_id="A2").values == {
        "Record ID": "A2",
        "Given name": "Ben",
        "Family name": "Example",
        "Date of birth": "2014-01-02",
        "NHS number": "",
        "Postcode": "",
    }


def test_the_templates_hold_the_headings_and_one_example(agency):
    rows = list(csv.reader(io.StringIO(exports.template_csv().decode("utf-8-sig"))))
    assert rows[0][:3] == ["Record ID", "Given name", "Family name"] and len(rows) == 2
    feed = import_feed(agency=agency, file=exports.template_xlsx(), filename="template.xlsx")
    assert (feed.status, feed.rows_created, feed.rows_with_invalid_fields) == ("done", 1, 0)


def test_the_rejects_file_keeps_the_surplus_cells_of_an_over_long_row(agency):
    feed = corpus(agency, "ragged_rows.csv")
    rejects = list(RejectedRow.objects.filter(feed=feed).order_by("line_number"))
    rows = list(csv.reader(io.StringIO(exports.rejects_csv(feed, rejects).decode("utf-8-sig"))))
    assert rows[0] == [
        "Record ID",
        "Given name",
        "Family name",
        "Date of birth",
        "NHS number",
        "Postcode",
        "Extra cell 1",
        "Extra cell 2",
        "Rejection reference",
        "Line in original file",
        "Reason for rejection",
    ]
    # Line 3 had eight values for six columns: all eight are in the file.
    assert rows[1][:8] == ["A2", "Ben", "Example", "2014-01-02", "", "AW1 1AA", "extra", "values"]
    assert rows[1][9] == "3"
    assert rows[2][:8] == ["A3", "Cal", "Example", "", "", "", "", ""]

    # Sent back with the surplus still there, the row is rejected again and keeps it.
    again = import_feed(
        agency=agency, file=exports.rejects_csv(feed, rejects), filename="rejects.csv"
    )
    assert (again.rows_created, again.rows_rejected) == (1, 1)
    reject = RejectedRow.objects.get(feed=again)
    assert reject.column == "Extra cell 1; Extra cell 2"
    assert "There is still a value in Extra cell 1 and Extra cell 2" in reject.reason
    text = exports.rejects_csv(again, [reject]).decode("utf-8-sig")
    resent = list(csv.reader(io.StringIO(text)))
    assert resent[0][6:8] == ["Extra cell 1", "Extra cell 2"]
    assert resent[1][:8] == ["A2", "Ben", "Example", "2014-01-02", "", "AW1 1AA", "extra", "values"]

    # Moved to where it belongs (or deleted), the row imports and resolves both rejects.
    resent[1][6:8] = ["", ""]
    fixed = io.StringIO()
    csv.writer(fixed).writerows(resent)
    last = import_feed(agency=agency, file=fixed.getvalue().encode(), filename="fixed.csv")
    assert (last.rows_created, last.rows_rejected, last.rejects_resolved) == (1, 0, 2)
    assert "Extra cell 1" not in SourceRecord.objects.get(source_id="A2").values
