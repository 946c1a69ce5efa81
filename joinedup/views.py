"""Pages that belong to no single app: the home page for each role, health and errors."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from joinedup.accounts import selectors as account_selectors
from joinedup.casework.flags import home_flags
from joinedup.children import selectors as child_selectors
from joinedup.http import AuthenticatedRequest
from joinedup.partnerships import selectors as partnership_selectors
from joinedup.referrals.timeliness import referral_flags
from joinedup.sharing import break_glass, policy, sharing_decisions


@require_GET
def home(request: AuthenticatedRequest) -> HttpResponse:
    """Each role lands somewhere useful: practitioners on their children and partnerships,
    coordinators on their partnership's members and agencies, administrators on accounts."""
    practitioner = request.user
    context: dict[str, Any] = {
        "memberships": partnership_selectors.current_memberships_of(practitioner),
        "coordinated_partnerships": partnership_selectors.partnerships_coordinated_by(practitioner),
        "involvements_page": child_selectors.my_involvements_page(
            practitioner=practitioner,
            page_number=request.GET.get("page"),
            path=request.get_full_path(),
            page_size=settings.PAGE_SIZE,
        ),
        # Overdue actions and reviews, and lead-role offers, at a glance (counts only).
        "casework_flags": home_flags(practitioner),
        # Referrals made that are overdue; new, overdue and urgent ones to their services.
        "referral_flags": referral_flags(practitioner),
    }
    # Data protection leads find emergency accesses to review here (and in the alert each
    # one sends), rather than in the navigation, which asks nothing of the database.
    if policy.can_review_break_glass(practitioner):
        context["break_glass_to_review"] = break_glass.review_queue(practitioner).count()
    # Decisions to share without consent waiting for this person's confirmation (as a
    # supervisor or a data protection lead): shown when there are some, and always to leads.
    if policy.can_view_sharing_decision_queue(practitioner):
        waiting = sharing_decisions.decisions_to_confirm(practitioner).count()
        if waiting or "break_glass_to_review" in context:
            context["sharing_decisions_to_confirm"] = waiting
    if policy.can_manage_accounts(practitioner):
        context["account_summary"] = account_selectors.account_summary()
    return render(request, "home.html", context)


@login_not_required
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitoring: the app is up and its database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@login_not_required
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = (
        str(exception) if exception and str(exception) else "You do not have access to this page."
    )
    return render(request, "403.html", {"message": message}, status=403)


@login_not_required
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)
