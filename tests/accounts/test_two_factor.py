"""Two-factor authentication with TOTP authenticator apps (django-otp)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.accounts.conftest import totp_code
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

SET_UP = reverse("accounts:set-up-two-factor")
VERIFY = reverse("accounts:verify-two-factor")


def _reset_throttle(device: TOTPDevice) -> None:
    """Forget earlier wrong codes, as if the wait had passed."""
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_count=0, throttling_failure_timestamp=None
    )


def test_an_ordinary_practitioner_must_set_up_two_factor_before_anything_else(
    client, practitioner, sign_in
):
    assert sign_in("nurse").headers["Location"] == SET_UP
    for url in (reverse("home"), reverse("accounts:security"), "/children/", "/partnerships/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"] == SET_UP
    page = client.get(SET_UP).content.decode()
    assert "Everyone who uses Joined Up must use two-factor authentication" in page
    # There is no way back to an account without it.
    assert "Cancel and go back to your account" not in page


def test_set_up_journey_with_a_real_code(client, practitioner, sign_in):
    sign_in("nurse")
    page = client.get(SET_UP)
    assert page.status_code == 200
    content = page.content.decode()
    device = TOTPDevice.objects.get(user=practitioner)
    assert not device.confirmed

    # A QR code as inline SVG, and the secret in groups of four for typing in.
    assert re.search(r'<svg[^>]*class="app-qr-code"[^>]*role="img"', content)
    assert "data:" not in content
    secret = page.context["secret"]
    assert re.fullmatch(r"([A-Z2-7]{4} )*[A-Z2-7]{1,4}", secret)
    assert secret in content

    # Reloading the page keeps the same secret.
    assert client.get(SET_UP).context["secret"] == secret
    assert TOTPDevice.objects.filter(user=practitioner).count() == 1

    wrong = client.post(SET_UP, {"code": "000000" if totp_code(device) != "000000" else "111111"})
    assert wrong.status_code == 200
    assert "The code is not correct" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    _reset_throttle(device)
    response = client.post(SET_UP, {"code": totp_code(device)})
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("home")
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id

    page = client.get(reverse("accounts:security")).content.decode()
    assert 'govuk-tag--green">On' in page


def test_codes_may_be_typed_with_spaces(client, practitioner, sign_in):
    sign_in("nurse")
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=practitioner)
    code = totp_code(device)
    response = client.post(SET_UP, {"code": f"{code[:3]} {code[3:]}"})
    assert response.status_code == 302


def test_a_code_that_is_not_six_numbers_is_refused_plainly(client, practitioner, sign_in):
    sign_in("nurse")
    response = client.post(SET_UP, {"code": "12ab"})
    assert "The code must be 6 numbers" in response.content.decode()
    response = client.post(SET_UP, {"code": ""})
    assert "Enter the 6-digit code from your authenticator app" in response.content.decode()


def test_verification_is_required_when_a_device_exists(client, practitioner, sign_in):
    device = TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    sign_in("nurse")

    # Every page sends an unverified session to verify, remembering where it was going.
    response = client.get("/partnerships/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{VERIFY}?next=%2Fpartnerships%2F"
    assert client.get(reverse("accounts:security")).status_code == 302

    page = client.get(VERIFY, {"next": "/partnerships/"})
    assert page.status_code == 200
    assert 'autocomplete="one-time-code"' in page.content.decode()

    response = client.post(VERIFY, {"code": totp_code(device), "next": "/partnerships/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/partnerships/"
    assert client.get(reverse("home")).status_code == 200


def test_wrong_codes_are_throttled(client, practitioner, sign_in):
    device = TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    sign_in("nurse")
    right = totp_code(device)
    wrong = "000000" if right != "000000" else "111111"
    first = client.post(VERIFY, {"code": wrong})
    assert "The code is not correct" in first.content.decode()
    # Straight away, even the right code is not checked.
    second = client.post(VERIFY, {"code": right})
    assert second.status_code == 200
    assert "You have entered too many wrong codes" in second.content.decode()
    assert client.get(reverse("home")).status_code == 302

    _reset_throttle(device)
    assert client.post(VERIFY, {"code": right}).status_code == 302


def test_a_code_cannot_be_used_twice(client, practitioner, sign_in):
    device = TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    code = totp_code(device)
    sign_in("nurse")
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post(reverse("accounts:sign-out"))
    sign_in("nurse")
    assert client.post(VERIFY, {"code": code}).status_code == 200


def test_an_unverified_session_cannot_set_up_a_second_authenticator(client, practitioner, sign_in):
    TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    sign_in("nurse")
    response = client.get(SET_UP)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.filter(user=practitioner).count() == 1


@pytest.mark.parametrize("role", ["practitioner", "coordinator", "administrator"])
def test_everyone_must_set_up_two_factor(client, request, role):
    person = request.getfixturevalue(role)
    client.force_login(person)
    for url in (reverse("home"), reverse("accounts:security"), "/partnerships/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"] == SET_UP
    # They can still set it up, or sign out.
    assert client.get(SET_UP).status_code == 200
    assert client.post(reverse("accounts:sign-out")).status_code == 302


def test_a_coordinator_is_sent_on_after_setting_up(client, coordinator, sign_in):
    sign_in("coordinator", next="/partnerships/")
    client.get(SET_UP)
    device = TOTPDevice.objects.get(user=coordinator)
    response = client.post(SET_UP, {"code": totp_code(device), "next": "/partnerships/"})
    assert response.headers["Location"] == "/partnerships/"
    assert client.get(reverse("home")).status_code == 200


@pytest.mark.parametrize("role", ["practitioner", "coordinator", "administrator"])
def test_nobody_can_turn_two_factor_off(client, request, role):
    person = request.getfixturevalue(role)
    sign_in_verified(client, person)
    page = client.get(reverse("accounts:security")).content.decode()
    assert 'govuk-tag--green">On' in page
    assert "Turn off two-factor authentication" not in page
    assert client.get(reverse("accounts:turn-off-two-factor")).status_code == 405
    assert client.post(reverse("accounts:turn-off-two-factor")).status_code == 403
    assert TOTPDevice.objects.filter(user=person).exists()


def test_setting_up_again_when_already_on_goes_to_your_account(client, practitioner):
    sign_in_verified(client, practitioner)
    response = client.get(SET_UP)
    assert response.headers["Location"] == reverse("accounts:security")


def test_verify_page_for_someone_without_a_device_sends_them_to_set_up(client, practitioner):
    client.force_login(practitioner)
    response = client.get(VERIFY, {"next": "/children/"})
    assert response.headers["Location"] == f"{SET_UP}?next=%2Fchildren%2F"


def test_an_administrator_can_reset_someone_elses_two_factor(
    client, admin_client, practitioner, administrator
):
    sign_in_verified(client, practitioner)
    url = reverse("accounts:manage-reset-two-factor", kwargs={"practitioner_id": practitioner.pk})
    assert admin_client.post(url).status_code == 302
    assert not TOTPDevice.objects.filter(user=practitioner).exists()
    # Their session is no longer verified by a device that has gone: they must set up a
    # new authenticator before going on.
    assert client.get(reverse("home")).headers["Location"] == SET_UP

    own = reverse("accounts:manage-reset-two-factor", kwargs={"practitioner_id": administrator.pk})
    response = admin_client.post(own, follow=True)
    assert "You cannot reset your own two-factor authentication" in response.content.decode()
    assert TOTPDevice.objects.filter(user=administrator).exists()


def test_resetting_a_coordinators_two_factor_sends_them_to_set_up(
    client, admin_client, coordinator
):
    sign_in_verified(client, coordinator)
    admin_client.post(
        reverse("accounts:manage-reset-two-factor", kwargs={"practitioner_id": coordinator.pk})
    )
    assert client.get(reverse("home")).headers["Location"] == SET_UP


def test_htmx_requests_are_redirected_with_hx_redirect(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("home"), headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == SET_UP


def test_the_last_used_time_is_recorded(client, practitioner, sign_in):
    device = TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    sign_in("nurse")
    client.post(VERIFY, {"code": totp_code(device)})
    device.refresh_from_db()
    assert device.last_used_at is not None
    assert device.last_used_at <= timezone.now()


def test_an_empty_code_is_asked_for_plainly(client, practitioner, sign_in):
    TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    sign_in("nurse")
    response = client.post(VERIFY, {})
    assert response.status_code == 200
    assert (
        '<a href="#id_code">Enter the 6-digit code from your authenticator app</a>'
        in response.content.decode()
    )
