"""The documented feed format: the fields, their column headings and accepted aliases.

A file's column headings are matched, in this order, against the agency's own mapping
(their heading → our field), then against each field's heading and aliases. Headings are
compared case-insensitively, ignoring spaces, punctuation and a byte-order mark, so
"Date of birth", "date_of_birth" and "DATE OF BIRTH" are the same column.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

# Columns the rejects file adds so a corrected file can be uploaded again as it is.
REJECT_REFERENCE = "Rejection reference"
REJECT_LINE = "Line in original file"
REJECT_REASON = "Reason for rejection"
REJECTS_COLUMNS = (REJECT_REFERENCE, REJECT_LINE, REJECT_REASON)
# A rejected row with more values than the file had columns keeps its surplus values in
# the rejects file, one column each, so that nothing the agency sent is lost.
EXTRA_CELL = "Extra cell"
EXTRA_CELL_PATTERN = re.compile(r"extra cell (\d+)")  # matched against normalise_heading()


def extra_cell_heading(number: int) -> str:
    return f"{EXTRA_CELL} {number}"


def unnamed_column(index: int) -> str:
    """The key a row's value is kept under when its column has no heading (index from 0)."""
    return f"(column {index + 1})"


class Kind:
    TEXT = "text"
    NAME = "name"
    DATE = "date"
    SEX = "sex"
    NHS_NUMBER = "nhs_number"
    UPN = "upn"
    POSTCODE = "postcode"
    EMAIL = "email"
    PHONE = "phone"


@dataclass(frozen=True)
class Field:
    key: str
    heading: str
    description: str
    example: str
    kind: str = Kind.TEXT
    aliases: tuple[str, ...] = field(default=())
    group: str = "Child"


FIELDS: tuple[Field, ...] = (
    Field(
        "source_id",
        "Record ID",
        "Your own ID for this record: the same child keeps the same ID in every file you send. Required.",
        "DEMO-000123",
        aliases=(
            "source id",
            "id",
            "record id",
            "reference",
            "ref",
            "person id",
            "client id",
            "case id",
            "pupil id",
            "patient id",
        ),
    ),
    Field(
        "given_name",
        "Given name",
        "First name. A row needs a given name or a family name.",
        "Testy",
        Kind.NAME,
        ("first name", "forename", "forenames", "firstname", "christian name", "legal forename"),
    ),
    Field(
        "family_name",
        "Family name",
        "Surname or last name.",
        "McTestface",
        Kind.NAME,
        ("surname", "last name", "lastname", "legal surname"),
    ),
    Field(
        "other_names",
        "Other names",
        "Middle names, or names the child is known by.",
        "Example",
        Kind.NAME,
        ("middle names", "middle name", "known as", "preferred name"),
    ),
    Field(
        "previous_names",
        "Previous names",
        "Earlier family or given names, separated by semicolons.",
        "Sample",
        Kind.NAME,
        ("former names", "former surname", "previous surname", "maiden name"),
    ),
    Field(
        "date_of_birth",
        "Date of birth",
        "As 2015-03-14 or 14/03/2015 (day first). A two-digit year means the latest year not after the day the file arrives.",
        "2015-03-14",
        Kind.DATE,
        ("dob", "birth date", "birthdate", "d o b"),
    ),
    Field(
        "sex",
        "Sex",
        "Female, Male, Indeterminate or Not known (F, M, I, U and 2, 1, 0 are understood; 9 is not, because code lists differ on what it means).",
        "Not known",
        Kind.SEX,
        ("gender", "legal sex", "sex at birth"),
    ),
    Field(
        "nhs_number",
        "NHS number",
        "10 digits; spaces are ignored. Checked against its check digit.",
        "999 000 0018",
        Kind.NHS_NUMBER,
        ("nhs no", "nhs", "nhs num"),
    ),
    Field(
        "upn",
        "Unique pupil number",
        "13 characters, like A123456789012. Checked against its check letter.",
        "",
        Kind.UPN,
        ("upn", "pupil number", "unique pupil number upn"),
    ),
    Field(
        "address_line_1",
        "Address line 1",
        "",
        "1 Example Street",
        aliases=("address 1", "address1", "street", "house and street"),
    ),
    Field(
        "address_line_2", "Address line 2", "", "", aliases=("address 2", "address2", "locality")
    ),
    Field("town", "Town or city", "", "Exampleton", aliases=("town", "city", "post town")),
    Field(
        "postcode",
        "Postcode",
        "A UK postcode, like AW1 2AB.",
        "AW1 1AA",
        Kind.POSTCODE,
        ("post code", "postal code"),
    ),
    Field(
        "parent_carer_1_name",
        "Parent or carer 1 name",
        "",
        "Parent McTestface",
        Kind.NAME,
        ("parent 1", "parent carer 1", "carer 1 name", "mother name", "main carer"),
        "Parents and carers",
    ),
    Field(
        "parent_carer_1_relationship",
        "Parent or carer 1 relationship",
        "For example: mother, father, foster carer.",
        "Mother",
        aliases=("parent 1 relationship", "carer 1 relationship"),
        group="Parents and carers",
    ),
    Field(
        "parent_carer_1_phone",
        "Parent or carer 1 telephone",
        "",
        "01632 960001",
        Kind.PHONE,
        ("parent 1 phone", "carer 1 phone", "parent 1 telephone"),
        "Parents and carers",
    ),
    Field(
        "parent_carer_1_email",
        "Parent or carer 1 email",
        "",
        "parent@example.com",
        Kind.EMAIL,
        ("parent 1 email", "carer 1 email"),
        "Parents and carers",
    ),
    Field(
        "parent_carer_2_name",
        "Parent or carer 2 name",
        "",
        "",
        Kind.NAME,
        ("parent 2", "parent carer 2", "carer 2 name"),
        "Parents and carers",
    ),
    Field(
        "parent_carer_2_relationship",
        "Parent or carer 2 relationship",
        "",
        "",
        aliases=("parent 2 relationship", "carer 2 relationship"),
        group="Parents and carers",
    ),
    Field(
        "parent_carer_2_phone",
        "Parent or carer 2 telephone",
        "",
        "",
        Kind.PHONE,
        ("parent 2 phone", "carer 2 phone"),
        "Parents and carers",
    ),
    Field(
        "parent_carer_2_email",
        "Parent or carer 2 email",
        "",
        "",
        Kind.EMAIL,
        ("parent 2 email", "carer 2 email"),
        "Parents and carers",
    ),
    Field(
        "educational_setting",
        "Educational setting",
        "The school, nursery or college the child attends.",
        "Example Primary School",
        aliases=("school", "setting", "school name", "nursery"),
        group="Settings",
    ),
    Field(
        "gp_practice",
        "GP practice",
        "",
        "Example Medical Centre",
        aliases=("gp", "gp surgery", "registered gp", "practice"),
        group="Settings",
    ),
    Field(
        "practitioner_name",
        "Practitioner name",
        "The practitioner involved with the child.",
        "Alex Example",
        Kind.NAME,
        ("practitioner", "worker", "allocated worker", "key worker", "lead practitioner"),
        "Involvement",
    ),
    Field(
        "practitioner_role",
        "Practitioner role",
        "For example: class teacher, health visitor.",
        "Key worker",
        aliases=("role", "worker role", "job title"),
        group="Involvement",
    ),
    Field(
        "service",
        "Service",
        "The service or team involved, when not a named person.",
        "Example Family Support",
        aliases=("service name", "team", "team name"),
        group="Involvement",
    ),
    Field(
        "practitioner_phone",
        "Practitioner telephone",
        "",
        "01632 960002",
        Kind.PHONE,
        ("worker phone", "practitioner phone", "contact phone"),
        "Involvement",
    ),
    Field(
        "practitioner_email",
        "Practitioner email",
        "",
        "worker@example.org",
        Kind.EMAIL,
        ("worker email", "contact email"),
        "Involvement",
    ),
    Field(
        "involved_from",
        "Involved from",
        "The date the involvement started.",
        "2024-09-02",
        Kind.DATE,
        ("start date", "open date", "opened", "date opened", "referral date"),
        "Involvement",
    ),
    Field(
        "involved_to",
        "Involved to",
        "The date it ended; empty while it continues.",
        "",
        Kind.DATE,
        ("end date", "close date", "closed", "date closed"),
        "Involvement",
    ),
)

FIELDS_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
REQUIRED_ID = "source_id"
NAME_FIELDS = ("given_name", "family_name")


def normalise_heading(heading: str) -> str:
    """Compare headings without case, punctuation, repeated spaces or a byte-order mark."""
    text = (heading or "").replace("\ufeff", "").casefold()
    return re.sub(r"[^0-9a-z]+", " ", text).strip()


def _builtin_headings() -> dict[str, str]:
    known: dict[str, str] = {}
    for f in FIELDS:
        for name in (f.key, f.heading, *f.aliases):
            known.setdefault(normalise_heading(name), f.key)
    return known


BUILTIN_HEADINGS = _builtin_headings()


class MappingError(ValueError):
    """A column mapping that names a field the format does not have."""


def check_mapping(mapping: Mapping[str, str]) -> dict[str, str]:
    """A mapping of the agency's headings to field keys, or MappingError saying what is wrong."""
    cleaned: dict[str, str] = {}
    used: dict[str, str] = {}
    for heading, key in mapping.items():
        if not isinstance(heading, str) or not isinstance(key, str):
            raise MappingError("A column mapping pairs a column heading with a field name.")
        if key not in FIELDS_BY_KEY:
            raise MappingError(
                f"The mapping sends “{heading}” to “{key}”, which is not a field of the format."
            )
        if key in used:
            raise MappingError(f"The mapping sends both “{used[key]}” and “{heading}” to “{key}”.")
        used[key] = heading
        cleaned[heading] = key
    return cleaned


@dataclass(frozen=True)
class ColumnPlan:
    """Which column of the file holds which field."""

    field_columns: dict[str, int]  # field key → column index
    headings: list[str]
    unused: list[str]
    reference_column: int | None  # the rejects file's "Rejection reference" column
    # A rejects file's "Extra cell N" columns: not stored, and must be empty once corrected.
    extra_columns: tuple[int, ...] = ()

    def column_of(self, key: str) -> str:
        index = self.field_columns.get(key)
        if index is None:
            return FIELDS_BY_KEY[key].heading
        return self.headings[index]


class MissingColumns(ValueError):
    pass


def plan_columns(headings: list[str], mapping: Mapping[str, str]) -> ColumnPlan:
    """Match a file's headings to the format's fields; MissingColumns if the required ones
    are absent. The agency's own mapping wins over the built-in headings and aliases."""
    agency = {normalise_heading(h): key for h, key in mapping.items()}
    field_columns: dict[str, int] = {}
    unused: list[str] = []
    reference_column = None
    reserved = {normalise_heading(h) for h in REJECTS_COLUMNS}
    extra_columns: list[int] = []
    is_rejects_file = normalise_heading(REJECT_REFERENCE) in {
        normalise_heading(h) for h in headings
    }
    for index, heading in enumerate(headings):
        name = normalise_heading(heading)
        if name == normalise_heading(REJECT_REFERENCE):
            reference_column = index
            continue
        if name in reserved:
            continue
        if is_rejects_file and EXTRA_CELL_PATTERN.fullmatch(name):
            extra_columns.append(index)
            continue
        key = agency.get(name) or BUILTIN_HEADINGS.get(name)
        if agency and key and name not in agency and key in agency.values():
            key = None  # the agency mapped another of its columns to this field
        if key is None or key in field_columns:
            if heading.strip():
                unused.append(heading)
            continue
        field_columns[key] = index
    missing = []
    if REQUIRED_ID not in field_columns:
        missing.append(
            f"There is no column for the record ID. Add a column headed “{FIELDS_BY_KEY[REQUIRED_ID].heading}”, or map your own ID column to it."
        )
    if not any(key in field_columns for key in NAME_FIELDS):
        missing.append(
            "There is no column for the child's name. Add a column headed “Given name” or “Family name”, or map your own name columns to them."
        )
    if missing:
        raise MissingColumns(" ".join(missing))
    return ColumnPlan(field_columns, headings, unused, reference_column, tuple(extra_columns))
