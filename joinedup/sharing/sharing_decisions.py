"""Sharing without consent (issue 6): recording the decision, its confirmation by a
supervisor, and escalation when nobody confirms it in time. Services and selectors.

When information about a child is shared without consent (a referral sent on a lawful
reason, a step-up to children's social care without consent in force), the decision is
recorded: the lawful basis, why consent was not sought or was overridden, who decided,
what was shared with whom. The decider's supervisor — their professional supervisor, else
their line manager — is told at once and confirms it within
``settings.SHARING_DECISION_CONFIRM_HOURS``. A decider with no supervisor has it confirmed
by the data protection leads of their partnerships (found as for break-glass). A decision
not confirmed in time is escalated once (``manage.py escalate_sharing_decisions``) to
those leads, who may then confirm it too. Who may confirm is decided in sharing.policy.

Alerts name the child by given name and family initial only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.notifications import notify
from joinedup.sharing import policy
from joinedup.sharing.audit import record_access
from joinedup.sharing.break_glass import people_to_alert
from joinedup.sharing.models import (
    ConsentPosition,
    LawfulBasis,
    SharingDecision,
    SharingDecisionOutcome,
)

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.casework.models import Episode
    from joinedup.children.models import Child
    from joinedup.referrals.models import Referral

NOTIFICATION_KIND = "sharing-decision"


def supervisor_of(practitioner: Practitioner) -> Practitioner | None:
    """Who confirms the practitioner's decisions: their professional supervisor, else their
    line manager; never an inactive account, never themselves."""
    for person in (practitioner.professional_supervisor, practitioner.line_manager):
        if person is not None and person.is_active and person.pk != practitioner.pk:
            return person
    return None


def _short_name(child: Child) -> str:
    return f"{child.given_name} {child.family_name[:1]}."


def _confirm_url(decision: SharingDecision) -> str:
    return reverse("children:sharing-decision", kwargs={"sharing_decision_id": decision.pk})


def record_sharing_decision(
    *,
    decided_by: Practitioner,
    child: Child,
    episode: Episode | None = None,
    referral: Referral | None = None,
    lawful_basis: str,
    consent_position: str,
    why: str,
    what_shared: str,
    shared_with: str,
) -> SharingDecision:
    """Record a decision to share without consent and tell whoever must confirm it. Call it
    inside the transaction that shares the information, so one never happens without the
    other (the notification rolls back with it)."""
    why, what_shared, shared_with = why.strip(), what_shared.strip(), shared_with.strip()
    errors: dict[str, str] = {}
    if lawful_basis not in LawfulBasis.values:
        errors["lawful_basis"] = "Choose the lawful basis for sharing without consent"
    if consent_position not in ConsentPosition.values:
        errors["consent_position"] = "Say why consent was not sought or was overridden"
    if not why:
        errors["why"] = "Say why the information is shared without consent"
    if not what_shared:
        errors["what_shared"] = "Say what information is shared"
    if not shared_with:
        errors["shared_with"] = "Say who the information is shared with"
    elif len(shared_with) > 300:
        errors["shared_with"] = "Say who the information is shared with in 300 characters or fewer"
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    with transaction.atomic():
        decision = SharingDecision.objects.create(
            child=child,
            episode=episode,
            referral=referral,
            lawful_basis=lawful_basis,
            consent_position=consent_position,
            why=why,
            what_shared=what_shared,
            shared_with=shared_with,
            decided_by=decided_by,
            decided_at=now,
            supervisor=supervisor_of(decided_by),
            confirm_by=now + timedelta(hours=settings.SHARING_DECISION_CONFIRM_HOURS),
        )
        _tell_confirmer(decision)
    return decision


def _summary(decision: SharingDecision) -> str:
    decider = decision.decided_by
    return (
        f"{decider} ({decider.job_title or 'practitioner'}) shared information about "
        f"{_short_name(decision.child)} with {decision.shared_with} without consent on "
        f"{timezone.localtime(decision.decided_at):%d %b %Y %H:%M}. Lawful basis: "
        f"{decision.get_lawful_basis_display()}."
    )


def _tell_confirmer(decision: SharingDecision) -> None:
    due = f"{timezone.localtime(decision.confirm_by):%d %b %Y %H:%M}"
    if decision.supervisor is not None:
        notify(
            [decision.supervisor],
            subject=f"Confirm a decision to share without consent by {decision.decided_by}",
            body=f"{_summary(decision)} As their supervisor, please confirm it by {due}.",
            url=_confirm_url(decision),
            kind=NOTIFICATION_KIND,
            is_urgent=True,
        )
        return
    people, are_leads = people_to_alert(decision.decided_by)
    follow_up = (
        f"They have no supervisor named, so please confirm it by {due}."
        if are_leads
        else "They have no supervisor named and no data protection lead is named in their "
        "partnerships: please make sure it is confirmed, and ask the partnership "
        "coordinator to name one."
    )
    notify(
        people,
        subject=f"Confirm a decision to share without consent by {decision.decided_by}",
        body=f"{_summary(decision)} {follow_up}",
        url=_confirm_url(decision) if are_leads else "",
        kind=NOTIFICATION_KIND,
        is_urgent=True,
    )


def confirm_sharing_decision(
    *, decision: SharingDecision, confirmed_by: Practitioner, outcome: str, note: str = ""
) -> SharingDecision:
    """Record the confirmation (or not). A note is needed when the sharing was not
    justified; nobody confirms their own decision; a decision is confirmed once."""
    note = note.strip()
    if outcome not in SharingDecisionOutcome.values:
        raise ValidationError({"outcome": "Choose whether the sharing was right"})
    if outcome != SharingDecisionOutcome.CONFIRMED and not note:
        raise ValidationError(
            {"note": "Say why the sharing was not justified and what happens next"}
        )
    if decision.decided_by_id == confirmed_by.pk:
        raise ValidationError("You cannot confirm your own decision to share without consent")
    with transaction.atomic():
        locked = SharingDecision.objects.select_for_update().get(pk=decision.pk)
        policy.require(
            policy.can_confirm_sharing_decision(confirmed_by, locked),
            "Only the decider's supervisor, or a data protection lead, can confirm this decision.",
        )
        if locked.confirmed_at is not None:
            raise ValidationError("This decision has already been confirmed or not confirmed")
        locked.outcome = outcome
        locked.confirmed_by = confirmed_by
        locked.confirmed_at = timezone.now()
        locked.confirmation_note = note
        locked.save(update_fields=["outcome", "confirmed_by", "confirmed_at", "confirmation_note"])
        if outcome == SharingDecisionOutcome.NOT_CONFIRMED:
            # The decider should know their sharing was judged not justified.
            notify(
                [locked.decided_by],
                subject="Your decision to share without consent was not confirmed",
                body=(
                    f"{confirmed_by} did not confirm your decision to share information about "
                    f"{_short_name(locked.child)} with {locked.shared_with}: {note}"
                ),
                kind=NOTIFICATION_KIND,
            )
    return locked


def escalate_overdue_sharing_decisions(now: datetime | None = None) -> int:
    """Escalate each unconfirmed decision past its time to confirm to the data protection
    leads of the decider's partnerships (urgent), once: escalated_at is set in the same
    transaction, with the row locked, so two runs at once escalate it once. Returns how
    many were escalated."""
    now = now or timezone.now()
    escalated = 0
    due = SharingDecision.objects.filter(
        confirmed_at__isnull=True, escalated_at__isnull=True, confirm_by__lte=now
    ).values_list("pk", flat=True)
    for pk in list(due):
        with transaction.atomic():
            decision = (
                SharingDecision.objects.select_for_update(of=("self",))
                .select_related("decided_by", "child", "supervisor")
                .filter(pk=pk, confirmed_at__isnull=True, escalated_at__isnull=True)
                .first()
            )
            if decision is None:
                continue
            decision.escalated_at = now
            decision.save(update_fields=["escalated_at"])
            people, are_leads = people_to_alert(decision.decided_by)
            who = (
                f"Their supervisor, {decision.supervisor}, has not confirmed it"
                if decision.supervisor is not None
                else "Nobody has confirmed it"
            )
            notify(
                people,
                subject=(
                    f"Not confirmed in time: sharing without consent by {decision.decided_by}"
                ),
                body=(
                    f"{_summary(decision)} {who}, and it was due by "
                    f"{timezone.localtime(decision.confirm_by):%d %b %Y %H:%M}. "
                    + (
                        "Please confirm it or follow it up."
                        if are_leads
                        else "No data protection lead is named in their partnerships: please "
                        "make sure it is confirmed, and ask the partnership coordinator to "
                        "name one."
                    )
                ),
                url=_confirm_url(decision) if are_leads else "",
                kind=NOTIFICATION_KIND,
                is_urgent=True,
            )
            escalated += 1
    return escalated


# Selectors -------------------------------------------------------------------------------


def decisions_to_confirm(user: Practitioner) -> QuerySet[SharingDecision]:
    """Unconfirmed decisions waiting for this user: as the supervisor, or as a data
    protection lead (no supervisor, or escalated). Soonest due first."""
    return (
        SharingDecision.objects.filter(
            policy.confirmable_sharing_decisions_filter(user), confirmed_at__isnull=True
        )
        .select_related("decided_by", "child", "referral", "referral__service", "episode")
        .order_by("confirm_by", "pk")
    )


def child_sharing_decisions(child: Child) -> QuerySet[SharingDecision]:
    """Every decision to share the child's information without consent, newest first. Ask
    sharing.policy whether the reader may see the child first."""
    return SharingDecision.objects.filter(child=child).select_related(
        "decided_by", "confirmed_by", "supervisor"
    )


def reference_of(decision: SharingDecision) -> str:
    """How to name the sharing to someone who may not see the child."""
    if decision.referral_id is not None and decision.referral is not None:
        return f"Referral {decision.referral.reference}"
    if decision.episode_id is not None:
        return f"Early help episode {decision.episode_id}"
    return f"Decision {decision.pk}"


@dataclass(frozen=True)
class DecisionPage:
    decision: SharingDecision
    # Whether the reader may see the child's record (then the page names the child).
    may_see_child: bool


def decision_page(*, user: Practitioner, sharing_decision_id: int, path: str) -> DecisionPage:
    """One decision for its confirmer. It says what was shared about the child and why, so
    the read is recorded in the child's access records."""
    with transaction.atomic():
        decision = (
            SharingDecision.objects.select_related(
                "child",
                "decided_by",
                "decided_by__home_agency",
                "supervisor",
                "confirmed_by",
                "referral",
                "referral__service",
                "episode",
            )
            .filter(pk=sharing_decision_id)
            .first()
        )
        if decision is None:
            raise Http404("No such decision")
        allowed = policy.can_confirm_sharing_decision(user, decision)
        policy.require(
            allowed,
            "Only the decider's supervisor, or a data protection lead, can confirm this decision.",
        )
        record_access(
            practitioner=user,
            children=[decision.child],
            decision=allowed,
            what="Decision to share without consent, for confirming",
            path=path,
        )
    return DecisionPage(
        decision=decision, may_see_child=bool(policy.can_view_child(user, decision.child))
    )
