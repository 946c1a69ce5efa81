"""Changes to episodes, each in one transaction. Views ask sharing.policy first."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from joinedup.casework.disclosure import record_team_share
from joinedup.casework.models import (
    ConsentScope,
    Episode,
    EpisodeChild,
    LeadProfessionalChoice,
    PreAssessmentCheck,
    TeamMember,
)
from joinedup.casework.selectors import existing_episode, lead_contact
from joinedup.sharing import consents, policy
from joinedup.sharing.models import Consent, InformationKind

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child
    from joinedup.partnerships.models import Agency


def _duplicate_message(child: Child, episode: Episode) -> str:
    state = "is open" if episode.is_open else "was closed recently"
    return (
        f"An early help assessment already exists for {child.full_name} (it {state}): "
        f"{lead_contact(episode)}"
    )


@transaction.atomic
def open_episode(
    *, practitioner: Practitioner, children: Sequence[Child], role: str = "Opened the episode"
) -> Episode:
    """Open one episode for a child, or for brothers and sisters together. Refused when any
    of them already has an open or recent episode: the refusal names the lead professional
    and how to contact them, instead of a duplicate assessment beginning."""
    if not children:
        raise ValidationError("Choose at least one child")
    for child in children:
        existing = existing_episode(child, for_update=True)
        if existing is not None:
            raise ValidationError(_duplicate_message(child, existing), code="duplicate")
    episode = Episode.objects.create(opened_by=practitioner, opened_on=timezone.localdate())
    try:
        with transaction.atomic():
            EpisodeChild.objects.bulk_create(
                EpisodeChild(episode=episode, child=child) for child in children
            )
    except IntegrityError as problem:  # a concurrent episode won the race
        raise ValidationError(
            "An early help episode was opened for this child a moment ago", code="duplicate"
        ) from problem
    TeamMember.objects.create(
        episode=episode,
        practitioner=practitioner,
        role=role,
        agency=practitioner.home_agency,
        joined_on=episode.opened_on,
        added_by=practitioner,
    )
    return episode


def _require_open(episode: Episode) -> None:
    if not episode.is_open:
        raise ValidationError("This episode is closed")


@transaction.atomic
def record_pre_assessment_check(
    *, practitioner: Practitioner, episode: Episode, needs_more_than_universal: bool, notes: str
) -> PreAssessmentCheck:
    _require_open(episode)
    return PreAssessmentCheck.objects.create(
        episode=episode,
        needs_more_than_universal=needs_more_than_universal,
        notes=notes.strip(),
        recorded_by=practitioner,
    )


@transaction.atomic
def record_consent(
    *,
    practitioner: Practitioner,
    episode: Episode,
    given_by_kind: str,
    given_by_name: str,
    given_on: date,
    scope: str,
    competence_note: str = "",
    information: Sequence[str] | None = None,
    review_on: date | None = None,
    expires_on: date | None = None,
) -> Consent:
    """Record the family's consent within the episode, as a sharing.Consent for each of
    its children: to the assessment, or to the assessment and sharing it with the team's
    agencies (covering ``information``, by default everything the team shares)."""
    _require_open(episode)
    if scope not in ConsentScope.values:
        raise ValidationError({"scope": "Choose what the consent covers"})
    sharing = scope == ConsentScope.ASSESSMENT_AND_SHARING
    terms = consents.ConsentTerms(
        given_by_kind=given_by_kind,
        given_by_name=given_by_name,
        given_on=given_on,
        giver_reason=competence_note,
        for_assessment=True,
        for_sharing=sharing,
        scope=list(information)
        if information is not None
        else (consents.TEAM_SHARING_SCOPE if sharing else [InformationKind.ASSESSMENT]),
        to_team=sharing,
        review_on=review_on,
        expires_on=expires_on,
    )
    first = episode.episode_children.select_related("child").order_by("pk").first()
    if first is None:
        raise ValidationError("The episode has no child to record consent for")
    try:
        return consents.record_consent(
            terms, recorded_by=practitioner, child=first.child, episode=episode
        )
    except ValidationError as problem:
        # The episode's form calls the giver's reason "competence_note".
        if hasattr(problem, "error_dict") and "giver_reason" in problem.error_dict:
            problem.error_dict["competence_note"] = problem.error_dict.pop("giver_reason")
        raise


def withdraw_consent(*, practitioner: Practitioner, consent: Consent, reason: str) -> None:
    """Withdrawal takes effect today: the consent no longer counts for anything."""
    consents.withdraw_consent(consent=consent, withdrawn_by=practitioner, reason=reason)


def has_sharing_consent(episode: Episode) -> bool:
    """Whether consent to sharing the assessment with the team's agencies is in force."""
    return consents.has_sharing_consent(episode)


@transaction.atomic
def add_team_member(
    *,
    added_by: Practitioner,
    episode: Episode,
    role: str,
    practitioner: Practitioner | None = None,
    participant_name: str = "",
    participant_relationship: str = "",
    agency: Agency | None = None,
    joined_on: date | None = None,
) -> TeamMember:
    """Add a practitioner (whose agency the family agreed to share with: consent to
    sharing must be in force) or a family member taking part (not a user)."""
    _require_open(episode)
    if (practitioner is None) == (not participant_name.strip()):
        raise ValidationError("Choose a practitioner or give a family member's name, not both")
    if practitioner is not None:
        if not has_sharing_consent(episode):
            raise ValidationError(
                "Consent to sharing the assessment with the team's agencies is not in force: "
                "a practitioner cannot join the team until it is recorded",
                code="no_consent",
            )
        if TeamMember.objects.current().filter(episode=episode, practitioner=practitioner):
            raise ValidationError(f"{practitioner} is already on the team")
        agency = agency or practitioner.home_agency
    member = TeamMember.objects.create(
        episode=episode,
        practitioner=practitioner,
        participant_name=participant_name.strip(),
        participant_relationship=participant_relationship.strip(),
        role=role.strip(),
        agency=agency,
        joined_on=joined_on or timezone.localdate(),
        added_by=added_by,
    )
    if practitioner is not None:  # the disclosure log (issue 6): the episode is shared
        record_team_share(
            added_by=added_by, episode=episode, member=practitioner, agency=agency, role=role
        )
    return member


@transaction.atomic
def leave_team(*, practitioner: Practitioner, member: TeamMember, on: date | None = None) -> None:
    """Membership ends on ``on`` (today by default): from that day it gives no access."""
    member = TeamMember.objects.select_for_update().get(pk=member.pk)
    if not member.is_current:
        raise ValidationError("This person is no longer on the team")
    day = on or timezone.localdate()
    episode = member.episode
    if (
        member.practitioner_id is not None
        and member.practitioner_id == episode.lead_professional_id
    ):
        raise ValidationError(
            "The lead professional cannot leave the team until another lead is chosen"
        )
    member.left_on = max(day, member.joined_on)
    member.save(update_fields=["left_on"])


@transaction.atomic
def choose_lead_professional(
    *,
    recorded_by: Practitioner,
    episode: Episode,
    practitioner: Practitioner,
    family_agreement_recorded: bool,
    family_agreed_by: str,
    notes: str = "",
    chosen_on: date | None = None,
) -> LeadProfessionalChoice:
    """Chosen at a team meeting with the family's agreement, which must be recorded."""
    _require_open(episode)
    if not family_agreement_recorded or not family_agreed_by.strip():
        raise ValidationError(
            {"family_agreement_recorded": "Record that the family agreed, and who agreed"}
        )
    if not TeamMember.objects.current().filter(episode=episode, practitioner=practitioner):
        raise ValidationError({"practitioner": "The lead professional must be on the team"})
    choice = LeadProfessionalChoice.objects.create(
        episode=episode,
        practitioner=practitioner,
        chosen_on=chosen_on or timezone.localdate(),
        family_agreement_recorded=True,
        family_agreed_by=family_agreed_by.strip(),
        notes=notes.strip(),
        recorded_by=recorded_by,
    )
    Episode.objects.filter(pk=episode.pk).update(lead_professional=practitioner)
    episode.lead_professional = practitioner
    return choice


@transaction.atomic
def add_child_to_episode(
    *, practitioner: Practitioner, episode: Episode, child: Child
) -> EpisodeChild:
    """A brother or sister joins an open episode, making or growing a team around the
    family. Refused when the episode is closed, when the practitioner may not add this child
    (policy.can_add_child_to_episode: they manage the team and may open an episode for the
    child), or when the child already has an open or recent episode — the refusal names its
    lead professional and how to contact them, as open_episode's does."""
    episode = Episode.objects.select_for_update().get(pk=episode.pk)
    _require_open(episode)
    if not policy.can_add_child_to_episode(practitioner, episode, child):
        raise PermissionDenied("You cannot add this child to the episode.")
    existing = existing_episode(child, for_update=True)
    if existing is not None and existing.pk == episode.pk:
        raise ValidationError(f"{child.full_name} is already in this episode", code="already")
    if existing is not None:
        raise ValidationError(_duplicate_message(child, existing), code="duplicate")
    try:
        with transaction.atomic():
            return EpisodeChild.objects.create(episode=episode, child=child)
    except IntegrityError as problem:  # a concurrent episode won the race
        raise ValidationError(
            "An early help episode was opened for this child a moment ago", code="duplicate"
        ) from problem
