"""The GOV.UK Notify email backend, with Notify's client replaced (no network)."""

from __future__ import annotations

from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ImproperlyConfigured
from notifications_python_client.errors import APIError

BACKEND = "joinedup.accounts.notify_email_backend.EmailBackend"
TEMPLATE_ID = "f33517ff-2a88-4f6e-b855-c550268ce08a"
API_KEY = "test-" + "1" * 36 + "-" + "2" * 36


@pytest.fixture
def notify_client(settings):
    settings.EMAIL_BACKEND = BACKEND
    settings.GOVUK_NOTIFY_API_KEY = API_KEY
    settings.GOVUK_NOTIFY_TEMPLATE_ID = TEMPLATE_ID
    with mock.patch(
        "joinedup.accounts.notify_email_backend.NotificationsAPIClient", autospec=True
    ) as client_class:
        yield client_class


def test_each_email_goes_through_the_template_with_its_subject_and_body(notify_client):
    sent = mail.send_mail(
        "Referral acknowledged", "It was acknowledged.", None, ["a@example.org", "b@example.org"]
    )
    assert sent == 1
    notify_client.assert_called_once_with(API_KEY)
    client = notify_client.return_value
    assert client.send_email_notification.call_args_list == [
        mock.call(
            email_address=address,
            template_id=TEMPLATE_ID,
            personalisation={"subject": "Referral acknowledged", "body": "It was acknowledged."},
        )
        for address in ("a@example.org", "b@example.org")
    ]


def test_many_messages_share_one_client(notify_client):
    messages = [
        mail.EmailMessage(f"Subject {n}", "Body", to=[f"{n}@example.org"]) for n in range(3)
    ]
    assert mail.get_connection().send_messages(messages) == 3
    assert notify_client.call_count == 1
    assert notify_client.return_value.send_email_notification.call_count == 3


def test_a_message_with_nobody_to_send_to_is_skipped(notify_client):
    assert mail.get_connection().send_messages([mail.EmailMessage("Nobody", "Body")]) == 0
    notify_client.return_value.send_email_notification.assert_not_called()


def test_a_notify_error_is_raised_unless_asked_to_fail_silently(notify_client):
    notify_client.return_value.send_email_notification.side_effect = APIError(
        message="Bad template"
    )
    with pytest.raises(APIError):
        mail.send_mail("Subject", "Body", None, ["a@example.org"])
    assert mail.send_mail("Subject", "Body", None, ["a@example.org"], fail_silently=True) == 0


def test_without_a_key_and_template_it_refuses_to_start(settings):
    settings.EMAIL_BACKEND = BACKEND
    settings.GOVUK_NOTIFY_API_KEY = ""
    settings.GOVUK_NOTIFY_TEMPLATE_ID = ""
    with pytest.raises(ImproperlyConfigured, match="GOVUK_NOTIFY_API_KEY"):
        mail.send_mail("Subject", "Body", None, ["a@example.org"])
