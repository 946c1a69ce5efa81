"""Fixtures for the accounts tests: people in each role, signed-in clients and codes from
an authenticator app."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from joinedup.partnerships.models import MembershipRole
from tests.factories import AdministratorFactory, MembershipFactory, PractitionerFactory
from tests.two_factor import sign_in_verified


def totp_code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    """The code an authenticator app would show now (or a step or so later, which the
    device's tolerance accepts: a code cannot be used twice in one time step)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


@pytest.fixture
def practitioner(db):
    return PractitionerFactory(username="nurse", first_name="Nia", last_name="Roberts")


@pytest.fixture
def coordinator(db):
    membership = MembershipFactory(
        practitioner=PractitionerFactory(username="coordinator"), role=MembershipRole.COORDINATOR
    )
    return membership.practitioner


@pytest.fixture
def administrator(db):
    return AdministratorFactory(username="admin", first_name="Ada", last_name="Okafor")


@pytest.fixture
def admin_client(administrator) -> Client:
    """A client signed in as a system administrator who has passed two-factor."""
    client = Client()
    sign_in_verified(client, administrator)
    return client


@pytest.fixture
def sign_in(client, password) -> Callable[..., object]:
    """Sign in through the real sign-in page (so django-axes sees it)."""

    def _sign_in(username: str, secret: str | None = None, **extra: str):
        data = {"username": username, "password": secret if secret is not None else password}
        data.update(extra)
        return client.post(reverse("accounts:sign-in"), data)

    return _sign_in
