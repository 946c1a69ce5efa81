"""A referral's life: making it, sending it and every step after (issue 5).

    draft → sent → acknowledged → accepted → started → completed
                                ↘ declined (a reason; perhaps a better service suggested)
    draft or any live state → withdrawn (by the referrer)

``TRANSITIONS`` is the whole rule; ``InvalidTransition`` carries the plain-English message
shown when a step is refused ("This referral has not been accepted, so it cannot be
completed"). Who may take a step is decided in sharing.policy (``can_send_referral``,
``can_respond_to_referral``, ``can_record_outside_reply``, ``can_withdraw_referral``) and
checked by the views before they call these functions; the functions check the state, in
the same transaction that changes it, with the row locked, so two people acting at once
cannot both move it.

Every step writes a ReferralEvent (who, when, from which state to which) and tells the
people concerned (referrals.notify). Sending is a disclosure: it writes an access record
saying what was shared with which service and on what basis. Starting makes the service
involved with the child (an Involvement, so its practitioners may then see the child's
record through the ordinary rules); completing ends that involvement.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from joinedup.children.models import Involvement
from joinedup.referrals import notify
from joinedup.referrals.disclosure import recipient_of, record_referral_disclosure
from joinedup.referrals.models import (
    EPISODE_SECTIONS,
    DeclineReason,
    LawfulBasis,
    Referral,
    ReferralEvent,
    ReferralOutcome,
    ReferralSection,
    ReferralStatus,
    Service,
    SharingBasis,
    Urgency,
)
from joinedup.referrals.working_days import add_working_days
from joinedup.sharing import audit, consents
from joinedup.sharing.models import (
    AccessAction,
    AccessBasis,
    ConsentPosition,
    DisclosureKind,
    InformationKind,
)
from joinedup.sharing.models import LawfulBasis as SharingLawfulBasis
from joinedup.sharing.policy import Decision
from joinedup.sharing.sharing_decisions import record_sharing_decision

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.casework.models import Action, Episode
    from joinedup.children.models import Child

S = ReferralStatus

TRANSITIONS: dict[str, frozenset[str]] = {
    S.DRAFT: frozenset({S.SENT, S.WITHDRAWN}),
    S.SENT: frozenset({S.ACKNOWLEDGED, S.WITHDRAWN}),
    S.ACKNOWLEDGED: frozenset({S.ACCEPTED, S.DECLINED, S.WITHDRAWN}),
    S.ACCEPTED: frozenset({S.STARTED, S.WITHDRAWN}),
    S.STARTED: frozenset({S.COMPLETED, S.WITHDRAWN}),
    S.DECLINED: frozenset(),
    S.COMPLETED: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# The step each state needs before it, for refusals that say what is missing.
_NEEDS_FIRST: dict[str, str] = {
    S.SENT: "is not a draft",
    S.ACKNOWLEDGED: "has not been sent",
    S.ACCEPTED: "has not been acknowledged",
    S.DECLINED: "has not been acknowledged",
    S.STARTED: "has not been accepted",
    S.COMPLETED: "has not been started",
    S.WITHDRAWN: "has already ended",
}

_VERBS: dict[str, str] = {
    S.SENT: "sent",
    S.ACKNOWLEDGED: "acknowledged",
    S.ACCEPTED: "accepted",
    S.DECLINED: "declined",
    S.STARTED: "started",
    S.COMPLETED: "completed",
    S.WITHDRAWN: "withdrawn",
}

_TIMESTAMPS: dict[str, str] = {
    S.SENT: "sent_at",
    S.ACKNOWLEDGED: "acknowledged_at",
    S.ACCEPTED: "accepted_at",
    S.DECLINED: "declined_at",
    S.STARTED: "started_at",
    S.COMPLETED: "completed_at",
    S.WITHDRAWN: "withdrawn_at",
}


class InvalidTransition(Exception):
    """A step the referral's state does not allow; ``str()`` is the message to show."""


def refusal(referral: Referral, to_status: str) -> str:
    """Why ``to_status`` cannot be reached from where the referral is, in plain words."""
    current = ReferralStatus(referral.status).label.lower()
    if referral.is_closed:
        return f"This referral was {current}, so nothing more can be done with it."
    if to_status == S.SENT:
        return f"This referral has already been sent (it is {current})."
    return (
        f"This referral {_NEEDS_FIRST[to_status]}, so it cannot be {_VERBS[to_status]}. "
        f"It is {current}."
    )


def can_move(referral: Referral, to_status: str) -> bool:
    return to_status in TRANSITIONS[referral.status]


# Making and sending --------------------------------------------------------------------


@dataclass(frozen=True)
class ReferralDetails:
    """What the referrer fills in: the same for a new draft and a changed one."""

    reason: str
    urgency: str = Urgency.ROUTINE
    shared_sections: tuple[str, ...] = ()
    sharing_basis: str = ""
    consent_given_by: str = ""
    consent_given_by_name: str = ""
    consent_competence_note: str = ""
    consent_given_on: date | None = None
    lawful_basis: str = ""
    lawful_reason: str = ""


def _check_details(details: ReferralDetails, episode: Episode | None, *, sending: bool) -> None:
    errors: dict[str, str] = {}
    if not details.reason.strip():
        errors["reason"] = "Say why you are referring the child"
    if details.urgency not in Urgency.values:
        errors["urgency"] = "Choose whether the referral is urgent"
    unknown = [code for code in details.shared_sections if code not in ReferralSection.values]
    if unknown:
        errors["shared_sections"] = "Choose only from the parts listed"
    elif episode is None and {str(code) for code in EPISODE_SECTIONS} & set(
        details.shared_sections
    ):
        errors["shared_sections"] = (
            "The assessment, plan and outcome ratings can be shared only from an early-help episode"
        )
    basis = details.sharing_basis
    if basis and basis not in SharingBasis.values:
        errors["sharing_basis"] = "Choose consent or a lawful reason"
    if sending and not basis:
        errors["sharing_basis"] = "Say on what basis you are sharing the information"
    if basis == SharingBasis.CONSENT and (sending or details.consent_given_by):
        if details.consent_given_by not in {"young_person", "parent_carer"}:
            errors["consent_given_by"] = "Say who gave consent"
        if not details.consent_given_by_name.strip():
            errors["consent_given_by_name"] = "Enter the name of the person who gave consent"
        if (
            details.consent_given_by == "young_person"
            and not details.consent_competence_note.strip()
        ):
            errors["consent_competence_note"] = (
                "Say why the young person is competent to decide for themselves"
            )
        if details.consent_given_on is None:
            errors["consent_given_on"] = "Enter the date consent was given"
        elif details.consent_given_on > timezone.localdate():
            errors["consent_given_on"] = "The date consent was given must be today or in the past"
    if basis == SharingBasis.LAWFUL_REASON:
        if details.lawful_basis not in LawfulBasis.values:
            errors["lawful_basis"] = "Choose the lawful reason for sharing without consent"
        if not details.lawful_reason.strip():
            errors["lawful_reason"] = "Say why the information is shared without consent"
    if errors:
        raise ValidationError(errors)


def _apply_details(referral: Referral, details: ReferralDetails) -> None:
    referral.reason = details.reason.strip()
    referral.urgency = details.urgency
    referral.shared_sections = [
        code for code in ReferralSection.values if code in set(details.shared_sections)
    ]
    referral.sharing_basis = details.sharing_basis
    consent = details.sharing_basis == SharingBasis.CONSENT
    lawful = details.sharing_basis == SharingBasis.LAWFUL_REASON
    referral.consent_given_by = details.consent_given_by if consent else ""
    referral.consent_given_by_name = details.consent_given_by_name.strip() if consent else ""
    referral.consent_competence_note = (
        details.consent_competence_note.strip()
        if consent and details.consent_given_by == "young_person"
        else ""
    )
    referral.consent_given_on = details.consent_given_on if consent else None
    referral.lawful_basis = details.lawful_basis if lawful else ""
    referral.lawful_reason = details.lawful_reason.strip() if lawful else ""


def _check_service(service: Service) -> None:
    if not service.is_published:
        raise ValidationError({"service": "This service is not in the directory"})


def create_draft(
    *,
    referrer: Practitioner,
    child: Child,
    service: Service,
    details: ReferralDetails,
    episode: Episode | None = None,
    action: Action | None = None,
    follows: Referral | None = None,
) -> Referral:
    """A new draft referral. From an action in a plan, the action's episode is the
    referral's episode. Ask sharing.policy.can_refer_child first."""
    if action is not None:
        episode = action.desired_outcome.need.episode
    if episode is not None and not episode.episode_children.filter(child=child).exists():
        raise ValidationError("The child is not part of this early-help episode")
    _check_service(service)
    _check_details(details, episode, sending=False)
    referral = Referral(
        child=child,
        service=service,
        episode=episode,
        action=action,
        follows=follows,
        referrer=referrer,
        referrer_agency_id=referrer.home_agency_id,
        handled_outside=not service.accepts_referrals_in_app,
    )
    _apply_details(referral, details)
    with transaction.atomic():
        referral.save()
        ReferralEvent.objects.create(
            referral=referral, from_status="", to_status=S.DRAFT, by=referrer
        )
    return referral


def update_draft(
    referral: Referral,
    *,
    by: Practitioner,
    details: ReferralDetails,
    service: Service | None = None,
) -> Referral:
    """Change a draft (its service too). Ask sharing.policy.can_send_referral first."""
    with transaction.atomic():
        referral = Referral.objects.select_for_update().get(pk=referral.pk)
        if referral.status != S.DRAFT:
            raise InvalidTransition("This referral has been sent, so it can no longer be changed.")
        if service is not None and service.pk != referral.service_id:
            _check_service(service)
            referral.service = service
            referral.handled_outside = not service.accepts_referrals_in_app
        _check_details(details, referral.episode, sending=False)
        _apply_details(referral, details)
        referral.save()
    return referral


def send_referral(
    referral: Referral, *, by: Practitioner, decision: Decision, consent_position: str = ""
) -> Referral:
    """Send a draft: the basis must be complete. Sets the dates by which the service should
    acknowledge and decide, in its working days, and the wait the referrer was shown.
    ``decision`` is the referrer's policy decision (can_send_referral), recorded with the
    disclosure. Sent on a lawful reason, the decision to share without consent is recorded
    for the referrer's supervisor to confirm; ``consent_position`` (a sharing
    ConsentPosition) says why consent was not sought or was overridden."""
    with transaction.atomic():
        referral = _locked(referral)
        _require_move(referral, S.SENT)
        _check_details(_details_of(referral), referral.episode, sending=True)
        service = referral.service
        _check_service(service)
        now = timezone.now()
        sent_on = timezone.localdate(now)
        referral.handled_outside = not service.accepts_referrals_in_app
        referral.acknowledge_by = add_working_days(sent_on, service.acknowledge_within_working_days)
        referral.decide_by = add_working_days(sent_on, service.decide_within_working_days)
        referral.expected_wait_weeks = service.waiting_weeks
        event = _move(referral, S.SENT, by=by, at=now)
        where = "a referral pack for" if referral.handled_outside else "Joined Up to"
        shared = "; ".join(
            ["the referral and the child's name and date of birth", *referral.section_labels()]
        )
        audit.record_access(
            practitioner=by,
            children=[referral.child],
            decision=Decision(
                True,
                basis=decision.basis or AccessBasis.REFERRER,
                reason=(
                    f"Referral {referral.reference} sent by {where} {service.name} "
                    f"({service.agency.name}) on the basis of {_basis_words(referral)}. "
                    f"Shared: {shared}"
                ),
            ),
            action=AccessAction.CHANGED,
            what=f"Referral {referral.reference} sent to {service.name}"[:200],
        )
        # The disclosure log (issue 6): one Disclosure beside the access record.
        record_referral_disclosure(
            referral,
            by=by,
            kind=DisclosureKind.REFERRAL,
            what=f"Referral {referral.reference}",
            recipient=recipient_of(referral),
        )
        if referral.sharing_basis == SharingBasis.CONSENT:
            _record_referral_consent(referral, by=by)
        if referral.sharing_basis == SharingBasis.LAWFUL_REASON:
            _record_sharing_decision(referral, by=by, consent_position=consent_position)
        notify.referral_changed(referral, event)
    return referral


# Sharing without consent (issue 6): the referral's lawful basis in the sharing app's terms.
_SHARING_LAWFUL_BASIS = {
    LawfulBasis.RISK_OF_HARM: SharingLawfulBasis.RISK_OF_HARM,
    LawfulBasis.SAFEGUARDING: SharingLawfulBasis.SIGNIFICANT_HARM,
    LawfulBasis.LEGAL_DUTY: SharingLawfulBasis.LEGAL_DUTY,
    LawfulBasis.PUBLIC_TASK: SharingLawfulBasis.PUBLIC_TASK,
}


def _record_sharing_decision(
    referral: Referral, *, by: Practitioner, consent_position: str
) -> None:
    """The referral's lawful basis says why it goes without consent, but (bar "risk of
    harm") not whether consent was asked for: the referrer says so when sending. Only
    "seeking consent would put someone at risk" is itself the answer (not sought: risk), so
    that alone is filled in for them."""
    if not consent_position and referral.lawful_basis == LawfulBasis.RISK_OF_HARM:
        consent_position = ConsentPosition.NOT_SOUGHT_RISK
    if not consent_position:
        raise ValidationError(
            {"consent_position": "Say why consent was not sought or was overridden"}
        )
    record_sharing_decision(
        decided_by=by,
        child=referral.child,
        episode=referral.episode,
        referral=referral,
        lawful_basis=_SHARING_LAWFUL_BASIS[LawfulBasis(referral.lawful_basis)],
        consent_position=consent_position,
        why=referral.lawful_reason,
        what_shared="; ".join(
            ["The referral and the child's name and date of birth", *referral.section_labels()]
        ),
        shared_with=f"{referral.service.name} ({referral.service.agency.name})"[:300],
    )


# Consent records (issue 6): what each shared section of a referral is, as a kind of
# information a consent covers (as in migration referrals 0004_referral_consent).
_SECTION_KINDS = {
    ReferralSection.CONTACT: InformationKind.IDENTITY,
    ReferralSection.SETTING: InformationKind.SETTING,
    ReferralSection.INVOLVEMENTS: InformationKind.INVOLVEMENTS,
    ReferralSection.LATEST_ASSESSMENT: InformationKind.ASSESSMENT,
    ReferralSection.PLAN: InformationKind.PLAN,
    ReferralSection.OUTCOME_RATINGS: InformationKind.OUTCOME_RATINGS,
}


def _record_referral_consent(referral: Referral, *, by: Practitioner) -> None:
    """A referral sent with consent gets its consent record: for the referral and sharing
    with the service, covering what the referral shares. The service's access follows it
    (sharing.policy), so withdrawing or expiring it ends their access."""
    sections = [section for section in referral.shared_sections if section in _SECTION_KINDS]
    kinds = {InformationKind.REFERRAL, InformationKind.IDENTITY}
    kinds |= {_SECTION_KINDS[section] for section in sections}
    referral.consent = consents.record_consent(
        consents.ConsentTerms(
            given_by_kind=referral.consent_given_by,
            given_by_name=referral.consent_given_by_name,
            giver_reason=referral.consent_competence_note,
            given_on=referral.consent_given_on or timezone.localdate(),
            for_referral=True,
            for_sharing=True,
            scope=sorted(kinds),
            services=[referral.service],
        ),
        recorded_by=by,
        child=referral.child,
        episode=referral.episode,
    )
    referral.save(update_fields=["consent"])


def _basis_words(referral: Referral) -> str:
    if referral.sharing_basis == SharingBasis.CONSENT:
        return f"consent from {referral.consent_given_by_name}"
    return f"a lawful reason ({referral.get_lawful_basis_display().lower()})"


def _details_of(referral: Referral) -> ReferralDetails:
    return ReferralDetails(
        reason=referral.reason,
        urgency=referral.urgency,
        shared_sections=tuple(referral.shared_sections),
        sharing_basis=referral.sharing_basis,
        consent_given_by=referral.consent_given_by,
        consent_given_by_name=referral.consent_given_by_name,
        consent_competence_note=referral.consent_competence_note,
        consent_given_on=referral.consent_given_on,
        lawful_basis=referral.lawful_basis,
        lawful_reason=referral.lawful_reason,
    )


# The service's answers (or, for a service outside Joined Up, the referrer recording them)


@dataclass(frozen=True)
class ByHand:
    """A reply from a service outside Joined Up, recorded by the referrer."""

    reply_from: str


def acknowledge(
    referral: Referral, *, by: Practitioner, note: str = "", by_hand: ByHand | None = None
) -> Referral:
    with transaction.atomic():
        referral = _locked(referral)
        _require_move(referral, S.ACKNOWLEDGED)
        event = _move(referral, S.ACKNOWLEDGED, by=by, note=note, by_hand=by_hand)
        notify.referral_changed(referral, event)
    return referral


def accept(
    referral: Referral,
    *,
    by: Practitioner,
    expected_start_on: date | None = None,
    note: str = "",
    by_hand: ByHand | None = None,
) -> Referral:
    with transaction.atomic():
        referral = _locked(referral)
        _require_move(referral, S.ACCEPTED)
        if expected_start_on is not None and expected_start_on < timezone.localdate():
            raise ValidationError({"expected_start_on": "The expected start must be in the future"})
        referral.expected_start_on = expected_start_on
        event = _move(referral, S.ACCEPTED, by=by, note=note, by_hand=by_hand)
        notify.referral_changed(referral, event)
    return referral


def decline(
    referral: Referral,
    *,
    by: Practitioner,
    reason: str,
    note: str = "",
    suggested_service: Service | None = None,
    by_hand: ByHand | None = None,
) -> Referral:
    """Decline with a reason (and words when the reason is "another reason"), perhaps
    suggesting a service that would meet the needs better."""
    errors: dict[str, str] = {}
    if reason not in DeclineReason.values:
        errors["reason"] = "Choose why the referral is declined"
    if reason == DeclineReason.OTHER and not note.strip():
        errors["note"] = "Say why the referral is declined"
    if suggested_service is not None:
        if suggested_service.pk == referral.service_id:
            errors["suggested_service"] = "Suggest a different service from this one"
        elif not suggested_service.is_published:
            errors["suggested_service"] = "Suggest a service that is in the directory"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        referral = _locked(referral)
        _require_move(referral, S.DECLINED)
        referral.decline_reason = reason
        referral.decline_note = note.strip()
        referral.suggested_service = suggested_service
        event = _move(referral, S.DECLINED, by=by, note=note, by_hand=by_hand)
        notify.referral_changed(referral, event)
    return referral


def start(
    referral: Referral, *, by: Practitioner, note: str = "", by_hand: ByHand | None = None
) -> Referral:
    """The service starts working with the child: it becomes involved (an Involvement of
    the service's agency, naming the practitioner who started it when that is someone of
    the service in Joined Up)."""
    with transaction.atomic():
        referral = _locked(referral)
        _require_move(referral, S.STARTED)
        event = _move(referral, S.STARTED, by=by, note=note, by_hand=by_hand)
        service = referral.service
        practitioner = None if by_hand is not None else by
        Involvement.objects.create(
            child=referral.child,
            agency=service.agency,
            practitioner=practitioner,
            role=f"{service.name} (referral {referral.reference})"[:200],
            started_on=timezone.localdate(),
        )
        notify.referral_changed(referral, event)
    return referral


def complete(
    referral: Referral,
    *,
    by: Practitioner,
    outcome: str,
    note: str = "",
    by_hand: ByHand | None = None,
) -> Referral:
    """The service has finished: with an outcome. Ends the involvement starting made."""
    if outcome not in ReferralOutcome.values:
        raise ValidationError({"outcome": "Choose the outcome"})
    with transaction.atomic():
        referral = _locked(referral)
        _require_move(referral, S.COMPLETED)
        referral.outcome = outcome
        referral.outcome_note = note.strip()
        event = _move(referral, S.COMPLETED, by=by, note=note, by_hand=by_hand)
        _end_service_involvement(referral, "Referral completed")
        notify.referral_changed(referral, event)
    return referral


def withdraw(referral: Referral, *, by: Practitioner, reason: str) -> Referral:
    """The referrer withdraws a draft or a live referral, saying why."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why you are withdrawing the referral"})
    with transaction.atomic():
        referral = _locked(referral)
        _require_move(referral, S.WITHDRAWN)
        was_sent = referral.status != S.DRAFT
        referral.withdrawal_reason = reason.strip()
        event = _move(referral, S.WITHDRAWN, by=by, note=reason)
        _end_service_involvement(referral, "Referral withdrawn")
        if was_sent:
            notify.referral_changed(referral, event)
    return referral


def re_refer(
    declined: Referral,
    *,
    by: Practitioner,
    service: Service,
    details: ReferralDetails | None = None,
) -> Referral:
    """A new draft after a declined referral, to another service (often the one
    suggested), carrying over the reason and what is shared; the basis is asked again."""
    if declined.status != S.DECLINED:
        raise InvalidTransition("Only a declined referral can be made again to another service.")
    if service.pk == declined.service_id:
        raise ValidationError({"service": "Choose a different service from the one that declined"})
    if details is None:
        details = ReferralDetails(
            reason=declined.reason,
            urgency=declined.urgency,
            shared_sections=tuple(declined.shared_sections),
        )
    return create_draft(
        referrer=by,
        child=declined.child,
        service=service,
        details=details,
        episode=declined.episode,
        action=declined.action,
        follows=declined,
    )


# Internals -----------------------------------------------------------------------------


def _locked(referral: Referral) -> Referral:
    return (
        Referral.objects.select_for_update(of=("self",))
        .select_related("service", "service__agency", "child")
        .get(pk=referral.pk)
    )


def _require_move(referral: Referral, to_status: str) -> None:
    if not can_move(referral, to_status):
        raise InvalidTransition(refusal(referral, to_status))


def _move(
    referral: Referral,
    to_status: str,
    *,
    by: Practitioner,
    note: str = "",
    by_hand: ByHand | None = None,
    at: datetime | None = None,
) -> ReferralEvent:
    now = at or timezone.now()
    from_status = referral.status
    referral.status = to_status
    setattr(referral, _TIMESTAMPS[to_status], now)
    referral.save()
    return ReferralEvent.objects.create(
        referral=referral,
        from_status=from_status,
        to_status=to_status,
        by=by,
        at=now,
        note=note.strip(),
        recorded_by_hand=by_hand is not None,
        reply_from=by_hand.reply_from.strip() if by_hand else "",
    )


def _end_service_involvement(referral: Referral, why: str) -> None:
    Involvement.objects.current().filter(
        child=referral.child,
        agency=referral.service.agency,
        role__endswith=f"(referral {referral.reference})",
    ).update(ended_on=timezone.localdate(), ended_reason=why)
