"""The one place that decides who may do what to which record.

Every view, export, command and API endpoint asks a function here; nothing else decides.
Access to a child comes from a relationship — for now a current involvement (later: team
membership, referral, consent) — and lapses the day the relationship ends. Partnership
coordinators manage their partnership; system administrators manage accounts and see no
child data through that role.

Functions answer with a ``Decision`` (truthy when allowed) so callers can record *why*
access was given in the access record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeGuard

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from joinedup.children.models import Child, Involvement, current_involvement_q
from joinedup.partnerships.models import Membership, MembershipRole, Partnership
from joinedup.sharing.models import AccessBasis

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from joinedup.accounts.models import Practitioner
    from joinedup.partnerships.models import Agency

    User = Practitioner | AnonymousUser


@dataclass(frozen=True)
class Decision:
    allowed: bool
    basis: str = ""
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


DENIED = Decision(False)


def require(decision: Decision | bool, message: str = "") -> None:
    """Stop the request with 403 Forbidden unless the decision allows it."""
    if not decision:
        raise PermissionDenied(message or "You do not have access to this page.")


def _is_practitioner(user: User) -> TypeGuard[Practitioner]:
    return bool(user.is_authenticated and user.is_active)


# Children ------------------------------------------------------------------------------


def visible_children_filter(user: User) -> Q:
    """A filter on Child for the children this user may see; the list-shaped twin of
    ``can_view_child``, so lists and single records follow the same rules."""
    if not _is_practitioner(user):
        return Q(pk__in=[])
    involved = Involvement.objects.filter(
        current_involvement_q(), child=OuterRef("pk"), practitioner=user
    )
    return Q(Exists(involved))


def can_view_child(user: User, child: Child) -> Decision:
    if not _is_practitioner(user):
        return DENIED
    involvement = (
        Involvement.objects.current()
        .filter(child=child, practitioner=user)
        .order_by("started_on")
        .first()
    )
    if involvement is not None:
        return Decision(
            True,
            basis=AccessBasis.INVOLVEMENT,
            reason=f"Involved as {involvement.role} since {involvement.started_on:%d %b %Y}",
        )
    return DENIED


def can_end_involvement(user: User, involvement: Involvement) -> Decision:
    """Practitioners mark their own involvement as ended (as the child index allows)."""
    if not _is_practitioner(user):
        return DENIED
    allowed = involvement.practitioner_id == user.id and involvement.is_current
    return Decision(allowed, basis=AccessBasis.INVOLVEMENT if allowed else "")


# Partnerships and agencies -------------------------------------------------------------


def can_view_partnership(user: User, partnership: Partnership) -> Decision:
    """Who works in which partnership is not sensitive: any practitioner may look, so that
    colleagues in other agencies can find each other."""
    return Decision(_is_practitioner(user))


def is_coordinator_of(user: User, partnership: Partnership) -> bool:
    if not _is_practitioner(user):
        return False
    return (
        Membership.objects.current()
        .filter(partnership=partnership, practitioner=user, role=MembershipRole.COORDINATOR)
        .exists()
    )


def can_manage_partnership(user: User, partnership: Partnership) -> Decision:
    return Decision(is_coordinator_of(user, partnership))


def can_view_agency(user: User, agency: Agency) -> Decision:
    return Decision(_is_practitioner(user))


def can_list_partnerships(user: User) -> Decision:
    """The list of partnerships is a directory: any practitioner may browse it."""
    return Decision(_is_practitioner(user))


def can_list_agencies(user: User) -> Decision:
    """The list of agencies is a directory: any practitioner may browse it."""
    return Decision(_is_practitioner(user))


def can_manage_memberships(user: User, partnership: Partnership) -> Decision:
    """Coordinators (or chairs) add members to their own partnership, change their roles and
    end their memberships. Administrators use the admin site, not this role."""
    return Decision(is_coordinator_of(user, partnership))


def can_change_membership(user: User, membership: Membership) -> Decision:
    """A coordinator may change or end a membership of their partnership that has not
    already ended."""
    if membership.ended_on is not None and membership.ended_on <= timezone.localdate():
        return DENIED
    return can_manage_memberships(user, membership.partnership)


def coordinated_partnerships_filter(user: User) -> Q:
    if not _is_practitioner(user):
        return Q(pk__in=[])
    coordinating = Membership.objects.current().filter(
        partnership=OuterRef("pk"), practitioner=user, role=MembershipRole.COORDINATOR
    )
    return Q(Exists(coordinating))


# Accounts ------------------------------------------------------------------------------


def can_manage_accounts(user: User) -> Decision:
    return Decision(_is_practitioner(user) and user.is_superuser)


def requires_two_factor(user: User) -> bool:
    """Administrators and coordinators must use two-factor authentication; others may."""
    if not _is_practitioner(user):
        return False
    if user.is_superuser:
        return True
    return (
        Membership.objects.current()
        .filter(practitioner=user, role=MembershipRole.COORDINATOR)
        .exists()
    )
