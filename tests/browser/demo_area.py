"""The data the browser tests run against: the demo area from `manage.py load_demo`, small,
with its logins such as `practitioner`, `coordinator` and `admin` (one shared password; every
demo account has a confirmed TOTP device, as everyone must use two-factor authentication)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.management import call_command

from joinedup.accounts.models import Practitioner
from joinedup.children.models import Child, Involvement
from joinedup.demo.logins import DEMO_PASSWORD
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
    call_command("load_demo", "--seed", DEMO_SEED, "--children", DEMO_CHILDREN, verbosity=0)
    return DemoArea(password=DEMO_PASSWORD)
