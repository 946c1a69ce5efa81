"""The referral pack for a service outside Joined Up (issue 5): the text of an email to the
service and a PDF of exactly what the referral shares, for the referrer to send.

Everything in the pack comes from ``referrals.shared.shared_information``, so it holds no
more than the referral shares. The email itself names the child by initials only and lists
what is shared without the details: the PDF, attached to it, carries those. A pack leaves
Joined Up, so each view of the pack page and each PDF is a disclosure recorded with an
access record (policy.can_download_referral_pack, whose reason says a copy was made).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING
from urllib.parse import quote

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone

from joinedup.referrals.disclosure import recipient_of, record_referral_disclosure
from joinedup.referrals.models import Referral, ReferralRoute
from joinedup.referrals.shared import SharedInformation, shared_information
from joinedup.sharing import audit, policy
from joinedup.sharing.models import DisclosureKind

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner


@dataclass(frozen=True)
class Email:
    subject: str
    body: str

    def mailto(self, address: str) -> str:
        """A mailto: link opening the email ready to send (the pack still to be attached)."""
        return (
            f"mailto:{quote(address, safe='@')}"
            f"?subject={quote(self.subject, safe='')}&body={quote(self.body, safe='')}"
        )


@dataclass(frozen=True)
class ReferralPack:
    referral: Referral
    shared: SharedInformation
    email: Email
    printed_on: date

    @property
    def route(self) -> str:
        return self.referral.service.how_to_refer_outside

    @property
    def address(self) -> str:
        return self.referral.service.referral_address

    @property
    def mailto(self) -> str:
        if self.route != ReferralRoute.EMAIL or not self.address:
            return ""
        return self.email.mailto(self.address)

    @property
    def phone_link(self) -> str:
        if self.route != ReferralRoute.PHONE or not self.address:
            return ""
        return "tel:" + "".join(ch for ch in self.address if ch.isdigit() or ch == "+")

    @property
    def filename(self) -> str:
        # No child's name: file names show up in download lists and email attachments.
        return f"referral-{self.referral.reference}.pdf"


def initials(name: str) -> str:
    """'Holly Murphy' → 'H. M.': enough for the service to match the email to the pack."""
    return " ".join(f"{part[0].upper()}." for part in name.split() if part)


def _basis_sentence(shared: SharedInformation) -> str:
    basis = shared.basis
    if basis is None:
        return ""
    if basis.is_consent:
        who = basis.consent_given_by.lower() if basis.consent_given_by else "the family"
        when = f" on {basis.consent_given_on:%-d %B %Y}" if basis.consent_given_on else ""
        return f"The information is shared with consent, given by {who}{when}."
    reason = basis.lawful_basis or basis.label
    return (
        f"The information is shared without consent, for a lawful reason: {reason}. "
        "The pack says why."
    )


def email_text(referral: Referral, shared: SharedInformation) -> Email:
    """The email to the service: the referral reason and who to reply to, the child by
    initials only, and the list of what the attached pack shares (not the details)."""
    urgent = " (urgent)" if shared.is_urgent else ""
    subject = f"Referral {shared.reference} to {shared.service_name}{urgent}"
    referrer = shared.referrer
    service = referral.service
    greeting = f"Dear {service.contact_name}," if service.contact_name else "Hello,"
    who = ", ".join(part for part in (referrer.name, referrer.job_title, referrer.agency) if part)
    lines = [
        greeting,
        "",
        f"Please find attached a referral to {shared.service_name} for a child with the "
        f"initials {initials(shared.child_name)}, from {who}. Our reference is "
        f"{shared.reference}.",
    ]
    if shared.is_urgent:
        lines += ["", "This referral is urgent."]
    lines += ["", "Why the child is referred:", shared.reason.strip(), ""]
    lines.append(
        "The child's name, date of birth and NHS number are in the attached referral pack "
        "(PDF), not in this email."
    )
    if shared.sections:
        lines.append("The pack also includes: " + "; ".join(shared.section_labels) + ".")
    basis = _basis_sentence(shared)
    if basis:
        lines += ["", basis]
    if referral.acknowledge_by or referral.decide_by:
        lines.append("")
        if referral.acknowledge_by:
            lines.append(
                f"Please let me know that you have received it by "
                f"{referral.acknowledge_by:%-d %B %Y}"
                + (
                    f", and whether you can accept it by {referral.decide_by:%-d %B %Y}."
                    if referral.decide_by
                    else "."
                )
            )
        else:
            lines.append(
                f"Please let me know whether you can accept it by {referral.decide_by:%-d %B %Y}."
            )
    contact = [part for part in (referrer.email, referrer.phone) if part]
    lines += ["", "With thanks,", "", referrer.name]
    if referrer.job_title:
        lines.append(referrer.job_title)
    if referrer.agency:
        lines.append(referrer.agency)
    lines += contact
    return Email(subject=subject, body="\n".join(lines))


def referral_pack(
    *, practitioner: Practitioner, referral_id: int, path: str, copy: str
) -> ReferralPack:
    """The pack of one referral: what it shares and the email to send. Refused
    (PermissionDenied) unless policy.can_download_referral_pack allows; one access record
    for the child, in the same transaction as the read (``copy`` says which: the page with
    the email text, or the PDF)."""
    with transaction.atomic():
        referral = get_object_or_404(
            Referral.objects.select_related(
                "child", "service__agency", "referrer__home_agency", "referrer_agency"
            ),
            pk=referral_id,
        )
        decision = policy.can_download_referral_pack(practitioner, referral)
        if not decision:
            raise PermissionDenied(
                "Only the referrer can download the pack, while the referral is live."
            )
        shared = shared_information(referral)
        audit.record_access(
            practitioner=practitioner,
            children=[referral.child],
            decision=decision,
            what=f"Referral pack of {referral.reference}: {copy}"[:200],
            path=path,
        )
        # The disclosure log (issue 6): the pack goes to a service outside Joined Up.
        record_referral_disclosure(
            referral,
            by=practitioner,
            kind=DisclosureKind.REFERRAL_PACK,
            what=f"Referral pack of {referral.reference} ({copy})",
            recipient=recipient_of(referral),
            path=path,
        )
    return ReferralPack(
        referral=referral,
        shared=shared,
        email=email_text(referral, shared),
        printed_on=timezone.localdate(),
    )


def pack_html(pack: ReferralPack) -> str:
    """The pack as a complete HTML document for WeasyPrint."""
    return render_to_string("referrals/pack_pdf.html", {"pack": pack, "shared": pack.shared})
