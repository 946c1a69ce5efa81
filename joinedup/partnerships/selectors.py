"""Reads of agencies, partnerships and memberships."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Prefetch, QuerySet

from joinedup.partnerships.models import Membership, Partnership
from joinedup.sharing import policy

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


def current_memberships_of(practitioner: Practitioner) -> QuerySet[Membership]:
    return (
        Membership.objects.current()
        .filter(practitioner=practitioner)
        .select_related("partnership", "partnership__base_setting")
        .order_by("partnership__name")
    )


def partnerships_coordinated_by(practitioner: Practitioner) -> QuerySet[Partnership]:
    """The partnerships this practitioner coordinates or chairs, with their current members
    and member agencies loaded in a fixed number of queries."""
    return (
        Partnership.objects.filter(policy.coordinated_partnerships_filter(practitioner))
        .select_related("base_setting")
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.current()
                .select_related("practitioner", "practitioner__home_agency")
                .order_by("practitioner__last_name", "practitioner__first_name"),
                to_attr="current_memberships",
            ),
            "member_agencies",
        )
        .order_by("name")
    )
