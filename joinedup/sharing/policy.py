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
from joinedup.sharing.models import AccessBasis, StatedReason

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Feed
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
    stated = (
        StatedReason.objects.filter(practitioner=user, child=child, expires_at__gt=timezone.now())
        .order_by("-stated_at")
        .first()
    )
    if stated is not None:
        return Decision(
            True, basis=AccessBasis.STATED_REASON, reason=f"Stated reason: {stated.reason}"
        )
    return DENIED


def can_state_reason(user: User, child: Child) -> Decision:
    """Anyone signed in may open a child's record outside their relationships by stating
    why; the reason is recorded with every view and the access lapses after a few hours.
    (Administrators too: they see no child data *without* a recorded reason.)"""
    return Decision(_is_practitioner(user))


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
    """Administrators, coordinators and data managers (who send agencies' records in bulk)
    must use two-factor authentication; others may."""
    if not _is_practitioner(user):
        return False
    if user.is_superuser or user.is_data_manager:
        return True
    return (
        Membership.objects.current()
        .filter(practitioner=user, role=MembershipRole.COORDINATOR)
        .exists()
    )


# Agency feeds --------------------------------------------------------------------------
#
# An agency's data managers send its records about children to Joined Up and see what
# happened to them: the rows came from their own agency, so seeing them again is not a
# disclosure to anyone new. Nobody else submits or sees an agency's feeds — not
# coordinators, not other agencies, and not system administrators (who see no child data
# through that role).

AGENCY_OWN_RECORDS = AccessBasis.AGENCY_RECORD  # the agency's own submitted records


def is_data_manager_of(user: User, agency: Agency) -> bool:
    if not _is_practitioner(user):
        return False
    return bool(user.is_data_manager and user.home_agency_id == agency.pk)


def can_submit_feed(user: User, agency: Agency) -> Decision:
    """Data managers send their home agency's records, by upload or on the command line
    with --as."""
    if not is_data_manager_of(user, agency):
        return DENIED
    return Decision(
        True,
        basis=AGENCY_OWN_RECORDS,
        reason=f"Data manager of {agency.name}, sending its own records",
    )


def can_use_feeds(user: User) -> Decision:
    """Whether the person has any agency whose feeds they manage (the feeds pages)."""
    if not _is_practitioner(user):
        return DENIED
    return Decision(bool(user.is_data_manager and user.home_agency_id))


def feed_agencies_filter(user: User) -> Q:
    """A filter on Agency for the agencies whose feeds this user may submit and see."""
    if not _is_practitioner(user) or not user.is_data_manager or not user.home_agency_id:
        return Q(pk__in=[])
    return Q(pk=user.home_agency_id)


def can_view_feed(user: User, feed: Feed) -> Decision:
    """A feed's result page, progress and rejects file show the agency's own rows."""
    if not is_data_manager_of(user, feed.agency):
        return DENIED
    return Decision(
        True,
        basis=AGENCY_OWN_RECORDS,
        reason=f"Data manager of {feed.agency.name}, seeing the records it sent",
    )


def can_manage_feed_mapping(user: User, agency: Agency) -> Decision:
    """The column mapping is the agency's own setting, kept by its data managers."""
    return Decision(is_data_manager_of(user, agency))


def can_read_feed_format(user: User) -> Decision:
    """The documented format and the templates hold no child data: anyone signed in."""
    return Decision(_is_practitioner(user))
