"""Paper copies of the early help assessment and the plan, for families: a print page
(HTML with a print stylesheet) and a PDF made by WeasyPrint.

A copy leaves Joined Up, so each one is a read recorded with an access record whose reason
says a copy was made (policy.can_print_assessment, policy.can_print_plan). WeasyPrint needs
the Pango library; it is imported only when a PDF is made, so the print pages work on a
server without it. Nothing is fetched from the network: the only resources a paper copy
may load are the app's own static files (``joinedup.pdf`` makes the PDF)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone

from joinedup.casework import disclosure
from joinedup.casework.assessment import AssessmentPage, elements_for
from joinedup.casework.models import (
    Action,
    Assessment,
    AssessmentAnswer,
    DesiredOutcome,
    Episode,
    EpisodeChild,
    PlanNeed,
    TeamMember,
)
from joinedup.sharing import audit, policy

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child

# What the paper copies show ----------------------------------------------------------


@dataclass(frozen=True)
class Contact:
    """Who the family contacts: the lead professional, or before a lead is chosen the
    practitioner who opened the episode."""

    practitioner: Practitioner
    is_lead: bool

    @property
    def agency_name(self) -> str:
        agency = self.practitioner.home_agency
        return agency.name if agency else ""

    @property
    def phone(self) -> str:
        agency = self.practitioner.home_agency
        return self.practitioner.phone or (agency.phone if agency else "")


def _contact(episode: Episode) -> Contact:
    if episode.lead_professional is not None:
        return Contact(episode.lead_professional, is_lead=True)
    return Contact(episode.opened_by, is_lead=False)


@dataclass(frozen=True)
class AssessmentPaper:
    page: AssessmentPage
    contact: Contact
    printed_on: date

    @property
    def assessment(self) -> Assessment:
        return self.page.assessment

    @property
    def children(self) -> list[Child]:
        return [self.assessment.child]

    @property
    def filename(self) -> str:
        # No child's name: file names show up in download lists and email attachments.
        return f"early-help-assessment-{self.assessment.pk}-version-{self.assessment.version}.pdf"


@dataclass(frozen=True)
class PlanPaper:
    episode: Episode
    children: list[Child]
    needs: list[PlanNeed]
    team: list[TeamMember]
    contact: Contact
    printed_on: date
    actions: list[Action] = field(default_factory=list)

    @property
    def filename(self) -> str:
        return f"early-help-plan-episode-{self.episode.pk}.pdf"


# Selectors: each read and its access record in one transaction --------------------------


def assessment_paper(
    *, practitioner: Practitioner, assessment_id: int, path: str, what: str
) -> AssessmentPaper:
    """One version of an assessment with its answers grouped by domain and element, for a
    paper copy. Refused (PermissionDenied) unless policy.can_print_assessment allows; one
    access record for the child. Fixed number of queries."""
    with transaction.atomic():
        assessment = get_object_or_404(
            Assessment.objects.select_related(
                "episode__lead_professional__home_agency",
                "episode__opened_by__home_agency",
                "child",
                "assessing_practitioner",
                "agency",
                "updated_by",
                "submitted_by",
            ).prefetch_related(Prefetch("answers", queryset=AssessmentAnswer.objects.all())),
            pk=assessment_id,
        )
        decision = policy.can_print_assessment(practitioner, assessment)
        if not decision:
            raise PermissionDenied("You may not see this assessment.")
        elements = elements_for(assessment)
        audit.record_access(
            practitioner=practitioner,
            children=[assessment.child],
            decision=decision,
            what=what,
            path=path,
        )
        disclosure.record_paper_copy(
            practitioner=practitioner,
            children=[assessment.child],
            what=f"{what} (version {assessment.version})",
            decision=decision,
            path=path,
        )
    return AssessmentPaper(
        page=AssessmentPage(assessment, elements, decision.reason),
        contact=_contact(assessment.episode),
        printed_on=timezone.localdate(),
    )


def plan_paper(*, practitioner: Practitioner, episode_id: int, path: str, what: str) -> PlanPaper:
    """The plan of an episode — needs, desired outcomes with their Every Child Matters
    outcomes, actions with who is responsible, due dates and status — with the current
    team and the family's contact, for a paper copy. Refused unless
    policy.can_print_plan allows; one access record per child. Fixed number of queries
    however many actions there are."""
    with transaction.atomic():
        episode = get_object_or_404(
            Episode.objects.select_related(
                "lead_professional__home_agency", "opened_by__home_agency"
            ).prefetch_related(
                Prefetch(
                    "episode_children",
                    queryset=EpisodeChild.objects.select_related("child").order_by(
                        "child__date_of_birth", "child_id"
                    ),
                )
            ),
            pk=episode_id,
        )
        decision = policy.can_print_plan(practitioner, episode)
        if not decision:
            raise PermissionDenied("You are not on the team around this child.")
        children = [link.child for link in episode.episode_children.all()]
        needs = list(
            episode.plan_needs.prefetch_related(
                Prefetch(
                    "desired_outcomes",
                    queryset=DesiredOutcome.objects.prefetch_related(
                        "outcomes",
                        Prefetch(
                            "actions",
                            queryset=Action.objects.select_related(
                                "responsible_practitioner", "responsible_agency"
                            ).order_by("due_on", "pk"),
                        ),
                    ),
                )
            )
        )
        team = list(
            TeamMember.objects.current()
            .filter(episode=episode)
            .select_related("practitioner", "agency")
        )
        audit.record_access(
            practitioner=practitioner,
            children=children,
            decision=decision,
            what=what,
            path=path,
        )
        disclosure.record_paper_copy(
            practitioner=practitioner,
            children=children,
            what=f"{what} (episode {episode.pk}: needs, outcomes, actions and the team)",
            decision=decision,
            path=path,
        )
    actions = [
        action
        for need in needs
        for desired in need.desired_outcomes.all()
        for action in desired.actions.all()
    ]
    return PlanPaper(
        episode=episode,
        children=children,
        needs=needs,
        team=team,
        contact=_contact(episode),
        printed_on=timezone.localdate(),
        actions=actions,
    )


# HTML ---------------------------------------------------------------------------------


def assessment_html(paper: AssessmentPaper, *, for_pdf: bool, links: dict[str, str]) -> str:
    """The assessment's paper copy as a complete HTML document. ``for_pdf`` leaves out
    the on-screen toolbar; ``links`` are its back and PDF links."""
    return render_to_string(
        "casework/paper_assessment.html",
        {
            "paper": paper,
            "assessment": paper.assessment,
            "for_pdf": for_pdf,
            "links": links,
        },
    )


def plan_html(paper: PlanPaper, *, for_pdf: bool, links: dict[str, str]) -> str:
    """The plan's paper copy as a complete HTML document (see assessment_html)."""
    return render_to_string(
        "casework/paper_plan.html",
        {"paper": paper, "episode": paper.episode, "for_pdf": for_pdf, "links": links},
    )


# PDF ----------------------------------------------------------------------------------
