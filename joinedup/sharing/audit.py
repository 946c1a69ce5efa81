"""The one helper that writes access records, beside the read it records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction

from joinedup.children.models import Shielding
from joinedup.sharing.models import AccessAction, AccessRecord, SearchRecord

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
    children, so a read that is not recorded cannot happen.

    Shielding: every *view* (action VIEWED) of a shielded child's record is flagged for a
    data manager to review. Listings and changes are recorded but not flagged — a list
    shows no whereabouts, and flagging them would bury the views that matter."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_access must run inside the transaction that reads the record")
    children = list(children)
    flagged: set[int] = set()
    if action == AccessAction.VIEWED and children:
        flagged = set(
            Shielding.objects.active()
            .filter(child_id__in=[child.pk for child in children])
            .values_list("child_id", flat=True)
        )
    AccessRecord.objects.bulk_create(
        AccessRecord(
            practitioner=practitioner,
            child=child,
            action=action,
            what=what,
            basis=decision.basis,
            reason=decision.reason,
            path=path[:500],
            flagged_for_review=child.pk in flagged,
        )
        for child in children
    )


def record_search(
    *,
    practitioner: Practitioner,
    parameters: Mapping[str, Any],
    result_child_ids: Sequence[int],
) -> SearchRecord:
    """Write the record of one search of the child index: its parameters and the children
    it returned, in rank order. Call it inside the transaction that runs the search."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_search must run inside the transaction of the search")
    return SearchRecord.objects.create(
        practitioner=practitioner,
        parameters=dict(parameters),
        result_child_ids=list(result_child_ids),
        result_count=len(result_child_ids),
    )
