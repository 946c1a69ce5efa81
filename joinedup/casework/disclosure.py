"""The disclosure log for casework (issue 6): a printed or PDF copy of the assessment or
the plan, a step-up to children's social care and a practitioner joining the team around
the child each log one Disclosure per child — what, with whom, why and on what basis.
Called inside the transaction that discloses, beside its access record."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from joinedup.casework.models import Episode, EpisodeChild
from joinedup.sharing import consents
from joinedup.sharing.disclosures import record_disclosures
from joinedup.sharing.models import Consent, DisclosureBasis, DisclosureKind

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child
    from joinedup.partnerships.models import Agency
    from joinedup.sharing.policy import Decision

REASON_LENGTH = 300

# What a paper copy is for, as the copy itself says (casework/paper_base.html).
PAPER_RECIPIENT = "The family, or people entitled to it: a printed or PDF copy"
PAPER_WHY = (
    "A paper copy for the family; the copy says to give it only to the family or people "
    "entitled to it"
)
TEAM_SHARE_WHAT = "The episode: assessment, plan, reviews"


def sharing_consent(episode: Episode) -> Consent | None:
    """The consent to sharing in force for the episode (the latest given), if any: the
    same rule as casework.services.has_sharing_consent."""
    return consents.sharing_consent(episode)


def consent_words(consent: Consent) -> str:
    return (
        f"Consent to sharing from {consent.given_by_name}, "
        f"{consent.get_given_by_kind_display().lower()}, given on {consent.given_on:%-d %B %Y}"
    )


def record_paper_copy(
    *,
    practitioner: Practitioner,
    children: Iterable[Child],
    what: str,
    decision: Decision,
    path: str,
) -> None:
    """A printed or PDF copy for the family. Its basis is the practitioner's relationship
    with the child (the policy decision that allowed the copy): a family's own plan or
    assessment given back to them is not a sharing with another agency, so it does not
    rest on consent to sharing."""
    record_disclosures(
        children=children,
        disclosed_by=practitioner,
        kind=DisclosureKind.PAPER_COPY,
        what=what,
        recipient=PAPER_RECIPIENT,
        why=PAPER_WHY,
        basis=DisclosureBasis.RELATIONSHIP,
        basis_detail=decision.reason,
        path=path,
    )


def record_step_up(
    *,
    practitioner: Practitioner,
    episode: Episode,
    children: Iterable[Child],
    to_agency: Agency,
    reason: str,
    shared_labels: Sequence[str],
    with_consent: bool,
    without_consent_reason: str,
    path: str,
) -> None:
    """A step-up: on consent to sharing if it is in force, otherwise on the lawful reason
    the lead recorded for sharing without it."""
    consent = sharing_consent(episode) if with_consent else None
    if consent is not None:
        basis, detail = DisclosureBasis.CONSENT, consent_words(consent)
    else:
        basis, detail = DisclosureBasis.LAWFUL_REASON, without_consent_reason.strip()
    record_disclosures(
        children=children,
        disclosed_by=practitioner,
        kind=DisclosureKind.STEP_UP,
        what=f"Step-up of early help episode {episode.pk}: {'; '.join(shared_labels)}",
        recipient=f"{to_agency.name} (children's social care)",
        why=reason.strip()[:REASON_LENGTH],
        basis=basis,
        basis_detail=detail,
        path=path,
    )


def record_team_share(
    *,
    added_by: Practitioner,
    episode: Episode,
    member: Practitioner,
    agency: Agency | None,
    role: str,
) -> None:
    """A practitioner joins the team around the child and so sees the episode. A
    practitioner can only join with consent to sharing in force
    (casework.services.add_team_member), so that consent is the basis."""
    consent = sharing_consent(episode)
    children = [
        link.child for link in EpisodeChild.objects.filter(episode=episode).select_related("child")
    ]
    name = member.get_full_name() or str(member)
    record_disclosures(
        children=children,
        disclosed_by=added_by,
        kind=DisclosureKind.TEAM_SHARE,
        what=TEAM_SHARE_WHAT,
        recipient=f"{name} ({agency.name})" if agency else name,
        why=f"Joined the team around the child as {role.strip() or 'a member'}",
        basis=DisclosureBasis.CONSENT if consent else DisclosureBasis.RELATIONSHIP,
        basis_detail=consent_words(consent) if consent else "Added to the team",
    )
