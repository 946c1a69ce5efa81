"""Demo agency feeds: files four Ashworth agencies might send, each in its own layout.

Each agency's system uses its own column headings (so each needs a column mapping, written
beside its file as ``<key>.mapping.json``), its own date style and file type. The rows come
from the demo children the agency is involved with, and every file carries the mistakes
real exports have: a row with no ID, a row with no name, a repeated ID, an NHS number
with a wrong check digit, a date that does not exist and a postcode in the wrong form.

    manage.py demo_feeds --out var/demo-feeds
    manage.py import_feed --agency "Ashworth Children's Social Care" \
        --file var/demo-feeds/social_care.csv --mapping var/demo-feeds/social_care.mapping.json
"""

from __future__ import annotations

import csv
import io
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from joinedup.children.models import Child, Involvement
from joinedup.demo.population import Names

MAX_ROWS = 300


@dataclass(frozen=True)
class DemoFeedSpec:
    key: str
    agency: str
    kind: str  # "csv" or "xlsx"
    mapping: dict[str, str]  # their heading → field of the format
    id_prefix: str
    date_style: Callable[[date], object]


def _uk(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def _iso(day: date) -> str:
    return day.isoformat()


def _long(day: date) -> str:
    return day.strftime("%d %b %Y")


def _excel(day: date) -> object:
    return datetime(day.year, day.month, day.day)


SPECS: tuple[DemoFeedSpec, ...] = (
    DemoFeedSpec(
        "brookfield_school",
        "Brookfield Community Primary School",
        "csv",
        {
            "Adno": "source_id",
            "Legal Forename": "given_name",
            "Legal Surname": "family_name",
            "Middle Name(s)": "other_names",
            "Former Surname": "previous_names",
            "DOB": "date_of_birth",
            "Gender": "sex",
            "UPN": "upn",
            "Address Line 1": "address_line_1",
            "Town": "town",
            "Post Code": "postcode",
            "Priority Contact 1": "parent_carer_1_name",
            "Contact 1 Relationship": "parent_carer_1_relationship",
            "Contact 1 Telephone": "parent_carer_1_phone",
            "Class Teacher": "practitioner_name",
            "Staff Role": "practitioner_role",
            "Admission Date": "involved_from",
        },
        "ADM",
        _uk,
    ),
    DemoFeedSpec(
        "health_visiting",
        "Ashworth Health Visiting Service",
        "xlsx",
        {
            "Patient ID": "source_id",
            "Forename": "given_name",
            "Surname": "family_name",
            "Birth Date": "date_of_birth",
            "Sex": "sex",
            "NHS No.": "nhs_number",
            "Addr 1": "address_line_1",
            "Addr 2": "address_line_2",
            "Post Town": "town",
            "Postcode": "postcode",
            "Registered GP": "gp_practice",
            "Main Carer": "parent_carer_1_name",
            "Carer Tel": "parent_carer_1_phone",
            "Health Visitor": "practitioner_name",
            "HV Tel": "practitioner_phone",
            "Caseload Start": "involved_from",
            "Caseload End": "involved_to",
        },
        "HV",
        _excel,
    ),
    DemoFeedSpec(
        "social_care",
        "Ashworth Children's Social Care",
        "csv",
        {
            "Person ID": "source_id",
            "First Name": "given_name",
            "Last Name": "family_name",
            "Known As": "other_names",
            "Date Of Birth": "date_of_birth",
            "Gender": "sex",
            "NHS Number": "nhs_number",
            "Address": "address_line_1",
            "Town/City": "town",
            "Postcode": "postcode",
            "School": "educational_setting",
            "GP Surgery": "gp_practice",
            "Parent 1": "parent_carer_1_name",
            "Parent 1 Relationship": "parent_carer_1_relationship",
            "Parent 2": "parent_carer_2_name",
            "Allocated Worker": "practitioner_name",
            "Worker Team": "service",
            "Worker Email": "practitioner_email",
            "Episode Start": "involved_from",
            "Episode End": "involved_to",
        },
        "LCS",
        _iso,
    ),
    DemoFeedSpec(
        "bright_start",
        "Bright Start Family Support",
        "csv",
        {
            "Ref": "source_id",
            "Child's first name": "given_name",
            "Child's surname": "family_name",
            "Date of birth": "date_of_birth",
            "Home postcode": "postcode",
            "Parent/carer": "parent_carer_1_name",
            "Parent/carer mobile": "parent_carer_1_phone",
            "Parent/carer email": "parent_carer_1_email",
            "Family worker": "practitioner_name",
            "Referral date": "involved_from",
        },
        "BS",
        _long,
    ),
)

SEX_STYLES = {
    "brookfield_school": {"female": "F", "male": "M", "indeterminate": "I", "not_known": "U"},
    "health_visiting": {
        "female": "Female",
        "male": "Male",
        "indeterminate": "Indeterminate",
        "not_known": "Not known",
    },
    # Code 9 means "indeterminate" in one national list and "not applicable" in another, so
    # Joined Up refuses it (docs/child-index.md); this system writes "I" instead.
    "social_care": {"female": "2", "male": "1", "indeterminate": "I", "not_known": "0"},
}
RELATIONSHIPS = ("Mother", "Father", "Grandmother", "Foster carer", "Stepfather", "Aunt")


@dataclass(frozen=True)
class DemoFeedFile:
    agency: str
    path: Path
    mapping_path: Path
    rows: int


class DemoFeedsError(Exception):
    pass


def write_demo_feeds(out: Path, *, seed: int = 1) -> list[DemoFeedFile]:
    """Write one file and one mapping per demo agency; the agencies must exist."""
    out.mkdir(parents=True, exist_ok=True)
    names = Names.load()
    written = []
    for spec in SPECS:
        rng = random.Random(f"{seed}:feed:{spec.key}")  # noqa: S311 - synthetic data
        rows = _rows(spec, names, rng)
        path = out / f"{spec.key}.{spec.kind}"
        path.write_bytes(_render(spec, rows))
        mapping_path = out / f"{spec.key}.mapping.json"
        mapping_path.write_text(json.dumps(spec.mapping, indent=2) + "\n", encoding="utf-8")
        written.append(DemoFeedFile(spec.agency, path, mapping_path, len(rows) - 1))
    return written


def _rows(spec: DemoFeedSpec, names: Names, rng: random.Random) -> list[list[object]]:
    from joinedup.partnerships.models import Agency

    agency = Agency.objects.filter(name=spec.agency).first()
    if agency is None:
        raise DemoFeedsError(f"There is no agency called {spec.agency}: load the demo area first.")
    involvements = list(
        Involvement.objects.filter(agency=agency)
        .select_related("child", "practitioner")
        .order_by("child_id", "started_on")[:MAX_ROWS]
    )
    seen: set[int] = set()
    picked: list[tuple[Child, Involvement | None]] = []
    for involvement in involvements:
        if involvement.child_id not in seen:
            seen.add(involvement.child_id)
            picked.append((involvement.child, involvement))
    if len(picked) < 12:  # a small demo area: the agency also knows some other children
        for child in Child.objects.exclude(pk__in=seen).order_by("pk")[: 12 - len(picked)]:
            picked.append((child, None))
    rows: list[list[object]] = [list(spec.mapping)]
    for child, known in picked:
        rows.append(
            [_value(spec, field, child, known, names, rng) for field in spec.mapping.values()]
        )
    _add_mistakes(spec, rows, rng)
    return rows


def _value(
    spec: DemoFeedSpec,
    field: str,
    child: Child,
    involvement: Involvement | None,
    names: Names,
    rng: random.Random,
) -> object:
    practitioner = involvement.practitioner if involvement else None
    match field:
        case "source_id":
            return f"{spec.id_prefix}{child.pk:06d}"
        case "given_name":
            return child.given_name
        case "family_name":
            return child.family_name.upper() if spec.key == "social_care" else child.family_name
        case "other_names":
            return child.other_names
        case "previous_names":
            return ""
        case "date_of_birth":
            return spec.date_style(child.date_of_birth)
        case "sex":
            return SEX_STYLES.get(spec.key, {}).get(child.sex, child.sex)
        case "nhs_number":
            number = child.nhs_number
            return (
                f"{number[:3]} {number[3:6]} {number[6:]}"
                if number and spec.key == "health_visiting"
                else number
            )
        case "upn":
            return child.upn
        case "address_line_1":
            return child.address_line_1
        case "address_line_2":
            return child.address_line_2
        case "town":
            return child.town
        case "postcode":
            return child.postcode.replace(" ", "") if spec.key == "bright_start" else child.postcode
        case "parent_carer_1_name" | "parent_carer_2_name":
            given = rng.choice(names.female if field.startswith("parent_carer_1") else names.male)
            return f"{given} {child.family_name}"
        case "parent_carer_1_relationship":
            return "Mother"
        case "parent_carer_2_relationship":
            return rng.choice(RELATIONSHIPS[1:])
        case "parent_carer_1_phone":
            return f"07700 900{rng.randint(0, 999):03d}"  # Ofcom's drama range for mobiles
        case "parent_carer_1_email":
            return f"{child.family_name.lower().replace(' ', '').replace(chr(39), '')}{rng.randint(1, 99)}@example.com"
        case "practitioner_name":
            return str(practitioner) if practitioner else ""
        case "practitioner_role" | "service":
            return involvement.role if involvement else ""
        case "practitioner_phone":
            return f"01632 960{rng.randint(0, 999):03d}"
        case "practitioner_email":
            return practitioner.email if practitioner else ""
        case "educational_setting" | "gp_practice":
            return ""
        case "involved_from":
            return spec.date_style(involvement.started_on) if involvement else ""
        case "involved_to":
            return (
                spec.date_style(involvement.ended_on)
                if involvement and involvement.ended_on
                else ""
            )
    return ""


def _set(spec: DemoFeedSpec, row: list[object], field: str, value: object) -> None:
    fields = list(spec.mapping.values())
    if field in fields:
        row[fields.index(field)] = value


def _add_mistakes(spec: DemoFeedSpec, rows: list[list[object]], rng: random.Random) -> None:
    """The mistakes every real export has; the importer rejects or marks each one."""
    body = rows[1:]
    if len(body) < 6:
        return
    # Invalid fields: imported, marked, kept as sent.
    _set(spec, body[1], "date_of_birth", "31/02/2016")
    _set(spec, body[2], "postcode", "AW1")
    if "nhs_number" in spec.mapping.values():
        number = str(body[3][list(spec.mapping.values()).index("nhs_number")]).replace(" ", "")
        if len(number) == 10:
            _set(spec, body[3], "nhs_number", number[:9] + str((int(number[9]) + 1) % 10))
    # Rejected rows: no ID, no name, and an ID used twice.
    no_id = list(body[4])
    _set(spec, no_id, "source_id", "")
    no_name = list(body[5])
    _set(spec, no_name, "source_id", f"{spec.id_prefix}999998")
    _set(spec, no_name, "given_name", "")
    _set(spec, no_name, "family_name", "")
    duplicate = list(body[rng.randrange(1, len(body))])
    _set(spec, duplicate, "source_id", body[0][0])
    rows.extend([no_id, no_name, duplicate])


def _render(spec: DemoFeedSpec, rows: list[list[object]]) -> bytes:
    if spec.kind == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        assert sheet is not None  # noqa: S101
        sheet.title = "Caseload"
        for row in rows:
            sheet.append(row)
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    text = io.StringIO()
    csv.writer(text, lineterminator="\r\n").writerows(rows)
    bom = "\ufeff" if spec.key == "bright_start" else ""
    return (bom + text.getvalue()).encode("utf-8")


@dataclass(frozen=True)
class DemoFeedsLoaded:
    feeds: int
    rows_created: int
    rows_rejected: int
    records_linked: int
    children_created: int
    reviews_queued: int


def import_demo_feeds(folder: Path, *, seed: int = 1) -> DemoFeedsLoaded:
    """Write the four demo agencies' files into ``folder``, import them as those agencies'
    feeds, and link their records into the child index, so the demo shows a child's
    sources, possible matches and rejected rows."""
    from joinedup.children import linkage
    from joinedup.children.feeds.importing import import_feed
    from joinedup.partnerships.models import Agency

    feeds = []
    for written in write_demo_feeds(folder, seed=seed):
        feeds.append(
            import_feed(
                agency=Agency.objects.get(name=written.agency),
                file=written.path.read_bytes(),
                filename=written.path.name,
                mapping=json.loads(written.mapping_path.read_text(encoding="utf-8")),
            )
        )
    summary = linkage.link_all(seed=seed)
    return DemoFeedsLoaded(
        feeds=len(feeds),
        rows_created=sum(feed.rows_created for feed in feeds),
        rows_rejected=sum(feed.rows_rejected for feed in feeds),
        records_linked=summary.records_linked,
        children_created=summary.children_created,
        reviews_queued=summary.reviews_queued,
    )
