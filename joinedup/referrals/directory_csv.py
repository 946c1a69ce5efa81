"""The services directory as a CSV file: the columns, export, and checking imported rows.

One row per service; lists inside a cell are separated by semicolons. Export and import
use the same columns, so a file exported, corrected in a spreadsheet and imported again
changes exactly what was corrected. Rows are matched to entries by ``slug``. Cells are
made safe against spreadsheet formula injection on export (a leading apostrophe, as the
agency feeds' files do: ``children.feeds.exports``) and the apostrophe is taken off again
on import. The format is described for people in docs/services-directory.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, time
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import Q, TextChoices
from django.utils import timezone

from joinedup.children.feeds.exports import FORMULA_TRIGGERS, csv_bytes
from joinedup.children.feeds.reading import FeedRefused, read_table
from joinedup.partnerships.models import Agency, Sector
from joinedup.referrals.areas import parse_districts
from joinedup.referrals.models import (
    OLDEST_AGE,
    RESERVED_SLUGS,
    Capacity,
    Cost,
    LevelOfNeed,
    Need,
    Offer,
    ReferralRoute,
    Service,
    Weekday,
)
from joinedup.referrals.services import (
    ImportRefused,
    OpeningTime,
    ServiceDetails,
    apply_details,
    unique_slug,
)
from joinedup.sharing import policy

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


@dataclass(frozen=True)
class Column:
    heading: str
    description: str
    example: str = ""
    required: bool = False


def _codes(choices: type[TextChoices]) -> str:
    return ", ".join(str(value) for value in choices.values)


COLUMNS: tuple[Column, ...] = (
    Column(
        "slug",
        "The entry's key and web address. Keep it to update an entry; leave it empty for a "
        "new service and one is made from the name. Lower-case letters, digits and hyphens.",
        "brookfield-speech-drop-in",
        required=True,
    ),
    Column("name", "The service's name.", "Speech and language drop-in", required=True),
    Column(
        "agency",
        "The agency the service belongs to, named exactly as in Joined Up. Only agencies "
        "whose services you manage.",
        "Ashworth Children's Speech and Language Therapy",
        required=True,
    ),
    Column("sector", f"One of: {_codes(Sector)}. Empty: the agency's sector.", "health"),
    Column(
        "description",
        "What the service does, in plain words.",
        "Drop in with your child for advice on talking and listening.",
        required=True,
    ),
    Column(
        "offers", f"What it offers, separated by semicolons: {_codes(Offer)}.", "advice; drop_in"
    ),
    Column("age_from", f"Youngest age served, in years (0 to {OLDEST_AGE}).", "0", required=True),
    Column("age_to", f"Oldest age served, in years (0 to {OLDEST_AGE}).", "5", required=True),
    Column(
        "needs",
        "Needs addressed: codes from the list of needs, separated by semicolons.",
        "speech-language-communication; early-development",
    ),
    Column(
        "levels_of_need",
        f"Separated by semicolons: {_codes(LevelOfNeed)}.",
        "universal; additional",
    ),
    Column("areas", "Postcode districts served, separated by semicolons, or ALL.", "AW1; AW2"),
    Column("referral_criteria", "Who the service accepts and what a referral must include."),
    Column(
        "accepts_referrals_in_app", "yes if the service takes referrals through Joined Up.", "no"
    ),
    Column("how_to_refer_outside", f"One of: {_codes(ReferralRoute)}, or empty.", "email"),
    Column(
        "referral_address",
        "The email address, phone number or web address for referrals.",
        "referrals@slt.example",
    ),
    Column("accepts_self_referrals", "yes if families can contact the service themselves.", "yes"),
    Column("contact_name", "The contact person's name."),
    Column("contact_role", "The contact person's role."),
    Column("contact_email", "The contact person's email address."),
    Column("contact_phone", "The contact person's phone number."),
    Column("address_line_1", "Where the service is."),
    Column("address_line_2", ""),
    Column("town", ""),
    Column("postcode", "A full postcode.", "AW1 2AB"),
    Column("website", "The service's own web page.", "https://slt.example/drop-in"),
    Column(
        "opening_times",
        "Day, opening and closing time (24-hour), an optional note in brackets; separated "
        "by semicolons.",
        "Mon 09:00-12:00 (drop-in); Wed 13:30-16:00",
    ),
    Column("contact_times", "When people can phone or email, if different."),
    Column("languages", "Languages besides English, separated by semicolons.", "Urdu; Polish"),
    Column("cost", f"One of: {_codes(Cost)}. Empty: free.", "free"),
    Column("cost_note", "About the cost."),
    Column("capacity", f"One of: {_codes(Capacity)}.", "taking_referrals"),
    Column("waiting_weeks", "Current expected wait in weeks; empty if not known.", "3"),
    Column("acknowledge_within_working_days", "Working days to acknowledge a referral.", "2"),
    Column("decide_within_working_days", "Working days to decide on a referral.", "10"),
    Column(
        "last_checked_on",
        "When the details were last checked (YYYY-MM-DD). Empty: the day of the import.",
        "2026-01-15",
    ),
    Column("is_published", "yes to show the entry in the directory.", "yes"),
    Column(
        "maintainers",
        "Email addresses of the service's own staff who keep the entry up to date, separated "
        "by semicolons (they must have Joined Up accounts).",
    ),
)
HEADINGS = tuple(column.heading for column in COLUMNS)
REQUIRED = frozenset(column.heading for column in COLUMNS if column.required)
# Added to the file of rejected rows; ignored when that file is imported again.
LINE_COLUMN = "line"
PROBLEMS_COLUMN = "problems"
EXTRA_CELLS = "(extra cells)"
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

# Plain text columns copied as they are (whitespace trimmed).
_TEXT_COLUMNS = (
    "name",
    "description",
    "referral_criteria",
    "referral_address",
    "contact_name",
    "contact_role",
    "contact_email",
    "contact_phone",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "website",
    "contact_times",
    "cost_note",
)
_BOOLEAN_COLUMNS = (
    "accepts_referrals_in_app",
    "accepts_self_referrals",
    "is_published",
)
_CHOICE_COLUMNS: dict[str, type[TextChoices]] = {
    "sector": Sector,
    "how_to_refer_outside": ReferralRoute,
    "cost": Cost,
    "capacity": Capacity,
}
# Model field → the column reporting its problems, where the names differ.
_FIELD_COLUMNS = {"serves_all_districts": "areas", "__all__": ""}
_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def normalise_heading(heading: str) -> str:
    return re.sub(r"[\s-]+", "_", heading.strip().lower())


# Export ----------------------------------------------------------------------------------


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def opening_times_cell(service: Service) -> str:
    parts = []
    for slot in service.opening_times.all():
        day = Weekday(slot.weekday).label[:3]
        text = f"{day} {slot.opens:%H:%M}-{slot.closes:%H:%M}"
        parts.append(f"{text} ({slot.note})" if slot.note else text)
    return "; ".join(parts)


def service_row(service: Service) -> list[object]:
    """One entry as its CSV cells, in HEADINGS order (needs, offers, levels, areas, opening
    times and maintainers prefetched)."""
    values: dict[str, object] = {
        "slug": service.slug,
        "name": service.name,
        "agency": service.agency.name,
        "sector": service.sector,
        "description": service.description,
        "offers": "; ".join(service.offer_codes()),
        "age_from": service.age_from,
        "age_to": service.age_to,
        "needs": "; ".join(need.code for need in service.needs.all()),
        "levels_of_need": "; ".join(service.level_codes()),
        "areas": "ALL" if service.serves_all_districts else "; ".join(service.districts()),
        "accepts_referrals_in_app": _yes_no(service.accepts_referrals_in_app),
        "how_to_refer_outside": service.how_to_refer_outside,
        "accepts_self_referrals": _yes_no(service.accepts_self_referrals),
        "opening_times": opening_times_cell(service),
        "languages": "; ".join(service.languages),
        "cost": service.cost,
        "capacity": service.capacity,
        "waiting_weeks": "" if service.waiting_weeks is None else service.waiting_weeks,
        "acknowledge_within_working_days": service.acknowledge_within_working_days,
        "decide_within_working_days": service.decide_within_working_days,
        "last_checked_on": service.last_checked_on.isoformat(),
        "is_published": _yes_no(service.is_published),
        "maintainers": "; ".join(sorted(person.email for person in service.maintainers.all())),
    }
    for column in _TEXT_COLUMNS:
        values.setdefault(column, getattr(service, column))
    return [values[heading] for heading in HEADINGS]


def services_csv(services: Iterable[Service]) -> bytes:
    return csv_bytes([list(HEADINGS), *(service_row(service) for service in services)])


def rejected_rows_csv(columns: list[str], rows: Iterable[Any]) -> bytes:
    """Rejected rows with the file's own columns, then the line and the problems: correct
    them and import the file again as it is."""
    out: list[list[object]] = [[*columns, LINE_COLUMN, PROBLEMS_COLUMN]]
    for row in rows:
        problems = " | ".join(
            f"{p['column']}: {p['reason']}" if p["column"] else p["reason"] for p in row.problems
        )
        out.append([*(row.values.get(c, "") for c in columns), row.line_number, problems])
    return csv_bytes(out)


# Import: the file ----------------------------------------------------------------------


@dataclass
class ParsedFile:
    headings: list[str]
    rows: list[tuple[int, dict[str, str]]]


def unescape(cell: str) -> str:
    """Take off the apostrophe that export puts before a cell that would start a formula."""
    if cell.startswith("'") and cell[1:].startswith(FORMULA_TRIGGERS):
        return cell[1:]
    return cell


def read_file(content: bytes) -> ParsedFile:
    """The file's rows as {column: cell}, or ImportRefused when the file cannot be used."""
    try:
        table = read_table(content)
    except FeedRefused as refused:
        raise ImportRefused(refused.message) from refused
    headings = [normalise_heading(heading) for heading in table.headings]
    ignored = {LINE_COLUMN, PROBLEMS_COLUMN}
    unknown = [h for h in headings if h and h not in HEADINGS and h not in ignored]
    if unknown:
        raise ImportRefused(
            f"The file has columns the directory does not use: {', '.join(unknown)}. "
            "Check their spelling against the list of columns, or delete them."
        )
    missing = sorted(REQUIRED - set(headings))
    if missing:
        raise ImportRefused(f"The file has no {', '.join(missing)} column: add it and try again.")
    repeated = sorted({h for h in headings if h and headings.count(h) > 1})
    if repeated:
        raise ImportRefused(f"The file has more than one {', '.join(repeated)} column.")
    kept = [h for h in headings if h in HEADINGS]
    rows = []
    for row in table.rows:
        values = {
            heading: unescape(cell)
            for heading, cell in zip(headings, row.cells, strict=False)
            if heading in HEADINGS
        }
        for heading in kept:
            values.setdefault(heading, "")
        surplus = [cell for cell in row.cells[len(headings) :] if cell.strip()]
        if surplus:
            values[EXTRA_CELLS] = "; ".join(surplus)
        rows.append((row.line, values))
    return ParsedFile(kept, rows)


# Import: each row ----------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    column: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"column": self.column, "reason": self.reason}


@dataclass
class CheckedRow:
    line: int
    service: Service | None = None
    details: ServiceDetails = field(default_factory=ServiceDetails)
    is_new: bool = True
    checked_on_given: bool = False
    problems: list[Problem] = field(default_factory=list)


class RowChecker:
    """Checks import rows for one importer; looks up needs and agencies once."""

    def __init__(self, *, importer: Practitioner, today: date | None = None) -> None:
        self.importer = importer
        self.today = today or timezone.localdate()
        self.needs = {need.code: need for need in Need.objects.all()}
        self.agencies = {agency.name.casefold(): agency for agency in Agency.objects.all()}
        self.managed = set(
            Agency.objects.filter(policy.service_agencies_filter(importer)).values_list(
                "pk", flat=True
            )
        )

    def check(self, values: dict[str, str], *, seen_slugs: dict[str, int], line: int) -> CheckedRow:
        checked = CheckedRow(line=line)
        problems = checked.problems

        def problem(column: str, reason: str) -> None:
            problems.append(Problem(column, reason))

        def cell(column: str) -> str:
            return (values.get(column) or "").strip()

        if values.get(EXTRA_CELLS):
            problem("", f"The row has more cells than the file has columns: {values[EXTRA_CELLS]}")

        agency = self._agency(cell("agency"), problem)
        slug = cell("slug").lower()
        existing = self._existing(slug, seen_slugs, line, problem)
        if existing is not None and existing.agency_id not in self.managed:
            problem(
                "slug",
                f"{slug} is the entry of {existing.agency.name}, whose services you do not manage",
            )

        fields: dict[str, Any] = {}
        for column in _TEXT_COLUMNS:
            if column in values:
                fields[column] = cell(column)
        for column in ("name", "description"):
            if not cell(column):
                problem(column, f"Enter the service's {column}")
        for column in _BOOLEAN_COLUMNS:
            if column in values and cell(column):
                answer = cell(column).lower()
                if answer in _YES | _NO:
                    fields[column] = answer in _YES
                else:
                    problem(column, "Enter yes or no")
        for column, choices in _CHOICE_COLUMNS.items():
            if column in values and (cell(column) or column == "how_to_refer_outside"):
                code = _choice(cell(column), choices)
                if code is None:
                    problem(column, f"Enter one of: {_codes(choices)}")
                else:
                    fields[column] = code
        if agency is not None and not fields.get("sector"):
            fields["sector"] = existing.sector if existing is not None else agency.sector
        self._ages(cell, fields, problem)
        self._numbers(values, cell, fields, problem)
        if "languages" in values:
            fields["languages"] = _list(cell("languages"))

        details = ServiceDetails(fields=fields)
        if "offers" in values:
            details.offers = self._codes(cell("offers"), Offer, "offers", problem)
        if "levels_of_need" in values:
            details.levels = self._codes(
                cell("levels_of_need"), LevelOfNeed, "levels_of_need", problem
            )
        if "needs" in values:
            details.needs = self._needs(cell("needs"), problem)
        if "areas" in values:
            try:
                fields["serves_all_districts"], details.districts = parse_districts(cell("areas"))
            except ValidationError as invalid:
                problem("areas", invalid.messages[0])
        if "opening_times" in values:
            details.opening_times = _opening_times(cell("opening_times"), problem)
        if "maintainers" in values:
            details.maintainers = self._maintainers(cell("maintainers"), problem)
        checked_on = self._checked_on(cell("last_checked_on"), problem)
        checked.checked_on_given = bool(cell("last_checked_on"))

        if existing is not None:
            service = existing
        elif agency is not None:
            service = Service(agency=agency)
        else:
            return checked
        if agency is not None:
            service.agency = agency
        if not service.slug:
            service.slug = slug or unique_slug(cell("name"), taken=seen_slugs)
            seen_slugs.setdefault(service.slug, line)
        service.last_checked_on = checked_on or service.last_checked_on
        try:
            apply_details(service, details)
        except ValidationError as invalid:
            reported = {p.column for p in problems}
            for name, messages in invalid.message_dict.items():
                column = _FIELD_COLUMNS.get(name, name)
                if column in reported or (column == "agency" and agency is None):
                    continue
                for message in messages:
                    problem(column, message)
        checked.service = service
        checked.details = details
        checked.is_new = existing is None
        return checked

    # Cells ------------------------------------------------------------------------------

    def _agency(self, name: str, problem: Any) -> Agency | None:
        if not name:
            problem("agency", "Enter the agency's name")
            return None
        agency = self.agencies.get(name.casefold())
        if agency is None:
            problem("agency", f"There is no agency called {name} in Joined Up")
            return None
        if agency.pk not in self.managed:
            problem("agency", f"You do not manage the services of {agency.name}")
            return None
        return agency

    def _existing(
        self, slug: str, seen_slugs: dict[str, int], line: int, problem: Any
    ) -> Service | None:
        if not slug:
            return None
        if not SLUG_PATTERN.fullmatch(slug) or len(slug) > 120:
            problem("slug", "Use only lower-case letters, digits and single hyphens")
            return None
        if slug in RESERVED_SLUGS:
            problem("slug", f"{slug} is a word the directory uses itself: choose another")
            return None
        if slug in seen_slugs:
            problem("slug", f"{slug} is also on line {seen_slugs[slug]}: give each entry once")
            return None
        seen_slugs[slug] = line
        return Service.objects.select_related("agency").filter(slug=slug).first()

    def _ages(self, cell: Any, fields: dict[str, Any], problem: Any) -> None:
        for column in ("age_from", "age_to"):
            text = cell(column)
            if not text:
                problem(column, "Enter an age in years")
            elif not text.isdigit() or int(text) > OLDEST_AGE:
                problem(column, f"Enter an age in whole years, from 0 to {OLDEST_AGE}")
            else:
                fields[column] = int(text)
        if fields.get("age_from", 0) > fields.get("age_to", OLDEST_AGE):
            problem("age_to", "The age range must end at or after the age it starts")
            fields.pop("age_to")

    def _numbers(
        self, values: dict[str, str], cell: Any, fields: dict[str, Any], problem: Any
    ) -> None:
        if "waiting_weeks" in values:
            text = cell("waiting_weeks")
            if not text:
                fields["waiting_weeks"] = None
            elif text.isdigit() and int(text) <= 104:
                fields["waiting_weeks"] = int(text)
            else:
                problem(
                    "waiting_weeks",
                    "Enter the wait in whole weeks, from 0 to 104, or leave it empty",
                )
        for column in ("acknowledge_within_working_days", "decide_within_working_days"):
            if column in values and cell(column):
                text = cell(column)
                if text.isdigit() and int(text) >= 1:
                    fields[column] = int(text)
                else:
                    problem(column, "Enter a number of working days, 1 or more")

    def _codes(
        self, text: str, choices: type[TextChoices], column: str, problem: Any
    ) -> list[str] | None:
        codes = [code.lower() for code in _list(text)]
        unknown = [code for code in codes if code not in choices.values]
        if unknown:
            problem(column, f"Not known: {', '.join(unknown)}. Use: {_codes(choices)}")
            return None
        return codes

    def _needs(self, text: str, problem: Any) -> list[Need] | None:
        codes = [code.lower() for code in _list(text)]
        unknown = [code for code in codes if code not in self.needs]
        if unknown:
            problem(
                "needs",
                f"Not a need in the directory's list: {', '.join(unknown)}. Use the codes "
                "from the list of needs",
            )
            return None
        return [self.needs[code] for code in dict.fromkeys(codes)]

    def _maintainers(self, text: str, problem: Any) -> list[Practitioner] | None:
        from joinedup.accounts.models import Practitioner

        emails = list(dict.fromkeys(email.lower() for email in _list(text)))
        if not emails:
            return []
        matching = Q()
        for email in emails:
            matching |= Q(email__iexact=email)
        people = {
            person.email.lower(): person
            for person in Practitioner.objects.filter(matching, is_active=True)
        }
        unknown = [email for email in emails if email not in people]
        if unknown:
            problem(
                "maintainers",
                f"No Joined Up account has the email address {', '.join(unknown)}",
            )
            return None
        return [people[email] for email in emails]

    def _checked_on(self, text: str, problem: Any) -> date | None:
        if not text:
            return self.today
        try:
            checked_on = date.fromisoformat(text)
        except ValueError:
            problem("last_checked_on", "Enter the date as year-month-day, like 2026-01-15")
            return None
        if checked_on > self.today:
            problem("last_checked_on", "The date the details were checked cannot be in the future")
            return None
        return checked_on


def _list(text: str) -> list[str]:
    return [part.strip() for part in re.split(r"[;\n]", text or "") if part.strip()]


def _choice(text: str, choices: type[TextChoices]) -> str | None:
    wanted = text.strip().casefold()
    if not wanted:
        return ""
    for value, label in choices.choices:
        if wanted in {str(value).casefold(), str(label).casefold()}:
            return str(value)
    return None


_SLOT = re.compile(
    r"^(?P<day>[a-z]{3,9})\s+(?P<opens>\d{1,2}[:.]\d{2})\s*(?:-|–|to)\s*"
    r"(?P<closes>\d{1,2}[:.]\d{2})(?:\s*\((?P<note>[^()]*)\))?$",
    re.IGNORECASE,
)


def weekday_from_text(text: str) -> int | None:
    wanted = text.strip().lower()
    for day in Weekday:
        if len(wanted) >= 3 and day.label.lower().startswith(wanted):
            return int(day.value)
    return None


def _clock(text: str) -> time | None:
    hours, minutes = re.split(r"[:.]", text)
    try:
        return time(int(hours), int(minutes))
    except ValueError:
        return None


def _opening_times(text: str, problem: Any) -> list[OpeningTime] | None:
    slots: list[OpeningTime] = []
    bad: list[str] = []
    for part in _list(text):
        match = _SLOT.fullmatch(part)
        weekday = weekday_from_text(match["day"]) if match else None
        opens = _clock(match["opens"]) if match else None
        closes = _clock(match["closes"]) if match else None
        if match is None or weekday is None or opens is None or closes is None or closes <= opens:
            bad.append(part)
            continue
        slots.append(OpeningTime(weekday, opens, closes, (match["note"] or "").strip()))
    if bad:
        problem(
            "opening_times",
            f"Cannot read {'; '.join(bad)}: write each as a day and times, like "
            "Mon 09:00-17:00, closing after opening",
        )
        return None
    return slots
