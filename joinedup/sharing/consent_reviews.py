"""The daily consent check (issue 6; manage.py review_consents).

- A consent whose review date has come: the practitioner who recorded that version is
  told, once (a notification of kind ``consent_review`` pointing at the version; a later
  run finds it and does not repeat it). A new version with a new review date is told
  again when its own date comes.
- A consent that expired since the last run (its expiry date is today or yesterday, so a
  missed day is caught up): the members of its episode's team who can no longer see the
  episode are told that the consent expired, once each (kind ``consent_expired``).
  Expiry itself needs no job: sharing.policy reads current_consent_q, so access narrows
  on the expiry date whether or not this runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.models import Notification
from joinedup.accounts.notifications import notify
from joinedup.sharing import consents
from joinedup.sharing.models import Consent

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner

REVIEW_KIND = "consent_review"
EXPIRED_KIND = "consent_expired"
# How far back an expiry is still news (a day missed by the scheduler is caught up).
EXPIRY_LOOKBACK_DAYS = 1


@dataclass
class Notice:
    consent: Consent
    kind: str
    recipients: list[Practitioner] = field(default_factory=list)
    subject: str = ""
    body: str = ""
    url: str = ""


def consent_url(consent: Consent) -> str:
    """Where a notice about a consent version points: that version on the child's consent
    records (also the key that says it has been told)."""
    return f"{reverse('children:consents', args=[consent.child_id])}#consent-{consent.pk}"


def _already_told(kind: str, urls: set[str]) -> set[tuple[int, str]]:
    return set(
        Notification.objects.filter(kind=kind, url__in=urls).values_list("recipient_id", "url")
    )


def review_notices(today: date | None = None) -> list[Notice]:
    """Consents in force whose review date has come and whose recorder has not been told."""
    day = today or timezone.localdate()
    due = list(
        Consent.objects.in_force(day)
        .filter(review_on__isnull=False, review_on__lte=day)
        .select_related("recorded_by", "child")
        .order_by("review_on", "pk")
    )
    told = _already_told(REVIEW_KIND, {consent_url(c) for c in due})
    notices = []
    for consent in due:
        url = consent_url(consent)
        if (consent.recorded_by_id, url) in told or not consent.recorded_by.is_active:
            continue
        notices.append(
            Notice(
                consent=consent,
                kind=REVIEW_KIND,
                recipients=[consent.recorded_by],
                subject=f"A consent you recorded is due for review ({consent.review_on:%-d %B %Y})",
                body=(
                    f"The consent from {consent.given_by_name} for {consent.purposes_display} "
                    f"was to be reviewed by {consent.review_on:%-d %B %Y}. Check it with them, "
                    "then change it (with a new review date) or record that it was withdrawn."
                ),
                url=url,
            )
        )
    return notices


def expiry_notices(today: date | None = None) -> list[Notice]:
    """Consents (latest versions, not withdrawn before) that expired today or yesterday, with
    the members of their episode's team who can no longer see the episode and have not
    been told."""
    day = today or timezone.localdate()
    expired = list(
        Consent.objects.filter(
            superseded_at__isnull=True,
            expires_on__lte=day,
            expires_on__gte=day - timedelta(days=EXPIRY_LOOKBACK_DAYS),
            episode__isnull=False,
        )
        .select_related("episode", "child")
        .order_by("expires_on", "pk")
    )
    told = _already_told(EXPIRED_KIND, {consent_url(c) for c in expired})
    notices = []
    for consent in expired:
        expired_on = consent.expires_on
        if expired_on is None or (
            consent.withdrawn_on is not None and consent.withdrawn_on <= expired_on
        ):
            continue  # withdrawn first: the withdrawal already told them
        url = consent_url(consent)
        people = [
            person
            for person in consents.team_members_without_access(consent)
            if (person.pk, url) not in told
        ]
        if not people:
            continue
        episode = consent.episode
        if episode is None:  # excluded by the query; narrows the type
            continue
        notices.append(
            Notice(
                consent=consent,
                kind=EXPIRED_KIND,
                recipients=people,
                subject=(
                    "You can no longer see the early help episode opened on "
                    f"{episode.opened_on:%-d %B %Y}"
                ),
                body=(
                    f"The consent from {consent.given_by_name} expired on "
                    f"{expired_on:%-d %B %Y}. Without consent to sharing in force "
                    "you cannot see the episode, its assessment or its plan. The lead "
                    "professional can tell you more."
                ),
                url=url,
            )
        )
    return notices


def tell(notices: list[Notice]) -> int:
    """Send the notices; the number of notifications made."""
    made = 0
    for notice in notices:
        with transaction.atomic():
            made += len(
                notify(
                    notice.recipients,
                    kind=notice.kind,
                    subject=notice.subject,
                    body=notice.body,
                    url=notice.url,
                )
            )
    return made
