"""Step-up to children's social care and step-down into early help (issue 4 part 8):
services and selectors.

Step-up: when a child's needs exceed early help, the lead professional records which
social care agency the episode goes to, why, and which parts of the record are shared —
without consent to sharing in force, only with a recorded reason (information sharing is
never a barrier when a child is at risk, but it is always recorded). The sharing is
written to the access records as a disclosure, and every current practitioner on the team
is told by email. Social care's answer closes the episode as stepped up (accepted) or lets
early help continue (not accepted, with a note); the team is told either way.

Step-down: a practitioner of children's social care opens an early-help episode for a child
with a handover summary (StepDown), through services.open_episode so the duplicate guard
applies. Views ask sharing.policy first."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import urljoin

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, models, transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from joinedup.casework import closure, disclosure, services
from joinedup.casework.models import (
    ClosureReason,
    ConsentScope,
    Episode,
    EpisodeChild,
    StepDown,
    StepUp,
    StepUpStatus,
    TeamMember,
)
from joinedup.casework.selectors import existing_episode, lead_contact
from joinedup.children.models import Child
from joinedup.partnerships.models import Sector
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction, Consent, ConsentGiver, ConsentPosition
from joinedup.sharing.models import LawfulBasis as SharingLawfulBasis
from joinedup.sharing.sharing_decisions import record_sharing_decision

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.partnerships.models import Agency


class SharedSection(models.TextChoices):
    """The parts of the record that may go with a step-up (StepUp.shared_sections)."""

    LATEST_ASSESSMENT = "latest_assessment", "The latest early help assessment"
    PLAN = "plan", "The plan and progress on its actions"
    REVIEW_MINUTES = "review_minutes", "Minutes of team around the child reviews"
    OUTCOME_RATINGS = "outcome_ratings", "Outcome ratings"
    TEAM = "team", "The team around the child and their contact details"
    CONSENT = "consent", "Consent records"


SHARED_SECTIONS = SharedSection.choices

# Written at the start of the paragraph added to StepUp.shared_notes when information is
# shared without consent to sharing in force, so the reason stands out wherever it is read.
WITHOUT_CONSENT_LABEL = "Shared without consent to sharing in force. Why:"

# How much of a reason or note goes into an email: the rest is in Joined Up, behind sign-in.
EMAIL_WORDS = 30


def section_labels(codes: Iterable[str]) -> list[str]:
    labels = dict(SHARED_SECTIONS)
    return [labels.get(code, code) for code in codes]


def _children(episode: Episode) -> list[Child]:
    return [
        link.child for link in episode.episode_children.select_related("child").order_by("child_id")
    ]


def _short_names(children: Sequence[Child]) -> str:
    """Given name and the initial of the family name: enough for the team to recognise the
    child, little if the email goes astray."""
    names = [f"{child.given_name} {child.family_name[:1]}." for child in children]
    if len(names) < 2:
        return "".join(names)
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _short(text: str) -> str:
    return Truncator(" ".join(text.split())).words(EMAIL_WORDS)


def _episode_link(episode: Episode, site_url: str) -> str:
    path = reverse("casework:episode", kwargs={"episode_id": episode.pk})
    return urljoin(site_url, path) if site_url else path


def _team_addresses(episode: Episode) -> list[str]:
    members = (
        TeamMember.objects.current()
        .filter(episode=episode, practitioner__isnull=False, practitioner__is_active=True)
        .select_related("practitioner")
    )
    return sorted(
        {
            member.practitioner.email
            for member in members
            if member.practitioner and member.practitioner.email
        }
    )


def _email_team(addresses: Sequence[str], subject: str, body: str) -> int:
    for address in addresses:
        EmailMessage(
            subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[address]
        ).send()
    return len(addresses)


# Step-up ---------------------------------------------------------------------------------


@transaction.atomic
def step_up(
    *,
    practitioner: Practitioner,
    episode: Episode,
    to_agency: Agency,
    reason: str,
    shared_sections: Sequence[str],
    shared_notes: str = "",
    without_consent_reason: str = "",
    lawful_basis: str = "",
    consent_position: str = "",
    site_url: str = "",
    path: str = "",
) -> StepUp:
    """Step the open episode up to a children's social care agency. Without consent to
    sharing in force, a reason for sharing anyway is required and kept, labelled, in the
    shared notes. The sharing is recorded as a disclosure (one access record per child);
    once committed, every current practitioner on the team is emailed and the step-up
    notes when the team was told. One step-up waits for an answer at a time."""
    decision = policy.can_step_up(practitioner, episode)
    if not decision:
        raise PermissionDenied("Only the lead professional steps an episode up.")
    locked = Episode.objects.select_for_update().get(pk=episode.pk)
    if not locked.is_open:
        raise ValidationError("This episode is closed", code="closed")
    problems: dict[str, str] = {}
    if to_agency.sector != Sector.SOCIAL_CARE:
        problems["to_agency"] = "Choose a children's social care agency"
    if not reason.strip():
        problems["reason"] = "Say why the child's needs exceed early help"
    sections = list(dict.fromkeys(shared_sections))
    if not sections:
        problems["shared_sections"] = "Choose at least one part of the record to share"
    elif set(sections) - set(SharedSection.values):
        problems["shared_sections"] = "Choose parts of the record from the list"
    with_consent = services.has_sharing_consent(locked)
    if not with_consent and not without_consent_reason.strip():
        problems["without_consent_reason"] = (
            "Consent to sharing is not in force: say why the information is shared without it"
        )
    if StepUp.objects.filter(episode=locked, status=StepUpStatus.REFERRED).exists():
        problems["__all__"] = (
            "This episode has already been stepped up and is waiting for children's social "
            "care to answer"
        )
    if problems:
        raise ValidationError(problems)
    notes = shared_notes.strip()
    if not with_consent:
        labelled = f"{WITHOUT_CONSENT_LABEL} {without_consent_reason.strip()}"
        notes = f"{notes}\n\n{labelled}" if notes else labelled
    try:
        with transaction.atomic():
            escalation = StepUp.objects.create(
                episode=locked,
                to_agency=to_agency,
                reason=reason.strip(),
                shared_sections=sections,
                shared_notes=notes,
                requested_on=timezone.localdate(),
                requested_by=practitioner,
            )
    except IntegrityError as clash:  # another step-up was recorded a moment ago
        raise ValidationError(
            "This episode was stepped up a moment ago by someone else", code="pending"
        ) from clash
    children = _children(locked)
    consent_words = (
        "with consent to sharing in force"
        if with_consent
        else f"without consent to sharing: {without_consent_reason.strip()}"
    )
    audit.record_access(
        practitioner=practitioner,
        children=children,
        decision=dataclasses.replace(
            decision,
            reason=(
                f"{decision.reason}. Stepped up to {to_agency.name}, {consent_words}. "
                f"Shared: {'; '.join(section_labels(sections))}"
            ),
        ),
        action=AccessAction.CHANGED,
        what=f"Disclosed to {to_agency.name} on step-up to children's social care"[:200],
        path=path,
    )
    disclosure.record_step_up(
        practitioner=practitioner,
        episode=locked,
        children=children,
        to_agency=to_agency,
        reason=reason,
        shared_labels=section_labels(sections),
        with_consent=with_consent,
        without_consent_reason=without_consent_reason,
        path=path,
    )
    if not with_consent:
        # Sharing without consent (issue 6): one decision per child, for the lead's
        # supervisor to confirm. A step-up goes to social care because the child's needs
        # exceed early help, so the basis is significant harm unless the lead says
        # otherwise. The step-up form asks why consent was not sought or was overridden; a
        # caller that does not say gets what the record shows: consent to sharing withdrawn
        # (so overridden), else not sought because asking risked harm.
        if not consent_position:
            withdrawn = Consent.objects.filter(
                episode=locked, for_sharing=True, withdrawn_on__isnull=False
            ).exists()
            consent_position = (
                ConsentPosition.WITHDRAWN_OVERRIDDEN
                if withdrawn
                else ConsentPosition.NOT_SOUGHT_RISK
            )
        what = "; ".join(section_labels(sections))
        if shared_notes.strip():
            what = f"{what}; notes: {shared_notes.strip()}"
        for child in children:
            record_sharing_decision(
                decided_by=practitioner,
                child=child,
                episode=locked,
                lawful_basis=lawful_basis or SharingLawfulBasis.SIGNIFICANT_HARM,
                consent_position=consent_position,
                why=without_consent_reason,
                what_shared=what,
                shared_with=to_agency.name[:300],
            )
    addresses = _team_addresses(locked)
    subject = f"Early help episode {locked.pk} stepped up to children's social care"
    body = (
        f"{practitioner} has stepped up early help episode {locked.pk} "
        f"({_short_names(children)}) to {to_agency.name}.\n\n"
        f"Why, in short: {_short(escalation.reason)}\n\n"
        "Children's social care will say whether they accept it. Until then early help "
        "carries on as planned.\n\n"
        f"See the episode (you will need to sign in): {_episode_link(locked, site_url)}\n"
    )
    step_up_id = escalation.pk

    def tell_team() -> None:
        _email_team(addresses, subject, body)
        StepUp.objects.filter(pk=step_up_id).update(team_informed_at=timezone.now())

    transaction.on_commit(tell_team)
    return escalation


@transaction.atomic
def record_step_up_decision(
    *,
    practitioner: Practitioner,
    step_up: StepUp,
    accepted: bool,
    note: str = "",
    decided_on: date | None = None,
    site_url: str = "",
) -> StepUp:
    """Record children's social care's answer. Accepted: the episode closes as stepped up
    (casework.closure.close_episode), with the decision note as the closure notes. Not
    accepted: early help continues, and a note saying why is required. The team is
    emailed once committed."""
    locked = (
        StepUp.objects.select_for_update().select_related("to_agency", "episode").get(pk=step_up.pk)
    )
    if locked.status != StepUpStatus.REFERRED:
        raise ValidationError(
            f"Children's social care's answer is already recorded: "
            f"{locked.get_status_display().lower()}",
            code="decided",
        )
    day = decided_on or timezone.localdate()
    problems: dict[str, str] = {}
    if not accepted and not note.strip():
        problems["decision_note"] = "Say why children's social care did not accept the step-up"
    if day > timezone.localdate():
        problems["decided_on"] = "The date of the decision must be today or earlier"
    elif day < locked.requested_on:
        problems["decided_on"] = "The date of the decision cannot be before the step-up"
    if problems:
        raise ValidationError(problems)
    episode = locked.episode
    agency = locked.to_agency
    children = _children(episode)
    addresses = _team_addresses(episode)
    locked.status = StepUpStatus.ACCEPTED if accepted else StepUpStatus.NOT_ACCEPTED
    locked.decided_on = day
    locked.decision_note = note.strip()
    locked.decision_recorded_by = practitioner
    locked.save(update_fields=["status", "decided_on", "decision_note", "decision_recorded_by"])
    names = _short_names(children)
    if accepted:
        if episode.is_open:
            closure.close_episode(
                practitioner=practitioner,
                episode=episode,
                reason=ClosureReason.STEPPED_UP,
                notes=locked.decision_note or f"Accepted by {agency.name}",
                on=day,
            )
        subject = f"Early help episode {episode.pk}: accepted by children's social care"
        body = (
            f"{agency.name} accepted the step-up of early help episode {episode.pk} "
            f"({names}). The episode is closed as stepped up to children's social care, "
            "and the team around the child no longer has access to it.\n\n"
            f"Recorded by {practitioner}."
            + (
                f"\n\nNote, in short: {_short(locked.decision_note)}"
                if locked.decision_note
                else ""
            )
            + "\n"
        )
    else:
        subject = f"Early help episode {episode.pk}: not accepted by children's social care"
        body = (
            f"{agency.name} did not accept the step-up of early help episode {episode.pk} "
            f"({names}). Early help continues: the team around the child carries on with "
            "the plan.\n\n"
            f"Why, in short: {_short(locked.decision_note)}\n\n"
            f"Recorded by {practitioner}. See the episode (you will need to sign in): "
            f"{_episode_link(episode, site_url)}\n"
        )
    transaction.on_commit(lambda: _email_team(addresses, subject, body))
    step_up.status, step_up.decided_on = locked.status, locked.decided_on
    step_up.decision_note, step_up.decision_recorded_by = locked.decision_note, practitioner
    return locked


# Step-down -------------------------------------------------------------------------------


@transaction.atomic
def step_down(
    *,
    practitioner: Practitioner,
    child: Child,
    summary: str,
    needs_remaining: str,
    risks: str = "",
    family_views: str = "",
    social_care_reference: str = "",
    receiving_practitioner: Practitioner | None = None,
    receiving_role: str = "",
    consent_given_by_kind: str = "",
    consent_given_by_name: str = "",
    consent_competence_note: str = "",
) -> StepDown:
    """Open an early-help episode for the child with the social worker's handover summary,
    all or nothing. The social worker joins the team (as the opener). The practitioner
    who will receive the case joins too when given — with the family's consent to sharing,
    recorded here, since no practitioner joins a team without it."""
    agency = practitioner.home_agency
    if agency is None or agency.sector != Sector.SOCIAL_CARE:
        raise ValidationError("Only a practitioner of children's social care steps down")
    problems: dict[str, str] = {}
    if not summary.strip():
        problems["summary"] = "Say why social care is ending and what has changed"
    if not needs_remaining.strip():
        problems["needs_remaining"] = "Say which needs early help should pick up"
    if receiving_practitioner is not None:
        if receiving_practitioner.pk == practitioner.pk:
            problems["receiving_email"] = "You join the team anyway: give someone else"
        if not receiving_role.strip():
            problems["receiving_role"] = "Enter their role on the team"
        if consent_given_by_kind not in ConsentGiver.values:
            problems["consent_given_by_kind"] = (
                "Say who in the family agreed to sharing the handover with them"
            )
        if not consent_given_by_name.strip():
            problems["consent_given_by_name"] = "Enter the name of who agreed"
        if (
            consent_given_by_kind == ConsentGiver.YOUNG_PERSON
            and not consent_competence_note.strip()
        ):
            problems["consent_competence_note"] = "Say why the young person is competent to decide"
    if problems:
        raise ValidationError(problems)
    episode = services.open_episode(
        practitioner=practitioner,
        children=[child],
        role="Social worker handing over from children's social care",
    )
    handover = StepDown.objects.create(
        episode=episode,
        from_agency=agency,
        handed_over_by=practitioner,
        social_care_reference=social_care_reference.strip(),
        summary=summary.strip(),
        needs_remaining=needs_remaining.strip(),
        risks=risks.strip(),
        family_views=family_views.strip(),
        handed_over_on=episode.opened_on,
    )
    if receiving_practitioner is not None:
        services.record_consent(
            practitioner=practitioner,
            episode=episode,
            given_by_kind=consent_given_by_kind,
            given_by_name=consent_given_by_name,
            given_on=episode.opened_on,
            scope=ConsentScope.ASSESSMENT_AND_SHARING,
            competence_note=consent_competence_note,
        )
        services.add_team_member(
            added_by=practitioner,
            episode=episode,
            practitioner=receiving_practitioner,
            role=receiving_role,
        )
    return handover


# Selectors -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StepUpPage:
    episode: Episode
    children: list[Child]
    reason: str
    sharing_consent_in_force: bool
    pending: StepUp | None


def step_up_page(
    *, practitioner: Practitioner, episode_id: int, path: str, action: str = AccessAction.VIEWED
) -> StepUpPage:
    """The step-up page, if the policy allows; the read and one access record per child
    happen in one transaction."""
    with transaction.atomic():
        episode = get_object_or_404(
            Episode.objects.select_related("lead_professional", "opened_by").prefetch_related(
                Prefetch(
                    "episode_children",
                    queryset=EpisodeChild.objects.select_related("child").order_by("child_id"),
                )
            ),
            pk=episode_id,
        )
        decision = policy.can_step_up(practitioner, episode)
        if not decision:
            raise PermissionDenied("Only the lead professional steps an episode up.")
        children = [link.child for link in episode.episode_children.all()]
        audit.record_access(
            practitioner=practitioner,
            children=children,
            decision=decision,
            action=action,
            what="Stepping up to children's social care",
            path=path,
        )
        pending = (
            episode.step_ups.filter(status=StepUpStatus.REFERRED)
            .select_related("to_agency", "requested_by")
            .first()
        )
        with_consent = services.has_sharing_consent(episode)
    return StepUpPage(episode, children, decision.reason, with_consent, pending)


@dataclass(frozen=True)
class StepDownPage:
    child: Child
    existing: Episode | None
    contact: str
    reason: str


def step_down_page(
    *, practitioner: Practitioner, child_id: int, path: str, action: str = AccessAction.VIEWED
) -> StepDownPage:
    """The step-down page, if the policy allows, with the duplicate guard's answer: the
    child's open or recent episode and who to contact about it. Recorded like any read."""
    with transaction.atomic():
        child = get_object_or_404(Child, pk=child_id)
        decision = policy.can_step_down(practitioner, child)
        if not decision:
            raise PermissionDenied("Only a practitioner of children's social care steps down.")
        audit.record_access(
            practitioner=practitioner,
            children=[child],
            decision=decision,
            action=action,
            what="Step-down into early help",
            path=path,
        )
        existing = existing_episode(child)
    return StepDownPage(
        child, existing, lead_contact(existing) if existing else "", decision.reason
    )


@dataclass(frozen=True)
class DecisionPage:
    step_up: StepUp
    children: list[Child]
    sections: list[str]
    reason: str

    @property
    def is_pending(self) -> bool:
        return self.step_up.status == StepUpStatus.REFERRED


def decision_page(
    *, practitioner: Practitioner, step_up_id: int, path: str, action: str = AccessAction.VIEWED
) -> DecisionPage:
    """A step-up and its answer, for recording social care's decision, if the policy
    allows; recorded like any read of the children's records."""
    with transaction.atomic():
        escalation = get_object_or_404(
            StepUp.objects.select_related(
                "episode", "to_agency", "requested_by__home_agency", "decision_recorded_by"
            ),
            pk=step_up_id,
        )
        decision = policy.can_record_step_up_decision(practitioner, escalation)
        if not decision:
            raise PermissionDenied(
                "Only children's social care or the lead professional records the answer."
            )
        children = _children(escalation.episode)
        audit.record_access(
            practitioner=practitioner,
            children=children,
            decision=decision,
            action=action,
            what="Step-up to children's social care",
            path=path,
        )
    return DecisionPage(
        escalation, children, section_labels(escalation.shared_sections), decision.reason
    )


@dataclass(frozen=True)
class StepUpRow:
    step_up: StepUp
    sections: list[str]


@dataclass(frozen=True)
class EpisodeEscalation:
    """The step-up and step-down parts of the episode page: the handover it began with (if
    stepped down), every step-up with its answer, and what this reader may do."""

    step_down: StepDown | None
    step_ups: list[StepUpRow]
    may_step_up: bool
    may_decide: bool

    @property
    def pending(self) -> StepUp | None:
        return next(
            (row.step_up for row in self.step_ups if row.step_up.status == StepUpStatus.REFERRED),
            None,
        )


def episode_escalation(practitioner: Practitioner, episode: Episode) -> EpisodeEscalation:
    """For the episode page (which records its own access). Two queries plus the policy's,
    however many step-ups there are."""
    step_ups = list(
        episode.step_ups.select_related(
            "to_agency", "requested_by", "decision_recorded_by"
        ).order_by("-requested_on", "-pk")
    )
    handover = (
        StepDown.objects.select_related("from_agency", "handed_over_by")
        .filter(episode=episode)
        .first()
    )
    pending = next((row for row in step_ups if row.status == StepUpStatus.REFERRED), None)
    if pending is not None:
        pending.episode = episode
    return EpisodeEscalation(
        step_down=handover,
        step_ups=[StepUpRow(row, section_labels(row.shared_sections)) for row in step_ups],
        may_step_up=bool(policy.can_step_up(practitioner, episode)),
        may_decide=pending is not None
        and bool(policy.can_record_step_up_decision(practitioner, pending)),
    )
