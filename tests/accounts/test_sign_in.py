"""Signing in and out, and django-axes' throttling and lockout."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from joinedup.accounts.forms import WRONG_CREDENTIALS
from joinedup.accounts.middleware import SESSION_STARTED_KEY
from tests.accounts.conftest import totp_code
from tests.factories import PractitionerFactory

pytestmark = pytest.mark.django_db

LIMIT = settings.AXES_FAILURE_LIMIT
SET_UP = reverse("accounts:set-up-two-factor")
VERIFY = reverse("accounts:verify-two-factor")


def test_sign_in_page_uses_gov_uk_form_markup(client):
    response = client.get(reverse("accounts:sign-in"))
    assert response.status_code == 200
    content = response.content.decode()
    assert content.count("<h1") == 1
    assert '<label class="govuk-label" for="id_username">Username</label>' in content
    assert '<label class="govuk-label" for="id_password">Password</label>' in content
    assert 'autocomplete="current-password"' in content


def test_signing_in_asks_for_a_code_then_goes_home_and_records_the_time(
    client, practitioner, sign_in
):
    device = TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    response = sign_in("nurse")
    assert response.status_code == 302
    assert response.headers["Location"] == VERIFY
    practitioner.refresh_from_db()
    assert practitioner.signed_in_at is not None
    assert client.session["_auth_user_id"] == str(practitioner.pk)
    assert SESSION_STARTED_KEY in client.session
    # A password alone opens nothing.
    assert client.get(reverse("home")).headers["Location"] == f"{VERIFY}?next=%2F"

    response = client.post(VERIFY, {"code": totp_code(device)})
    assert response.headers["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_an_ordinary_practitioner_without_an_authenticator_must_set_one_up(
    client, practitioner, sign_in
):
    response = sign_in("nurse", next="/children/")
    assert response.headers["Location"] == f"{SET_UP}?next=%2Fchildren%2F"
    for url in (reverse("home"), "/children/", reverse("accounts:security")):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"] == SET_UP


def test_signing_in_honours_a_safe_next(client, practitioner, sign_in):
    device = TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    response = sign_in("nurse", next="/partnerships/")
    assert response.headers["Location"] == f"{VERIFY}?next=%2Fpartnerships%2F"
    response = client.post(VERIFY, {"code": totp_code(device), "next": "/partnerships/"})
    assert response.headers["Location"] == "/partnerships/"


@pytest.mark.parametrize(
    "unsafe", ["https://evil.example/", "//evil.example/path", "javascript:alert(1)"]
)
def test_signing_in_ignores_a_next_that_leaves_the_site(practitioner, sign_in, unsafe):
    TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    response = sign_in("nurse", next=unsafe)
    assert response.headers["Location"] == VERIFY


def test_anonymous_visitors_are_sent_to_sign_in_with_next(client):
    response = client.get("/partnerships/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{reverse('accounts:sign-in')}?next=/partnerships/"


def test_wrong_password_shows_an_error_summary(client, practitioner, sign_in):
    response = sign_in("nurse", "not-the-right-password")
    assert response.status_code == 200
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert WRONG_CREDENTIALS in content
    assert "<title>Sign in (error)" in content
    assert "_auth_user_id" not in client.session


def test_the_error_does_not_reveal_whether_the_username_exists(practitioner, sign_in):
    PractitionerFactory(username="gone", is_active=False)
    wrong_password = sign_in("nurse", "not-the-right-password")
    unknown_user = sign_in("nobody-by-this-name", "not-the-right-password")
    deactivated = sign_in("gone")
    for response in (wrong_password, unknown_user, deactivated):
        assert response.status_code == 200
        assert response.context["form"].non_field_errors() == [WRONG_CREDENTIALS]


def test_empty_fields_are_named_in_the_error_summary(sign_in):
    response = sign_in("", "")
    content = response.content.decode()
    assert '<a href="#id_username">Enter your username</a>' in content
    assert '<a href="#id_password">Enter your password</a>' in content


def test_failed_sign_ins_are_counted_by_axes(practitioner, sign_in):
    sign_in("nurse", "wrong-1")
    sign_in("nurse", "wrong-2")
    attempt = AccessAttempt.objects.get(username="nurse")
    assert attempt.failures_since_start == 2


def test_an_account_is_locked_after_the_failure_limit(client, practitioner, sign_in):
    for attempt in range(LIMIT - 1):
        assert sign_in("nurse", f"wrong-{attempt}").status_code == 200
    response = sign_in("nurse", "wrong-last")
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [template.name for template in response.templates]
    content = response.content.decode()
    assert "You cannot sign in at the moment" in content
    assert "You can try again after" in content
    assert "Contact your system administrator" in content

    # Even the right password is refused while the lock lasts.
    response = sign_in("nurse")
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_locked_page_looks_the_same_for_a_username_that_does_not_exist(sign_in):
    for attempt in range(LIMIT):
        response = sign_in("no-such-person", f"wrong-{attempt}")
    assert response.status_code == 429
    assert "You cannot sign in at the moment" in response.content.decode()


def test_lockout_follows_the_account_across_addresses(client, practitioner, sign_in):
    for attempt in range(LIMIT):
        client.post(
            reverse("accounts:sign-in"),
            {"username": "nurse", "password": f"wrong-{attempt}"},
            REMOTE_ADDR=f"192.0.2.{attempt + 1}",
        )
    response = client.post(
        reverse("accounts:sign-in"),
        {"username": "nurse", "password": "x"},
        REMOTE_ADDR="198.51.100.7",
    )
    assert response.status_code == 429


def test_password_spraying_from_one_address_is_locked(practitioner, sign_in):
    for n in range(LIMIT):
        sign_in(f"guess{n}", "Summer2024!")
    # The address is now locked, even for a real account with the right password.
    assert sign_in("nurse").status_code == 429


def test_a_successful_sign_in_clears_only_your_own_failures(client, practitioner, sign_in):
    PractitionerFactory(username="colleague")
    for attempt in range(LIMIT - 2):
        sign_in("colleague", f"wrong-{attempt}")
    sign_in("nurse", "typo")
    assert sign_in("nurse").status_code == 302
    assert not AccessAttempt.objects.filter(username="nurse").exists()
    # Guesses at someone else's account from this address still count.
    assert AccessAttempt.objects.get(username="colleague").failures_since_start == LIMIT - 2


def test_an_administrator_can_unlock_an_account(client, admin_client, practitioner, sign_in):
    for attempt in range(LIMIT):
        sign_in("nurse", f"wrong-{attempt}")
    detail = admin_client.get(
        reverse("accounts:manage-detail", kwargs={"practitioner_id": practitioner.pk})
    )
    assert "Locked out" in detail.content.decode()

    response = admin_client.post(
        reverse("accounts:manage-unlock", kwargs={"practitioner_id": practitioner.pk})
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="nurse").exists()
    assert sign_in("nurse").status_code == 302
    assert client.session["_auth_user_id"] == str(practitioner.pk)


def test_sign_out_is_post_only(client, practitioner):
    client.force_login(practitioner)
    assert client.get(reverse("accounts:sign-out")).status_code == 405
    response = client.post(reverse("accounts:sign-out"))
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("accounts:sign-in")
    assert "_auth_user_id" not in client.session
    assert client.get(reverse("home")).status_code == 302


def test_sign_in_sends_someone_with_an_authenticator_to_verify(practitioner, sign_in):
    TOTPDevice.objects.create(user=practitioner, name="Phone", confirmed=True)
    response = sign_in("nurse", next="/partnerships/")
    assert (
        response.headers["Location"]
        == f"{reverse('accounts:verify-two-factor')}?next=%2Fpartnerships%2F"
    )


def test_sign_in_sends_a_coordinator_without_an_authenticator_to_set_up(coordinator, sign_in):
    response = sign_in("coordinator")
    assert response.headers["Location"] == reverse("accounts:set-up-two-factor")


def test_a_signed_in_person_visiting_sign_in_goes_home(client, practitioner):
    client.force_login(practitioner)
    response = client.get(reverse("accounts:sign-in"))
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("home")
