"""Changes to sharing records: stated reasons for access."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from joinedup.sharing import policy
from joinedup.sharing.models import StatedReason

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child

MINIMUM_REASON_LENGTH = 10


def state_reason_for_access(
    *, practitioner: Practitioner, child: Child, reason: str
) -> StatedReason:
    """Record why the practitioner is opening a record outside their relationships; the
    access it gives lasts ``settings.STATED_REASON_ACCESS``."""
    reason = reason.strip()
    if len(reason) < MINIMUM_REASON_LENGTH:
        raise ValidationError("Say why you need to open this record, in a sentence")
    with transaction.atomic():
        policy.require(policy.can_state_reason(practitioner, child))
        now = timezone.now()
        return StatedReason.objects.create(
            practitioner=practitioner,
            child=child,
            reason=reason,
            expires_at=now + settings.STATED_REASON_ACCESS,
        )
