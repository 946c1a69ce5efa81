"""Password rules (NCSC guidance), changing a password and the set-password link."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from joinedup.accounts.models import Practitioner
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

GOOD_PASSPHRASE = "lantern otter quietly bakes"


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("kettle-41", "password_too_short"),
        ("qwertyqwerty", "password_too_common"),
        ("739184620573", "password_entirely_numeric"),
        ("joinedup2024!", "password_service_word"),
        ("Joined-Up-1234", "password_service_word"),
        ("Password12345", "password_service_word"),
        ("letmein-letmein", "password_service_word"),
    ],
)
def test_weak_passwords_are_refused(practitioner, password, code):
    with pytest.raises(ValidationError) as refused:
        validate_password(password, practitioner)
    assert code in {error.code for error in refused.value.error_list}


def test_a_password_like_the_username_is_refused(practitioner):
    practitioner.username = "roberts.nia.school"
    with pytest.raises(ValidationError):
        validate_password("roberts.nia.school1", practitioner)


@pytest.mark.parametrize(
    "password",
    [
        GOOD_PASSPHRASE,
        "correct-horse-battery-staple",
        "a long passphrase with no capitals",
        "Welcome-to-the-harbour-of-saints",
    ],
)
def test_long_passphrases_are_accepted_without_composition_rules(practitioner, password):
    validate_password(password, practitioner)


def test_changing_your_password_keeps_you_signed_in(
    client, practitioner, password, django_capture_on_commit_callbacks
):
    sign_in_verified(client, practitioner)
    url = reverse("accounts:change-password")
    assert client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url,
            {
                "old_password": password,
                "new_password1": GOOD_PASSPHRASE,
                "new_password2": GOOD_PASSPHRASE,
            },
        )
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("accounts:security")
    practitioner.refresh_from_db()
    assert practitioner.check_password(GOOD_PASSPHRASE)
    assert client.get(reverse("accounts:security")).status_code == 200
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [practitioner.email]
    assert "has just been changed" in mail.outbox[0].body


def test_changing_your_password_ends_other_sessions(client, practitioner, password):
    other = Client()
    sign_in_verified(other, practitioner)
    assert other.get(reverse("home")).status_code == 200
    sign_in_verified(client, practitioner)
    client.post(
        reverse("accounts:change-password"),
        {
            "old_password": password,
            "new_password1": GOOD_PASSPHRASE,
            "new_password2": GOOD_PASSPHRASE,
        },
    )
    assert other.get(reverse("home")).status_code == 302


def test_a_weak_new_password_is_refused_against_the_new_password_box(
    client, practitioner, password
):
    sign_in_verified(client, practitioner)
    response = client.post(
        reverse("accounts:change-password"),
        {
            "old_password": password,
            "new_password1": "joinedup2024!",
            "new_password2": "joinedup2024!",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert "new_password1" in form.errors
    assert "new_password2" not in form.errors
    content = response.content.decode()
    assert "govuk-error-summary" in content
    assert '<a href="#id_new_password1">' in content
    practitioner.refresh_from_db()
    assert practitioner.check_password(password)


def test_the_current_password_must_be_right(client, practitioner):
    sign_in_verified(client, practitioner)
    response = client.post(
        reverse("accounts:change-password"),
        {
            "old_password": "not-it",
            "new_password1": GOOD_PASSPHRASE,
            "new_password2": GOOD_PASSPHRASE,
        },
    )
    assert "Your current password is not correct" in response.content.decode()


def test_new_passwords_must_match(client, practitioner, password):
    sign_in_verified(client, practitioner)
    response = client.post(
        reverse("accounts:change-password"),
        {
            "old_password": password,
            "new_password1": GOOD_PASSPHRASE,
            "new_password2": GOOD_PASSPHRASE + "x",
        },
    )
    assert "The new passwords do not match" in response.content.decode()


def _link_from_email() -> str:
    match = re.search(r"https?://\S+/accounts/set-password/\S+/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(0)


def test_a_new_account_sets_its_password_through_the_emailed_link(client, admin_client, sign_in):
    response = admin_client.post(
        reverse("accounts:manage-create"),
        {
            "first_name": "Sam",
            "last_name": "Patel",
            "username": "spatel",
            "email": "sam.patel@example.org",
        },
    )
    assert response.status_code == 200
    new = Practitioner.objects.get(username="spatel")
    assert not new.has_usable_password()
    link = _link_from_email()
    assert link in response.content.decode()

    # Django swaps the token out of the address for a session marker before showing the form.
    response = client.get(link)
    assert response.status_code == 302
    form_url = response.headers["Location"]
    assert form_url.endswith("/set-password/")
    page = client.get(form_url)
    assert page.status_code == 200
    assert "Set your password" in page.content.decode()

    weak = client.post(
        form_url, {"new_password1": "Password12345", "new_password2": "Password12345"}
    )
    assert weak.status_code == 200
    assert "govuk-error-summary" in weak.content.decode()

    response = client.post(
        form_url, {"new_password1": GOOD_PASSPHRASE, "new_password2": GOOD_PASSPHRASE}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("accounts:sign-in")
    new.refresh_from_db()
    assert new.check_password(GOOD_PASSPHRASE)

    # The link works only once.
    again = client.get(link)
    assert again.status_code == 200
    assert "This link does not work" in again.content.decode()

    assert sign_in("spatel", GOOD_PASSPHRASE).status_code == 302


def test_a_made_up_link_does_not_work(client):
    response = client.get(
        reverse("accounts:set-password", kwargs={"uidb64": "MQ", "token": "abc-123"})
    )
    assert response.status_code == 200
    assert "This link does not work" in response.content.decode()
