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

from joinedup.accounts.models import Practitioner
from joinedup.partnerships.models import MembershipRole
from tests.factories import AdministratorFactory, MembershipFactory, PractitionerFactory
from tests.two_factor import sign_in_verified


def unused_totp_code(device: TOTPDevice) -> str:
    """A code the device will accept now: the current one, or the next step's when the
    current one has been used (django-otp refuses a code twice)."""
    device.refresh_from_db()
    now = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    steps_ahead = max(0, device.last_t + 1 - now)
    assert steps_ahead <= device.tolerance, "signed in too often in one time step"
    return totp_code(device, steps_ahead=steps_ahead)


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


@pytest.fixture
def sign_in_with_code(client, sign_in) -> Callable[..., object]:
    """Sign in through the real pages as everyone must: the password, then a code from the
    person's authenticator (a confirmed one is made for them if they have none). Returns the
    verify page's response."""

    def _sign_in(username: str, **extra: str):
        device = TOTPDevice.objects.filter(user__username=username, confirmed=True).first()
        if device is None:
            user = Practitioner.objects.get(username=username)
            device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
        response = sign_in(username, **extra)
        assert response.status_code == 302, "the password was refused"
        assert response.headers["Location"].startswith(reverse("accounts:verify-two-factor"))
        return client.post(
            reverse("accounts:verify-two-factor"),
            {"code": unused_totp_code(device), "next": extra.get("next", "")},
        )

    return _sign_in
