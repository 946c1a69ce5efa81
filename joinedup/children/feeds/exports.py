"""Files Joined Up gives back: the feed template and the rejects file.

Every cell written to a CSV that a spreadsheet may open is made safe against formula
injection: a cell starting with = + - @ (or a tab or carriage return) gets a leading
single quote, so the spreadsheet shows it as text instead of running it. Importing a
rejects file again takes that quote off.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence

from joinedup.children.feeds.format import (
    EXTRA_CELL_PATTERN,
    FIELDS,
    REJECT_LINE,
    REJECT_REASON,
    REJECT_REFERENCE,
    REJECTS_COLUMNS,
    extra_cell_heading,
    normalise_heading,
    unnamed_column,
)
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
    correct the rows and upload the file again as it is.

    A row that had more values than the file had columns keeps the surplus values in
    "Extra cell 1", "Extra cell 2"… columns (before the reference), so nothing is lost;
    once they are moved to where they belong (or deleted) the row can be sent again."""
    rejects = list(rejects)
    own = own_columns(feed.columns)
    own_keys = {key for key, _ in own}
    extras = [_surplus(reject.values, own_keys) for reject in rejects]
    width = max((len(cells) for cells in extras), default=0)
    rows: list[list[object]] = [
        [
            *(heading for _, heading in own),
            *(extra_cell_heading(n) for n in range(1, width + 1)),
            REJECT_REFERENCE,
            REJECT_LINE,
            REJECT_REASON,
        ]
    ]
    for reject, surplus in zip(rejects, extras, strict=True):
        cells = [reject.values.get(key, "") for key, _ in own]
        padding = [""] * (width - len(surplus))
        rows.append([*cells, *surplus, *padding, reject.pk, reject.line_number, reject.reason])
    return csv_bytes(rows)


def own_columns(headings: Sequence[str]) -> list[tuple[str, str]]:
    """(key in a row's values, heading) for the columns of a received file, leaving out the
    columns a rejects file adds."""
    reserved = {normalise_heading(h) for h in REJECTS_COLUMNS}
    rejects_file = normalise_heading(REJECT_REFERENCE) in {normalise_heading(h) for h in headings}
    own = []
    for index, heading in enumerate(headings):
        name = normalise_heading(heading)
        if name in reserved or (rejects_file and EXTRA_CELL_PATTERN.fullmatch(name)):
            continue
        own.append((heading or unnamed_column(index), heading))
    return own


def _surplus(values: dict[str, str], own_keys: set[str]) -> list[str]:
    """The values kept beyond the file's columns, in the order they were in the row."""
    keys = [key for key in values if key not in own_keys]
    return [values[key] for key in sorted(keys, key=_column_number)]


def _column_number(key: str) -> tuple[int, str]:
    match = re.fullmatch(r"\(column (\d+)\)", key)
    return (int(match.group(1)), "") if match else (1 << 30, key)
