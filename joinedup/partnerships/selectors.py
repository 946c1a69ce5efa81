"""Reads of agencies, partnerships and memberships."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.utils import timezone

from joinedup.partnerships.models import Agency, Membership, MembershipRole, Partnership
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


# Partnerships ---------------------------------------------------------------------------


def partnership_directory(
    *, viewer: Practitioner, government_model: str = ""
) -> QuerySet[Partnership]:
    """Every partnership with its base setting, how many agencies belong to it, and whether
    the viewer is a member or coordinator of it — in one query."""
    viewer_memberships = Membership.objects.current().filter(
        partnership=OuterRef("pk"), practitioner_id=viewer.pk
    )
    partnerships = (
        Partnership.objects.select_related("base_setting")
        .annotate(
            agency_count=Count("member_agencies", distinct=True),
            viewer_is_member=Exists(viewer_memberships),
            viewer_is_coordinator=ExpressionWrapper(
                policy.coordinated_partnerships_filter(viewer), output_field=BooleanField()
            ),
        )
        .order_by("name")
    )
    if government_model:
        partnerships = partnerships.filter(government_model=government_model)
    return partnerships


def partnership_for_page(partnership_id: int) -> QuerySet[Partnership]:
    """The queryset a partnership page looks its partnership up in."""
    return Partnership.objects.select_related("base_setting").filter(pk=partnership_id)


def _open_memberships(partnership: Partnership) -> QuerySet[Membership]:
    today = timezone.localdate()
    return (
        Membership.objects.filter(partnership=partnership)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=today))
        .select_related(
            "practitioner",
            "practitioner__home_agency",
            "practitioner__line_manager",
            "practitioner__professional_supervisor",
            "partnership_line_manager",
        )
        .order_by("practitioner__last_name", "practitioner__first_name", "started_on")
    )


@dataclass(frozen=True)
class PartnershipPeople:
    """Who is in a partnership: current members, those who join on a later date, the
    coordinators among the current members, and the member agencies."""

    current: list[Membership]
    upcoming: list[Membership]
    coordinators: list[Membership]
    agencies: list[Agency]


def partnership_people(partnership: Partnership) -> PartnershipPeople:
    """Members and agencies of one partnership in two queries, however many there are."""
    today = timezone.localdate()
    memberships = list(_open_memberships(partnership))
    current = [membership for membership in memberships if membership.started_on <= today]
    return PartnershipPeople(
        current=current,
        upcoming=[membership for membership in memberships if membership.started_on > today],
        coordinators=[m for m in current if m.role == MembershipRole.COORDINATOR],
        agencies=list(partnership.member_agencies.order_by("name")),
    )


def membership_for_change(*, partnership_id: int) -> QuerySet[Membership]:
    """The queryset a membership page looks its membership up in, within one partnership."""
    return Membership.objects.select_related(
        "partnership", "practitioner", "practitioner__home_agency", "partnership_line_manager"
    ).filter(partnership_id=partnership_id)


def practitioners_to_choose() -> QuerySet[Practitioner]:
    """Active practitioners, for choosing a new member or a line manager."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .select_related("home_agency")
        .order_by("last_name", "first_name", "username")
    )


def agencies_to_choose() -> QuerySet[Agency]:
    return Agency.objects.order_by("name")


# Agencies -------------------------------------------------------------------------------


def agency_directory(*, sector: str = "") -> QuerySet[Agency]:
    """Every agency with how many partnerships it belongs to, in one query."""
    agencies = Agency.objects.annotate(partnership_count=Count("partnerships", distinct=True))
    if sector:
        agencies = agencies.filter(sector=sector)
    return agencies.order_by("name")


@dataclass(frozen=True)
class AgencyProfile:
    agency: Agency
    practitioners: list[Practitioner]
    partnerships: list[Partnership]
    based_partnerships: list[Partnership]


def agency_profile(agency: Agency) -> AgencyProfile:
    """An agency's practitioners (names and job titles only) and its partnerships."""
    practitioners = list(
        get_user_model()
        .objects.filter(home_agency=agency, is_active=True)
        .only("pk", "username", "first_name", "last_name", "job_title")
        .order_by("last_name", "first_name")
    )
    return AgencyProfile(
        agency=agency,
        practitioners=practitioners,
        partnerships=list(agency.partnerships.order_by("name")),
        based_partnerships=list(agency.based_partnerships.order_by("name")),
    )
