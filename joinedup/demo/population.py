"""Children and their involvements, generated as a stream of database rows.

The generator is plain Python over ``random.Random``: the same seed, size and day give the
same children. It never holds more than one batch of rows, so a million children need no
more memory than a thousand.

Children come in households (brothers and sisters share an address and usually a family
name). Each child has one to four involvements: their school (with a class teacher or form
tutor), their GP practice, health visiting for the under-fives, and services such as
school nursing, social care or a youth project at realistic rates. About a quarter of the
involvements have ended: the primary school a secondary pupil left, the health visitor who
handed over at school entry, a case closed.

Named practitioners carry bounded caseloads, as real ones do; beyond those, an agency or
one of its services is involved without a named person (``practitioner_id`` is empty). At
small sizes every named practitioner is first given a few current involvements, so that
each demo login has children to see.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from joinedup.children import identifiers
from joinedup.children.models import Sex
from joinedup.demo import area
from joinedup.demo.area import AreaPlan, PractitionerSpec, Service
from joinedup.demo.bulk import Row

DATA_DIR = Path(__file__).resolve().parent / "data"

MAX_INVOLVEMENTS = 4
MIN_CURRENT_PER_PRACTITIONER = 3
MAX_AGE = 17  # children are 0 to 17
NHS_TEST_PREFIX = identifiers.NHS_TEST_RANGE_PREFIX
NHS_NUMBER_SHARE = 0.9  # some agency records lack it; also keeps 1M children in the 999 range
UPN_LOCAL_AUTHORITY = "999"  # no real local authority has this number

CHILD_COLUMNS = (
    "id",
    "given_name",
    "family_name",
    "other_names",
    "date_of_birth",
    "sex",
    "address_line_1",
    "address_line_2",
    "town",
    "postcode",
    "nhs_number",
    "upn",
    "created_at",
    "updated_at",
)
INVOLVEMENT_COLUMNS = (
    "id",
    "child_id",
    "agency_id",
    "practitioner_id",
    "role",
    "started_on",
    "ended_on",
    "ended_reason",
)

ChildRow = Row
InvolvementRow = Row


def read_list(name: str) -> list[str]:
    """One entry a line from a file in ``data/``; blank lines and # comments are skipped."""
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@dataclass(frozen=True)
class Names:
    female: list[str]
    male: list[str]
    family: list[str]
    street_roots: list[str]

    @classmethod
    def load(cls) -> Names:
        return cls(
            female=read_list("given_names_female.txt"),
            male=read_list("given_names_male.txt"),
            family=read_list("family_names.txt"),
            street_roots=read_list("street_names.txt"),
        )


@dataclass
class NamedPractitioner:
    """A practitioner in a caseload pool, with their database id and how many children
    they are named against so far."""

    spec: PractitionerSpec
    id: int
    agency_id: int
    named: int = 0
    current: int = 0

    @property
    def has_room(self) -> bool:
        return self.named < self.spec.caseload

    @property
    def needs_children(self) -> bool:
        return self.current < MIN_CURRENT_PER_PRACTITIONER


class Pool:
    """The practitioners who can be named for one service in one place (a class teacher's
    year group, a school's SENCo, a GP practice's GP), taken in turn."""

    def __init__(self) -> None:
        self.members: list[NamedPractitioner] = []
        self._next = 0

    def needy(self) -> NamedPractitioner | None:
        for member in self.members:
            if member.needs_children:
                return member
        return None

    def take(self) -> NamedPractitioner | None:
        """The next practitioner with room on their caseload, or None when all are full."""
        for _ in range(len(self.members)):
            member = self.members[self._next % len(self.members)]
            self._next += 1
            if member.has_room:
                return member
        return None


class NhsNumbers:
    """Valid NHS numbers from the 999 test range, which are never issued to real people,
    in a scattered order fixed by the seed. There are about 909,000 such numbers."""

    SPAN = 1_000_000

    def __init__(self, rng: random.Random) -> None:
        # An affine map modulo 10**6 visits every six-digit tail once when the
        # multiplier shares no factor (2 or 5) with 10**6.
        self._multiplier = rng.randrange(100_001, 999_999, 2)
        while self._multiplier % 5 == 0:
            self._multiplier += 2
        self._offset = rng.randrange(self.SPAN)
        self._index = 0

    def next(self) -> str:
        """The next number, or "" when the test range is used up."""
        while self._index < self.SPAN:
            tail = (self._multiplier * self._index + self._offset) % self.SPAN
            self._index += 1
            first_nine = f"{NHS_TEST_PREFIX}{tail:06d}"
            check = identifiers.nhs_check_digit(first_nine)
            if check is not None:
                return f"{first_nine}{check}"
        return ""


@dataclass(frozen=True)
class Household:
    family_name: str
    address_line_1: str
    address_line_2: str
    town: str
    postcode: str
    locality: int


class PopulationGenerator:
    """Generates children and involvements for an area plan, as rows ready to insert."""

    def __init__(
        self,
        plan: AreaPlan,
        agency_ids: dict[str, int],
        practitioner_ids: dict[str, int],
        rng: random.Random,
        today: date,
        names: Names,
        timestamp: object,
        first_involvement_id: int = 1,
    ) -> None:
        self.plan = plan
        self.agency_ids = agency_ids
        self.rng = rng
        self.today = today
        self.names = names
        self.timestamp = timestamp
        self.nhs_numbers = NhsNumbers(rng)
        self.upn_serials: dict[tuple[int, int], int] = defaultdict(int)
        self.next_involvement_id = first_involvement_id
        self.nhs_numbers_ran_out = False

        # School years run from 1 September; a child's year group follows their age on
        # the 31 August before it (4 in Reception, 11 in Year 7).
        start_year = today.year if today.month >= 9 else today.year - 1
        self.school_year_start = date(start_year, 9, 1)
        self.age_cutoff = date(start_year, 8, 31)

        agencies = plan.agencies
        self.primaries = [a for a in agencies if a.phase == area.PRIMARY]
        self.secondaries = [a for a in agencies if a.phase == area.SECONDARY]
        self.sixth_forms = [a for a in self.secondaries if a.sixth_form]
        self.practices = [a for a in agencies if a.kind == area.AgencyKind.GP_PRACTICE]
        self.local: dict[tuple[str, int], list[area.AgencySpec]] = defaultdict(list)
        for group, members in (
            ("primary", self.primaries),
            ("secondary", self.secondaries),
            ("sixth_form", self.sixth_forms),
            ("gp", self.practices),
        ):
            for agency in members:
                self.local[(group, agency.locality)].append(agency)
        self.establishment = {a.key: a.establishment_number for a in agencies}

        self.pools: dict[tuple[str, str, int | None], Pool] = defaultdict(Pool)
        self.named: list[NamedPractitioner] = []
        for spec in area.PRACTITIONERS:
            if not spec.service or spec.agency is None:
                continue
            member = NamedPractitioner(
                spec, practitioner_ids[spec.username], agency_ids[spec.agency]
            )
            self.named.append(member)
            self.pools[self._pool_key(spec)].members.append(member)
        # Until every named practitioner has a few current involvements, look for those
        # who still need them; afterwards skip the search (it dominates at large sizes).
        self.needy_left = len(self.named)
        self.services_by_age = [
            [s for s in area.SERVICES if s.min_age <= age <= s.max_age]
            for age in range(MAX_AGE + 1)
        ]

    @staticmethod
    def _pool_key(spec: PractitionerSpec) -> tuple[str, str, int | None]:
        """Practitioners in schools and GP practices are named only for their own
        agency's children; class teachers only for their own year group."""
        local_services = {area.CLASS_TEACHER, area.GP} | {
            s.key for s in area.SERVICES if s.agency == area.CHILDS_SCHOOL
        }
        place = (spec.agency or "") if spec.service in local_services else ""
        return (spec.service, place, spec.year_group)

    # Streaming ------------------------------------------------------------------------

    def batches(
        self, count: int, batch_size: int, first_id: int = 1
    ) -> Iterator[tuple[list[ChildRow], list[InvolvementRow]]]:
        """``count`` children in batches of ``batch_size``, each with its involvements."""
        children: list[ChildRow] = []
        involvements: list[InvolvementRow] = []
        child_id = first_id
        made = 0
        while made < count:
            household = self._household()
            for offset in self._ages_in_days(min(self._household_size(), count - made)):
                child, rows = self._child(child_id, household, offset)
                children.append(child)
                involvements.extend(rows)
                child_id += 1
                made += 1
                if len(children) >= batch_size:
                    yield children, involvements
                    children, involvements = [], []
        if children:
            yield children, involvements

    def practitioners_without_current_involvements(self) -> list[str]:
        return [member.spec.username for member in self.named if member.current == 0]

    # Households and children ------------------------------------------------------------

    def _household_size(self) -> int:
        draw = self.rng.random()
        return 1 if draw < 0.45 else 2 if draw < 0.83 else 3 if draw < 0.95 else 4

    def _household(self) -> Household:
        rng = self.rng
        locality = rng.choice(self.plan.localities)
        street = rng.choice(locality.streets)
        number = rng.randint(1, street.houses)
        postcode = street.postcodes[(number - 1) * len(street.postcodes) // street.houses]
        line_1 = f"{number} {street.name}"
        if rng.random() < 0.12:
            line_1 = f"Flat {rng.randint(1, 24)}, {line_1}"
        line_2 = "" if locality.name == locality.town or locality.index == 0 else locality.name
        return Household(
            family_name=rng.choice(self.names.family),
            address_line_1=line_1,
            address_line_2=line_2,
            town=locality.town,
            postcode=postcode,
            locality=locality.index,
        )

    def _ages_in_days(self, size: int) -> list[int]:
        """How many days ago each child in a household was born: brothers and sisters are
        one to seven years apart, and now and then twins."""
        rng = self.rng
        span = (MAX_AGE + 1) * 365
        first = rng.randrange(span)
        ages = [first]
        for _ in range(size - 1):
            if rng.random() < 0.03:
                ages.append(ages[-1])  # twins
                continue
            gap = rng.randint(400, 2500)
            nearer = ages[-1] - gap if ages[-1] - gap >= 0 else ages[-1] + gap
            ages.append(min(nearer, span - 1))
        return ages

    def _child(
        self, child_id: int, household: Household, days_old: int
    ) -> tuple[ChildRow, list[InvolvementRow]]:
        rng = self.rng
        today = self.today
        born = today - timedelta(days=days_old)
        age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
        cutoff = self.age_cutoff
        age_at_cutoff = (
            cutoff.year - born.year - ((cutoff.month, cutoff.day) < (born.month, born.day))
        )
        year_group = age_at_cutoff - 4  # Reception is 0, Year 13 is 13

        draw = rng.random()
        if draw < 0.49:
            sex, given_names = Sex.FEMALE, self.names.female
        elif draw < 0.995:
            sex, given_names = Sex.MALE, self.names.male
        else:
            sex = Sex.NOT_KNOWN
            given_names = self.names.female if rng.random() < 0.5 else self.names.male
        given = rng.choice(given_names)
        middle = rng.choice(given_names) if rng.random() < 0.4 else ""
        family = household.family_name
        if rng.random() < 0.1:
            family = rng.choice(self.names.family)  # a step-sibling or half-sibling

        nhs_number = ""
        if rng.random() < NHS_NUMBER_SHARE:
            nhs_number = self.nhs_numbers.next()
            self.nhs_numbers_ran_out = self.nhs_numbers_ran_out or not nhs_number

        involvements = _Involvements(self, child_id, born, age, household.locality)
        upn = involvements.add_school(year_group)
        involvements.add_gp_practice()
        involvements.add_health_visiting(year_group)
        involvements.add_services()
        if not involvements.rows:
            involvements.add_gp_practice(always=True)

        child = (
            child_id,
            given,
            family,
            middle,
            born.isoformat(),
            sex.value,
            household.address_line_1,
            household.address_line_2,
            household.town,
            household.postcode,
            nhs_number,
            upn,
            self.timestamp,
            self.timestamp,
        )
        return child, involvements.rows

    def _upn(self, school_key: str, first_school_year: int) -> str:
        """A unique pupil number: check letter, local authority, school, year and serial.

        Unique while no school allocates more than 1,000 numbers in a year, which the area's
        school sizes (``area.PUPILS_PER_PRIMARY_SCHOOL``) ensure."""
        establishment = self.establishment[school_key]
        serial = self.upn_serials[(establishment, first_school_year)]
        self.upn_serials[(establishment, first_school_year)] = serial + 1
        tail = f"{UPN_LOCAL_AUTHORITY}{establishment:04d}{first_school_year % 100:02d}{serial % 1000:03d}"
        return identifiers.upn_check_letter(tail) + tail

    def _school_for(self, group: str, locality: int, year_group: int | None) -> area.AgencySpec:
        """A school or GP practice near home (most of the time), preferring one whose named
        practitioner still needs children so that every demo login has some."""
        schools = self.primaries if group == "primary" else self.secondaries
        if group == "sixth_form":
            schools = self.sixth_forms
        elif group == "gp":
            schools = self.practices
        service = area.GP if group == "gp" else area.CLASS_TEACHER
        if self.needy_left:
            for school in schools[:10]:  # named staff work only in the base area's agencies
                pool = self.pools.get((service, school.key, year_group))
                if pool is not None and pool.needy() is not None:
                    return school
        nearby = self.local.get((group, locality))
        if nearby and self.rng.random() < 0.85:
            return self.rng.choice(nearby)
        return self.rng.choice(schools)


class _Involvements:
    """Builds one child's involvement rows, at most ``MAX_INVOLVEMENTS`` of them."""

    def __init__(
        self, generator: PopulationGenerator, child_id: int, born: date, age: int, locality: int
    ) -> None:
        self.g = generator
        self.rng = generator.rng
        self.child_id = child_id
        self.born = born
        self.age = age
        self.locality = locality
        self.school: area.AgencySpec | None = None
        self.rows: list[InvolvementRow] = []

    @property
    def full(self) -> bool:
        return len(self.rows) >= MAX_INVOLVEMENTS

    def add(
        self,
        agency_key: str,
        role: str,
        started_on: date,
        ended_on: date | None = None,
        ended_reason: str = "",
        named: NamedPractitioner | None = None,
    ) -> None:
        g = self.g
        started_on = max(started_on, self.born)
        if started_on > g.today:
            started_on = g.today
        practitioner_id = None
        agency_id = g.agency_ids[agency_key]
        if named is not None:
            practitioner_id, agency_id, role = named.id, named.agency_id, named.spec.role
            named.named += 1
            if ended_on is None:
                named.current += 1
                if named.current == MIN_CURRENT_PER_PRACTITIONER:
                    g.needy_left -= 1
        self.rows.append(
            (
                g.next_involvement_id,
                self.child_id,
                agency_id,
                practitioner_id,
                role,
                started_on.isoformat(),
                ended_on.isoformat() if ended_on else None,
                ended_reason,
            )
        )
        g.next_involvement_id += 1

    def _named(
        self, service: str, place: str, year_group: int | None = None
    ) -> NamedPractitioner | None:
        pool = self.g.pools.get((service, place, year_group))
        return pool.take() if pool is not None else None

    def _ended(self, started_on: date, reason: str) -> tuple[date, str]:
        """An end date after ``started_on`` and before today."""
        days = (self.g.today - started_on).days
        return started_on + timedelta(days=self.rng.randint(0, max(0, days - 1))), reason

    def _recent_start(self, years: float = 3) -> date:
        earliest = max(self.born, self.g.today - timedelta(days=int(365 * years)))
        return earliest + timedelta(days=self.rng.randint(0, (self.g.today - earliest).days))

    # Core involvements ---------------------------------------------------------------

    def add_school(self, year_group: int) -> str:
        """The child's school now, and the one they left; returns their UPN ('' if none)."""
        g, rng = self.g, self.rng
        if year_group < 0 or year_group > 13:
            return ""
        reception_year = g.school_year_start.year - year_group
        reception_start = date(reception_year, 9, 1)
        if year_group <= 6:
            phase, role = "primary", "Class teacher"
        elif year_group <= 11:
            phase, role = "secondary", "Form tutor"
        elif rng.random() < 0.55:
            phase, role = "sixth_form", "Sixth form tutor"
        else:
            phase, role = "", ""  # at college or in work outside the area's agencies
        tutor_year = year_group if year_group <= 11 else None
        school = g._school_for(phase, self.locality, tutor_year) if phase else None
        moved = phase == "primary" and year_group >= 2 and rng.random() < 0.12
        if school is not None and phase == "primary" and not moved:
            first_primary = school
        else:
            first_primary = g._school_for("primary", self.locality, None)
            if first_primary == school:
                first_primary = g.primaries[(g.primaries.index(school) + 1) % len(g.primaries)]
        upn = g._upn(first_primary.key, reception_year)
        if school is None:
            return upn

        self.school = school
        started_on = reception_start
        if phase == "secondary":
            started_on = date(reception_year + 7, 9, 1)
        elif phase == "sixth_form":
            started_on = date(reception_year + 12, 9, 1)
        if moved:
            # Moved school during primary: the first school's involvement has ended.
            moved_on = started_on + timedelta(days=rng.randint(200, 365 * year_group))
            moved_on = min(moved_on, g.today - timedelta(days=1))
            self.add(first_primary.key, role, started_on, moved_on, "Moved school")
            started_on = moved_on + timedelta(days=1)
        elif phase == "secondary" and rng.random() < 0.6:
            left = date(reception_year + 7, 7, 21)
            self.add(
                first_primary.key, "Class teacher", reception_start, left, "Left at end of Year 6"
            )
        named = self._named(area.CLASS_TEACHER, school.key, tutor_year)
        self.add(school.key, role, started_on, named=named)
        return upn

    def add_gp_practice(self, *, always: bool = False) -> None:
        if self.full or (not always and self.rng.random() > 0.97):
            return
        practice = self.g._school_for("gp", self.locality, None)
        registered = self.born + timedelta(days=self.rng.randint(10, 42))
        named = self._named(area.GP, practice.key)
        if named is not None and not named.needs_children and self.rng.random() < 0.9:
            named = None  # the named GP sees a few of the practice's children
        self.add(practice.key, "Registered GP practice", registered, named=named)

    def add_health_visiting(self, year_group: int) -> None:
        """Every under-five has a health visitor; at school entry they hand over."""
        rng = self.rng
        if self.age < 5 and rng.random() < 0.95:
            named = self._named(area.HEALTH_VISITING, "")
            self.add(
                "health_visiting", "Health visitor", self.born + timedelta(days=12), named=named
            )
        elif 0 <= year_group <= 1 and rng.random() < 0.5 and not self.full:
            handed_over = self.g.school_year_start - timedelta(days=365 * year_group)
            self.add(
                "health_visiting",
                "Health visitor",
                self.born + timedelta(days=12),
                handed_over,
                "Handed over to school nursing",
            )

    # Services -------------------------------------------------------------------------

    def add_services(self) -> None:
        for service in self.g.services_by_age[self.age]:
            if len(self.rows) >= MAX_INVOLVEMENTS:
                return
            if service.localities and self.locality not in service.localities:
                continue
            self._maybe_add(service)

    def _maybe_add(self, service: Service) -> None:
        rng = self.rng
        if not self.g.needy_left and rng.random() >= service.rate:
            return
        if service.agency == area.CHILDS_SCHOOL:
            if self.school is None:
                return
            agency_key, place = self.school.key, self.school.key
        else:
            agency_key, place = service.agency, ""
        pool = self.g.pools.get((service.key, place, None))
        if self.g.needy_left:
            needy = pool.needy() if pool is not None else None
            if needy is not None:
                # Make sure each demo practitioner has current involvements to show.
                self.add(agency_key, service.role, self._recent_start(1), named=needy)
                return
            if rng.random() >= service.rate:
                return
        named = pool.take() if pool is not None else None
        started_on = self._recent_start()
        if rng.random() < service.ended_share and started_on < self.g.today:
            ended_on, reason = self._ended(started_on, _end_reason(rng))
            self.add(agency_key, service.role, started_on, ended_on, reason, named=named)
        else:
            self.add(agency_key, service.role, started_on, named=named)


def _end_reason(rng: random.Random) -> str:
    return rng.choice(
        (
            "Support no longer needed",
            "Case closed",
            "Family moved away",
            "Transferred to another service",
            "Family declined further support",
        )
    )
