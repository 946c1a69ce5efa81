"""The disclosure log (issue 6): every time information about a child goes to someone new
or leaves Joined Up — a referral, a referral pack, a FHIR export, a printed or PDF copy,
a step-up, a new member of the team — one Disclosure row says what, with whom, why and on
what basis. Written in the transaction that discloses, beside its access record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from joinedup.sharing.chain import schedule_seal
from joinedup.sharing.models import Disclosure

if TYPE_CHECKING:
    from typing import NotRequired

    from typing_extensions import TypedDict, Unpack

    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child


if TYPE_CHECKING:

    class DisclosureDetails(TypedDict):
        disclosed_by: Practitioner
        kind: str
        what: str
        recipient: str
        why: str
        basis: str
        basis_detail: NotRequired[str]
        path: NotRequired[str]


def record_disclosure(*, child: Child, **details: Unpack[DisclosureDetails]) -> Disclosure:
    """Log one disclosure (details: disclosed_by, kind, what, recipient, why, basis, and
    optionally basis_detail and path). Call it inside the transaction that discloses, so a
    disclosure that is not logged cannot happen."""
    _require_transaction()
    disclosure = _disclosure(child, **details)
    disclosure.save()
    schedule_seal()
    return disclosure


def record_disclosures(*, children: Iterable[Child], **details: Unpack[DisclosureDetails]) -> None:
    """Log one disclosure per child (an episode's brothers and sisters), in one insert
    however many children. Call it inside the transaction that discloses."""
    _require_transaction()
    Disclosure.objects.bulk_create(_disclosure(child, **details) for child in children)
    schedule_seal()


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Disclosures must be logged inside the transaction that discloses")


def _disclosure(
    child: Child,
    *,
    disclosed_by: Practitioner,
    kind: str,
    what: str,
    recipient: str,
    why: str,
    basis: str,
    basis_detail: str = "",
    path: str = "",
) -> Disclosure:
    return Disclosure(
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
