"""Session limits: an idle timeout renewed on each request, and an absolute limit."""

from __future__ import annotations

import datetime
import time

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.middleware import SESSION_STARTED_KEY

pytestmark = pytest.mark.django_db


def _session_row(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_session_settings():
    assert settings.SESSION_IDLE_TIMEOUT.total_seconds() == settings.SESSION_COOKIE_AGE
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert settings.SESSION_COOKIE_HTTPONLY
    assert settings.SESSION_ABSOLUTE_TIMEOUT > settings.SESSION_IDLE_TIMEOUT


def test_the_absolute_clock_starts_at_sign_in(client, practitioner, sign_in_with_code):
    before = time.time()
    sign_in_with_code("nurse")
    assert before <= client.session[SESSION_STARTED_KEY] <= time.time()


def test_the_absolute_clock_restarts_at_each_sign_in(client, practitioner, sign_in_with_code):
    sign_in_with_code("nurse")
    session = client.session
    session[SESSION_STARTED_KEY] = time.time() - 3600
    session.save()
    client.post(reverse("accounts:sign-out"))
    sign_in_with_code("nurse")
    assert client.session[SESSION_STARTED_KEY] > time.time() - 60


def test_a_session_past_its_absolute_limit_is_signed_out(client, practitioner, sign_in_with_code):
    sign_in_with_code("nurse")
    assert client.get(reverse("home")).status_code == 200
    session = client.session
    too_long = settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() + 60
    session[SESSION_STARTED_KEY] = time.time() - too_long
    session.save()

    response = client.get("/partnerships/")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{reverse('accounts:sign-in')}?next=/partnerships/"
    assert "_auth_user_id" not in client.session

    page = client.get(response.headers["Location"]).content.decode()
    hours = int(settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600)
    assert f"you had been signed in for {hours} hours" in page
    # Only once.
    assert (
        "you had been signed in for" not in client.get(reverse("accounts:sign-in")).content.decode()
    )


def test_a_session_within_its_absolute_limit_carries_on(client, practitioner, sign_in_with_code):
    sign_in_with_code("nurse")
    session = client.session
    session[SESSION_STARTED_KEY] = (
        time.time() - settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() + 120
    )
    session.save()
    assert client.get(reverse("home")).status_code == 200


def test_activity_does_not_extend_the_absolute_limit(client, practitioner, sign_in_with_code):
    sign_in_with_code("nurse")
    started = client.session[SESSION_STARTED_KEY]
    client.get(reverse("home"))
    client.get(reverse("accounts:security"))
    assert client.session[SESSION_STARTED_KEY] == started


def test_a_post_past_the_absolute_limit_is_not_carried_out(client, practitioner, sign_in_with_code):
    sign_in_with_code("nurse")
    session = client.session
    session[SESSION_STARTED_KEY] = (
        time.time() - settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() - 60
    )
    session.save()
    response = client.post(
        reverse("accounts:change-password"),
        {"old_password": "x", "new_password1": "y", "new_password2": "y"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("accounts:sign-in")


def test_a_session_signed_in_elsewhere_gets_a_start_time(client, practitioner):
    client.force_login(practitioner)
    client.get(reverse("home"))
    assert SESSION_STARTED_KEY in client.session


def test_an_idle_session_expires(client, practitioner, sign_in_with_code):
    sign_in_with_code("nurse")
    assert client.get(reverse("home")).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).update(
        expire_date=timezone.now() - datetime.timedelta(seconds=1)
    )
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.headers["Location"].startswith(reverse("accounts:sign-in"))


def test_each_request_renews_the_idle_timeout(client, practitioner, sign_in_with_code):
    sign_in_with_code("nurse")
    key = client.session.session_key
    Session.objects.filter(session_key=key).update(
        expire_date=timezone.now() + datetime.timedelta(seconds=60)
    )
    assert client.get(reverse("home")).status_code == 200
    remaining = _session_row(client).expire_date - timezone.now()
    assert remaining > settings.SESSION_IDLE_TIMEOUT - datetime.timedelta(seconds=30)
    assert remaining <= settings.SESSION_IDLE_TIMEOUT


def test_the_session_key_changes_at_sign_in(client, practitioner, sign_in_with_code):
    session = client.session
    session["visited"] = True
    session.save()
    before = session.session_key
    assert before
    sign_in_with_code("nurse")
    assert client.session.session_key != before
    assert not Session.objects.filter(session_key=before).exists()
