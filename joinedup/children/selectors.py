"""Reads of children and involvements, narrowed by the policy module and recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from joinedup.children.models import Child, Involvement, Shielding
from joinedup.children.provenance import Provenance, build_provenance
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction, AccessBasis, AccessRecord

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


def children_visible_to(practitioner: Practitioner) -> QuerySet[Child]:
    return Child.objects.filter(policy.visible_children_filter(practitioner))


def involvements_of(practitioner: Practitioner) -> QuerySet[Involvement]:
    """The practitioner's own current involvements, newest first."""
    return (
        Involvement.objects.current()
        .filter(practitioner=practitioner)
        .filter(policy.live_children_q("child__"))  # retention: archived records leave lists
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
class EarlyHelpIndicator:
    """That an early help assessment exists, and who holds it or is lead professional —
    an indicator only; the assessment itself stays in casework."""

    assessment_held_by: str
    lead_professional: str
    started_on: date | None = None


def early_help_indicator(
    child: Child, *, whereabouts_visible: bool = True
) -> EarlyHelpIndicator | None:
    """That the child has an open or recent (settings.EPISODE_RECENT_DAYS) early-help
    episode, and who the single point of contact is: one query. While the child is shielded
    from the reader the agency and contact details are withheld (names only)."""
    from joinedup.casework.selectors import existing_episode, lead_contact

    episode = existing_episode(child)
    if episode is None:
        return None
    holder = episode.lead_professional or episode.opened_by
    agency = holder.home_agency.name if holder.home_agency else str(holder)
    return EarlyHelpIndicator(
        assessment_held_by=agency if whereabouts_visible else "another agency (withheld)",
        lead_professional=lead_contact(episode, with_details=whereabouts_visible),
        started_on=episode.opened_on,
    )


@dataclass(frozen=True)
class ChildRecord:
    child: Child
    involvements: list[Involvement]
    basis: str
    reason: str
    # The child's index page (docs/child-index.md): what each agency said, and when.
    # Empty (and ``whereabouts_visible`` False) while the child is shielded from the reader.
    provenance: Provenance = field(default_factory=Provenance)
    early_help: EarlyHelpIndicator | None = None
    shielding: Shielding | None = None
    whereabouts_visible: bool = True
    may_shield: bool = False


def child_record(*, practitioner: Practitioner, child_id: int, path: str) -> ChildRecord:
    """A child's record with everyone involved, if the policy allows; the read and its
    access record happen in one transaction. The page's parts each ask the policy: which
    involvements and agencies' records may be seen (sensitive services need consent) and
    whether the child's whereabouts may be (shielding). The number of queries does not
    depend on how many involvements or source records the child has."""
    with transaction.atomic():
        child = get_object_or_404(Child, pk=child_id)
        decision = policy.can_view_child(practitioner, child)
        if not decision:
            raise NoRelationship(child)
        shielding = policy.active_shielding(child)
        whereabouts = policy.whereabouts_decision(practitioner, child, shielding)
        involvements = list(
            child.involvements.filter(policy.visible_involvements_filter(practitioner, child))
            .select_related("agency", "practitioner", "practitioner__home_agency")
            .order_by("ended_on", "-started_on")
        )
        provenance = Provenance()
        if whereabouts:
            records = (
                child.source_records.filter(
                    policy.visible_source_records_filter(practitioner, child)
                )
                .select_related("agency", "last_feed")
                .defer("last_feed__content")
            )
            provenance = build_provenance(records)
        audit.record_access(
            practitioner=practitioner, children=[child], decision=decision, path=path
        )
        may_shield = bool(policy.can_shield_child(practitioner, child)) if whereabouts else False
    return ChildRecord(
        child=child,
        involvements=involvements,
        basis=decision.basis,
        reason=decision.reason,
        provenance=provenance,
        early_help=early_help_indicator(child, whereabouts_visible=bool(whereabouts)),
        shielding=shielding,
        whereabouts_visible=bool(whereabouts),
        may_shield=may_shield,
    )


# Shielding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShieldingPage:
    child: Child
    shielding: Shielding | None
    history: list[Shielding]


def shielding_page(*, practitioner: Practitioner, child_id: int, path: str) -> ShieldingPage:
    """The shielding page of one child, for the data managers who may shield them; the
    child's name on it is a read, recorded (and flagged for review while shielded)."""
    with transaction.atomic():
        child = get_object_or_404(Child, pk=child_id)
        decision = policy.can_shield_child(practitioner, child)
        policy.require(
            decision,
            "Only a data manager of an agency holding a record about this child can shield it.",
        )
        history = list(
            child.shieldings.select_related("shielded_by", "lifted_by").order_by("-shielded_at")
        )
        audit.record_access(
            practitioner=practitioner,
            children=[child],
            decision=decision,
            what="Shielding",
            path=path,
        )
    active = next((item for item in history if item.lifted_at is None), None)
    return ShieldingPage(child=child, shielding=active, history=history)


@dataclass(frozen=True)
class ShieldingReviews:
    due: list[Shielding]
    shielded: list[Shielding]
    flagged: Page


def shielding_reviews(
    *, practitioner: Practitioner, page_number: str | int | None, path: str, page_size: int
) -> ShieldingReviews:
    """For a data manager: the shielded children they are data manager for (those whose
    review date has passed first) and the flagged views of shielded records still to
    review. Children's names in these lists are recorded as listed (not flagged)."""
    policy.require(policy.can_review_shielded_views(practitioner))
    today = timezone.localdate()
    with transaction.atomic():
        shieldings = list(
            Shielding.objects.active()
            .filter(
                child__in=Child.objects.filter(policy.data_manager_children_filter(practitioner))
            )
            .select_related("child", "shielded_by")
            .order_by("review_on", "pk")
        )
        flagged_records = (
            AccessRecord.objects.filter(policy.reviewable_access_filter(practitioner))
            .filter(review__isnull=True)
            .select_related("child", "practitioner", "practitioner__home_agency")
            .order_by("occurred_at", "pk")
        )
        flagged = Paginator(flagged_records, page_size).get_page(page_number)
        listed = {item.child_id: item.child for item in shieldings}
        for access in flagged.object_list:
            if access.child is not None:
                listed.setdefault(access.child.pk, access.child)
        audit.record_access(
            practitioner=practitioner,
            children=listed.values(),
            decision=policy.Decision(
                True,
                basis=AccessBasis.DATA_MANAGER,
                reason="Reviewing shielded records and views of them",
            ),
            action=AccessAction.LISTED,
            what="Name in the shielding review list",
            path=path,
        )
    return ShieldingReviews(
        due=[item for item in shieldings if item.review_on <= today],
        shielded=[item for item in shieldings if item.review_on > today],
        flagged=flagged,
    )
