"""Reads of children and involvements, narrowed by the policy module and recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from joinedup.children.models import Child, Involvement
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction, AccessBasis

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


def children_visible_to(practitioner: Practitioner) -> QuerySet[Child]:
    return Child.objects.filter(policy.visible_children_filter(practitioner))


def involvements_of(practitioner: Practitioner) -> QuerySet[Involvement]:
    """The practitioner's own current involvements, newest first."""
    return (
        Involvement.objects.current()
        .filter(practitioner=practitioner)
        .select_related("child", "agency")
        .order_by("child__family_name", "child__given_name")
    )


def my_involvements_page(
    *, practitioner: Practitioner, page_number: str | int | None, path: str, page_size: int
) -> Page:
    """One page of the children the practitioner is involved with. Seeing a child's name
    and date of birth in a list is a read, so each child shown is recorded as listed."""
    with transaction.atomic():
        page = Paginator(involvements_of(practitioner), page_size).get_page(page_number)
        audit.record_access(
            practitioner=practitioner,
            children=[involvement.child for involvement in page.object_list],
            decision=policy.Decision(
                True,
                basis=AccessBasis.INVOLVEMENT,
                reason="Listed among the practitioner's own involvements",
            ),
            action=AccessAction.LISTED,
            what="Name and date of birth in a list",
            path=path,
        )
    return page


class NoRelationship(PermissionDenied):
    """The practitioner has no relationship with the child (nor a current stated reason)."""

    def __init__(self, child: Child) -> None:
        super().__init__("You have no current involvement with this child.")
        self.child = child


@dataclass(frozen=True)
class ChildRecord:
    child: Child
    involvements: list[Involvement]
    basis: str
    reason: str


def child_record(*, practitioner: Practitioner, child_id: int, path: str) -> ChildRecord:
    """A child's record with everyone involved, if the policy allows; the read and its
    access record happen in one transaction."""
    with transaction.atomic():
        child = get_object_or_404(Child, pk=child_id)
        decision = policy.can_view_child(practitioner, child)
        if not decision:
            raise NoRelationship(child)
        involvements = list(
            child.involvements.select_related(
                "agency", "practitioner", "practitioner__home_agency"
            ).order_by("ended_on", "-started_on")
        )
        audit.record_access(
            practitioner=practitioner, children=[child], decision=decision, path=path
        )
    return ChildRecord(
        child=child, involvements=involvements, basis=decision.basis, reason=decision.reason
    )
