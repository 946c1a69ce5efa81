"""The child's disclosure log (issue 6): every disclosure about the child, newest first —
when, what, with whom, why, on what basis and by whom. Reading it is a read of the child's
record, so it writes an access record in the same transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.shortcuts import get_object_or_404

from joinedup.children.models import Child
from joinedup.sharing import audit, policy
from joinedup.sharing.models import Disclosure

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


@dataclass(frozen=True)
class DisclosureLog:
    child: Child
    disclosures: Page


def disclosure_log(
    *,
    practitioner: Practitioner,
    child_id: int,
    page_number: str | int | None,
    path: str,
    page_size: int,
) -> DisclosureLog:
    """One page of the child's disclosures. Refused (PermissionDenied) unless
    policy.can_view_disclosures allows; one access record. Fixed number of queries however
    many disclosures there are."""
    with transaction.atomic():
        child = get_object_or_404(Child, pk=child_id)
        decision = policy.can_view_disclosures(practitioner, child)
        if not decision:
            raise PermissionDenied("You have no current involvement with this child.")
        disclosures = (
            Disclosure.objects.filter(child=child)
            .select_related("disclosed_by__home_agency")
            .order_by("-occurred_at", "-pk")
        )
        page = Paginator(disclosures, page_size).get_page(page_number)
        audit.record_access(
            practitioner=practitioner,
            children=[child],
            decision=decision,
            what="Disclosure log",
            path=path,
        )
    return DisclosureLog(child=child, disclosures=page)
