"""The disclosure log for referrals (issue 6): a referral sent, its pack for a service
outside Joined Up, and its FHIR export each log one Disclosure — what, with whom, why and
on what basis (the referral's consent or lawful reason). Called inside the transaction
that discloses, beside its access record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from joinedup.referrals.models import SharingBasis
from joinedup.sharing.disclosures import record_disclosure
from joinedup.sharing.models import DisclosureBasis

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.referrals.models import Referral

REASON_LENGTH = 300


def basis_of(referral: Referral) -> tuple[str, str]:
    """The referral's basis for sharing, and its detail in words: whose consent and when,
    or which lawful reason and why."""
    if referral.sharing_basis == SharingBasis.CONSENT:
        given_on = (
            f", given on {referral.consent_given_on:%-d %B %Y}" if referral.consent_given_on else ""
        )
        who = (
            f", {referral.get_consent_given_by_display().lower()}"
            if referral.consent_given_by
            else ""
        )
        return (
            DisclosureBasis.CONSENT,
            f"Consent from {referral.consent_given_by_name}{who}{given_on}",
        )
    return (
        DisclosureBasis.LAWFUL_REASON,
        f"{referral.get_lawful_basis_display()}. Why: {referral.lawful_reason}",
    )


def shared_words(referral: Referral) -> str:
    return "; ".join(
        ["the referral, the child's name and date of birth", *referral.section_labels()]
    )


def recipient_of(referral: Referral) -> str:
    service = referral.service
    return f"{service.name} ({service.agency.name})"


def record_referral_disclosure(
    referral: Referral, *, by: Practitioner, kind: str, what: str, recipient: str, path: str = ""
) -> None:
    """Log one disclosure of ``referral``; ``what`` names the copy (the shared parts are
    added)."""
    basis, detail = basis_of(referral)
    record_disclosure(
        child=referral.child,
        disclosed_by=by,
        kind=kind,
        what=f"{what}: {shared_words(referral)}",
        recipient=recipient,
        why=referral.reason[:REASON_LENGTH],
        basis=basis,
        basis_detail=detail,
        path=path,
    )
