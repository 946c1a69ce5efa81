"""A Django email backend that sends through GOV.UK Notify (docs/operations.md).

Set ``EMAIL_BACKEND=joinedup.accounts.notify_email_backend.EmailBackend``,
``GOVUK_NOTIFY_API_KEY`` and ``GOVUK_NOTIFY_TEMPLATE_ID``. The template is one email
template in the Notify service whose subject is ``((subject))`` and whose message is
``((body))``: every Joined Up email (notifications, digests, set-password links, stale
directory entries) is sent through it with its own subject and plain-text body. Notify
sends from the address set up in the Notify service, so ``DEFAULT_FROM_EMAIL`` is not
used, and only the text body goes (Joined Up's emails have no HTML part or attachments).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from notifications_python_client.notifications import NotificationsAPIClient


class EmailBackend(BaseEmailBackend):
    def __init__(
        self,
        fail_silently: bool = False,
        api_key: str | None = None,
        template_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(fail_silently=fail_silently, **kwargs)
        self.api_key = api_key or getattr(settings, "GOVUK_NOTIFY_API_KEY", "")
        self.template_id = template_id or getattr(settings, "GOVUK_NOTIFY_TEMPLATE_ID", "")
        self.client: NotificationsAPIClient | None = None

    def open(self) -> bool:
        """Make the Notify client; True when this call made it (so the sender closes it)."""
        if self.client is not None:
            return False
        self.client = self._new_client()
        return True

    def _new_client(self) -> NotificationsAPIClient:
        if not self.api_key or not self.template_id:
            raise ImproperlyConfigured(
                "Sending email through GOV.UK Notify needs GOVUK_NOTIFY_API_KEY and "
                "GOVUK_NOTIFY_TEMPLATE_ID"
            )
        return NotificationsAPIClient(self.api_key)

    def close(self) -> None:
        self.client = None

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        """Send each message to each of its recipients; how many messages went."""
        if not email_messages:
            return 0
        opened = self.client is None
        client = self.client = self.client or self._new_client()
        sent = 0
        try:
            for message in email_messages:
                recipients = message.recipients()
                if not recipients:
                    continue
                try:
                    for address in recipients:
                        client.send_email_notification(
                            email_address=address,
                            template_id=self.template_id,
                            personalisation={
                                "subject": str(message.subject),
                                "body": str(message.body),
                            },
                        )
                except Exception:
                    if not self.fail_silently:
                        raise
                    continue
                sent += 1
        finally:
            if opened:
                self.close()
        return sent
