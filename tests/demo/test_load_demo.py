"""The demo area: a small, repeatable, valid local area with working demo logins."""

from __future__ import annotations

import datetime
import random
from io import StringIO

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from joinedup.accounts.models import Practitioner, ProfessionalBackground
from joinedup.children import identifiers
from joinedup.children.models import Child, Involvement
from joinedup.demo import area, logins
from joinedup.demo.load import load_demo_area
from joinedup.partnerships.models import (
    ActivityModel,
    Agency,
    AgencyKind,
    GovernmentModel,
    Membership,
    MembershipRole,
    Partnership,
    Sector,
)
from joinedup.sharing import policy
from tests.factories import AgencyFactory, PractitionerFactory

pytestmark = pytest.mark.django_db

SMALL = 200


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # The demo hashes its one password once per load; MD5 keeps these tests quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def load(**options) -> str:
    out = StringIO()
    call_command("load_demo", children=SMALL, verbosity=0, stdout=out, **options)
    return out.getvalue()


def snapshot() -> list[tuple]:
    """The area's children and involvements, without database ids."""
    children = list(
        Child.objects.order_by("id").values_list(
            "given_name", "other_names", "family_name", "date_of_birth", "sex", "postcode",
            "nhs_number", "upn",
        )
    )  # fmt: skip
    involvements = list(
        Involvement.objects.order_by("id").values_list(
            "child__nhs_number", "agency__name", "practitioner__username", "role", "started_on",
            "ended_on",
        )
    )  # fmt: skip
    return children + involvements


def test_the_area_has_every_sector_and_kind_of_agency_the_demo_needs():
    output = load()

    assert "Loaded the Ashworth demo area" in output
    sectors = set(Agency.objects.values_list("sector", flat=True))
    assert {
        Sector.EDUCATION,
        Sector.HEALTH,
        Sector.SOCIAL_CARE,
        Sector.POLICE,
        Sector.YOUTH_JUSTICE,
        Sector.HOUSING,
        Sector.VOLUNTARY,
    } <= sectors
    kinds = set(Agency.objects.values_list("kind", flat=True))
    assert {
        AgencyKind.SCHOOL,
        AgencyKind.EXTENDED_SCHOOL,
        AgencyKind.CHILDRENS_CENTRE,
        AgencyKind.GP_PRACTICE,
        AgencyKind.HEALTH_VISITING,
        AgencyKind.SCHOOL_NURSING,
        AgencyKind.CAMHS,
        AgencyKind.SOCIAL_CARE_TEAM,
        AgencyKind.POLICE_TEAM,
        AgencyKind.YOUTH_OFFENDING_TEAM,
        AgencyKind.HOUSING_SERVICE,
    } <= kinds
    schools = Agency.objects.filter(kind__in=[AgencyKind.SCHOOL, AgencyKind.EXTENDED_SCHOOL])
    assert schools.count() == 10
    assert Agency.objects.filter(sector=Sector.VOLUNTARY).count() >= 5
    assert 55 <= Practitioner.objects.count() <= 65
    assert Child.objects.count() == SMALL


def test_partnerships_cover_every_model_and_each_has_a_coordinator():
    load()

    partnerships = Partnership.objects.all()
    assert {p.government_model for p in partnerships} == set(GovernmentModel.values)
    assert {p.activity_model for p in partnerships} == set(ActivityModel.values)
    for partnership in partnerships:
        assert partnership.base_setting is not None
        assert partnership.member_agencies.count() >= 3
        assert (
            Membership.objects.current()
            .filter(partnership=partnership, role=MembershipRole.COORDINATOR)
            .exists()
        ), partnership.name
    assert Membership.objects.filter(partnership_line_manager__isnull=False).exists()
    assert Membership.objects.filter(ended_on__isnull=False).exists()


def test_practitioners_have_line_managers_and_nurses_and_psychologists_have_supervisors():
    load()

    assert Practitioner.objects.filter(line_manager__isnull=False).count() >= 20
    for background in (ProfessionalBackground.NURSING, ProfessionalBackground.PSYCHOLOGY):
        supervised = Practitioner.objects.filter(
            professional_background=background, professional_supervisor__isnull=False
        )
        assert supervised.exists(), background
    assert not Practitioner.objects.filter(home_agency__isnull=True, is_superuser=False).exists()


def test_identifiers_addresses_and_ages_are_valid():
    load()
    today = timezone.localdate()

    children = list(Child.objects.all())
    with_nhs_number = [child for child in children if child.nhs_number]
    assert len(with_nhs_number) > SMALL * 0.8
    for child in with_nhs_number:
        assert identifiers.is_valid_nhs_number(child.nhs_number), child.nhs_number
        assert identifiers.is_test_nhs_number(child.nhs_number), child.nhs_number
    assert len({child.nhs_number for child in with_nhs_number}) == len(with_nhs_number)
    for child in children:
        identifiers.validate_postcode(child.postcode)
        assert 0 <= child.age_on(today) <= 17
        if child.upn:
            assert identifiers.is_valid_upn(child.upn), child.upn
    school_age = [child for child in children if 5 <= child.age_on(today) <= 15]
    assert all(child.upn for child in school_age)
    assert len({child.upn for child in children if child.upn}) == len(
        [c for c in children if c.upn]
    )
    for agency in Agency.objects.all():
        identifiers.validate_postcode(agency.postcode)


def test_each_child_has_one_to_four_involvements_some_ended_in_the_past():
    load()
    today = timezone.localdate()

    counts = Child.objects.annotate(n=Count("involvements")).values_list("n", flat=True)
    assert set(counts) <= {1, 2, 3, 4}
    assert not Involvement.objects.filter(started_on__gt=today).exists()
    assert not Involvement.objects.filter(ended_on__gte=today).exists()
    ended = Involvement.objects.filter(ended_on__isnull=False).count()
    assert 0.05 < ended / Involvement.objects.count() < 0.4
    assert Involvement.objects.filter(practitioner__isnull=True).exists()
    gp_rows = Involvement.objects.filter(agency__kind=AgencyKind.GP_PRACTICE)
    assert gp_rows.filter(practitioner__isnull=True).count() > SMALL * 0.5


@pytest.mark.parametrize(
    "today",
    [datetime.date(2026, 1, 5), datetime.date(2026, 7, 1), datetime.date(2026, 9, 14)],
)
def test_every_practitioner_has_current_involvements_even_in_a_small_area(today):
    summary = load_demo_area(seed=11, children=SMALL, today=today)

    assert summary.warnings == []
    current = Q(involvements__started_on__lte=today) & Q(involvements__ended_on__isnull=True)
    # Administrators and data managers hold no caseload.
    without = Practitioner.objects.filter(is_superuser=False, is_data_manager=False).annotate(
        current=Count("involvements", filter=current)
    )
    assert [p.username for p in without if p.current == 0] == []


def test_the_same_seed_gives_the_same_area_and_another_seed_a_different_one():
    load(seed=7)
    first = snapshot()

    load(seed=7, flush=True)
    assert snapshot() == first

    load(seed=8, flush=True)
    assert snapshot() != first


def test_demo_logins_exist_with_their_roles_and_the_shared_password():
    output = load()

    admin = Practitioner.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.home_agency is None
    coordinator = Practitioner.objects.get(username="coordinator")
    assert policy.coordinated_partnerships_filter(coordinator)
    assert Partnership.objects.filter(policy.coordinated_partnerships_filter(coordinator)).exists()
    practitioner = Practitioner.objects.get(username="practitioner")
    assert practitioner.home_agency.kind == AgencyKind.SCHOOL_NURSING
    assert Membership.objects.current().filter(practitioner=practitioner).count() >= 2
    assert practitioner.involvements.current().count() >= 3

    for user in (admin, coordinator, practitioner):
        assert user.check_password(logins.DEMO_PASSWORD)
        validate_password(logins.DEMO_PASSWORD, user)
    assert logins.DEMO_PASSWORD in output
    assert "manage.py demo_totp coordinator" in output
    assert "manage.py demo_totp admin" in output
    assert "manage.py demo_totp practitioner" in output


def test_every_demo_account_must_use_two_factor_and_has_a_confirmed_demo_device():
    load(seed=5)

    everyone = list(Practitioner.objects.all())
    assert {user.username for user in everyone} >= {"admin", "coordinator", "practitioner"}
    for user in everyone:
        assert policy.requires_two_factor(user)
        device = TOTPDevice.objects.get(user=user)
        assert device.confirmed
        assert device.name == logins.DEMO_DEVICE_NAME
        assert device.key == logins.totp_key(5, user.username)


@pytest.mark.parametrize("username", ["coordinator", "practitioner", "grace.adeyemi"])
def test_demo_totp_prints_a_code_the_device_accepts(settings, username):
    settings.DEBUG = True
    load()
    out = StringIO()

    call_command("demo_totp", username, stdout=out, stderr=StringIO())

    code = out.getvalue().strip()
    assert len(code) == 6 and code.isdigit()
    device = TOTPDevice.objects.get(user__username=username)
    assert device.verify_token(code)


def test_demo_totp_refuses_when_debug_is_off(settings):
    load()
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("demo_totp", "coordinator", stdout=StringIO())


def test_demo_totp_refuses_accounts_that_are_not_demo_accounts(settings):
    settings.DEBUG = True
    real = PractitionerFactory(username="real.person")
    TOTPDevice.objects.create(user=real, name=logins.DEMO_DEVICE_NAME, confirmed=True)

    with pytest.raises(CommandError, match="not a demo account"):
        call_command("demo_totp", "real.person", stdout=StringIO())


def _code_page(client, username: str) -> str:
    client.post(
        reverse("accounts:sign-in"), {"username": username, "password": logins.DEMO_PASSWORD}
    )
    response = client.get(reverse("accounts:verify-two-factor"))
    assert response.status_code == 200
    return response.content.decode()


def test_in_development_the_code_page_shows_a_demo_accounts_code(client, settings):
    settings.DEBUG = True
    load()
    page = _code_page(client, "practitioner")
    assert 'id="demo-code"' in page
    device = TOTPDevice.objects.get(user__username="practitioner")
    code = page.split('id="demo-code"')[1].split("<strong>")[2].split("</strong>")[0]
    assert device.verify_token(code)


def test_a_live_service_never_shows_a_code(client, settings):
    load()
    settings.DEBUG = False
    assert 'id="demo-code"' not in _code_page(client, "practitioner")


def test_a_real_account_never_gets_a_code_even_in_development(client, settings):
    settings.DEBUG = True
    real = PractitionerFactory(username="real.person")
    real.set_password("a long passphrase for real")
    real.save()
    TOTPDevice.objects.create(user=real, name=logins.DEMO_DEVICE_NAME, confirmed=True)
    client.post(
        reverse("accounts:sign-in"),
        {"username": "real.person", "password": "a long passphrase for real"},
    )
    response = client.get(reverse("accounts:verify-two-factor"))
    assert response.status_code == 200
    assert 'id="demo-code"' not in response.content.decode()


def test_loading_again_without_flush_refuses_and_changes_nothing():
    load(seed=3)
    before = snapshot()
    counts = (Agency.objects.count(), Practitioner.objects.count(), Partnership.objects.count())

    with pytest.raises(CommandError, match="--flush"):
        load(seed=4)

    assert snapshot() == before
    assert counts == (
        Agency.objects.count(),
        Practitioner.objects.count(),
        Partnership.objects.count(),
    )


def test_if_empty_keeps_a_loaded_area_and_prints_the_logins_again():
    load(seed=3)
    before = snapshot()
    out = StringIO()

    call_command(
        "load_demo", "--seed", "4", "--children", "50", "--if-empty", stdout=out, verbosity=0
    )

    assert snapshot() == before
    assert "already holds" in out.getvalue()
    assert logins.DEMO_PASSWORD in out.getvalue()


def test_if_empty_loads_an_empty_database():
    out = StringIO()
    call_command("load_demo", "--children", "50", "--if-empty", stdout=out, verbosity=0)
    assert Child.objects.count() == 50
    assert logins.DEMO_PASSWORD in out.getvalue()


def test_flush_keeps_other_accounts_but_refuses_if_one_belongs_to_an_agency():
    load()
    someone = PractitionerFactory(username="someone.else", home_agency=None)

    load(flush=True)
    assert Practitioner.objects.filter(pk=someone.pk).exists()

    PractitionerFactory(username="in.an.agency", home_agency=AgencyFactory(name="Elsewhere"))
    with pytest.raises(CommandError, match=r"in\.an\.agency"):
        load(flush=True)


def test_area_plan_grows_schools_and_practices_with_the_number_of_children():
    roots = ["Mill", "Church", "Station"]
    small = area.plan_area(3000, random.Random(1), roots)  # noqa: S311
    large = area.plan_area(1_000_000, random.Random(1), roots)  # noqa: S311

    def count(plan, kind):
        return sum(1 for agency in plan.agencies if agency.kind == kind)

    assert count(small, AgencyKind.GP_PRACTICE) == 5
    assert count(large, AgencyKind.GP_PRACTICE) == 400
    assert count(large, AgencyKind.SCHOOL) > 1000
    assert len({agency.name for agency in large.agencies}) == len(large.agencies)


def test_with_feeds_imports_four_agencies_and_links_their_records_to_the_children():
    from joinedup.children.models import Feed, FeedStatus, SourceRecord

    out = StringIO()
    call_command("load_demo", "--children", "600", "--with-feeds", stdout=out, verbosity=0)

    feeds = Feed.objects.all()
    assert feeds.count() == 4
    assert all(feed.status == FeedStatus.DONE for feed in feeds)
    assert SourceRecord.objects.exists()
    # The feeds describe demo children, so nearly every record finds its child.
    linked = SourceRecord.objects.filter(child__isnull=False).count()
    assert linked >= 0.9 * SourceRecord.objects.count()
    assert Child.objects.count() <= 600 + SourceRecord.objects.count() * 0.1
    assert "Imported 4 agency feeds" in out.getvalue()


def test_a_larger_demo_area_has_early_help_episodes_at_each_stage():
    from joinedup.casework.models import Assessment, Episode, OutcomeRatingRound

    call_command("load_demo", "--children", "1500", "--seed", "3", verbosity=0)

    episodes = Episode.objects.all()
    assert episodes.count() >= 5
    assert episodes.filter(status="closed", closure_reason="outcomes_achieved").exists()
    assert episodes.filter(status="open", lead_professional__isnull=False).exists()
    assert Assessment.objects.filter(status="draft").exists()
    assert OutcomeRatingRound.objects.filter(occasion="closure").exists()
    # Nobody's team includes the demo's own "practitioner" login, so its journeys start clean.
    assert not episodes.filter(team__practitioner__username="practitioner").exists()

    call_command("load_demo", "--children", "1500", "--seed", "3", "--flush", verbosity=0)
    assert Episode.objects.count() == episodes.count()
