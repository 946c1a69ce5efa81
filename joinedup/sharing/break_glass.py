"""Break-glass (emergency) access: starting it, telling the data protection leads at once,
and their review queue (issue 6, "Reasons and break-glass").

A practitioner who cannot wait opens a child's record outside their relationships for
``settings.BREAK_GLASS_HOURS`` with a mandatory reason. The data protection leads of every
partnership they belong to are told at once (or, where none is named, the data managers of
their home agency); the access waits in the leads' review queue until one reviews it.
Alerts name the child by given name and family initial only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.models import Practitioner
from joinedup.accounts.notifications import notify
from joinedup.partnerships.models import Membership, MembershipRole
from joinedup.sharing import policy
from joinedup.sharing.audit import record_access
from joinedup.sharing.models import (
    AccessAction,
    AccessBasis,
    AccessRecord,
    BreakGlassAccess,
    BreakGlassReview,
)

if TYPE_CHECKING:
    from joinedup.children.models import Child

MINIMUM_REASON_LENGTH = 10
NOTIFICATION_KIND = "break-glass"


def break_glass(
    *, practitioner: Practitioner, child: Child, reason: str, path: str = ""
) -> BreakGlassAccess:
    """Start emergency access to the child's record, tell the data protection leads at once
    and record the start in the child's access records, all in one transaction."""
    reason = reason.strip()
    if len(reason) < MINIMUM_REASON_LENGTH:
        raise ValidationError(
            "Say what the emergency is and why you cannot wait, in a sentence "
            f"(at least {MINIMUM_REASON_LENGTH} characters)"
        )
    policy.require(
        policy.can_break_glass(practitioner, child),
        "Emergency access is not available for this record.",
    )
    with transaction.atomic():
        now = timezone.now()
        access = BreakGlassAccess.objects.create(
            practitioner=practitioner,
            child=child,
            reason=reason,
            started_at=now,
            expires_at=now + timedelta(hours=settings.BREAK_GLASS_HOURS),
        )
        record_access(
            practitioner=practitioner,
            children=[child],
            decision=policy.Decision(
                True,
                basis=AccessBasis.BREAK_GLASS,
                reason=f"Emergency access started: {reason}",
            ),
            action=AccessAction.CHANGED,
            what="Emergency access started",
            path=path,
        )
        _alert(access)
    return access


def people_to_alert(practitioner: Practitioner) -> tuple[list[Practitioner], bool]:
    """The current data protection leads of every partnership the practitioner is a
    current member of (and True); where there are none, the data managers of their home
    agency (and False: they are told, but the review queue is the leads')."""
    their_partnerships = (
        Membership.objects.current().filter(practitioner=practitioner).values("partnership")
    )
    leads = Practitioner.objects.filter(
        pk__in=Membership.objects.current()
        .filter(partnership__in=their_partnerships, role=MembershipRole.DATA_PROTECTION_LEAD)
        .values("practitioner"),
        is_active=True,
    ).exclude(pk=practitioner.pk)
    people = list(leads)
    if people or practitioner.home_agency_id is None:
        return people, True
    data_managers = Practitioner.objects.filter(
        home_agency_id=practitioner.home_agency_id, is_data_manager=True, is_active=True
    ).exclude(pk=practitioner.pk)
    return list(data_managers), False


def _alert(access: BreakGlassAccess) -> None:
    child = access.child
    practitioner = access.practitioner
    short_name = f"{child.given_name} {child.family_name[:1]}."
    until = timezone.localtime(access.expires_at)
    people, are_leads = people_to_alert(practitioner)
    follow_up = (
        "Please review it."
        if are_leads
        else "No data protection lead is named in their partnerships: please make sure "
        "it is reviewed, and ask the partnership coordinator to name one."
    )
    notify(
        people,
        subject=f"Emergency access to a child's record by {practitioner}",
        body=(
            f"{practitioner} ({practitioner.job_title or 'practitioner'}) used emergency "
            f"access to the record of {short_name} at "
            f"{timezone.localtime(access.started_at):%d %b %Y %H:%M}. It lasts until "
            f"{until:%d %b %Y %H:%M}. {follow_up}"
        ),
        url=(
            reverse("children:break-glass-review", kwargs={"break_glass_id": access.pk})
            if are_leads
            else ""
        ),
        kind=NOTIFICATION_KIND,
        is_urgent=True,
    )


# Reviewing ------------------------------------------------------------------------------


def review_queue(user: Practitioner) -> QuerySet[BreakGlassAccess]:
    """Unreviewed emergency accesses this data protection lead may review, oldest first."""
    return (
        BreakGlassAccess.objects.filter(
            policy.reviewable_break_glass_filter(user), reviewed_at__isnull=True
        )
        .select_related("practitioner", "practitioner__home_agency", "child")
        .order_by("started_at", "pk")
    )


@dataclass(frozen=True)
class ReviewPage:
    access: BreakGlassAccess
    viewed: list[AccessRecord]


def review_page(*, user: Practitioner, break_glass_id: int, path: str) -> ReviewPage:
    """One emergency access with what the practitioner looked at during it; the reviewer
    sees the child's name, so the read is recorded (partnership oversight)."""
    with transaction.atomic():
        access = (
            BreakGlassAccess.objects.select_related(
                "practitioner", "practitioner__home_agency", "child", "reviewed_by"
            )
            .filter(pk=break_glass_id)
            .first()
        )
        if access is None:
            raise Http404("No such emergency access")
        decision = policy.can_review_break_glass_access(user, access)
        policy.require(decision, "Only a data protection lead can review this emergency access.")
        viewed = list(
            AccessRecord.objects.filter(
                practitioner=access.practitioner,
                child=access.child,
                occurred_at__gte=access.started_at,
                occurred_at__lte=access.expires_at,
            ).order_by("occurred_at", "pk")
        )
        record_access(
            practitioner=user,
            children=[access.child],
            decision=decision,
            what="Emergency access review",
            path=path,
        )
    return ReviewPage(access=access, viewed=viewed)


def review(
    *, access: BreakGlassAccess, by: Practitioner, outcome: str, note: str = ""
) -> BreakGlassAccess:
    """Record a data protection lead's review. A note is needed when the access was not
    justified; nobody reviews their own access, and an access is reviewed once."""
    note = note.strip()
    if outcome not in BreakGlassReview.values:
        raise ValidationError({"outcome": "Choose whether the emergency access was justified"})
    if outcome != BreakGlassReview.JUSTIFIED and not note:
        raise ValidationError({"note": "Say what you found and what happens next"})
    if access.practitioner_id == by.pk:
        raise ValidationError("You cannot review your own emergency access")
    with transaction.atomic():
        policy.require(policy.can_review_break_glass_access(by, access))
        locked = BreakGlassAccess.objects.select_for_update().get(pk=access.pk)
        if locked.reviewed_at is not None:
            raise ValidationError("This emergency access has already been reviewed")
        locked.reviewed_by = by
        locked.reviewed_at = timezone.now()
        locked.review_outcome = outcome
        locked.review_note = note
        locked.save(update_fields=["reviewed_by", "reviewed_at", "review_outcome", "review_note"])
    return locked


def active_break_glass(practitioner: Practitioner, child: Child) -> BreakGlassAccess | None:
    """The practitioner's current emergency access to the child, if any (for the banner)."""
    return (
        BreakGlassAccess.objects.filter(
            practitioner=practitioner, child=child, expires_at__gt=timezone.now()
        )
        .order_by("-started_at")
        .first()
    )
