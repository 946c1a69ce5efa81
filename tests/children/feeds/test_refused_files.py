"""A file that cannot be read as a whole is refused with a clear message; nothing changes."""

from __future__ import annotations

import pytest

from joinedup.children.feeds.importing import import_feed
from joinedup.children.models import (
    FeedStatus,
    RejectedRow,
    SourceRecord,
    SourceRecordVersion,
)
from tests.children.feeds.conftest import CORPUS, HEAD, csv_file

REFUSED = {
    "png_renamed.csv": "is a PNG image",
    "pdf_renamed.csv": "is a PDF document",
    "old_excel.xls": "old-style Office file",
    "word_document.xlsx": "zip archive or another kind of document",
    "utf16.csv": "UTF-16",
    "latin1.csv": "not in UTF-8 encoding: the first character Joined Up cannot read is on line 2",
    "missing_id_column.csv": "no column for the record ID",
    "missing_name_columns.csv": "no column for the child's name",
    "empty.csv": "The file is empty",
    "blank_lines.csv": "The file is empty",
    "header_only.csv": "column headings but no records",
    "duplicate_headings.csv": "Two columns are both headed “Given name”",
    "unclosed_quote.csv": "cannot be read as CSV",
}


def _nothing_stored() -> None:
    assert SourceRecord.objects.count() == 0
    assert SourceRecordVersion.objects.count() == 0
    assert RejectedRow.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "message"), sorted(REFUSED.items()))
def test_a_broken_file_is_refused_and_changes_nothing(agency, name, message):
    feed = import_feed(agency=agency, file=(CORPUS / name).read_bytes(), filename=name)
    assert feed.status == FeedStatus.REFUSED
    assert message in feed.refusal_message
    assert feed.content in (b"", memoryview(b"")) or bytes(feed.content) == b""
    _nothing_stored()


@pytest.mark.django_db
def test_a_refused_file_leaves_earlier_records_alone(agency):
    import_feed(agency=agency, file=csv_file(HEAD, "A1,Amy,Example,2015-03-14,,"), filename="a.csv")
    before = list(SourceRecord.objects.values("source_id", "values", "content_hash"))
    feed = import_feed(agency=agency, file=(CORPUS / "latin1.csv").read_bytes(), filename="b.csv")
    assert feed.status == FeedStatus.REFUSED
    assert list(SourceRecord.objects.values("source_id", "values", "content_hash")) == before


@pytest.mark.django_db
def test_a_file_over_the_size_limit_is_refused_before_it_is_stored(agency, settings):
    settings.FEED_MAX_BYTES = 100
    content = csv_file(HEAD, *[f"A{n},Amy,Example,2015-03-14,," for n in range(20)])
    feed = import_feed(agency=agency, file=content, filename="big.csv")
    assert feed.status == FeedStatus.REFUSED
    assert "the largest file Joined Up accepts is 100" in feed.refusal_message
    assert bytes(feed.content) == b""
    _nothing_stored()


@pytest.mark.django_db
def test_a_mapping_naming_an_unknown_field_is_refused(agency):
    feed = import_feed(
        agency=agency,
        file=csv_file(HEAD, "A1,Amy,Example,2015-03-14,,"),
        filename="a.csv",
        mapping={"Forename": "first_name"},
    )
    assert feed.status == FeedStatus.REFUSED
    assert "not a field of the format" in feed.refusal_message
    _nothing_stored()
