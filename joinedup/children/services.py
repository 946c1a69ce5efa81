"""Changes to children and involvements."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from joinedup.children.models import Involvement
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction

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
