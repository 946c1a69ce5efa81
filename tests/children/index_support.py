"""Helpers for the child's index page tests: agencies' records linked to a child."""

from __future__ import annotations

import csv
import io

from joinedup.children.feeds.importing import import_feed
from joinedup.children.models import Child, SourceRecord
from joinedup.partnerships.models import Agency


def link_records(child: Child, agency: Agency, *rows: dict[str, str]) -> list[SourceRecord]:
    """Import the rows as a feed from the agency and link every record to the child (as
    identity matching would)."""
    headings: list[str] = []
    for row in rows:
        headings += [h for h in row if h not in headings]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headings, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    feed = import_feed(agency=agency, file=out.getvalue().encode(), filename="records.csv")
    assert feed.status == "done", feed.refusal_message
    ids = [row["Record ID"] for row in rows]
    records = SourceRecord.objects.filter(agency=agency, source_id__in=ids)
    records.update(child=child)
    return list(records)
