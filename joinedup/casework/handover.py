"""Handing over the lead professional role (issue 4, part 4): offer → accept or decline,
or withdraw. Views ask sharing.policy first; each change is one transaction.

The family's agreement: the first lead is chosen at a team meeting with the family's
agreement (services.choose_lead_professional). A handover changes who the family deals
with, so the lead records who in the family agreed to the new lead *when offering*; on
acceptance that agreement is carried over to the LeadProfessionalChoice the history holds.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from joinedup.casework.models import (
    Episode,
    HandoverStatus,
    LeadHandoverOffer,
    LeadProfessionalChoice,
    TeamMember,
)
from joinedup.casework.services import choose_lead_professional

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


def _on_team(episode: Episode, practitioner: Practitioner) -> bool:
    return TeamMember.objects.current().filter(episode=episode, practitioner=practitioner).exists()


def pending_offer(episode: Episode) -> LeadHandoverOffer | None:
    return (
        LeadHandoverOffer.objects.filter(episode=episode, status=HandoverStatus.OFFERED)
        .select_related("to_practitioner")
        .first()
    )


@transaction.atomic
def offer_lead_role(
    *,
    lead: Practitioner,
    episode: Episode,
    to: Practitioner,
    family_agreed_by: str,
    message: str = "",
) -> LeadHandoverOffer:
    """Only the current lead offers, to another practitioner currently on the team. A new
    offer withdraws any earlier offer still waiting for an answer."""
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    if not episode.is_open:
        raise ValidationError("This episode is closed")
    if episode.lead_professional_id != lead.pk:
        raise ValidationError("Only the lead professional can offer the lead role")
    if to.pk == lead.pk:
        raise ValidationError({"to_practitioner": "You are already the lead professional"})
    if not _on_team(episode, to):
        raise ValidationError(
            {"to_practitioner": "The lead role can only be offered to someone on the team"}
        )
    if not family_agreed_by.strip():
        raise ValidationError(
            {"family_agreed_by": "Record who in the family agreed to the new lead professional"}
        )
    now = timezone.now()
    LeadHandoverOffer.objects.filter(episode=episode, status=HandoverStatus.OFFERED).update(
        status=HandoverStatus.WITHDRAWN, decided_at=now
    )
    return LeadHandoverOffer.objects.create(
        episode=episode,
        from_lead=lead,
        to_practitioner=to,
        offered_at=now,
        message=message.strip(),
        family_agreed_by=family_agreed_by.strip(),
    )


def _pending(offer: LeadHandoverOffer) -> LeadHandoverOffer:
    offer = LeadHandoverOffer.objects.select_for_update().select_related("episode").get(pk=offer.pk)
    if not offer.is_pending:
        raise ValidationError(f"This offer has already been {offer.get_status_display().lower()}")
    return offer


def _decide(offer: LeadHandoverOffer, status: str, reason: str = "") -> None:
    offer.status, offer.decided_at, offer.decline_reason = status, timezone.now(), reason
    offer.save(update_fields=["status", "decided_at", "decline_reason"])


@transaction.atomic
def accept_lead_offer(
    *, practitioner: Practitioner, offer: LeadHandoverOffer
) -> LeadProfessionalChoice:
    """The offered practitioner becomes the lead, through the lead professional history.
    Refused when the offer no longer stands: the episode closed, the lead changed since it
    was made, or the practitioner is no longer on the team."""
    offer = _pending(offer)
    if offer.to_practitioner_id != practitioner.pk:
        raise ValidationError("This offer was made to someone else")
    episode = Episode.objects.select_for_update().get(pk=offer.episode_id)
    if not episode.is_open or episode.lead_professional_id != offer.from_lead_id:
        raise ValidationError("This offer no longer stands: the lead professional has changed")
    if not _on_team(episode, practitioner):
        raise ValidationError("You are no longer on the team around this child")
    choice = choose_lead_professional(
        recorded_by=practitioner,
        episode=episode,
        practitioner=practitioner,
        family_agreement_recorded=True,
        family_agreed_by=offer.family_agreed_by,
        notes=f"Lead role handed over by {offer.from_lead} (offer of "
        f"{timezone.localtime(offer.offered_at):%d %b %Y})",
    )
    _decide(offer, HandoverStatus.ACCEPTED)
    return choice


@transaction.atomic
def decline_lead_offer(
    *, practitioner: Practitioner, offer: LeadHandoverOffer, reason: str
) -> None:
    offer = _pending(offer)
    if offer.to_practitioner_id != practitioner.pk:
        raise ValidationError("This offer was made to someone else")
    if not reason.strip():
        raise ValidationError({"reason": "Say why you are declining the lead role"})
    _decide(offer, HandoverStatus.DECLINED, reason.strip())


@transaction.atomic
def withdraw_lead_offer(*, practitioner: Practitioner, offer: LeadHandoverOffer) -> None:
    offer = _pending(offer)
    if offer.from_lead_id != practitioner.pk:
        raise ValidationError("Only the lead who made the offer can withdraw it")
    _decide(offer, HandoverStatus.WITHDRAWN)
