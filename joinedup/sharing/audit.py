"""The one helper that writes access records, beside the read it records."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from joinedup.sharing.models import AccessAction, AccessRecord

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child
    from joinedup.sharing.policy import Decision


def record_access(
    *,
    practitioner: Practitioner,
    children: Iterable[Child],
    decision: Decision,
    action: str = AccessAction.VIEWED,
    what: str = "Child record",
    path: str = "",
) -> None:
    """Write one access record per child. Call it inside the transaction that reads the
    children, so a read that is not recorded cannot happen."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_access must run inside the transaction that reads the record")
    AccessRecord.objects.bulk_create(
        AccessRecord(
            practitioner=practitioner,
            child=child,
            action=action,
            what=what,
            basis=decision.basis,
            reason=decision.reason,
            path=path[:500],
        )
        for child in children
    )
