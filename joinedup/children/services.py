"""Changes to children and involvements."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from joinedup.children.models import Child, Involvement, Shielding
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction, AccessRecord, AccessReview

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


def end_involvement(
    *, practitioner: Practitioner, involvement: Involvement, reason: str = ""
) -> Involvement:
    """Mark the practitioner's involvement as ended today. Access that came from it lapses
    at once (an involvement is current only before its end date)."""
    with transaction.atomic():
        involvement = Involvement.objects.select_for_update().get(pk=involvement.pk)
        decision = policy.can_end_involvement(practitioner, involvement)
        policy.require(decision, "You can only end your own current involvement.")
        today = timezone.localdate()
        involvement.ended_on = max(today, involvement.started_on)
        involvement.ended_reason = reason
        involvement.save(update_fields=["ended_on", "ended_reason"])
        audit.record_access(
            practitioner=practitioner,
            children=[involvement.child],
            decision=policy.Decision(
                True, basis=decision.basis, reason="Ended their own involvement"
            ),
            action=AccessAction.CHANGED,
            what="Involvement",
        )
    return involvement


# Sensitive services ---------------------------------------------------------------------


def record_consent(*, practitioner: Practitioner, involvement: Involvement) -> Involvement:
    """Record that the child (or parent/carer) gave explicit consent for a sensitive
    involvement to be shown to the other practitioners involved."""
    with transaction.atomic():
        involvement = (
            Involvement.objects.select_for_update()
            .select_related("agency", "child")
            .get(pk=involvement.pk)
        )
        decision = policy.can_record_consent(practitioner, involvement)
        policy.require(decision, "Only the practitioner involved can record consent.")
        involvement.consent_recorded_on = timezone.localdate()
        involvement.consent_recorded_by = practitioner
        involvement.save(update_fields=["consent_recorded_on", "consent_recorded_by"])
        audit.record_access(
            practitioner=practitioner,
            children=[involvement.child],
            decision=policy.Decision(
                True, basis=decision.basis, reason="Recorded consent to share an involvement"
            ),
            action=AccessAction.CHANGED,
            what="Involvement: consent recorded",
        )
    return involvement


# Shielding ------------------------------------------------------------------------------


def shield_child(
    *, practitioner: Practitioner, child: Child, reason: str, review_on: date
) -> Shielding:
    """Shield the child: their whereabouts are hidden from everyone but the data managers
    allowed to see them, and every view of their record is flagged for review."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the child's whereabouts must be hidden"})
    if review_on <= timezone.localdate():
        raise ValidationError({"review_on": "The review date must be in the future"})
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        decision = policy.can_shield_child(practitioner, child)
        policy.require(decision, "You cannot shield this child.")
        if Shielding.objects.active().filter(child=child).exists():
            raise ValidationError("This child is already shielded.")
        shielding = Shielding.objects.create(
            child=child, reason=reason, review_on=review_on, shielded_by=practitioner
        )
        audit.record_access(
            practitioner=practitioner,
            children=[child],
            decision=decision,
            action=AccessAction.CHANGED,
            what="Shielded the record",
        )
    return shielding


def lift_shielding(*, practitioner: Practitioner, child: Child, reason: str) -> Shielding:
    """End the child's shielding; the history is kept."""
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "Say why the shielding can be lifted"})
    with transaction.atomic():
        child = Child.objects.select_for_update().get(pk=child.pk)
        decision = policy.can_shield_child(practitioner, child)
        policy.require(decision, "You cannot lift this child's shielding.")
        shielding = Shielding.objects.active().select_for_update().filter(child=child).first()
        if shielding is None:
            raise ValidationError("This child is not shielded.")
        shielding.lifted_at = timezone.now()
        shielding.lifted_by = practitioner
        shielding.lift_reason = reason
        shielding.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        audit.record_access(
            practitioner=practitioner,
            children=[child],
            decision=decision,
            action=AccessAction.CHANGED,
            what="Lifted the shielding",
        )
    return shielding


def review_access(
    *, practitioner: Practitioner, access_record: AccessRecord, note: str = ""
) -> AccessReview:
    """Mark a flagged view of a shielded record as reviewed."""
    with transaction.atomic():
        access_record = AccessRecord.objects.select_related("child").get(pk=access_record.pk)
        policy.require(
            policy.can_review_access(practitioner, access_record),
            "You cannot review this access.",
        )
        review, _ = AccessReview.objects.get_or_create(
            access_record=access_record,
            defaults={"reviewed_by": practitioner, "note": note.strip()[:500]},
        )
    return review
