"""Files Joined Up gives back: the feed template and the rejects file.

Every cell written to a CSV that a spreadsheet may open is made safe against formula
injection: a cell starting with = + - @ (or a tab or carriage return) gets a leading
single quote, so the spreadsheet shows it as text instead of running it. Importing a
rejects file again takes that quote off.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from joinedup.children.feeds.format import FIELDS, REJECT_LINE, REJECT_REASON, REJECT_REFERENCE
from joinedup.children.models import Feed, RejectedRow

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text


def csv_bytes(rows: Iterable[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read the names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def template_rows() -> list[list[str]]:
    return [[f.heading for f in FIELDS], [f.example for f in FIELDS]]


def template_csv() -> bytes:
    return csv_bytes(template_rows())


def template_xlsx() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # noqa: S101 - a new workbook always has a sheet
    sheet.title = "Records"
    for row in template_rows():
        sheet.append(row)
    for cell in sheet[2]:
        cell.number_format = "@"  # text, so IDs and NHS numbers keep their digits
    notes = workbook.create_sheet("About these columns")
    notes.append(["Column", "What to put in it"])
    for f in FIELDS:
        notes.append([f.heading, f.description])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rejects_csv(feed: Feed, rejects: Iterable[RejectedRow]) -> bytes:
    """The rejected rows with the file's own columns, then the reference, line and reason:
    correct the rows and upload the file again as it is."""
    headings = [h for h in feed.columns if h not in (REJECT_REFERENCE, REJECT_LINE, REJECT_REASON)]
    rows: list[list[object]] = [[*headings, REJECT_REFERENCE, REJECT_LINE, REJECT_REASON]]
    for reject in rejects:
        cells = [reject.values.get(h, "") for h in headings]
        rows.append([*cells, reject.pk, reject.line_number, reject.reason])
    return csv_bytes(rows)
