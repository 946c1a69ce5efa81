"""The one helper that writes access records, beside the read it records."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from joinedup.children.models import Shielding
from joinedup.sharing.chain import schedule_seal
from joinedup.sharing.models import AccessAction, AccessRecord, SearchRecord

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child
    from joinedup.sharing.policy import Decision


# The demo area writes the made-up history of its referrals through the real services;
# this gives their access records the made-up time when they are written, since access
# records (sealed into the audit chain) must never be changed afterwards.
_recorded_at: ContextVar[datetime | None] = ContextVar("recorded_at", default=None)


@contextmanager
def recorded_at(when: datetime) -> Iterator[None]:
    """Access records written inside the block carry ``when`` (the demo area only)."""
    token = _recorded_at.set(when)
    try:
        yield
    finally:
        _recorded_at.reset(token)


def record_access(
    *,
    practitioner: Practitioner,
    children: Iterable[Child],
    decision: Decision,
    action: str = AccessAction.VIEWED,
    what: str = "Child record",
    path: str = "",
    occurred_at: datetime | None = None,
) -> None:
    """Write one access record per child. Call it inside the transaction that reads the
    children, so a read that is not recorded cannot happen. ``occurred_at`` (default now,
    or the time set by ``recorded_at``) is given only by the demo area.

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
    when = occurred_at or _recorded_at.get() or timezone.now()
    records = [
        AccessRecord(
            practitioner=practitioner,
            child=child,
            action=action,
            what=what,
            basis=decision.basis,
            reason=decision.reason,
            path=path[:500],
            flagged_for_review=child.pk in flagged,
            occurred_at=when,
        )
        for child in children
    ]
    if records:
        AccessRecord.objects.bulk_create(records)
        # Sealed into the tamper-evident chain once the transaction commits.
        schedule_seal()


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
    record = SearchRecord.objects.create(
        practitioner=practitioner,
        parameters=dict(parameters),
        result_child_ids=list(result_child_ids),
        result_count=len(result_child_ids),
    )
    schedule_seal()
    return record
