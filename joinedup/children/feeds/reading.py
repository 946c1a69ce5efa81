"""Turn an uploaded file into a table of text cells, or refuse it with a clear message.

What the file *is* is decided from its content, not its name: an XLSX workbook is a zip
archive holding ``xl/workbook.xml``; anything else must be text. Text must be UTF-8 (with
or without a byte-order mark). Other encodings (Windows-1252, Latin-1, UTF-16) are refused
rather than guessed at: a wrong guess would silently change children's names, and every
spreadsheet program can save "CSV UTF-8". See docs/feeds.md.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

from django.conf import settings
from django.template.defaultfilters import filesizeformat

from joinedup.children.models import FeedFileKind

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
# A workbook may not unzip to more than this many times the size limit (zip bombs).
MAX_UNZIPPED_RATIO = 20
DELIMITERS = (",", ";", "\t", "|")

NOT_A_TABLE = (
    "The file is not a CSV file or an Excel workbook (.xlsx). Save it from your system or "
    "spreadsheet program as “CSV UTF-8” or as an Excel workbook, and upload it again."
)


class FeedRefused(Exception):
    """The whole file is refused; nothing is imported."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Row:
    line: int  # the line (CSV) or row (XLSX) number a person sees, counting the headings as 1
    cells: list[str]


@dataclass
class Table:
    kind: str
    headings: list[str]
    rows: list[Row] = field(default_factory=list)


def max_bytes() -> int:
    return int(getattr(settings, "FEED_MAX_BYTES", DEFAULT_MAX_BYTES))


SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office file (such as .xls or .doc)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
)


def read_table(content: bytes) -> Table:
    """The file's headings and rows, or FeedRefused."""
    limit = max_bytes()
    if len(content) > limit:
        raise FeedRefused(
            f"The file is {filesizeformat(len(content))}; the largest file Joined Up accepts is "
            f"{filesizeformat(limit)}. Split it into smaller files and upload each one."
        )
    if not content.removeprefix(b"\xef\xbb\xbf").strip():
        raise FeedRefused("The file is empty.")
    for signature, what in SIGNATURES:
        if content.startswith(signature):
            if signature == b"\xd0\xcf\x11\xe0":
                raise FeedRefused(
                    f"The file is {what}. Save it as an Excel workbook (.xlsx) or as “CSV UTF-8” and upload it again."
                )
            raise FeedRefused(f"The file is {what}. {NOT_A_TABLE}")
    if content.startswith(b"PK\x03\x04"):
        return _read_xlsx(content, limit)
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FeedRefused(
            "The file is saved as UTF-16 text. Save it as “CSV UTF-8” and upload it again."
        )
    return _read_csv(content)


# CSV ------------------------------------------------------------------------------------


def _decode(content: bytes) -> str:
    if b"\x00" in content:
        raise FeedRefused(f"The file holds binary data, not text. {NOT_A_TABLE}")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = content[: error.start].count(b"\n") + 1
        raise FeedRefused(
            f"The file is not in UTF-8 encoding: the first character Joined Up cannot read is on line {line}. "
            "Save the file as “CSV UTF-8” (in Excel: File, Save As, “CSV UTF-8 (Comma delimited)”) and upload it again."
        ) from error


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _read_csv(text_bytes: bytes) -> Table:
    text = _decode(text_bytes)
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True
    )
    headings: list[str] | None = None
    rows: list[Row] = []
    line = 1
    try:
        for record in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue
            if headings is None:
                headings = [cell.strip() for cell in record]
                continue
            rows.append(Row(start, record))
    except csv.Error as error:
        raise FeedRefused(
            f"Line {line} of the file cannot be read as CSV ({error}). Check for a quotation mark that is not closed."
        ) from error
    return _checked(Table(FeedFileKind.CSV, headings or [], rows))


# XLSX -----------------------------------------------------------------------------------


def _cell_text(value: object) -> str:
    """A cell's value as the text a person sees, without rounding or reformatting."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _read_xlsx(content: bytes, limit: int) -> Table:
    from openpyxl import load_workbook  # imported here: only workbooks need it

    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        names = set(archive.namelist())
        unzipped = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as error:
        raise FeedRefused(
            f"The file looks like a zip archive but cannot be opened. {NOT_A_TABLE}"
        ) from error
    if "xl/workbook.xml" not in names:
        raise FeedRefused(f"The file is a zip archive or another kind of document. {NOT_A_TABLE}")
    if unzipped > limit * MAX_UNZIPPED_RATIO:
        raise FeedRefused(
            "The workbook is too large once opened. Split it into smaller files and upload each one."
        )
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise FeedRefused(
            "The Excel workbook cannot be opened: it may be damaged or protected with a password. "
            "Open it, save it again as .xlsx or “CSV UTF-8”, and upload it again."
        ) from error
    try:
        sheet = workbook.worksheets[0]
        headings: list[str] | None = None
        rows: list[Row] = []
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(value) for value in values]
            while cells and cells[-1] == "":
                cells.pop()
            if not any(cell.strip() for cell in cells):
                continue
            if headings is None:
                headings = [cell.strip() for cell in cells]
                continue
            rows.append(Row(number, cells))
    finally:
        workbook.close()
    return _checked(Table(FeedFileKind.XLSX, headings or [], rows))


def _checked(table: Table) -> Table:
    if not table.headings:
        raise FeedRefused("The file is empty.")
    seen: set[str] = set()
    for heading in table.headings:
        key = heading.casefold()
        if heading and key in seen:
            raise FeedRefused(
                f"Two columns are both headed “{heading}”. Give every column its own heading."
            )
        seen.add(key)
    if not table.rows:
        raise FeedRefused(
            "The file has column headings but no records. Add a row for each child and upload it again."
        )
    return table
