"""Write the corpus of broken feed files (run once; the files are kept in corpus/).

.venv/bin/python tests/children/feeds/make_corpus.py
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
HEAD = "Record ID,Given name,Family name,Date of birth,NHS number,Postcode\r\n"

FILES: dict[str, bytes] = {
    "png_renamed.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00",
    "pdf_renamed.csv": b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n",
    "old_excel.xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64,
    "utf16.csv": (HEAD + "A1,Zoë,Brontë,2015-03-14,,\r\n").encode("utf-16"),
    "latin1.csv": (HEAD + "A1,Zoë,Brontë,2015-03-14,,\r\n").encode("latin-1"),
    "missing_id_column.csv": b"Given name,Family name\r\nAmy,Example\r\n",
    "missing_name_columns.csv": b"Record ID,Date of birth\r\nA1,2015-03-14\r\n",
    "empty.csv": b"",
    "blank_lines.csv": b"\r\n\r\n  \r\n",
    "header_only.csv": HEAD.encode(),
    "duplicate_headings.csv": b"Record ID,Given name,Given name\r\nA1,Amy,Amelia\r\n",
    "unclosed_quote.csv": (HEAD + 'A1,"Amy,Example,2015-03-14,,\r\n').encode(),
    "ragged_rows.csv": (
        HEAD
        + "A1,Amy,Example,2015-03-14,,\r\n"
        + "A2,Ben,Example,2014-01-02,,AW1 1AA,extra,values\r\n"
        + "A3,Cal,Example\r\n"
        + "A4,Dee,Example,2013-05-06,,AW1 1AA,,\r\n"
    ).encode(),
    "formula_injection.csv": (
        HEAD
        + 'A1,"=HYPERLINK(""http://evil.example"",""click"")",Example,2015-03-14,,\r\n'
        + ",+cmd|' /C calc'!A0,@SUM(1),2015-03-14,,\r\n"
        + '-2+3,Eve,"=1+1",2015-03-14,,\r\n'
    ).encode(),
    "duplicate_ids.csv": (
        HEAD
        + "A1,Amy,Example,2015-03-14,,\r\n"
        + "A2,Ben,Example,2014-01-02,,\r\n"
        + "A1,Amelia,Sample,2016-07-08,,\r\n"
    ).encode(),
    "unusable_rows.csv": (
        HEAD
        + "A1,Amy,Example,2015-03-14,,\r\n"
        + ",Ben,Example,2014-01-02,,\r\n"
        + "A3,,,2013-05-06,,\r\n"
        + ",,,2013-05-06,,AW1 1AA\r\n"
    ).encode(),
    "invalid_fields.csv": (
        HEAD
        + "A1,Amy,Example,2015-03-14,943 476 5918,AW1 1AA\r\n"
        + "A2,Ben,Example,31/02/2015,9434765919,AW1 1AA\r\n"
        + "A3,Cal,Example,2015-03-14,9434765919,AW1\r\n"
        + "A4,Dee,Example,14/03/15,9434765919,aw11aa\r\n"
    ).encode(),
}


def zip_not_workbook() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
    return buffer.getvalue()


def main() -> None:
    CORPUS.mkdir(exist_ok=True)
    for name, content in {**FILES, "word_document.xlsx": zip_not_workbook()}.items():
        (CORPUS / name).write_bytes(content)


if __name__ == "__main__":
    main()
