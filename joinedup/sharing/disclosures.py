"""The disclosure log (issue 6): every time information about a child goes to someone new
or leaves Joined Up — a referral, a referral pack, a FHIR export, a printed or PDF copy,
a step-up, a new member of the team — one Disclosure row says what, with whom, why and on
what basis. Written in the transaction that discloses, beside its access record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from joinedup.sharing.models import Disclosure

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child


def record_disclosure(
    *,
    child: Child,
    disclosed_by: Practitioner,
    kind: str,
    what: str,
    recipient: str,
    why: str,
    basis: str,
    basis_detail: str = "",
    path: str = "",
) -> Disclosure:
    """Log one disclosure. Call it inside the transaction that discloses, so a disclosure
    that is not logged cannot happen."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_disclosure must run inside the transaction that discloses")
    return Disclosure.objects.create(
        child=child,
        disclosed_by=disclosed_by,
        kind=kind,
        what=what[:500],
        recipient=recipient[:300],
        why=why,
        basis=basis,
        basis_detail=basis_detail,
        path=path[:500],
    )


def record_disclosures(
    *,
    children: Iterable[Child],
    disclosed_by: Practitioner,
    kind: str,
    what: str,
    recipient: str,
    why: str,
    basis: str,
    basis_detail: str = "",
    path: str = "",
) -> None:
    """Log one disclosure per child (an episode's brothers and sisters), in one insert
    however many children. Call it inside the transaction that discloses."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_disclosures must run inside the transaction that discloses")
    Disclosure.objects.bulk_create(
        Disclosure(
            child=child,
            disclosed_by=disclosed_by,
            kind=kind,
            what=what[:500],
            recipient=recipient[:300],
            why=why,
            basis=basis,
            basis_detail=basis_detail,
            path=path[:500],
        )
        for child in children
    )
