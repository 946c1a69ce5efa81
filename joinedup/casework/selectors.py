"""Reads of episodes, narrowed by the policy module and recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404

from joinedup.casework.models import (
    Episode,
    EpisodeChild,
    EpisodeStatus,
    LeadProfessionalChoice,
    PreAssessmentCheck,
    TeamMember,
    recent_cutoff,
)
from joinedup.sharing import audit, policy
from joinedup.sharing.models import Consent

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child


def open_or_recent_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}status": EpisodeStatus.OPEN}) | Q(
        **{f"{prefix}closed_on__gte": recent_cutoff()}
    )


def existing_episode(child: Child, *, for_update: bool = False) -> Episode | None:
    """The child's open episode, or failing that their most recently closed one within
    settings.EPISODE_RECENT_DAYS: the duplicate-assessment guard. One query."""
    episodes = Episode.objects.filter(open_or_recent_q(), episode_children__child=child)
    if for_update:
        episodes = episodes.select_for_update(of=("self",))
    return (
        episodes.select_related("lead_professional__home_agency", "opened_by__home_agency")
        .order_by("-status", "-opened_on", "-pk")  # "open" sorts after "closed"
        .first()
    )


def _contact(person: Practitioner, with_details: bool = True) -> str:
    if not with_details:
        return str(person)
    agency = person.home_agency
    parts = [
        agency.name if agency else "",
        person.phone or (agency.phone if agency else ""),
        person.email,
    ]
    details = ", ".join(part for part in parts if part)
    return f"{person}{f' ({details})' if details else ''}"


def lead_contact(episode: Episode, *, with_details: bool = True) -> str:
    """Who to contact about an episode, in words: the lead professional, or before one is
    chosen the practitioner who opened it."""
    if episode.lead_professional is not None:
        return f"the lead professional is {_contact(episode.lead_professional, with_details)}"
    return (
        "no lead professional has been chosen yet; contact the practitioner who opened it, "
        f"{_contact(episode.opened_by, with_details)}"
    )


@dataclass(frozen=True)
class EpisodePage:
    episode: Episode
    children: list[Child]
    team: list[TeamMember]
    consents: list[Consent]
    checks: list[PreAssessmentCheck]
    lead_choices: list[LeadProfessionalChoice]
    reason: str
    contact: str

    @property
    def current_team(self) -> list[TeamMember]:
        return [member for member in self.team if member.is_current]

    @property
    def sharing_consent_in_force(self) -> bool:
        return any(consent.for_sharing and consent.is_in_force() for consent in self.consents)

    @property
    def assessment_consent_in_force(self) -> bool:
        return any(consent.for_assessment and consent.is_in_force() for consent in self.consents)

    @property
    def current_consents(self) -> list[Consent]:
        """The latest version of each consent (earlier versions are on the child's consent
        records page)."""
        return [consent for consent in self.consents if consent.superseded_at is None]

    @property
    def latest_check(self) -> PreAssessmentCheck | None:
        return self.checks[0] if self.checks else None


def episode_page(*, practitioner: Practitioner, episode_id: int, path: str) -> EpisodePage:
    """An episode with its children, team, consents and checks, if the policy allows; the
    read and one access record per child happen in one transaction. The number of queries
    does not depend on the size of the team."""
    with transaction.atomic():
        episode = get_object_or_404(
            Episode.objects.select_related(
                "lead_professional__home_agency", "opened_by__home_agency"
            ).prefetch_related(
                Prefetch(
                    "episode_children",
                    queryset=EpisodeChild.objects.select_related("child").order_by("child_id"),
                ),
                Prefetch(
                    "team",
                    queryset=TeamMember.objects.select_related(
                        "practitioner__home_agency", "agency"
                    ),
                ),
                Prefetch("consents", queryset=Consent.objects.select_related("recorded_by")),
                Prefetch(
                    "checks", queryset=PreAssessmentCheck.objects.select_related("recorded_by")
                ),
                Prefetch(
                    "lead_choices",
                    queryset=LeadProfessionalChoice.objects.select_related("practitioner"),
                ),
            ),
            pk=episode_id,
        )
        decision = policy.can_view_episode(practitioner, episode)
        policy.require(decision, "You are not on the team around this child.")
        children = [link.child for link in episode.episode_children.all()]
        audit.record_access(
            practitioner=practitioner,
            children=children,
            decision=decision,
            what="Early help episode",
            path=path,
        )
    return EpisodePage(
        episode=episode,
        children=children,
        team=list(episode.team.all()),
        consents=list(episode.consents.all()),
        checks=list(episode.checks.all()),
        lead_choices=list(episode.lead_choices.all()),
        reason=decision.reason,
        contact=lead_contact(episode),
    )
