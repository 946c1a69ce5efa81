"""The data the browser tests run against: the demo area from `manage.py load_demo`, small.

Until load_demo exists this builds an equivalent small area with the factories, with the
same three logins: `practitioner`, `coordinator` and `admin`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.core.management import call_command, get_commands
from django.utils import timezone

from joinedup.accounts.models import Practitioner
from joinedup.children.models import Child, Involvement
from joinedup.partnerships.models import Agency, Membership, MembershipRole, Partnership

DEMO_SEED = "7"
DEMO_CHILDREN = "60"


@dataclass
class DemoArea:
    password: str

    def user(self, username: str) -> Practitioner:
        return Practitioner.objects.get(username=username)

    def child_involved_with(self, username: str) -> Child:
        involvement = (
            Involvement.objects.current()
            .filter(practitioner__username=username)
            .select_related("child")
            .order_by("child__family_name", "child__given_name")
            .first()
        )
        assert involvement is not None, f"{username} has no current involvement in the demo area"
        return involvement.child

    def child_not_involved_with(self, username: str) -> Child:
        involved = (
            Involvement.objects.current().filter(practitioner__username=username).values("child_id")
        )
        child = Child.objects.exclude(pk__in=involved).order_by("pk").first()
        assert child is not None
        return child

    def partnership_of(self, username: str) -> Partnership:
        membership = Membership.objects.current().filter(practitioner__username=username).first()
        assert membership is not None, f"{username} is in no partnership in the demo area"
        return membership.partnership

    def partnership_coordinated_by(self, username: str) -> Partnership:
        membership = (
            Membership.objects.current()
            .filter(practitioner__username=username, role=MembershipRole.COORDINATOR)
            .first()
        )
        assert membership is not None, f"{username} coordinates no partnership in the demo area"
        return membership.partnership

    def agency(self) -> Agency:
        agency = Agency.objects.order_by("name").first()
        assert agency is not None
        return agency


def load_demo_area() -> DemoArea:
    if "load_demo" in get_commands():
        from joinedup.demo import DEMO_PASSWORD  # type: ignore[attr-defined]

        call_command("load_demo", "--seed", DEMO_SEED, "--children", DEMO_CHILDREN, verbosity=0)
        return DemoArea(password=DEMO_PASSWORD)
    return _build_with_factories()


def _build_with_factories() -> DemoArea:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from joinedup.accounts.models import ProfessionalBackground
    from joinedup.partnerships.models import AgencyKind, Sector
    from tests.factories import (
        TEST_PASSWORD,
        AdministratorFactory,
        AgencyFactory,
        ChildFactory,
        InvolvementFactory,
        MembershipFactory,
        PartnershipFactory,
        PractitionerFactory,
    )

    today = timezone.localdate()
    school = AgencyFactory(name="Brook Lane Primary School")
    health = AgencyFactory(
        name="Exampleton School Nursing Service",
        sector=Sector.HEALTH,
        kind=AgencyKind.SCHOOL_NURSING,
    )
    social = AgencyFactory(
        name="Exampleton Children's Social Care",
        sector=Sector.SOCIAL_CARE,
        kind=AgencyKind.SOCIAL_CARE_TEAM,
    )
    partnership = PartnershipFactory(
        name="Brook Lane Team Around the Child",
        base_setting=school,
        started_on=datetime.date(2024, 9, 1),
    )
    partnership.member_agencies.add(school, health, social)

    practitioner = PractitionerFactory(
        username="practitioner",
        first_name="Priya",
        last_name="Shah",
        home_agency=school,
        job_title="Class teacher",
        professional_background=ProfessionalBackground.TEACHING,
    )
    coordinator = PractitionerFactory(
        username="coordinator",
        first_name="Chris",
        last_name="Morgan",
        home_agency=social,
        job_title="Family support coordinator",
        professional_background=ProfessionalBackground.FAMILY_SUPPORT,
    )
    admin = AdministratorFactory(username="admin", first_name="Alex", last_name="Taylor")
    MembershipFactory(partnership=partnership, practitioner=practitioner)
    MembershipFactory(
        partnership=partnership, practitioner=coordinator, role=MembershipRole.COORDINATOR
    )
    nurse = PractitionerFactory(username="nurse", home_agency=health)
    MembershipFactory(partnership=partnership, practitioner=nurse)
    for user in (coordinator, admin):
        TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)

    for n in range(12):
        child = ChildFactory()
        if n < 5:
            InvolvementFactory(child=child, practitioner=practitioner, role="Class teacher")
        if n % 2 == 0:
            InvolvementFactory(child=child, practitioner=nurse, role="School nurse")
        if n == 1:
            InvolvementFactory(
                child=child,
                practitioner=coordinator,
                role="Family support worker",
                started_on=today - datetime.timedelta(days=300),
                ended_on=today - datetime.timedelta(days=20),
            )
    return DemoArea(password=TEST_PASSWORD)
