"""A family's view (issue 6): for one child, a report of what Joined Up holds, which
agencies are involved, what was shared with whom and on what basis, and how often each
agency looked at the record — for subject access requests and honest conversations with
families. See docs/security.md, "A family's view (subject access)".

What it leaves out, by design:

- sensitive-service involvements, records, referrals and looks at the record without
  consent recorded (policy.family_view_involvements_filter / family_view_agency_filter);
- while the child is shielded, the child's whereabouts: the address, the agencies'
  records (settings, GP, parents' and practitioners' contact details) and the names of the
  agencies and services involved — with a generic note that says nothing about why;
- other children (brothers and sisters in a shared episode are not named);
- practitioners: no names or contact details; looks at the record are counted by agency
  and month;
- free-text notes about other people (case notes, review minutes, reasons for a lawful
  share, closure notes); only structured facts and the family's own words are included.

Producing it is a read of the child's record and a disclosure to the family: one access
record and one disclosure, written in the transaction that reads. A fixed number of queries
however many involvements, referrals, disclosures and access records the child has.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncMonth

from joinedup.casework.models import Assessment, AssessmentStatus, Episode
from joinedup.children.provenance import Provenance, build_provenance
from joinedup.referrals.models import Referral, ReferralStatus, SharingBasis
from joinedup.sharing import audit, disclosures, policy
from joinedup.sharing.models import AccessRecord, Disclosure, DisclosureBasis, DisclosureKind

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child

WITHHELD_NOTE = "Some information is withheld to keep someone safe."
WITHHELD = "Withheld"
NO_AGENCY = "Joined Up staff (no agency)"
REPORT_WHAT = "Family's view report"
RECIPIENT = "The child or family (subject access request)"
WHY = "Subject access request or a conversation with the family"


@dataclass(frozen=True)
class Identity:
    name: str
    other_names: str
    date_of_birth: date
    sex: str
    nhs_number: str
    upn: str
    address: list[str]  # empty while whereabouts are withheld


@dataclass(frozen=True)
class AgencyInvolvement:
    agency: str
    role: str
    started_on: date
    ended_on: date | None

    @property
    def is_current(self) -> bool:
        from django.utils import timezone

        today = timezone.localdate()
        return self.started_on <= today and (self.ended_on is None or self.ended_on > today)


@dataclass(frozen=True)
class ReportedInvolvementRow:
    """A service named in an agency's record: agency, role, service and dates only."""

    reported_by: str
    role: str
    service: str
    involved_from: date | None
    involved_to: date | None


@dataclass(frozen=True)
class EpisodeRow:
    opened_on: date
    closed_on: date | None
    status: str
    closure_reason: str
    lead_agency: str


@dataclass(frozen=True)
class AssessmentRow:
    version: int
    agency: str
    submitted_at: datetime | None
    child_views: str
    parent_carer_views: str
    summary_strengths: str
    summary_needs: str
    family_wants_to_change: str


@dataclass(frozen=True)
class ReferralRow:
    reference: str
    service: str
    agency: str
    status: str
    sent_at: datetime | None
    closed_at: datetime | None
    shared: list[str]
    basis: str
    basis_detail: str


@dataclass(frozen=True)
class DisclosureRow:
    occurred_at: datetime
    kind: str
    what: str
    recipient: str
    why: str
    basis: str


@dataclass(frozen=True)
class ConsentRow:
    given_by: str
    given_on: date
    purposes: str
    to_whom: list[str]
    status: str
    version: int


@dataclass(frozen=True)
class AccessCount:
    agency: str
    month: date
    count: int


@dataclass(frozen=True)
class FamilyView:
    child: Child
    identity: Identity
    whereabouts_withheld: bool
    withheld_note: str
    provenance: Provenance = field(default_factory=Provenance)
    reported_involvements: list[ReportedInvolvementRow] = field(default_factory=list)
    involvements: list[AgencyInvolvement] = field(default_factory=list)
    episodes: list[EpisodeRow] = field(default_factory=list)
    assessments: list[AssessmentRow] = field(default_factory=list)
    referrals: list[ReferralRow] = field(default_factory=list)
    disclosures: list[DisclosureRow] = field(default_factory=list)
    consents: list[ConsentRow] = field(default_factory=list)
    access_counts: list[AccessCount] = field(default_factory=list)
    produced_at: datetime | None = None


def _agency_name(agency: object | None) -> str:
    return getattr(agency, "name", "") or ""


def _referral_basis(referral: Referral) -> tuple[str, str]:
    """The basis in words, and whose consent (the family's own) — never the practitioner's
    free-text lawful reason, which may be about other people."""
    if referral.sharing_basis == SharingBasis.CONSENT:
        who = referral.get_consent_given_by_display()
        detail = ", ".join(
            part
            for part in (
                who,
                referral.consent_given_by_name,
                referral.consent_given_on.strftime("%-d %B %Y")
                if referral.consent_given_on
                else "",
            )
            if part
        )
        return referral.get_sharing_basis_display(), detail
    if referral.sharing_basis == SharingBasis.LAWFUL_REASON:
        return referral.get_sharing_basis_display(), referral.get_lawful_basis_display()
    return "Not recorded", ""


def _consent_rows(child: Child) -> list[ConsentRow]:
    """The latest version of each consent about the child or given in their episodes. A
    sensitive service (or its agency) is not named unless consent is recorded on an
    involvement with it, as everywhere in this report."""
    from joinedup.partnerships.models import Agency
    from joinedup.sharing.models import Consent

    items = list(
        Consent.objects.filter(
            Q(child=child) | Q(episode__episode_children__child=child),
            superseded_at__isnull=True,
        )
        .distinct()
        .prefetch_related("agencies", "services__agency")
        .order_by("-given_on", "-pk")
    )
    named = {agency.pk for consent in items for agency in consent.agencies.all()} | {
        service.agency_id for consent in items for service in consent.services.all()
    }
    nameable = set(
        Agency.objects.filter(pk__in=named)
        .filter(policy.family_view_agency_filter(child, prefix=""))
        .values_list("pk", flat=True)
    )
    rows = []
    for consent in items:
        to_whom = ["The agencies of the team around the child"] if consent.to_team else []
        to_whom += [
            agency.name if agency.pk in nameable else "A service (not named)"
            for agency in consent.agencies.all()
        ]
        to_whom += [
            service.name if service.agency_id in nameable else "A service (not named)"
            for service in consent.services.all()
        ]
        rows.append(
            ConsentRow(
                given_by=f"{consent.given_by_name} ({consent.get_given_by_kind_display()})",
                given_on=consent.given_on,
                purposes=consent.purposes_display,
                to_whom=to_whom,
                status=consent.status,
                version=consent.version,
            )
        )
    return rows


def family_view(child: Child, *, practitioner: Practitioner, path: str) -> FamilyView:
    """The family's view of ``child``. The caller has checked policy.can_produce_family_view;
    this asks again, reads everything and records the access and the disclosure in one
    transaction."""
    from django.utils import timezone

    with transaction.atomic():
        decision = policy.can_produce_family_view(practitioner, child)
        policy.require(decision, "Only a data manager of one of the child's agencies can do this.")
        # Whereabouts are withheld from the *family's* report while the child is shielded,
        # whoever produces it (the data manager may see them; the reader of the report not).
        withheld = policy.active_shielding(child) is not None

        def place(name: str) -> str:
            return WITHHELD if withheld else name

        identity = Identity(
            name=child.full_name,
            other_names=child.other_names,
            date_of_birth=child.date_of_birth,
            sex=child.get_sex_display(),
            nhs_number=child.nhs_number_display,
            upn=child.upn,
            address=[]
            if withheld
            else [
                part
                for part in (child.address_line_1, child.address_line_2, child.town, child.postcode)
                if part
            ],
        )

        provenance = Provenance()
        reported: list[ReportedInvolvementRow] = []
        if not withheld:
            records = (
                child.source_records.filter(policy.family_view_agency_filter(child))
                .select_related("agency", "last_feed")
                .defer("last_feed__content")
            )
            provenance = build_provenance(records)
            reported = [
                ReportedInvolvementRow(
                    reported_by=item.agency_name,
                    role=item.role,
                    service=item.service,
                    involved_from=item.involved_from,
                    involved_to=item.involved_to,
                )
                for item in provenance.reported_involvements
            ]

        involvements = [
            AgencyInvolvement(
                agency=place(involvement.agency.name),
                role=involvement.role,
                started_on=involvement.started_on,
                ended_on=involvement.ended_on,
            )
            for involvement in child.involvements.filter(policy.family_view_involvements_filter())
            .select_related("agency")
            .order_by("-started_on", "pk")
        ]

        episodes = [
            EpisodeRow(
                opened_on=episode.opened_on,
                closed_on=episode.closed_on,
                status=episode.get_status_display(),
                closure_reason=episode.get_closure_reason_display()
                if episode.closure_reason
                else "",
                lead_agency=place(
                    _agency_name((episode.lead_professional or episode.opened_by).home_agency)
                ),
            )
            for episode in Episode.objects.filter(episode_children__child=child)
            .select_related("lead_professional__home_agency", "opened_by__home_agency")
            .order_by("-opened_on", "-pk")
            .distinct()
        ]

        assessments = [
            AssessmentRow(
                version=assessment.version,
                agency=place(_agency_name(assessment.agency)),
                submitted_at=assessment.submitted_at,
                child_views=assessment.child_views,
                parent_carer_views=assessment.parent_carer_views,
                summary_strengths=assessment.summary_strengths,
                summary_needs=assessment.summary_needs,
                family_wants_to_change=assessment.family_wants_to_change,
            )
            for assessment in Assessment.objects.filter(
                child=child, status=AssessmentStatus.SUBMITTED
            )
            .select_related("agency")
            .order_by("-submitted_at", "-pk")
        ]

        referral_rows = []
        for referral in (
            Referral.objects.filter(child=child)
            .exclude(status=ReferralStatus.DRAFT)
            .filter(policy.family_view_agency_filter(child, "service__agency__"))
            .select_related("service__agency")
            .order_by("-sent_at", "-pk")
        ):
            basis, detail = _referral_basis(referral)
            referral_rows.append(
                ReferralRow(
                    reference=referral.reference,
                    service=place(referral.service.name),
                    agency=place(_agency_name(referral.service.agency)),
                    status=referral.get_status_display(),
                    sent_at=referral.sent_at,
                    closed_at=referral.closed_at,
                    shared=referral.section_labels(),
                    basis=basis,
                    basis_detail=detail,
                )
            )

        disclosure_rows = [
            DisclosureRow(
                occurred_at=item.occurred_at,
                kind=item.get_kind_display(),
                what=item.what,
                recipient=place(item.recipient),
                why=item.why,
                basis=item.get_basis_display(),
            )
            for item in Disclosure.objects.filter(child=child).order_by("-occurred_at", "-pk")
        ]

        consent_rows = _consent_rows(child)

        agency = "practitioner__home_agency__"
        counts = (
            AccessRecord.objects.filter(child=child)
            .filter(
                Q(practitioner__home_agency__isnull=True)
                | policy.family_view_agency_filter(child, agency)
            )
            .annotate(month=TruncMonth("occurred_at"))
            .values("month", f"{agency}name")
            .annotate(count=Count("pk"))
            .order_by("-month", f"{agency}name")
        )
        # While whereabouts are withheld every agency reads "Withheld": one row a month.
        merged: dict[tuple[date, str], int] = {}
        for row in counts:
            month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
            name = place(row[f"{agency}name"]) if row[f"{agency}name"] else NO_AGENCY
            merged[(month, name)] = merged.get((month, name), 0) + row["count"]
        access_counts = [
            AccessCount(agency=name, month=month, count=count)
            for (month, name), count in merged.items()
        ]

        audit.record_access(
            practitioner=practitioner,
            children=[child],
            decision=decision,
            what=REPORT_WHAT,
            path=path,
        )
        disclosures.record_disclosure(
            child=child,
            disclosed_by=practitioner,
            kind=DisclosureKind.EXPORT,
            what=REPORT_WHAT,
            recipient=RECIPIENT,
            why=WHY,
            basis=DisclosureBasis.RELATIONSHIP,
            path=path,
        )
    return FamilyView(
        child=child,
        identity=identity,
        whereabouts_withheld=withheld,
        withheld_note=WITHHELD_NOTE if withheld else "",
        provenance=provenance,
        reported_involvements=reported,
        involvements=involvements,
        episodes=episodes,
        assessments=assessments,
        referrals=referral_rows,
        disclosures=disclosure_rows,
        consents=consent_rows,
        access_counts=access_counts,
        produced_at=timezone.now(),
    )
