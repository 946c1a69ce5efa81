"""A partnership with a coordinator, a member and an outsider, and a way to sign in as
someone who has passed two-factor authentication (coordinators must)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from joinedup.partnerships.models import MembershipRole
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)
from tests.two_factor import sign_in_verified


@pytest.fixture
def sign_in(client) -> Callable[[Any], Any]:
    """Sign the test client in as a user whose session is OTP-verified, as django_otp.login
    leaves it after a correct code."""

    def _sign_in(user):
        sign_in_verified(client, user)
        return client

    return _sign_in


@dataclass
class Team:
    partnership: Any
    school: Any
    coordinator: Any
    coordinator_membership: Any
    member: Any
    member_membership: Any
    outsider: Any


@pytest.fixture
def team(db) -> Team:
    school = AgencyFactory(name="Brook Lane Primary School")
    partnership = PartnershipFactory(name="Brook Lane Team Around the Child", base_setting=school)
    partnership.member_agencies.add(school)
    coordinator = PractitionerFactory(
        username="coordinator", first_name="Cara", last_name="Cole", home_agency=school
    )
    member = PractitionerFactory(
        username="member", first_name="Mo", last_name="Mills", home_agency=school
    )
    outsider = PractitionerFactory(username="outsider", first_name="Oz", last_name="Owen")
    coordinator_membership = MembershipFactory(
        partnership=partnership, practitioner=coordinator, role=MembershipRole.COORDINATOR
    )
    member_membership = MembershipFactory(partnership=partnership, practitioner=member)
    return Team(
        partnership=partnership,
        school=school,
        coordinator=coordinator,
        coordinator_membership=coordinator_membership,
        member=member,
        member_membership=member_membership,
        outsider=outsider,
    )
