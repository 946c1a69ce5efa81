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

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TypeGuard

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from joinedup.casework.models import (
    Action,
    Episode,
    EpisodeStatus,
    TeamMember,
    current_team_member_q,
)
from joinedup.children.models import (
    Child,
    Involvement,
    LinkEvent,
    LinkEventKind,
    MatchReview,
    Shielding,
    SourceRecord,
    current_involvement_q,
)
from joinedup.partnerships.models import Membership, MembershipRole, Partnership, Sector
from joinedup.referrals.models import LIVE_STATUSES, Referral, ReferralStatus, Service
from joinedup.sharing.models import (
    AccessBasis,
    BreakGlassAccess,
    Consent,
    SharingDecision,
    StatedReason,
    current_consent_q,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from joinedup.accounts.models import Notification, Practitioner
    from joinedup.casework.models import Assessment, LeadHandoverOffer, StepUp
    from joinedup.children.models import Feed, RejectedRow
    from joinedup.partnerships.models import Agency
    from joinedup.referrals.models import ServiceImport
    from joinedup.sharing.models import AccessRecord
    from joinedup.toolkit.models import Exercise, PartnershipMeeting, SelfEvaluation

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
    """Stop the request with 403 Forbidden unless the decision allows it. A refusal that
    gives its reason (access that lapsed, say) tells the user why."""
    if not decision:
        reason = decision.reason if isinstance(decision, Decision) else ""
        raise PermissionDenied(reason or message or "You do not have access to this page.")


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
    # Casework: a current member of the team around the child of an open episode.
    on_team = TeamMember.objects.filter(
        current_team_member_q(),
        practitioner=user,
        episode__status=EpisodeStatus.OPEN,
        episode__episode_children__child=OuterRef("pk"),
    ).filter(team_access_q())
    # Retention: an archived record leaves every practitioner's lists (live_children_q).
    return (Q(Exists(involved)) | Q(Exists(on_team))) & live_children_q()


def can_view_child(user: User, child: Child) -> Decision:
    if not _is_practitioner(user):
        return DENIED
    # Retention: an archived record (the child has turned 18) is seen by data managers of
    # the agencies holding a record about the child, and nobody else — not through an
    # involvement, not with a stated reason.
    if child.archived_on is not None:
        return _archived_record_decision(user, child)
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
    membership = _current_team_membership_for_child(user, child)
    if membership is not None:
        return _team_decision(membership)
    stated = (
        StatedReason.objects.filter(practitioner=user, child=child, expires_at__gt=timezone.now())
        .order_by("-stated_at")
        .first()
    )
    if stated is not None:
        return Decision(
            True, basis=AccessBasis.STATED_REASON, reason=f"Stated reason: {stated.reason}"
        )
    # Issue 6: emergency access, time-limited, reviewed by a data protection lead.
    emergency = (
        BreakGlassAccess.objects.filter(
            practitioner=user, child=child, expires_at__gt=timezone.now()
        )
        .order_by("-started_at")
        .first()
    )
    if emergency is not None:
        return Decision(
            True,
            basis=AccessBasis.BREAK_GLASS,
            reason=f"Emergency access until {timezone.localtime(emergency.expires_at):%d %b %Y %H:%M}: {emergency.reason}",
        )
    return DENIED


def can_state_reason(user: User, child: Child) -> Decision:
    """Anyone signed in may open a child's record outside their relationships by stating
    why; the reason is recorded with every view and the access lapses after a few hours.
    (Administrators too: they see no child data *without* a recorded reason.)
    An archived record cannot be opened this way (retention: data managers only)."""
    return Decision(_is_practitioner(user) and child.archived_on is None)


# Break-glass (emergency) access ----------------------------------------------------------
#
# In an emergency a practitioner opens a child's record outside their relationships for a
# few hours (settings.BREAK_GLASS_HOURS) with a mandatory reason; the data protection leads
# of their partnerships are told at once and review it (sharing.break_glass).


def can_break_glass(user: User, child: Child) -> Decision:
    """Any practitioner (not a system administrator through that role) for a live record:
    not archived, not merged into another."""
    if not _is_practitioner(user) or user.is_superuser:
        return DENIED
    return Decision(child.archived_on is None and child.merged_into_id is None)


def _data_protection_partnerships(user: Practitioner) -> Any:
    return (
        Membership.objects.current()
        .filter(practitioner=user, role=MembershipRole.DATA_PROTECTION_LEAD)
        .values("partnership")
    )


def can_review_break_glass(user: User) -> Decision:
    """The review queue: a current data protection lead of some partnership."""
    if not _is_practitioner(user):
        return DENIED
    return Decision(_data_protection_partnerships(user).exists())


def reviewable_break_glass_filter(user: User) -> Q:
    """A filter on BreakGlassAccess: accesses by current members of a partnership of which
    this user is a current data protection lead (never their own)."""
    if not _is_practitioner(user):
        return Q(pk__in=[])
    in_led_partnership = Membership.objects.current().filter(
        practitioner=OuterRef("practitioner"),
        partnership__in=_data_protection_partnerships(user),
    )
    return Q(Exists(in_led_partnership)) & ~Q(practitioner=user)


def can_review_break_glass_access(user: User, access: BreakGlassAccess) -> Decision:
    """Reviewing one emergency access (and seeing whose record it opened): a data protection
    lead of a partnership the practitioner belongs to, never the practitioner themselves."""
    if not _is_practitioner(user) or access.practitioner_id == user.pk:
        return DENIED
    if not BreakGlassAccess.objects.filter(
        reviewable_break_glass_filter(user), pk=access.pk
    ).exists():
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.PARTNERSHIP_OVERSIGHT,
        reason="Data protection lead reviewing an emergency (break-glass) access",
    )


# Sharing without consent (issue 6) -------------------------------------------------------
#
# A decision to share a child's information without consent is confirmed by the decider's
# supervisor (professional supervisor, else line manager: SharingDecision.supervisor).
# When there is none, or once the time to confirm has passed (escalated), a current data
# protection lead of a partnership the decider belongs to may confirm it instead. Nobody
# confirms their own decision. Anyone practising may open the queue: it lists only the
# decisions waiting for them (sharing.sharing_decisions).


def can_view_sharing_decision_queue(user: User) -> Decision:
    if not _is_practitioner(user) or user.is_superuser:
        return DENIED
    return Decision(True)


def confirmable_sharing_decisions_filter(user: User) -> Q:
    """A filter on SharingDecision: those this user may confirm (confirmed or not)."""
    if not _is_practitioner(user) or user.is_superuser:
        return Q(pk__in=[])
    decider_in_led_partnership = Membership.objects.current().filter(
        practitioner=OuterRef("decided_by"),
        partnership__in=_data_protection_partnerships(user),
    )
    as_lead = (Q(supervisor__isnull=True) | Q(escalated_at__isnull=False)) & Q(
        Exists(decider_in_led_partnership)
    )
    return (Q(supervisor=user) | as_lead) & ~Q(decided_by=user)


def can_confirm_sharing_decision(user: User, decision: SharingDecision) -> Decision:
    """Confirming one decision (and reading it): its supervisor, or a data protection lead
    of the decider's partnership when there is no supervisor or it was escalated."""
    if not _is_practitioner(user) or user.is_superuser or decision.decided_by_id == user.pk:
        return DENIED
    if decision.supervisor_id == user.pk:
        return Decision(
            True,
            basis=AccessBasis.SHARING_REVIEW,
            reason="Supervisor confirming a decision to share without consent",
        )
    if not SharingDecision.objects.filter(
        confirmable_sharing_decisions_filter(user), pk=decision.pk
    ).exists():
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.SHARING_REVIEW,
        reason="Data protection lead confirming a decision to share without consent",
    )


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
    """Every practitioner must use two-factor authentication: anyone signed in can search
    the child index and open records, so a password alone (phished, guessed or reused)
    must never be enough."""
    return _is_practitioner(user)


def can_read_notification(user: User, notification: Notification) -> Decision:
    """A notification is its recipient's alone: only they open it or mark it read."""
    return Decision(_is_practitioner(user) and notification.recipient_id == user.pk)


# Agency feeds --------------------------------------------------------------------------
#
# An agency's data managers send its records about children to Joined Up and see what
# happened to them: the rows came from their own agency, so seeing them again is not a
# disclosure to anyone new. Nobody else submits or sees an agency's feeds — not
# coordinators, not other agencies, and not system administrators (who see no child data
# through that role).


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
        basis=AccessBasis.AGENCY_RECORD,
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
        basis=AccessBasis.AGENCY_RECORD,
        reason=f"Data manager of {feed.agency.name}, seeing the records it sent",
    )


def can_deal_with_reject(user: User, reject: RejectedRow) -> Decision:
    """Marking a rejected row as dealt with, without sending it again, is the agency's own
    decision about its own row: its data managers."""
    if not is_data_manager_of(user, reject.feed.agency):
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.AGENCY_RECORD,
        reason=f"Data manager of {reject.feed.agency.name}, dealing with a row it sent",
    )


def can_manage_feed_mapping(user: User, agency: Agency) -> Decision:
    """The column mapping is the agency's own setting, kept by its data managers."""
    return Decision(is_data_manager_of(user, agency))


def can_read_feed_format(user: User) -> Decision:
    """The documented format and the templates hold no child data: anyone signed in."""
    return Decision(_is_practitioner(user))


# The child's index page: sensitive services -------------------------------------------
#
# Involvement with a sensitive service (sexual health, mental health, substance misuse) is
# shown only where explicit consent is recorded. Until then only the practitioner involved
# sees it. An involvement is sensitive when it is marked so, or when its agency is itself a
# sensitive service; an agency that is a sensitive service also has its *records* about the
# child (source records) hidden, since "the sexual health clinic holds a record" is itself
# the sensitive fact — unless consent is recorded on an involvement with that agency.


def _not_sensitive_involvement_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}sensitive_service": ""}) & Q(**{f"{prefix}agency__sensitive_service": ""})


def visible_involvements_filter(user: User, child: Child) -> Q:
    """A filter on Involvement for the child's involvements this user may see on the
    child's page (who is involved). Use with ``child.involvements.filter(...)``."""
    if not _is_practitioner(user):
        return Q(pk__in=[])
    return (
        _not_sensitive_involvement_q() | Q(consent_recorded_on__isnull=False) | Q(practitioner=user)
    )


def can_see_involvement(user: User, involvement: Involvement) -> Decision:
    """The single-involvement twin of ``visible_involvements_filter``."""
    if not _is_practitioner(user):
        return DENIED
    sensitive = bool(involvement.sensitive_service or involvement.agency.sensitive_service)
    return Decision(
        not sensitive
        or involvement.consent_recorded_on is not None
        or involvement.practitioner_id == user.id
    )


def visible_source_records_filter(user: User, child: Child) -> Q:
    """A filter on SourceRecord for the child's records (from agencies' feeds) this user may
    see: every agency's, except a sensitive service's — shown only when an involvement with
    that agency has consent recorded, or to the practitioner involved from that agency, or
    to that agency's own data managers (their own records)."""
    if not _is_practitioner(user):
        return Q(pk__in=[])
    consented = Involvement.objects.filter(child=child, agency=OuterRef("agency")).filter(
        Q(consent_recorded_on__isnull=False) | Q(practitioner=user)
    )
    allowed = Q(agency__sensitive_service="") | Q(Exists(consented))
    if user.is_data_manager and user.home_agency_id:
        allowed |= Q(agency_id=user.home_agency_id)
    return allowed


def can_record_consent(user: User, involvement: Involvement) -> Decision:
    """The practitioner involved records that the child (or parent/carer) consented to
    other practitioners seeing a sensitive involvement."""
    if not _is_practitioner(user):
        return DENIED
    sensitive = bool(involvement.sensitive_service or involvement.agency.sensitive_service)
    return Decision(
        sensitive
        and involvement.practitioner_id == user.id
        and involvement.is_current
        and involvement.consent_recorded_on is None,
        basis=AccessBasis.INVOLVEMENT,
    )


# Shielding and retention: data managers of a child's agencies -------------------------
#
# Which data managers? Those whose home agency holds a record about the child: a source
# record it sent, or an involvement (current or past) of the agency. They know the child
# through their own agency's data, so they can judge a shielding and see an archived
# record; a data manager of an unconnected agency cannot — the index is relationship-based.


def live_children_q(prefix: str = "") -> Q:
    """Children whose record is not archived (retention) nor merged into another child
    (identity matching); every practitioner-facing list
    of children narrows by this. ``prefix`` e.g. ``"child__"`` for filters on Involvement."""
    # Identity matching: a record merged into another child leaves lists and search too
    # (everything it held now belongs to the child it was merged into).
    return Q(**{f"{prefix}archived_on__isnull": True}) & Q(**{f"{prefix}merged_into__isnull": True})


def data_manager_children_filter(user: User) -> Q:
    """A filter on Child for the children this user is a data manager for."""
    if not _is_practitioner(user) or not user.is_data_manager or not user.home_agency_id:
        return Q(pk__in=[])
    agency = user.home_agency_id
    records = SourceRecord.objects.filter(child=OuterRef("pk"), agency_id=agency)
    involvements = Involvement.objects.filter(child=OuterRef("pk"), agency_id=agency)
    return Q(Exists(records)) | Q(Exists(involvements))


def is_data_manager_for_child(user: User, child: Child) -> bool:
    if not _is_practitioner(user) or not user.is_data_manager or not user.home_agency_id:
        return False
    agency = user.home_agency_id
    return (
        SourceRecord.objects.filter(child=child, agency_id=agency).exists()
        or Involvement.objects.filter(child=child, agency_id=agency).exists()
    )


def _data_manager_decision(user: User, child: Child, why: str) -> Decision:
    if not _is_practitioner(user) or not is_data_manager_for_child(user, child):
        return DENIED
    agency = user.home_agency.name if user.home_agency else "their agency"
    return Decision(True, basis=AccessBasis.DATA_MANAGER, reason=f"Data manager of {agency}, {why}")


def _archived_record_decision(user: User, child: Child) -> Decision:
    return _data_manager_decision(user, child, "seeing an archived record")


def can_shield_child(user: User, child: Child) -> Decision:
    """A data manager of one of the child's agencies shields the child (reason, review
    date) or lifts the shielding; the same people see the shielding page."""
    return _data_manager_decision(user, child, "managing the shielding of the record")


# A family's view (subject access, issue 6): a report for the child or family of what Joined
# Up holds. Produced by a data manager of one of the child's agencies (subject access
# requests are information governance work). It never shows an involvement with, a record
# from, or a look at the record by a sensitive service unless consent is recorded on an
# involvement with that agency — other people in the family may read the report.


def can_produce_family_view(user: User, child: Child) -> Decision:
    return _data_manager_decision(user, child, "producing the family's view (subject access)")


def family_view_involvements_filter() -> Q:
    """A filter on Involvement for what the family's view shows."""
    return _not_sensitive_involvement_q() | Q(consent_recorded_on__isnull=False)


def family_view_agency_filter(child: Child, prefix: str = "agency__") -> Q:
    """A filter on anything with an agency (through ``prefix``) that the family's view may
    name: any agency but a sensitive service without a consented involvement."""
    consented = Involvement.objects.filter(
        child=child, agency=OuterRef(f"{prefix}pk"), consent_recorded_on__isnull=False
    )
    return Q(**{f"{prefix}sensitive_service": ""}) | Q(Exists(consented))


def active_shielding(child: Child) -> Shielding | None:
    return Shielding.objects.active().filter(child=child).first()


def can_see_whereabouts(user: User, child: Child) -> Decision:
    """Whether this user may see the child's whereabouts — address and postcode,
    educational setting, GP practice, parent/carer contact details, and the agencies and
    contact details of those involved. Everyone may while the child is not shielded; while
    shielded, only the data managers who may shield the child.

    Every page, search result and export that shows such details asks this (or, for many
    children at once, ``children_with_hidden_whereabouts`` / ``whereabouts_hidden_filter``)."""
    return whereabouts_decision(user, child, active_shielding(child))


def whereabouts_decision(user: User, child: Child, shielding: Shielding | None) -> Decision:
    """``can_see_whereabouts`` for a caller that has already read the active shielding."""
    if not _is_practitioner(user):
        return DENIED
    if shielding is None:
        return Decision(True)
    return can_shield_child(user, child)


def children_with_hidden_whereabouts(user: User, child_ids: Iterable[int]) -> set[int]:
    """For lists and search results: of these children, the IDs whose whereabouts this user
    may not see (shielded children, unless the user is a data manager who may shield
    them). Two queries at most, however many children."""
    ids = set(child_ids)
    if not ids:
        return set()
    shielded = set(
        Shielding.objects.active().filter(child_id__in=ids).values_list("child_id", flat=True)
    )
    if not shielded or not _is_practitioner(user):
        return shielded
    managed = set(
        Child.objects.filter(pk__in=shielded)
        .filter(data_manager_children_filter(user))
        .values_list("pk", flat=True)
    )
    return shielded - managed


def whereabouts_hidden_filter(user: User, prefix: str = "") -> Q:
    """The queryset form of ``children_with_hidden_whereabouts``: a filter on Child (or,
    with ``prefix="child__"``, on a model with a ``child`` key) matching the children whose
    whereabouts this user may NOT see. For search: exclude or annotate with it."""
    active = Shielding.objects.active().filter(child=OuterRef(f"{prefix}pk" if prefix else "pk"))
    shielded = Q(Exists(active))
    if not _is_practitioner(user) or not user.is_data_manager or not user.home_agency_id:
        return shielded
    agency = user.home_agency_id
    outer = f"{prefix}pk" if prefix else "pk"
    records = SourceRecord.objects.filter(child=OuterRef(outer), agency_id=agency)
    involvements = Involvement.objects.filter(child=OuterRef(outer), agency_id=agency)
    return shielded & ~Q(Exists(records)) & ~Q(Exists(involvements))


def can_review_shielded_views(user: User) -> Decision:
    """The list of shielded children due for review and of flagged views: data managers
    (narrowed to the children they are data managers for)."""
    if not _is_practitioner(user):
        return DENIED
    return Decision(bool(user.is_data_manager and user.home_agency_id))


def reviewable_access_filter(user: User) -> Q:
    """A filter on AccessRecord: the flagged views this user may review."""
    if not _is_practitioner(user) or not can_review_shielded_views(user):
        return Q(pk__in=[])
    agency = user.home_agency_id or 0
    records = SourceRecord.objects.filter(child=OuterRef("child"), agency_id=agency)
    involvements = Involvement.objects.filter(child=OuterRef("child"), agency_id=agency)
    return Q(flagged_for_review=True) & (Q(Exists(records)) | Q(Exists(involvements)))


def can_review_access(user: User, access_record: AccessRecord) -> Decision:
    if not access_record.flagged_for_review or access_record.child is None:
        return DENIED
    return can_shield_child(user, access_record.child)


# Searching the child index -------------------------------------------------------------


def can_search_children(user: User) -> Decision:
    """Any practitioner may search the child index for a child they need to find; every
    search is recorded with what was entered and which children it returned. System
    administrators may not: the results show children's names and dates of birth, and
    administrators see no child data through that role."""
    if not _is_practitioner(user) or user.is_superuser:
        return DENIED
    return Decision(True, reason="Searching the child index")


# Identity matching: the review queue, merges and splits -------------------------------
#
# Deciding which agencies' records describe one child is a data manager's job. Scope is
# the same relationship rule as shielding: a data manager may act where their home agency
# holds a record about a child involved — a source record it sent (linked to the child, or
# the record under review) or an involvement of the agency. A merge needs that for at
# least one of the two children, because a duplicate usually arises exactly when another
# agency's record failed to link to the child the data manager's agency knows.


def can_use_matching(user: User) -> Decision:
    """The review queue page: data managers with a home agency (narrowed to the reviews
    they may decide, ``match_reviews_filter``)."""
    if not _is_practitioner(user):
        return DENIED
    return Decision(bool(user.is_data_manager and user.home_agency_id))


def _agency_holds_child_q(agency_id: int, outer: str) -> Q:
    records = SourceRecord.objects.filter(child=OuterRef(outer), agency_id=agency_id)
    involvements = Involvement.objects.filter(child=OuterRef(outer), agency_id=agency_id)
    return Q(Exists(records)) | Q(Exists(involvements))


def match_reviews_filter(user: User) -> Q:
    """A filter on MatchReview: the possible matches this user may see and decide."""
    if not can_use_matching(user):
        return Q(pk__in=[])
    agency = int(user.home_agency_id or 0)  # type: ignore[union-attr]
    return (
        Q(source_record__agency_id=agency)
        | _agency_holds_child_q(agency, "child")
        | _agency_holds_child_q(agency, "candidate_child")
    )


def can_decide_review(user: User, review: MatchReview) -> Decision:
    """A data manager whose agency sent the record under review or holds a record about
    either child decides whether they are one child. The page shows both children's source
    records, so the decision doubles as the basis of the access records."""
    if not can_use_matching(user):
        return DENIED
    allowed = MatchReview.objects.filter(pk=review.pk).filter(match_reviews_filter(user)).exists()
    if not allowed:
        return DENIED
    agency = user.home_agency.name if user.home_agency else "their agency"  # type: ignore[union-attr]
    return Decision(
        True,
        basis=AccessBasis.DATA_MANAGER,
        reason=f"Data manager of {agency}, reviewing a possible match of records",
    )


def can_manage_child_identity(user: User, child: Child) -> Decision:
    """A child's linked records and link history, splitting the child, and starting a
    merge from the child: data managers of an agency holding a record about the child."""
    if child.merged_into_id is not None:
        return DENIED
    return _data_manager_decision(user, child, "managing which records make up the child")


def can_merge_children(user: User, keep: Child, merge: Child) -> Decision:
    """Merging two records of one child: a data manager of an agency holding a record about
    either of them (both records are shown on the confirmation page)."""
    if keep.pk == merge.pk or keep.merged_into_id or merge.merged_into_id:
        return DENIED
    decision = can_manage_child_identity(user, keep)
    return decision or can_manage_child_identity(user, merge)


def can_undo_link_event(user: User, event: LinkEvent) -> Decision:
    """Undoing a merge (restoring both children) or a split: a data manager who may manage
    either child, while the change has not been undone already."""
    if event.kind not in {LinkEventKind.MERGED, LinkEventKind.SPLIT}:
        return DENIED
    if LinkEvent.objects.filter(reverses=event).exists() or event.child is None:
        return DENIED
    decision = _data_manager_decision(user, event.child, "undoing a merge or split")
    if not decision and event.other_child is not None:
        decision = _data_manager_decision(user, event.other_child, "undoing a merge or split")
    return decision


# Referrals: the services directory -----------------------------------------------------
#
# The directory holds no child data: anyone, signed in or not, may search it and read a
# published entry (families use it too). An entry is kept up to date by its maintainers
# (the service's own staff) and by whoever manages the services of its agency: the
# agency's data managers, and the coordinators of a partnership the agency belongs to.
# The same people see an unpublished entry and import entries for those agencies.


def service_agencies_filter(user: User) -> Q:
    """A filter on Agency: the agencies whose directory entries this user manages (adds,
    changes, imports)."""
    if not _is_practitioner(user):
        return Q(pk__in=[])
    coordinating = Membership.objects.current().filter(
        practitioner=user,
        role=MembershipRole.COORDINATOR,
        partnership__member_agencies=OuterRef("pk"),
    )
    allowed = Q(Exists(coordinating))
    if user.is_data_manager and user.home_agency_id:
        allowed |= Q(pk=user.home_agency_id)
    return allowed


def can_manage_agency_services(user: User, agency: Agency) -> Decision:
    """The agency's data managers, and coordinators of a partnership it belongs to."""
    if not _is_practitioner(user):
        return DENIED
    if is_data_manager_of(user, agency):
        return Decision(True, reason=f"Data manager of {agency.name}")
    coordinating = Membership.objects.current().filter(
        practitioner=user, role=MembershipRole.COORDINATOR, partnership__member_agencies=agency
    )
    if coordinating.exists():
        return Decision(True, reason=f"Coordinator of a partnership {agency.name} belongs to")
    return DENIED


def can_add_service(user: User) -> Decision:
    """Adding an entry, or importing entries from CSV: someone who manages the services of
    at least one agency."""
    if not _is_practitioner(user):
        return DENIED
    if user.is_data_manager and user.home_agency_id:
        return Decision(True)
    return Decision(
        Membership.objects.current()
        .filter(
            practitioner=user,
            role=MembershipRole.COORDINATOR,
            partnership__member_agencies__isnull=False,
        )
        .exists()
    )


def can_import_services(user: User) -> Decision:
    return can_add_service(user)


def maintained_services_filter(user: User) -> Q:
    """A filter on Service: the entries this user may change (the list-shaped twin of
    ``can_maintain_service``)."""
    if not _is_practitioner(user):
        return Q(pk__in=[])
    maintainer = Service.maintainers.through.objects.filter(
        service_id=OuterRef("pk"), practitioner_id=user.pk
    )
    coordinating = Membership.objects.current().filter(
        practitioner=user,
        role=MembershipRole.COORDINATOR,
        partnership__member_agencies=OuterRef("agency_id"),
    )
    allowed = Q(Exists(maintainer)) | Q(Exists(coordinating))
    if user.is_data_manager and user.home_agency_id:
        allowed |= Q(agency_id=user.home_agency_id)
    return allowed


def can_maintain_service(user: User, service: Service) -> Decision:
    """Changing an entry and confirming it is still correct: its maintainers (the
    service's own staff), or whoever manages its agency's services."""
    if not _is_practitioner(user):
        return DENIED
    if service.maintainers.filter(pk=user.pk).exists():
        return Decision(True, reason="Maintains the entry")
    return can_manage_agency_services(user, service.agency)


def visible_services_filter(user: User) -> Q:
    """A filter on Service: published entries, and unpublished ones the user maintains."""
    return Q(is_published=True) | maintained_services_filter(user)


def can_view_service(user: User, service: Service) -> Decision:
    """A published entry is public; an unpublished one is seen by its maintainers only."""
    if service.is_published:
        return Decision(True)
    return can_maintain_service(user, service)


def can_see_service_contact_person(user: User) -> Decision:
    """The named contact person is for practitioners; families see how to refer, the
    service's address and its opening times."""
    return Decision(_is_practitioner(user))


def can_export_services(user: User) -> Decision:
    """The directory as a CSV file (with contact people): anyone signed in."""
    return Decision(_is_practitioner(user))


def can_list_my_services(user: User) -> Decision:
    """The "My services" page lists the entries the person maintains (perhaps none)."""
    return Decision(_is_practitioner(user))


def can_view_service_import(user: User, service_import: ServiceImport) -> Decision:
    """An import's result and its rejected rows: the person who imported the file, while
    they may still import."""
    if not _is_practitioner(user) or service_import.imported_by_id != user.pk:
        return DENIED
    return can_import_services(user)


# Casework: early-help episodes and the team around the child ---------------------------
#
# A current member of the team around the child of an open episode sees the episode and
# its children's records, from the day they join until (not including) the day they leave.
# The practitioner who opened the episode sees it while they still have a relationship
# with one of its children. The lead professional manages the team (before a lead is
# chosen, the opener does).


# Consent (issue 6): a team member from another agency sees the episode's information only
# while the family's consent to sharing with them is in force — with the team's agencies,
# or with their agency by name. Withdrawal or expiry ends it on that day: every check
# below reads team_access_q, so the next request is refused and says why. The lead
# professional and the practitioner who opened the episode keep access: the information
# is their own agency's, and someone must be able to close the episode or seek consent again.


def team_access_q(on: date | None = None) -> Q:
    """A filter on TeamMember: memberships that let the member see the episode today."""
    consented = Consent.objects.filter(
        current_consent_q(on), episode=OuterRef("episode"), for_sharing=True
    ).filter(Q(to_team=True) | Q(agencies=OuterRef("agency")))
    return (
        Q(practitioner=F("episode__lead_professional"))
        | Q(practitioner=F("episode__opened_by"))
        | Q(Exists(consented))
    )


def _consent_lapsed_decision(user: Practitioner, episode: Episode) -> Decision:
    """The refusal for a current team member whose access ended with the family's consent."""
    if not TeamMember.objects.current().filter(practitioner=user, episode=episode).exists():
        return DENIED
    latest = (
        Consent.objects.filter(episode=episode, for_sharing=True, superseded_at__isnull=True)
        .order_by("-given_on", "-pk")
        .first()
    )
    if latest is None:
        what = "no consent to sharing with the team's agencies is recorded"
    elif latest.withdrawn_on is not None and latest.withdrawn_on <= timezone.localdate():
        what = f"the family withdrew consent to sharing on {latest.withdrawn_on:%-d %B %Y}"
    elif latest.expires_on is not None and latest.expires_on <= timezone.localdate():
        what = f"the family's consent to sharing expired on {latest.expires_on:%-d %B %Y}"
    else:
        what = "the family's consent to sharing does not cover your agency"
    lead = episode.lead_professional or episode.opened_by
    return Decision(
        False,
        reason=(
            f"You can no longer see this early help episode: {what}. You are still on the "
            f"team, but its information is not shared with you. {lead} (the lead "
            "professional) can tell you more."
        ),
    )


def _current_team_membership_for_child(user: Practitioner, child: Child) -> TeamMember | None:
    return (
        TeamMember.objects.current()
        .filter(
            practitioner=user,
            episode__status=EpisodeStatus.OPEN,
            episode__episode_children__child=child,
        )
        .filter(team_access_q())
        .order_by("joined_on")
        .first()
    )


def _team_decision(membership: TeamMember) -> Decision:
    return Decision(
        True,
        basis=AccessBasis.TEAM_MEMBERSHIP,
        reason=(
            f"Member of the team around the child as {membership.role} "
            f"since {membership.joined_on:%d %b %Y}"
        ),
    )


def current_team_membership(user: User, episode: Episode) -> TeamMember | None:
    if not _is_practitioner(user) or not episode.is_open:
        return None
    return (
        TeamMember.objects.current()
        .filter(practitioner=user, episode=episode)
        .filter(team_access_q())
        .order_by("joined_on")
        .first()
    )


def can_open_episode(user: User, child: Child) -> Decision:
    """A practitioner who may see the child opens an early-help episode for them (not a
    system administrator through that role). Whether one already exists is the duplicate
    guard's business (casework.selectors.existing_episode), not the policy's."""
    if not _is_practitioner(user) or user.is_superuser or child.merged_into_id is not None:
        return DENIED
    return can_view_child(user, child)


def can_view_episode(user: User, episode: Episode) -> Decision:
    """Current members of the team (while the episode is open), and the practitioner who
    opened it while they may still see one of its children."""
    if not _is_practitioner(user):
        return DENIED
    membership = current_team_membership(user, episode)
    if membership is not None:
        return _team_decision(membership)
    if episode.opened_by_id == user.pk:
        for link in episode.episode_children.select_related("child"):
            decision = can_view_child(user, link.child)
            if decision:
                return decision
    if episode.is_open:
        return _consent_lapsed_decision(user, episode)
    return DENIED


def can_manage_team(user: User, episode: Episode) -> Decision:
    """Adding and removing team members, the check before assessing and choosing the lead
    professional: the lead professional, or the opener before a lead is chosen."""
    if not _is_practitioner(user) or not episode.is_open:
        return DENIED
    decision = can_view_episode(user, episode)
    if not decision:
        return DENIED
    if episode.lead_professional_id is not None:
        return decision if episode.lead_professional_id == user.pk else DENIED
    return decision if episode.opened_by_id == user.pk else DENIED


def can_record_consent_for_episode(user: User, episode: Episode) -> Decision:
    """Recording and withdrawing consent: any practitioner who may see the open episode
    (withdrawal must never wait for the lead professional)."""
    if not _is_practitioner(user) or not episode.is_open:
        return DENIED
    return can_view_episode(user, episode)


# Casework: the action plan --------------------------------------------------------------
#
# Whoever may see the episode reads its plan. The lead professional (before a lead is
# chosen, the opener) manages needs, desired outcomes and actions, and may update any
# action; other team members update the actions they are responsible for. "My actions"
# lists a practitioner's actions only in open episodes where they are a current member of
# the team — the list-shaped twin of team access, so leaving the team takes them off it.


def can_view_plan(user: User, episode: Episode) -> Decision:
    return can_view_episode(user, episode)


def can_manage_plan(user: User, episode: Episode) -> Decision:
    """Adding needs, desired outcomes and actions: the lead professional, or the opener
    before a lead is chosen; open episodes only."""
    return can_manage_team(user, episode)


def can_edit_action(user: User, action: Action) -> Decision:
    """Updating an action (its details or status): the lead professional, or a team member
    who may see the episode and is responsible for the action."""
    episode = action.desired_outcome.need.episode
    if not _is_practitioner(user) or not episode.is_open:
        return DENIED
    decision = can_view_episode(user, episode)
    if not decision:
        return DENIED
    if action.pk not in editable_action_ids(user, episode, [action], decision):
        return DENIED
    return decision


def editable_action_ids(
    user: User, episode: Episode, actions: Iterable[Action], viewing: Decision | None = None
) -> set[int]:
    """Which of these actions of one episode the user may update, with no query per action
    (``viewing`` is the user's can_view_episode decision, when the caller has it)."""
    if not _is_practitioner(user) or not episode.is_open:
        return set()
    viewing = viewing if viewing is not None else can_view_episode(user, episode)
    if not viewing:
        return set()
    leads = episode.lead_professional_id == user.pk or (
        episode.lead_professional_id is None and episode.opened_by_id == user.pk
    )
    return {
        action.pk for action in actions if leads or action.responsible_practitioner_id == user.pk
    }


def can_list_my_actions(user: User) -> Decision:
    """Any practitioner has a "my actions" page (not a system administrator: it names
    children)."""
    if not _is_practitioner(user) or user.is_superuser:
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.TEAM_MEMBERSHIP,
        reason="Actions in the plan of a team around the child you are on",
    )


def visible_plan_actions_filter(user: User, prefix: str = "desired_outcome__need__episode__") -> Q:
    """A filter on Action: actions in open episodes where the user is a current member of
    the team (from joined_on until, not including, left_on)."""
    if not _is_practitioner(user) or user.is_superuser:
        return Q(pk__in=[])
    on_team = TeamMember.objects.filter(
        current_team_member_q(),
        practitioner=user,
        episode_id=OuterRef(f"{prefix}pk"),
    ).filter(team_access_q())
    return Q(**{f"{prefix}status": EpisodeStatus.OPEN}) & Q(Exists(on_team))


# Casework: the early help assessment ---------------------------------------------------
#
# Everyone who may see the episode reads its assessments. A draft is written by the
# assessing practitioner, or by the lead professional; the same people submit it and
# start a revision of a submitted one. Whether the assessment is still a draft (a
# submitted version is locked) is the services' business, not the policy's.


def can_start_assessment(user: User, episode: Episode) -> Decision:
    """A practitioner on the team of the open episode starts the assessment (they become
    the assessing practitioner). Consent is checked by the service, with a clear refusal."""
    if not _is_practitioner(user) or user.is_superuser or not episode.is_open:
        return DENIED
    return can_view_episode(user, episode)


def can_view_assessment(user: User, assessment: Assessment) -> Decision:
    """Every version of the assessment: whoever may see the episode."""
    return can_view_episode(user, assessment.episode)


def can_edit_assessment(user: User, assessment: Assessment) -> Decision:
    """Saving, submitting and revising: the assessing practitioner or the lead
    professional (the opener before a lead is chosen), while the episode is open and they may still see it."""
    if not _is_practitioner(user) or not assessment.episode.is_open:
        return DENIED
    if user.pk == assessment.assessing_practitioner_id:
        return can_view_episode(user, assessment.episode)
    # The lead professional (before a lead is chosen, the opener), as can_manage_team.
    return can_manage_team(user, assessment.episode)


# Casework: handing over the lead role and work queues ----------------------------------
#
# Only the current lead professional offers the lead role, to a practitioner on the team;
# only the practitioner offered answers the offer; the lead who made it may withdraw it.
# A lead professional's work queue lists the open episodes they lead (they are on the team,
# so the basis is team membership). A coordinator oversees every episode opened or led by
# a current member of their partnership: a basis of its own, PARTNERSHIP_OVERSIGHT.


def can_offer_lead_role(user: User, episode: Episode) -> Decision:
    """The current lead professional of the open episode (not the opener before a lead is
    chosen: the first lead is chosen at a team meeting)."""
    if not _is_practitioner(user) or episode.lead_professional_id != user.pk:
        return DENIED
    return can_manage_team(user, episode)


def can_answer_lead_offer(user: User, offer: LeadHandoverOffer) -> Decision:
    """Accepting or declining (and reading) an offer: the practitioner offered, while they
    may see the episode."""
    if not _is_practitioner(user) or offer.to_practitioner_id != user.pk:
        return DENIED
    return can_view_episode(user, offer.episode)


def can_withdraw_lead_offer(user: User, offer: LeadHandoverOffer) -> Decision:
    if not _is_practitioner(user) or offer.from_lead_id != user.pk:
        return DENIED
    return can_view_episode(user, offer.episode)


def can_view_lead_queue(user: User) -> Decision:
    """Any practitioner has a lead professional's work queue (not a system administrator:
    it names children); it lists only open episodes they lead and are on the team of."""
    if not _is_practitioner(user) or user.is_superuser:
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.TEAM_MEMBERSHIP,
        reason="Lead professional of the team around the child",
    )


def led_episodes_filter(user: User) -> Q:
    """A filter on Episode: open episodes the user leads and is a current team member of."""
    if not _is_practitioner(user) or user.is_superuser:
        return Q(pk__in=[])
    on_team = TeamMember.objects.filter(
        current_team_member_q(), practitioner=user, episode_id=OuterRef("pk")
    )
    return Q(status=EpisodeStatus.OPEN, lead_professional=user) & Q(Exists(on_team))


def can_view_partnership_casework(user: User, partnership: Partnership) -> Decision:
    """A coordinator (or chair) of the partnership sees all episodes opened or led by its
    current members, with the children's names, to oversee the partnership's casework."""
    if not is_coordinator_of(user, partnership):
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.PARTNERSHIP_OVERSIGHT,
        reason=f"Coordinator of {partnership.name}, overseeing its casework",
    )


def partnership_episodes_filter(partnership: Partnership) -> Q:
    """A filter on Episode: opened by or led by a current member of the partnership. Ask
    can_view_partnership_casework first."""
    members = Membership.objects.current().filter(partnership=partnership).values("practitioner")
    return Q(opened_by__in=members) | Q(lead_professional__in=members)


# Casework: reviews (team around the child meetings) ------------------------------------
#
# Whoever may see the episode reads its reviews and downloads the calendar file. The lead
# professional (before a lead is chosen, the opener) schedules and records them. Overdue
# reviews are listed to the lead (with the children) and to the coordinator of a
# partnership with a member on the team (episode number, lead and due date only: no child
# is named, as the coordinator does not see the episode itself).


def can_view_reviews(user: User, episode: Episode) -> Decision:
    return can_view_episode(user, episode)


def can_manage_reviews(user: User, episode: Episode) -> Decision:
    return can_manage_team(user, episode)


def can_list_overdue_reviews(user: User) -> Decision:
    if not _is_practitioner(user) or user.is_superuser:
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.TEAM_MEMBERSHIP,
        reason="Overdue reviews of episodes you lead",
    )


# Casework: outcomes over time, closure and reopening -----------------------------------
#
# Whoever may see the episode reads its outcome ratings. The lead professional (before a
# lead is chosen, the opener) records ratings and closes the episode, while they are a
# current member of its team. Closing ends the team's access; for EPISODE_REOPEN_DAYS after
# closing, the lead (the opener, if no lead was chosen) who is still on the team may open
# the reopening page, which shows the closure, and reopen the episode.


def _leads_episode(user: Practitioner, episode: Episode) -> bool:
    """The lead professional, or before a lead is chosen the practitioner who opened it."""
    if episode.lead_professional_id is not None:
        return episode.lead_professional_id == user.pk
    return episode.opened_by_id == user.pk


def can_view_outcome_ratings(user: User, episode: Episode) -> Decision:
    return can_view_episode(user, episode)


def can_record_outcome_ratings(user: User, episode: Episode) -> Decision:
    """The lead professional (the opener before a lead is chosen) who is a current member
    of the team of the open episode."""
    if not _is_practitioner(user) or not episode.is_open or not _leads_episode(user, episode):
        return DENIED
    membership = current_team_membership(user, episode)
    return _team_decision(membership) if membership is not None else DENIED


def can_close_episode(user: User, episode: Episode) -> Decision:
    """Closing (with the final ratings): as recording ratings."""
    return can_record_outcome_ratings(user, episode)


def episode_reopen_deadline(episode: Episode) -> date | None:
    """The last day a closed episode may be reopened (settings.EPISODE_REOPEN_DAYS)."""
    if episode.closed_on is None:
        return None
    days = int(getattr(settings, "EPISODE_REOPEN_DAYS", 90))
    return episode.closed_on + timedelta(days=days)


def can_reopen_episode(user: User, episode: Episode) -> Decision:
    """The closed episode's lead professional (the opener if no lead was chosen), still a
    member of its team by date, until the reopening period ends."""
    deadline = episode_reopen_deadline(episode)
    if not _is_practitioner(user) or episode.is_open or deadline is None:
        return DENIED
    if timezone.localdate() > deadline or not _leads_episode(user, episode):
        return DENIED
    if not TeamMember.objects.current().filter(practitioner=user, episode=episode).exists():
        return DENIED
    role = (
        "Lead professional of the episode"
        if episode.lead_professional_id is not None
        else "Opened the episode (no lead professional was chosen)"
    )
    return Decision(
        True,
        basis=AccessBasis.TEAM_MEMBERSHIP,
        reason=(
            f"{role}, closed on {episode.closed_on:%d %b %Y}, which may be reopened until "
            f"{deadline:%d %b %Y}"
        ),
    )


# Casework: paper copies, and brothers or sisters joining an episode ---------------------
#
# Whoever may read the assessment or the plan on screen may print it or download it as a
# PDF, for the family. A copy leaves Joined Up, so its access record says a copy was made.
# A brother or sister joins an open episode when someone who manages its team may also
# open an episode for that child.


def _paper_copy(decision: Decision) -> Decision:
    if not decision:
        return DENIED
    return Decision(
        True,
        basis=decision.basis,
        reason=f"{decision.reason}; a paper or PDF copy was made (a disclosure outside Joined Up)",
    )


def can_print_assessment(user: User, assessment: Assessment) -> Decision:
    """A paper or PDF copy of one version of the assessment: as can_view_assessment."""
    return _paper_copy(can_view_assessment(user, assessment))


def can_print_plan(user: User, episode: Episode) -> Decision:
    """A paper or PDF copy of the plan: as can_view_plan."""
    return _paper_copy(can_view_plan(user, episode))


def can_add_child_to_episode(user: User, episode: Episode, child: Child) -> Decision:
    """Adding a brother or sister to an open episode: someone who manages its team
    (can_manage_team) and may open an episode for that child (can_open_episode)."""
    if not can_manage_team(user, episode):
        return DENIED
    return can_open_episode(user, child)


# Casework: step-up to children's social care and step-down into early help -------------
#
# The lead professional (before a lead is chosen, the opener) who is a current member of
# the team steps an episode up when the child's needs exceed early help. Social care's
# answer is recorded by the same people or by a practitioner of the social care agency it
# was stepped up to (the step-up was disclosed to that agency: AGENCY_RECORD). A
# practitioner of children's social care who may see the child steps down into early help
# by opening an episode with a handover summary.


def can_step_up(user: User, episode: Episode) -> Decision:
    """The lead professional of the open episode (the opener before a lead is chosen), while
    a current member of its team."""
    if not _is_practitioner(user) or user.is_superuser or not can_manage_team(user, episode):
        return DENIED
    membership = current_team_membership(user, episode)
    return _team_decision(membership) if membership is not None else DENIED


def can_record_step_up_decision(user: User, step_up: StepUp) -> Decision:
    """Recording children's social care's answer (and reading the step-up it answers): a
    practitioner whose home agency is the social care agency it went to, or whoever may
    step the episode up. Whether it is still waiting is the service's business."""
    if not _is_practitioner(user) or user.is_superuser:
        return DENIED
    if user.home_agency_id is not None and user.home_agency_id == step_up.to_agency_id:
        return Decision(
            True,
            basis=AccessBasis.AGENCY_RECORD,
            reason=(
                f"Practitioner of {step_up.to_agency.name}, to which the early help episode "
                "was stepped up"
            ),
        )
    return can_step_up(user, step_up.episode)


def is_social_care_practitioner(user: User) -> bool:
    if not _is_practitioner(user) or user.home_agency_id is None:
        return False
    return bool(user.home_agency and user.home_agency.sector == Sector.SOCIAL_CARE)


def can_step_down(user: User, child: Child) -> Decision:
    """A practitioner whose home agency is in children's social care, who may see the child,
    opens an early-help episode with a handover summary (the duplicate guard still
    applies: casework.services.open_episode)."""
    if not is_social_care_practitioner(user):
        return DENIED
    return can_open_episode(user, child)


# Referrals -----------------------------------------------------------------------------
#
# A practitioner who may see a child (an involvement, team membership, or a stated reason)
# refers the child to a service. The referrer always sees their own referral. The staff of
# the service it was sent to (the service's maintainers: its own staff in Joined Up) see
# it — and exactly the parts of the child's record it shares — while it is live (sent,
# acknowledged, accepted or started), and act on it: acknowledge, accept or decline, start,
# complete. When it ends (declined, completed, withdrawn) their access through it ends too;
# a service that started work is then involved with the child through the ordinary rules
# until it completes. Members of the team of the episode it was made from see it while
# they may see the episode. For a service outside Joined Up the referrer records the
# service's replies. Whether a step suits the referral's state is referrals.lifecycle's
# business, which says why a step is refused.


def is_service_staff(user: User, service: Service) -> bool:
    """The service's own staff in Joined Up: its maintainers."""
    if not _is_practitioner(user):
        return False
    return service.maintainers.filter(pk=user.pk).exists()


def can_refer_child(user: User, child: Child) -> Decision:
    """Whoever may see the child (not a system administrator through that role, and not a
    merged or archived record)."""
    if not _is_practitioner(user) or user.is_superuser or child.merged_into_id is not None:
        return DENIED
    return can_view_child(user, child)


def _referrer_decision(referral: Referral) -> Decision:
    return Decision(
        True,
        basis=AccessBasis.REFERRER,
        reason=f"Made referral {referral.reference} to {referral.service.name}",
    )


def _referral_consent_lapsed(referral: Referral) -> Decision | None:
    """Consent (issue 6): a referral sent with the family's consent is seen by the service
    only while that consent is in force; withdrawal or expiry ends the service's access
    through the referral at once. Referrals shared on a lawful reason carry no consent."""
    consent = referral.consent
    if consent is None or consent.is_in_force():
        return None
    return Decision(
        False,
        reason=(
            f"You can no longer see referral {referral.reference}: the family's consent to "
            f"sharing it is no longer in force ({consent.status.lower()}). The referrer, "
            f"{referral.referrer}, can tell you more."
        ),
    )


def _receiving_decision(referral: Referral) -> Decision:
    lapsed = _referral_consent_lapsed(referral)
    if lapsed is not None:
        return lapsed
    return Decision(
        True,
        basis=AccessBasis.RECEIVING_SERVICE,
        reason=(
            f"Staff of {referral.service.name}, which received referral {referral.reference}"
            " (only what it shares)"
        ),
    )


def can_view_referral(user: User, referral: Referral) -> Decision:
    """The referrer; the receiving service's staff while it is live (not a draft); team
    members of its episode while they may see the episode."""
    if not _is_practitioner(user) or user.is_superuser:
        return DENIED
    if referral.referrer_id == user.pk:
        return _referrer_decision(referral)
    if referral.status == ReferralStatus.DRAFT:
        return DENIED
    if referral.status in LIVE_STATUSES and is_service_staff(user, referral.service):
        return _receiving_decision(referral)
    if referral.episode_id is not None and referral.episode is not None:
        return can_view_episode(user, referral.episode)
    return DENIED


def can_send_referral(user: User, referral: Referral) -> Decision:
    """Changing and sending a draft: the referrer, while they may still see the child."""
    if not _is_practitioner(user) or referral.referrer_id != user.pk:
        return DENIED
    if referral.status != ReferralStatus.DRAFT:
        return DENIED
    if not can_refer_child(user, referral.child):
        return DENIED
    return _referrer_decision(referral)


def can_withdraw_referral(user: User, referral: Referral) -> Decision:
    """The referrer withdraws a draft or a live referral."""
    if not _is_practitioner(user) or referral.referrer_id != user.pk or referral.is_closed:
        return DENIED
    return _referrer_decision(referral)


def can_respond_to_referral(user: User, referral: Referral) -> Decision:
    """Acknowledging, accepting or declining, starting and completing: the receiving
    service's staff, while the referral is live and the service takes referrals in Joined
    Up."""
    if not _is_practitioner(user) or referral.handled_outside or not referral.is_live:
        return DENIED
    if not is_service_staff(user, referral.service):
        return DENIED
    return _receiving_decision(referral)


def can_record_outside_reply(user: User, referral: Referral) -> Decision:
    """For a service outside Joined Up: the referrer records its replies."""
    if not _is_practitioner(user) or not referral.handled_outside or not referral.is_live:
        return DENIED
    if referral.referrer_id != user.pk:
        return DENIED
    return _referrer_decision(referral)


def can_download_referral_pack(user: User, referral: Referral) -> Decision:
    """The referral pack (PDF and email text) for a service outside Joined Up: the
    referrer, once the referral is sent and while it is live. A copy leaves Joined Up."""
    if not _is_practitioner(user) or referral.referrer_id != user.pk:
        return DENIED
    if not referral.handled_outside or not referral.is_live:
        return DENIED
    return _paper_copy(_referrer_decision(referral))


def can_re_refer(user: User, referral: Referral) -> Decision:
    """After a decline, the referrer makes a new referral to another service, while they
    may still see the child."""
    if not _is_practitioner(user) or referral.referrer_id != user.pk:
        return DENIED
    if referral.status != ReferralStatus.DECLINED:
        return DENIED
    return can_refer_child(user, referral.child)


def can_export_referral_fhir(user: User, referral: Referral) -> Decision:
    """The referral as FHIR ServiceRequest and Task: the referrer, or the receiving
    service's staff while it is live (it leaves Joined Up: a disclosure)."""
    if not _is_practitioner(user) or referral.status == ReferralStatus.DRAFT:
        return DENIED
    if referral.referrer_id == user.pk:
        return _paper_copy(_referrer_decision(referral))
    if referral.is_live and is_service_staff(user, referral.service):
        return _paper_copy(_receiving_decision(referral))
    return DENIED


def can_import_referral_fhir(user: User, service: Service) -> Decision:
    """Receiving a referral made in another system (a FHIR ServiceRequest) for a service:
    its staff."""
    if not is_service_staff(user, service):
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.RECEIVING_SERVICE,
        reason=f"Staff of {service.name}, receiving a referral from another system",
    )


def can_list_my_referrals(user: User) -> Decision:
    """Referrals the person made (not a system administrator: it names children)."""
    if not _is_practitioner(user) or user.is_superuser:
        return DENIED
    return Decision(True, basis=AccessBasis.REFERRER, reason="Referrals you made")


def made_referrals_filter(user: User) -> Q:
    """A filter on Referral: those this user made."""
    if not _is_practitioner(user) or user.is_superuser:
        return Q(pk__in=[])
    return Q(referrer=user)


def can_view_service_referrals(user: User, service: Service) -> Decision:
    """The service's incoming referrals and its waiting list: its staff. Children are named
    only on live referrals (receiving_referrals_filter)."""
    if not _is_practitioner(user) or user.is_superuser or not is_service_staff(user, service):
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.RECEIVING_SERVICE,
        reason=f"Staff of {service.name}, seeing the referrals it received",
    )


def can_update_service_waiting(user: User, service: Service) -> Decision:
    """The service's current waiting time and capacity (referrers see them before sending):
    its staff, and whoever keeps its directory entry up to date."""
    if is_service_staff(user, service):
        return Decision(True, reason=f"Staff of {service.name}")
    return can_maintain_service(user, service)


def receiving_referrals_filter(user: User) -> Q:
    """A filter on Referral: live referrals to services this user is staff of (the ones
    whose child they may be shown)."""
    if not _is_practitioner(user) or user.is_superuser:
        return Q(pk__in=[])
    staff = Service.maintainers.through.objects.filter(
        service_id=OuterRef("service_id"), practitioner_id=user.pk
    )
    consent_in_force = Q(consent__isnull=True) | current_consent_q(prefix="consent__")
    return Q(status__in=list(LIVE_STATUSES)) & Q(Exists(staff)) & consent_in_force


def visible_referrals_filter(user: User) -> Q:
    """A filter on Referral: those this user may open (the list twin of can_view_referral,
    without the episode route, which needs a per-episode decision)."""
    return made_referrals_filter(user) | receiving_referrals_filter(user)


def referral_involvements_filter() -> Q:
    """A filter on Involvement: those a referral may share ("who else is involved"). A
    sensitive involvement goes only where consent is recorded — even the referrer's own."""
    return _not_sensitive_involvement_q() | Q(consent_recorded_on__isnull=False)


def referral_source_records_filter(child: Child) -> Q:
    """A filter on SourceRecord: the agencies' records a referral may draw the child's
    contact details and setting from. Not a sensitive service's record (that it holds one
    is itself the sensitive fact) unless consent is recorded on an involvement with it."""
    consented = Involvement.objects.filter(
        child=child, agency=OuterRef("agency"), consent_recorded_on__isnull=False
    )
    return Q(agency__sensitive_service="") | Q(Exists(consented))


def child_page_referrals_filter(user: User) -> Q:
    """A filter on Referral: the child's referrals listed on the child's page to someone
    who may see the child. Drafts only to their referrer; a referral to a sensitive
    service (that the child was referred there is itself the sensitive fact) only to its
    referrer."""
    if not _is_practitioner(user):
        return Q(pk__in=[])
    return Q(referrer=user) | (
        ~Q(status=ReferralStatus.DRAFT) & Q(service__agency__sensitive_service="")
    )


# Referrals: the coordinator's ping-pong list and reports --------------------------------


def can_view_pingpong(user: User, partnership: Partnership) -> Decision:
    """Children referred from service to service with nobody starting, for the partnership
    coordinator (names the children: partnership oversight)."""
    if not is_coordinator_of(user, partnership):
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.PARTNERSHIP_OVERSIGHT,
        reason=f"Coordinator of {partnership.name}, finding children referred on repeatedly",
    )


def can_take_pingpong_ownership(user: User, partnership: Partnership) -> Decision:
    return can_view_pingpong(user, partnership)


def partnership_referrals_filter(partnership: Partnership) -> Q:
    """A filter on Referral: made by a current member of the partnership, or to a service of
    one of its member agencies. Ask can_view_pingpong (or a reports decision) first."""
    members = Membership.objects.current().filter(partnership=partnership).values("practitioner")
    return Q(referrer__in=members) | Q(service__agency__in=partnership.member_agencies.all())


def can_view_service_referral_reports(user: User, service: Service) -> Decision:
    """Counts and times, no child data: the service's staff and whoever maintains it."""
    if not _is_practitioner(user):
        return DENIED
    if is_service_staff(user, service):
        return Decision(True)
    return can_maintain_service(user, service)


def can_view_partnership_referral_reports(user: User, partnership: Partnership) -> Decision:
    return Decision(is_coordinator_of(user, partnership))


# The disclosure log (issue 6) ------------------------------------------------------------

# Whoever may see the child's record sees its disclosure log: what went to whom, why and
# on what basis. Shown as a list of its own, recorded as a read of the child's record.


def can_view_disclosures(user: User, child: Child) -> Decision:
    return can_view_child(user, child)


# Consent records (issue 6) ---------------------------------------------------------------

# Whoever may see the child reads the child's consent records (every consent about them,
# with its versions); reading them is a read of the record. Recording, changing and
# withdrawing a consent need a relationship with the child — a current involvement or a
# place on the team around the child — not a stated reason or emergency access: those
# open the record to read it, not to speak for the family. A consent naming a sensitive
# service or agency (that the child was referred there is itself the sensitive fact) is
# shown only to whoever recorded it, as for referrals (child_page_referrals_filter).


def can_view_child_consents(user: User, child: Child) -> Decision:
    return can_view_child(user, child)


def can_manage_child_consents(user: User, child: Child) -> Decision:
    """Recording a consent for the child, and changing or withdrawing one about them."""
    if not _is_practitioner(user) or user.is_superuser:
        return DENIED
    decision = can_view_child(user, child)
    if decision.basis in {AccessBasis.INVOLVEMENT, AccessBasis.TEAM_MEMBERSHIP}:
        return decision
    return DENIED


def visible_consents_filter(user: User) -> Q:
    """A filter on Consent: those listed on the child's consent records to this user."""
    if not _is_practitioner(user):
        return Q(pk__in=[])
    to_services = Consent.services.through.objects.filter(consent_id=OuterRef("pk"))
    sensitive_service = to_services.exclude(service__agency__sensitive_service="")
    to_agencies = Consent.agencies.through.objects.filter(consent_id=OuterRef("pk"))
    sensitive_agency = to_agencies.exclude(agency__sensitive_service="")
    return Q(recorded_by=user) | (~Q(Exists(sensitive_service)) & ~Q(Exists(sensitive_agency)))


# Audit viewers and anomaly flags (issue 6) ----------------------------------------------
#
# A child's audit (every access record: who, when, what, why) is read by the data managers
# for the child, and by a current data protection lead of a partnership one of whose
# current members has (or had) an involvement with the child: the lead oversees how their
# members use the record. Every practitioner reads their own access history. A data
# protection lead reads the audit and the anomaly flags of the current members of their
# partnerships — never their own (that is their own history, with nobody overseeing it).


def can_view_child_audit(user: User, child: Child) -> Decision:
    if not _is_practitioner(user):
        return DENIED
    if is_data_manager_for_child(user, child):
        return _data_manager_decision(user, child, "reading the audit of the record")
    members = (
        Membership.objects.current()
        .filter(partnership__in=_data_protection_partnerships(user))
        .values("practitioner")
    )
    if Involvement.objects.filter(child=child, practitioner__in=members).exists():
        return Decision(
            True,
            basis=AccessBasis.PARTNERSHIP_OVERSIGHT,
            reason="Data protection lead auditing access by members of their partnership",
        )
    return DENIED


def can_view_own_access_history(user: User) -> Decision:
    return Decision(_is_practitioner(user))


def audited_practitioners_filter(user: User) -> Q:
    """A filter on Practitioner: the current members of partnerships of which this user is
    a current data protection lead, not themselves."""
    if not _is_practitioner(user):
        return Q(pk__in=[])
    members = Membership.objects.current().filter(
        partnership__in=_data_protection_partnerships(user)
    )
    return Q(pk__in=members.values("practitioner")) & ~Q(pk=user.pk)


def can_view_practitioner_audit(user: User, practitioner: Practitioner) -> Decision:
    if not _is_practitioner(user) or practitioner.pk == user.pk:
        return DENIED
    in_led_partnership = (
        Membership.objects.current()
        .filter(practitioner=practitioner, partnership__in=_data_protection_partnerships(user))
        .exists()
    )
    if not in_led_partnership:
        return DENIED
    return Decision(
        True,
        basis=AccessBasis.PARTNERSHIP_OVERSIGHT,
        reason="Data protection lead auditing a member of their partnership",
    )


def can_review_access_anomalies(user: User) -> Decision:
    """The anomaly flags of a partnership's members: a current data protection lead."""
    return can_review_break_glass(user)


# Partnership toolkit (issue 7) -----------------------------------------------------------
#
# A partnership's group exercises (diamond ranking, force-field analysis, SWOT) are its own
# business: its current members, whatever their role, see them, start them and take part.
# Whoever started an exercise, and the partnership's coordinators, reword its statements
# and close or reopen it. A closed exercise is a record: nobody adds to it.


def is_current_member_of(user: User, partnership: Partnership) -> bool:
    if not _is_practitioner(user):
        return False
    return Membership.objects.current().filter(partnership=partnership, practitioner=user).exists()


def can_list_toolkits(user: User) -> Decision:
    """Every practitioner has a toolkit page listing their own partnerships (not a system
    administrator: that role belongs to no partnership)."""
    return Decision(_is_practitioner(user) and not user.is_superuser)


def can_view_toolkit(user: User, partnership: Partnership) -> Decision:
    return Decision(is_current_member_of(user, partnership))


def can_run_exercise(user: User, partnership: Partnership) -> Decision:
    """Any current member may start an exercise for the partnership."""
    return Decision(is_current_member_of(user, partnership))


def can_contribute_to_exercise(user: User, exercise: Exercise) -> Decision:
    if not is_current_member_of(user, exercise.partnership):
        return DENIED
    if not exercise.is_open:
        return Decision(False, reason="This exercise has been closed: nothing more can be added.")
    return Decision(True)


def can_manage_exercise(user: User, exercise: Exercise) -> Decision:
    """Rewording statements and closing or reopening: the member who started the exercise
    or a coordinator of the partnership."""
    if not is_current_member_of(user, exercise.partnership):
        return DENIED
    return Decision(
        exercise.created_by_id == user.pk or is_coordinator_of(user, exercise.partnership)
    )


# A partnership's meetings and term dates: its current members see the schedule, the
# minutes and the calendar file; its coordinators plan meetings and enter term dates; a
# meeting is also managed (minutes, actions, status) by the member who created it.


def can_view_meetings(user: User, partnership: Partnership) -> Decision:
    return Decision(is_current_member_of(user, partnership))


def can_plan_meetings(user: User, partnership: Partnership) -> Decision:
    """Adding meetings and entering term dates: the partnership's coordinators."""
    return Decision(is_coordinator_of(user, partnership))


def can_manage_meeting(user: User, meeting: PartnershipMeeting) -> Decision:
    if not is_current_member_of(user, meeting.partnership):
        return DENIED
    return Decision(
        meeting.created_by_id == user.pk or is_coordinator_of(user, meeting.partnership)
    )


# Self-evaluations: the partnership's current members start them, rate every item and see
# the group result with the evidence Joined Up holds (counts only, no child named).


def can_take_part_in_self_evaluation(user: User, evaluation: SelfEvaluation) -> Decision:
    return Decision(is_current_member_of(user, evaluation.partnership))
