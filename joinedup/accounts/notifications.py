"""Notifications: telling practitioners that something happened (a referral changed
state, say) in the app, and by email as each of them chooses
(``Practitioner.notification_emails``: each one, a daily digest, or none).

Emails are sent after the transaction that made the change commits, through Django's
email backend (settings.EMAIL_BACKEND), so a change that rolls back tells nobody. Emails
carry no more than the subject and a short body: the detail is behind sign-in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
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


# In the app: the person's list, marking read, and how they want emails -----------------


def notifications_for(practitioner: Practitioner) -> QuerySet[Notification]:
    """The person's notifications, unread first, newest first."""
    return Notification.objects.filter(recipient=practitioner).order_by(
        Case(When(read_at__isnull=True, then=Value(0)), default=Value(1)),
        "-created_at",
        "-pk",
    )


def notifications_page(
    *, practitioner: Practitioner, page_number: str | int | None, page_size: int
) -> Page[Notification]:
    return Paginator(notifications_for(practitioner), page_size).get_page(page_number)


def unread_count(practitioner: Practitioner) -> int:
    return Notification.objects.filter(recipient=practitioner, read_at__isnull=True).count()


def mark_read(*, notification: Notification) -> None:
    """Mark one notification read (the first time only). Ask
    sharing.policy.can_read_notification first."""
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at
        )


def mark_all_read(*, practitioner: Practitioner) -> int:
    return Notification.objects.filter(recipient=practitioner, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def set_notification_emails(*, practitioner: Practitioner, choice: str) -> None:
    if choice not in NotificationEmails.values:
        raise ValueError(f"Unknown choice of notification emails: {choice}")
    practitioner.notification_emails = choice
    practitioner.save(update_fields=["notification_emails"])


# The daily digest (manage.py send_notification_digest) ---------------------------------

# A first digest (someone who has just chosen digests, with no email sent to them before)
# covers at most this long, so it is news rather than a backlog of everything ever unread.
FIRST_DIGEST_COVERS = timedelta(days=7)


@dataclass(frozen=True)
class Digest:
    practitioner: Practitioner
    notifications: list[Notification]


def pending_digests(now: datetime | None = None) -> list[Digest]:
    """For each active practitioner who chose a daily digest and has an email address, the
    notifications not yet emailed that arrived since their last digest (the last time they
    were emailed one), newest first. One query however many people and notifications."""
    now = now or timezone.now()
    last_emailed = (
        Notification.objects.filter(recipient=OuterRef("recipient"), emailed_at__isnull=False)
        .order_by("-emailed_at")
        .values("emailed_at")[:1]
    )
    pending = (
        Notification.objects.filter(
            recipient__notification_emails=NotificationEmails.DAILY_DIGEST,
            recipient__is_active=True,
            emailed_at__isnull=True,
            created_at__lte=now,
        )
        .exclude(recipient__email="")
        .annotate(last_digest=Subquery(last_emailed))
        .filter(
            Q(last_digest__isnull=True, created_at__gt=now - FIRST_DIGEST_COVERS)
            | Q(created_at__gt=F("last_digest"))
        )
        .select_related("recipient")
        .order_by("recipient_id", "-created_at", "-pk")
    )
    digests: dict[int, Digest] = {}
    for notification in pending:
        digest = digests.setdefault(notification.recipient_id, Digest(notification.recipient, []))
        digest.notifications.append(notification)
    return list(digests.values())


def send_digest(digest: Digest, *, now: datetime | None = None) -> None:
    """Email one digest (plain text, a link to each notification) and record that its
    notifications were emailed."""
    count = len(digest.notifications)
    subject = (
        "Joined Up: 1 new notification" if count == 1 else f"Joined Up: {count} new notifications"
    )
    body = render_to_string(
        "accounts/email/notification_digest.txt",
        {
            "person": digest.practitioner,
            "items": [
                (notification, site_url(notification.url) if notification.url else "")
                for notification in digest.notifications
            ],
            "count": count,
            "notifications_url": site_url(reverse("accounts:notifications")),
            "settings_url": site_url(reverse("accounts:notification-settings")),
        },
    )
    send_mail(subject, body, None, [digest.practitioner.email])
    Notification.objects.filter(pk__in=[n.pk for n in digest.notifications]).update(
        emailed_at=now or timezone.now()
    )
