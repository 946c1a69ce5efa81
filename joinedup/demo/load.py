"""Loading the demo area into the database, and clearing it out again.

``load_demo_area`` writes the whole area in one transaction: agencies, practitioners,
partnerships and two-factor devices through the ORM, then children and involvements in
batches through ``bulk.RowWriter``. It refuses to load over existing data unless asked to
flush it first, and then nothing is changed.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Model, Q
from django.utils import timezone
from django.utils.text import slugify
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from joinedup.accounts.models import Notification, Practitioner
from joinedup.casework.models import Assessment, Episode
from joinedup.children.models import Child, Involvement
from joinedup.children.search_keys import (
    SEARCH_KEY_FIELDS,
    SEARCH_SOURCE_FIELDS,
    search_key_row,
)
from joinedup.demo import area, logins, services_directory
from joinedup.demo import casework as demo_casework
from joinedup.demo import referrals as demo_referrals
from joinedup.demo.bulk import Row, RowWriter, fast_sqlite_writes, next_id, reset_sequences
from joinedup.demo.population import (
    CHILD_COLUMNS,
    INVOLVEMENT_COLUMNS,
    Names,
    PopulationGenerator,
)
from joinedup.partnerships.models import Agency, Membership, Partnership
from joinedup.reference_data import ensure_reference_data
from joinedup.referrals.models import PingPongOwnership, Referral
from joinedup.sharing.chain import reset_chain
from joinedup.sharing.models import AccessRecord, Consent, Disclosure

DEFAULT_SEED = 2026
DEFAULT_CHILDREN = 3000
DEFAULT_BATCH_SIZE = 10_000

Progress = Callable[[int, int], None]


class DemoAreaError(Exception):
    """The demo area cannot be loaded as asked; the message says why and what to do."""


@dataclass
class LoadSummary:
    seed: int
    children: int = 0
    involvements: int = 0
    agencies: int = 0
    practitioners: int = 0
    partnerships: int = 0
    episodes: int = 0
    referrals: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def demo_accounts_q() -> Q:
    """Demo accounts: a username from the demo cast and an e-mail address in its domain."""
    usernames = [spec.username for spec in area.PRACTITIONERS]
    return Q(username__in=usernames, email__endswith=f"@{area.EMAIL_DOMAIN}")


def current_demo_code(username: str) -> tuple[str, int] | None:
    """The current two-factor code of a demo account and the seconds it stays valid, or
    None: only with DEBUG on, and only for the demo area's own authenticators (a real
    account's device never qualifies, whatever its name)."""
    if not settings.DEBUG:
        return None
    device = TOTPDevice.objects.filter(
        user__in=Practitioner.objects.filter(demo_accounts_q()),
        user__username=username,
        name=logins.DEMO_DEVICE_NAME,
        confirmed=True,
    ).first()
    if device is None:
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    seconds_left = device.step - int(time.time() - device.t0) % device.step
    return f"{totp.token():0{device.digits}d}", seconds_left


def existing_data() -> str:
    """What the database already holds that the demo area would clash with ('' if none)."""
    found = [
        label
        for label, exists in (
            ("children", Child.objects.exists()),
            ("agencies", Agency.objects.exists()),
            ("partnerships", Partnership.objects.exists()),
            ("demo accounts", Practitioner.objects.filter(demo_accounts_q()).exists()),
        )
        if exists
    ]
    return ", ".join(found)


def flush_demo_data() -> None:
    """Delete every child, involvement, access record, disclosure, partnership and agency,
    the demo accounts, and the audit chain over them. Other accounts are kept; if one
    belongs to an agency, nothing is deleted."""
    others = Practitioner.objects.exclude(demo_accounts_q())
    in_agencies = list(others.filter(home_agency__isnull=False).values_list("username", flat=True))
    if in_agencies:
        raise DemoAreaError(
            "These accounts are not demo accounts but belong to an agency, so the agencies "
            f"cannot be deleted: {', '.join(sorted(in_agencies))}. Use a fresh database for "
            "the demo area, or move those accounts out of their agencies first."
        )
    clashing = list(
        others.filter(username__in=[spec.username for spec in area.PRACTITIONERS]).values_list(
            "username", flat=True
        )
    )
    if clashing:
        raise DemoAreaError(
            f"Accounts that are not demo accounts use the demo usernames {', '.join(clashing)}. "
            "Use a fresh database for the demo area."
        )
    # Referrals (with their events) and ping-pong owners hold on to children, services and
    # accounts, so they go first; notifications about them go with them.
    Notification.objects.filter(
        Q(recipient__in=Practitioner.objects.filter(demo_accounts_q()))
        | Q(kind__in=["referral", "pingpong"])
    ).delete()
    PingPongOwnership.objects.all().delete()
    Referral.objects.all().delete()
    # Consent records (issue 6) hold on to children and the accounts that recorded them.
    Consent.objects.all().delete()
    Assessment.objects.all().delete()
    Episode.objects.all().delete()
    # The large tables go with plain DELETEs: the ORM would first read every row's id.
    for model in (AccessRecord, Disclosure, Involvement, Child):
        _delete_all(model)
    # The audit chain sealed the rows just deleted: start it again (sealed after the load).
    reset_chain()
    Partnership.objects.all().delete()
    Practitioner.objects.filter(demo_accounts_q()).delete()
    Agency.objects.all().delete()


def _rng(seed: int, purpose: str) -> random.Random:
    """A generator of its own for each part of the area, so adding to one part leaves the
    others as they were. Synthetic data needs repeatability, not secrecy."""
    return random.Random(f"{seed}:{purpose}")  # noqa: S311


def _delete_all(model: type[Model]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608


def load_demo_area(
    *,
    seed: int = DEFAULT_SEED,
    children: int = DEFAULT_CHILDREN,
    flush: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    today: date | None = None,
    progress: Progress | None = None,
) -> LoadSummary:
    """Load the demo area for ``seed`` with ``children`` children, in one transaction."""
    if children < 0:
        raise DemoAreaError("The number of children cannot be negative.")
    started = time.perf_counter()
    today = today or timezone.localdate()
    summary = LoadSummary(seed=seed)
    names = Names.load()
    plan = area.plan_area(children, _rng(seed, "area"), names.street_roots)

    with fast_sqlite_writes(), transaction.atomic():
        if flush:
            flush_demo_data()
        elif found := existing_data():
            raise DemoAreaError(
                f"The database already holds {found}. Run again with --flush to replace them "
                "with a fresh demo area: that deletes every child, agency and partnership, "
                "and the demo accounts."
            )
        ensure_reference_data()
        agency_ids = _create_agencies(plan, _rng(seed, "agencies"))
        practitioner_ids = _create_practitioners(seed, agency_ids)
        _create_partnerships(agency_ids, practitioner_ids)
        _create_two_factor_devices(seed, practitioner_ids)
        services_directory.create_demo_services(
            rng=_rng(seed, "services"),
            agency_ids=agency_ids,
            practitioner_ids=practitioner_ids,
            districts=[locality.postcode_district for locality in plan.localities],
            today=today,
            stale_after_days=settings.DIRECTORY_STALE_AFTER_DAYS,
        )
        summary.agencies = len(agency_ids)
        summary.practitioners = len(practitioner_ids)
        summary.partnerships = len(area.PARTNERSHIPS)

        generator = PopulationGenerator(
            plan,
            agency_ids,
            practitioner_ids,
            _rng(seed, "children"),
            today,
            names,
            timestamp=connection.ops.adapt_datetimefield_value(timezone.now()),
            first_involvement_id=next_id(Involvement),
        )
        child_writer = RowWriter(Child, (*CHILD_COLUMNS, *SEARCH_KEY_FIELDS))
        involvement_writer = RowWriter(Involvement, INVOLVEMENT_COLUMNS)
        for child_rows, involvement_rows in generator.batches(
            children, batch_size, first_id=next_id(Child)
        ):
            child_writer.write(_with_search_keys(child_rows))
            involvement_writer.write(involvement_rows)
            summary.children += len(child_rows)
            summary.involvements += len(involvement_rows)
            if progress is not None:
                progress(len(child_rows), len(involvement_rows))
        reset_sequences(Child, Involvement)
        summary.episodes = demo_casework.create_demo_casework(
            rng=_rng(seed, "casework"), children=children, today=today
        )
        summary.referrals = demo_referrals.create_demo_referrals(
            rng=_rng(seed, "referrals"), children=children
        )

    lacking = generator.practitioners_without_current_involvements()
    if lacking:
        summary.warnings.append(
            "Too few children for every practitioner to have a current involvement: "
            + ", ".join(lacking)
        )
    if generator.nhs_numbers_ran_out:
        summary.warnings.append(
            "The 999 test range ran out of NHS numbers; later children have none."
        )
    summary.seconds = time.perf_counter() - started
    return summary


_GIVEN, _FAMILY, _POSTCODE = (CHILD_COLUMNS.index(name) for name in SEARCH_SOURCE_FIELDS)


def _with_search_keys(rows: list[Row]) -> list[Row]:
    """Each child row with its search keys appended (children.search_keys: the same
    function Child.save uses; names repeat, so the keys are mostly cache hits)."""
    return [row + search_key_row(row[_GIVEN], row[_FAMILY], row[_POSTCODE]) for row in rows]


# The fixed cast ------------------------------------------------------------------------


def _create_agencies(plan: area.AreaPlan, rng: random.Random) -> dict[str, int]:
    agencies = []
    for number, spec in enumerate(plan.agencies):
        locality = plan.localities[spec.locality]
        street = rng.choice(locality.streets)
        house = rng.randint(1, street.houses)
        slug = slugify(spec.name)
        agencies.append(
            Agency(
                name=spec.name,
                sector=spec.sector,
                kind=spec.kind,
                address_line_1=f"{house} {street.name}",
                address_line_2="" if locality.index == 0 else locality.name,
                town=locality.town,
                postcode=street.postcodes[(house - 1) * len(street.postcodes) // street.houses],
                # The drama range has 1,000 numbers: half for agencies, half for people.
                phone=f"{area.PHONE_PREFIX}{number:03d}" if number < 500 else "",
                email=f"office@{slug}.{area.EMAIL_DOMAIN}",
                website=f"https://{slug}.{area.EMAIL_DOMAIN}/" if number < 40 else "",
            )
        )
    created = Agency.objects.bulk_create(agencies, batch_size=1000)
    return {spec.key: agency.pk for spec, agency in zip(plan.agencies, created, strict=True)}


def _create_practitioners(seed: int, agency_ids: dict[str, int]) -> dict[str, int]:
    hashed = logins.password_hash(seed)
    people = []
    for number, spec in enumerate(area.PRACTITIONERS):
        administrator = spec.username == area.ADMINISTRATOR
        people.append(
            Practitioner(
                username=spec.username,
                password=hashed,
                first_name=spec.first_name,
                last_name=spec.last_name,
                email=f"{spec.username}@{area.EMAIL_DOMAIN}",
                home_agency_id=agency_ids[spec.agency] if spec.agency else None,
                job_title=spec.job_title,
                professional_background=spec.background,
                phone=f"{area.PHONE_PREFIX}{500 + number:03d}",
                is_staff=administrator,
                is_superuser=administrator,
                is_data_manager=spec.data_manager,
            )
        )
    created = Practitioner.objects.bulk_create(people)
    by_username = {person.username: person for person in created}
    for spec in area.PRACTITIONERS:
        person = by_username[spec.username]
        person.line_manager = by_username[spec.line_manager] if spec.line_manager else None
        person.professional_supervisor = by_username[spec.supervisor] if spec.supervisor else None
    Practitioner.objects.bulk_update(created, ["line_manager", "professional_supervisor"])
    return {person.username: person.pk for person in created}


def _create_partnerships(agency_ids: dict[str, int], practitioner_ids: dict[str, int]) -> None:
    for spec in area.PARTNERSHIPS:
        partnership = Partnership.objects.create(
            name=spec.name,
            description=spec.description,
            government_model=spec.government_model,
            activity_model=spec.activity_model,
            base_setting_id=agency_ids[spec.base],
            started_on=spec.started_on,
        )
        partnership.member_agencies.set([agency_ids[key] for key in spec.agencies])
        Membership.objects.bulk_create(
            Membership(
                partnership=partnership,
                practitioner_id=practitioner_ids[member.username],
                role=member.role,
                partnership_line_manager_id=(
                    practitioner_ids[member.partnership_line_manager]
                    if member.partnership_line_manager
                    else None
                ),
                started_on=member.started_on or spec.started_on,
                ended_on=member.ended_on,
            )
            for member in spec.members
        )


def _create_two_factor_devices(seed: int, practitioner_ids: dict[str, int]) -> None:
    """Everyone must use two-factor authentication, so every demo account comes with a
    confirmed demo authenticator (codes from ``manage.py demo_totp``, only with DEBUG on)."""
    TOTPDevice.objects.bulk_create(
        TOTPDevice(
            user_id=practitioner_ids[username],
            name=logins.DEMO_DEVICE_NAME,
            key=logins.totp_key(seed, username),
            confirmed=True,
        )
        for username in two_factor_usernames()
    )


def two_factor_usernames() -> list[str]:
    """Every demo account: two-factor authentication is required of every practitioner."""
    return [spec.username for spec in area.PRACTITIONERS]
