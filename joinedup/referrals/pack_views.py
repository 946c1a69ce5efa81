"""The referral pack for a service outside Joined Up: the page with the email to send, and
the PDF to attach (thin views over referrals.pack; access through
policy.can_download_referral_pack)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from joinedup import pdf
from joinedup.http import AuthenticatedRequest
from joinedup.referrals import pack
from joinedup.referrals.models import Referral
from joinedup.sharing import policy


def _private(response: HttpResponse) -> HttpResponse:
    """A copy of a child's referral must not be kept by browsers or proxies."""
    add_never_cache_headers(response)
    return response


@require_GET
def referral_pack(request: AuthenticatedRequest, outside_referral_id: int) -> HttpResponse:
    copy = pack.referral_pack(
        practitioner=request.user,
        referral_id=outside_referral_id,
        path=request.get_full_path(),
        copy="email text",
    )
    return _private(render(request, "referrals/pack.html", {"pack": copy}))


@require_GET
def referral_pack_pdf(request: AuthenticatedRequest, outside_referral_id: int) -> HttpResponse:
    referral = get_object_or_404(Referral.objects.select_related("service"), pk=outside_referral_id)
    policy.require(
        policy.can_download_referral_pack(request.user, referral),
        "Only the referrer can download the pack, while the referral is live.",
    )
    try:
        pdf.load_weasyprint()
    except pdf.PdfUnavailable as problem:
        return _private(
            render(
                request,
                "referrals/pack_unavailable.html",
                {
                    "pack_url": reverse(
                        "referrals:pack", kwargs={"outside_referral_id": referral.pk}
                    ),
                    "packages": pdf.PANGO_PACKAGES,
                    "problem": str(problem),
                },
                status=503,
            )
        )
    copy = pack.referral_pack(
        practitioner=request.user,
        referral_id=outside_referral_id,
        path=request.get_full_path(),
        copy="PDF",
    )
    response = HttpResponse(pdf.pdf_bytes(pack.pack_html(copy)), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{copy.filename}"'
    return _private(response)
