"""Who hears about each step of a referral, and what they are told
(accounts.notifications does the telling: in the app, and by email as each person chooses).

- Sent, or withdrawn after sending: the service's staff in Joined Up (its maintainers), for
  a service that takes referrals through Joined Up.
- Acknowledged, accepted, declined, started, completed: the referrer, and the lead
  professional of the early-help episode it was made from.
The person who took the step is not told about it. Messages name the child by given name
and the initial of the family name: enough to recognise, little if an email goes astray.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse

from joinedup.accounts.notifications import notify
from joinedup.referrals.models import Referral, ReferralEvent, ReferralStatus

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner

S = ReferralStatus

_TO_SERVICE = frozenset({S.SENT, S.WITHDRAWN})

_WHAT_HAPPENED: dict[str, str] = {
    S.SENT: "New referral",
    S.ACKNOWLEDGED: "Referral acknowledged",
    S.ACCEPTED: "Referral accepted",
    S.DECLINED: "Referral declined",
    S.STARTED: "Referral started",
    S.COMPLETED: "Referral completed",
    S.WITHDRAWN: "Referral withdrawn",
}


def short_name(referral: Referral) -> str:
    child = referral.child
    return f"{child.given_name} {child.family_name[:1]}."


def service_staff(referral: Referral) -> list[Practitioner]:
    return list(referral.service.maintainers.filter(is_active=True))


def people_to_tell(referral: Referral, event: ReferralEvent) -> list[Practitioner]:
    people: list[Practitioner] = []
    if event.to_status in _TO_SERVICE:
        if not referral.handled_outside:
            people = service_staff(referral)
    else:
        people = [referral.referrer]
        episode = referral.episode
        if episode is not None and episode.is_open and episode.lead_professional is not None:
            people.append(episode.lead_professional)
    return [person for person in people if person.pk != event.by_id]


def referral_changed(referral: Referral, event: ReferralEvent) -> None:
    people = people_to_tell(referral, event)
    if not people:
        return
    service = referral.service
    subject = f"{_WHAT_HAPPENED[event.to_status]}: {referral.reference} for {short_name(referral)} to {service.name}"
    lines = [f"{subject}."]
    if event.to_status == S.DECLINED:
        lines.append(f"Why: {referral.get_decline_reason_display()}.")
        if referral.suggested_service is not None:
            lines.append(f"The service suggests: {referral.suggested_service.name}.")
    if event.to_status == S.COMPLETED:
        lines.append(f"Outcome: {referral.get_outcome_display()}.")
    if event.recorded_by_hand:
        lines.append("Recorded by the referrer from the service's reply.")
    notify(
        people,
        subject=subject,
        body="\n".join(lines),
        url=reverse("referrals:referral", args=[referral.pk]),
        kind="referral",
        is_urgent=referral.is_urgent,
    )
