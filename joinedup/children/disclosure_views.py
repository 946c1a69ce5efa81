"""The child's disclosure log (issue 6). A thin view over children.disclosure_selectors;
access through policy.can_view_disclosures."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from joinedup.children import disclosure_selectors
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import sharing_decisions


@require_GET
def child_disclosures(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    log = disclosure_selectors.disclosure_log(
        practitioner=request.user,
        child_id=child_id,
        page_number=request.GET.get("page"),
        path=request.get_full_path(),
        page_size=settings.PAGE_SIZE,
    )
    return render(
        request,
        "children/disclosures.html",
        {
            "child": log.child,
            "disclosures": log.disclosures,
            # Sharing without consent (issue 6): each decision and whether it was confirmed.
            "sharing_decisions": list(sharing_decisions.child_sharing_decisions(log.child)),
        },
    )
