"""What a referral shares with the service it goes to: the one answer used by the referral
page, the check-your-answers page and the referral pack (PDF).

Always: the child's name, other names, date of birth, sex and NHS number, and the referral
itself (why, how urgent, who refers and on what basis). Then only the parts the referrer
ticked (``Referral.shared_sections``): the minimum necessary. While the child is shielded
the child's whereabouts (address, parents' and carers' contact details, educational
setting, GP practice, and the agencies and contact details of those involved) are withheld.
Sensitive involvements, and a sensitive service's records, go only where consent to share
them is recorded (sharing.policy.referral_involvements_filter and
referral_source_records_filter).

``shared_information`` only reads: the caller decides who may see it and writes the access
record in the same transaction. It makes a fixed number of queries, however many
involvements, answers or actions there are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from django.db.models import Prefetch

from joinedup.casework.assessment import by_domain, elements_for
from joinedup.casework.models import (
    Action,
    Assessment,
    AssessmentAnswer,
    AssessmentStatus,
    DesiredOutcome,
    PlanNeed,
)
from joinedup.casework.outcome_ratings import ChildDistance, distance_travelled
from joinedup.children.models import Involvement
from joinedup.children.provenance import ParentCarer, Said, build_provenance
from joinedup.referrals.models import Referral, ReferralSection, SharingBasis
from joinedup.sharing import policy

if TYPE_CHECKING:
    from joinedup.casework.models import AssessmentDomain, AssessmentElement

WITHHELD_WHEREABOUTS = "Withheld: the child's whereabouts are protected"


@dataclass(frozen=True)
class Referrer:
    name: str
    job_title: str
    agency: str
    email: str
    phone: str


@dataclass(frozen=True)
class Basis:
    """On what basis the information is shared: consent (who gave it, when) or a lawful
    reason to share without consent (which, and why)."""

    kind: str
    label: str
    consent_given_by: str = ""
    consent_given_by_name: str = ""
    consent_competence_note: str = ""
    consent_given_on: date | None = None
    lawful_basis: str = ""
    lawful_reason: str = ""

    @property
    def is_consent(self) -> bool:
        return self.kind == SharingBasis.CONSENT

    @property
    def is_lawful_reason(self) -> bool:
        return self.kind == SharingBasis.LAWFUL_REASON


@dataclass(frozen=True)
class ContactDetails:
    """The child's address and the parents' and carers' contact details, as each agency's
    record reports them."""

    address_lines: tuple[str, ...]
    postcode: str
    parents_carers: tuple[ParentCarer, ...]


@dataclass(frozen=True)
class Setting:
    educational_settings: tuple[Said, ...]
    gp_practices: tuple[Said, ...]


@dataclass(frozen=True)
class SharedInvolvement:
    """A current involvement. ``agency`` and the contact details are empty while the
    child's whereabouts are withheld."""

    who: str
    role: str
    agency: str
    phone: str
    email: str
    since: date


@dataclass(frozen=True)
class AnswerRow:
    element: str
    rating: str
    notes: str


@dataclass(frozen=True)
class DomainRows:
    number: int
    title: str
    rows: tuple[AnswerRow, ...]


@dataclass(frozen=True)
class SharedAssessment:
    version: int
    submitted_on: date | None
    assessed_by: str
    agency: str
    reason: str
    child_views: str
    parent_carer_views: str
    summary_strengths: str
    summary_needs: str
    family_wants_to_change: str
    domains: tuple[DomainRows, ...]


@dataclass(frozen=True)
class PlanAction:
    description: str
    responsible: str
    due_on: date
    status: str
    completed_on: date | None
    is_overdue: bool


@dataclass(frozen=True)
class PlanOutcome:
    description: str
    every_child_matters: tuple[str, ...]
    actions: tuple[PlanAction, ...]


@dataclass(frozen=True)
class PlanNeedShared:
    description: str
    desired_outcomes: tuple[PlanOutcome, ...]


@dataclass(frozen=True)
class SharedInformation:
    """Exactly what the referral shares. A part not shared is ``None`` (``shares``); a part
    shared but empty (no submitted assessment yet) is an empty value or ``None`` with the
    section listed in ``sections``."""

    reference: str
    # The child: always.
    child_name: str
    other_names: str
    date_of_birth: date
    sex: str
    nhs_number: str
    # The referral: always.
    service_name: str
    service_agency: str
    reason: str
    urgency: str
    is_urgent: bool
    referrer: Referrer
    basis: Basis | None
    # What the referrer chose to share, in the order of ReferralSection.
    sections: tuple[str, ...] = ()
    whereabouts_withheld: bool = False
    contact: ContactDetails | None = None
    setting: Setting | None = None
    involvements: tuple[SharedInvolvement, ...] | None = None
    latest_assessment: SharedAssessment | None = None
    plan: tuple[PlanNeedShared, ...] | None = None
    outcome_ratings: ChildDistance | None = None
    withheld_note: str = field(default=WITHHELD_WHEREABOUTS)

    def shares(self, section: str) -> bool:
        return section in self.sections

    @property
    def section_labels(self) -> list[str]:
        labels = dict(ReferralSection.choices)
        return [labels[code] for code in self.sections]

    @property
    def shares_contact(self) -> bool:
        return self.shares(ReferralSection.CONTACT)

    @property
    def shares_setting(self) -> bool:
        return self.shares(ReferralSection.SETTING)

    @property
    def shares_involvements(self) -> bool:
        return self.shares(ReferralSection.INVOLVEMENTS)

    @property
    def shares_latest_assessment(self) -> bool:
        return self.shares(ReferralSection.LATEST_ASSESSMENT)

    @property
    def shares_plan(self) -> bool:
        return self.shares(ReferralSection.PLAN)

    @property
    def shares_outcome_ratings(self) -> bool:
        return self.shares(ReferralSection.OUTCOME_RATINGS)


def shared_information(referral: Referral) -> SharedInformation:
    """What ``referral`` shares with its service, read now (a referral shares the record as
    it stands, like a team member reading it). The caller asks the policy and records the
    access."""
    child = referral.child
    sections = tuple(code for code in ReferralSection.values if referral.shares(code))
    shielded = policy.active_shielding(child) is not None
    shares_whereabouts = bool({ReferralSection.CONTACT, ReferralSection.SETTING} & set(sections))

    provenance = None
    if shares_whereabouts and not shielded:
        records = (
            child.source_records.filter(policy.referral_source_records_filter(child))
            .select_related("agency", "last_feed")
            .defer("last_feed__content")
        )
        provenance = build_provenance(records)

    contact = None
    if ReferralSection.CONTACT in sections and provenance is not None:
        contact = ContactDetails(
            address_lines=tuple(
                line for line in (child.address_line_1, child.address_line_2, child.town) if line
            ),
            postcode=child.postcode,
            parents_carers=tuple(provenance.parents_carers),
        )
    setting = None
    if ReferralSection.SETTING in sections and provenance is not None:
        setting = Setting(
            educational_settings=tuple(provenance.educational_settings),
            gp_practices=tuple(provenance.gp_practices),
        )

    episode_id = referral.episode_id
    return SharedInformation(
        reference=referral.reference,
        child_name=child.full_name,
        other_names=child.other_names,
        date_of_birth=child.date_of_birth,
        sex=child.get_sex_display(),
        nhs_number=child.nhs_number_display,
        service_name=referral.service.name,
        service_agency=referral.service.agency.name,
        reason=referral.reason,
        urgency=referral.get_urgency_display(),
        is_urgent=referral.is_urgent,
        referrer=_referrer(referral),
        basis=_basis(referral),
        sections=sections,
        whereabouts_withheld=shielded and shares_whereabouts,
        contact=contact,
        setting=setting,
        involvements=(
            _involvements(referral, withhold_agencies=shielded)
            if ReferralSection.INVOLVEMENTS in sections
            else None
        ),
        latest_assessment=(
            _latest_assessment(referral, episode_id)
            if ReferralSection.LATEST_ASSESSMENT in sections and episode_id
            else None
        ),
        plan=_plan(episode_id) if ReferralSection.PLAN in sections and episode_id else None,
        outcome_ratings=(
            _outcome_ratings(referral)
            if ReferralSection.OUTCOME_RATINGS in sections and episode_id
            else None
        ),
    )


def _referrer(referral: Referral) -> Referrer:
    person = referral.referrer
    agency = referral.referrer_agency or person.home_agency
    return Referrer(
        name=person.get_full_name() or person.username,
        job_title=person.job_title,
        agency=agency.name if agency else "",
        email=person.email,
        phone=person.phone or (agency.phone if agency else ""),
    )


def _basis(referral: Referral) -> Basis | None:
    if not referral.sharing_basis:
        return None
    return Basis(
        kind=referral.sharing_basis,
        label=referral.get_sharing_basis_display(),
        consent_given_by=referral.get_consent_given_by_display()
        if referral.consent_given_by
        else "",
        consent_given_by_name=referral.consent_given_by_name,
        consent_competence_note=referral.consent_competence_note,
        consent_given_on=referral.consent_given_on,
        lawful_basis=referral.get_lawful_basis_display() if referral.lawful_basis else "",
        lawful_reason=referral.lawful_reason,
    )


def _involvements(referral: Referral, *, withhold_agencies: bool) -> tuple[SharedInvolvement, ...]:
    involvements = (
        Involvement.objects.current()
        .filter(child_id=referral.child_id)
        .filter(policy.referral_involvements_filter())
        .select_related("agency", "practitioner")
        .order_by("-started_on", "pk")
    )
    shared = []
    for involvement in involvements:
        person = involvement.practitioner
        agency = involvement.agency
        if person is not None:
            who = person.get_full_name() or person.username
        else:
            who = "A service" if withhold_agencies else agency.name
        phone = (person.phone if person else "") or agency.phone
        email = person.email if person else agency.email
        shared.append(
            SharedInvolvement(
                who=who,
                role=involvement.role,
                agency="" if withhold_agencies else agency.name,
                phone="" if withhold_agencies else phone,
                email="" if withhold_agencies else email,
                since=involvement.started_on,
            )
        )
    return tuple(shared)


def _latest_assessment(referral: Referral, episode_id: int) -> SharedAssessment | None:
    assessment = (
        Assessment.objects.filter(
            episode_id=episode_id,
            child_id=referral.child_id,
            status=AssessmentStatus.SUBMITTED,
        )
        .select_related("assessing_practitioner", "agency")
        .prefetch_related(Prefetch("answers", queryset=AssessmentAnswer.objects.all()))
        .order_by("-version")
        .first()
    )
    if assessment is None:
        return None
    answers = {answer.element_id: answer for answer in assessment.answers.all()}
    domains: list[tuple[AssessmentDomain, list[AssessmentElement]]] = by_domain(
        elements_for(assessment)
    )
    assessor = assessment.assessing_practitioner
    return SharedAssessment(
        version=assessment.version,
        submitted_on=assessment.submitted_at.date() if assessment.submitted_at else None,
        assessed_by=assessor.get_full_name() or assessor.username,
        agency=assessment.agency.name if assessment.agency else "",
        reason=assessment.reason,
        child_views=assessment.child_views,
        parent_carer_views=assessment.parent_carer_views,
        summary_strengths=assessment.summary_strengths,
        summary_needs=assessment.summary_needs,
        family_wants_to_change=assessment.family_wants_to_change,
        domains=tuple(
            DomainRows(
                number=domain.number,
                title=domain.title,
                rows=tuple(
                    AnswerRow(
                        element=element.title,
                        rating=(
                            answers[element.pk].get_rating_display()
                            if element.pk in answers
                            else "Not assessed"
                        ),
                        notes=answers[element.pk].notes if element.pk in answers else "",
                    )
                    for element in elements
                ),
            )
            for domain, elements in domains
        ),
    )


def _plan(episode_id: int) -> tuple[PlanNeedShared, ...]:
    needs = PlanNeed.objects.filter(episode_id=episode_id).prefetch_related(
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
    return tuple(
        PlanNeedShared(
            description=need.description,
            desired_outcomes=tuple(
                PlanOutcome(
                    description=desired.description,
                    every_child_matters=tuple(outcome.name for outcome in desired.outcomes.all()),
                    actions=tuple(
                        PlanAction(
                            description=action.description,
                            responsible=action.responsible,
                            due_on=action.due_on,
                            status=action.get_status_display(),
                            completed_on=action.completed_on,
                            is_overdue=action.is_overdue,
                        )
                        for action in desired.actions.all()
                    ),
                )
                for desired in need.desired_outcomes.all()
            ),
        )
        for need in needs
    )


def _outcome_ratings(referral: Referral) -> ChildDistance | None:
    episode = referral.episode
    if episode is None:
        return None
    distances = distance_travelled(episode, [referral.child])
    return distances[0] if distances else None
