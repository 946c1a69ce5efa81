"""Notifications: telling practitioners that something happened (a referral changed
state, say) in the app, and by email as each of them chooses
(``Practitioner.notification_emails``: each one, a daily digest, or none).

Emails are sent after the transaction that made the change commits, through Django's
email backend (settings.EMAIL_BACKEND), so a change that rolls back tells nobody. Emails
carry no more than the subject and a short body: the detail is behind sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from joinedup.accounts.models import Notification, NotificationEmails

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


def site_url(path: str) -> str:
    base = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{base}{path}" if base else path


def notify(
    recipients: Iterable[Practitioner],
    *,
    subject: str,
    body: str = "",
    url: str = "",
    kind: str = "",
    is_urgent: bool = False,
) -> list[Notification]:
    """Create one in-app notification per recipient (each person once; inactive accounts
    are skipped) and email those who want an email for each."""
    people: dict[int, Practitioner] = {}
    for person in recipients:
        if person is not None and person.is_active and person.pk not in people:
            people[person.pk] = person
    if not people:
        return []
    prefix = "Urgent: " if is_urgent else ""
    notifications = Notification.objects.bulk_create(
        Notification(
            recipient=person,
            subject=f"{prefix}{subject}"[:200],
            body=body,
            url=url,
            kind=kind,
            is_urgent=is_urgent,
        )
        for person in people.values()
    )
    immediate = [
        (notification, people[notification.recipient_id])
        for notification in notifications
        if people[notification.recipient_id].notification_emails == NotificationEmails.EACH
        and people[notification.recipient_id].email
    ]
    if immediate:
        transaction.on_commit(lambda: _email_each(immediate))
    return notifications


def _email_each(pairs: list[tuple[Notification, Practitioner]]) -> None:
    sent: list[int] = []
    for notification, person in pairs:
        text = notification.body
        if notification.url:
            text = f"{text}\n\nOpen it in Joined Up: {site_url(notification.url)}".strip()
        send_mail(notification.subject, text, None, [person.email])
        sent.append(notification.pk)
    Notification.objects.filter(pk__in=sent).update(emailed_at=timezone.now())
