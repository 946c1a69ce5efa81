"""Children's pages: thin views that ask the policy module, then call selectors/services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from joinedup.children import search_throttle, selectors, services
from joinedup.children.forms import (
    EndInvolvementForm,
    LiftShieldingForm,
    ReviewAccessForm,
    ShieldForm,
    StatedReasonForm,
)
from joinedup.children.models import Child, Involvement
from joinedup.children.search import SearchForm, search_children
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy
from joinedup.sharing import services as sharing_services
from joinedup.sharing.break_glass import active_break_glass
from joinedup.sharing.models import AccessBasis, AccessRecord


@require_GET
def child_list(request: AuthenticatedRequest) -> HttpResponse:
    page = selectors.my_involvements_page(
        practitioner=request.user,
        page_number=request.GET.get("page"),
        path=request.get_full_path(),
        page_size=settings.PAGE_SIZE,
    )
    return render(
        request,
        "children/child_list.html",
        {"involvements_page": page, "can_search": policy.can_search_children(request.user)},
    )


@require_GET
def child_detail(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    try:
        record = selectors.child_record(
            practitioner=request.user, child_id=child_id, path=request.get_full_path()
        )
    except selectors.NoRelationship as refusal:
        return _no_relationship(request, refusal.child, StatedReasonForm())
    # Referrals add their section to the child's page (a known inversion, like the early
    # help indicator: see docs/architecture.md). One query however many referrals.
    from joinedup.referrals.referral_selectors import child_referrals

    return render(
        request,
        "children/child_detail.html",
        {
            "record": record,
            "child": record.child,
            "referrals": child_referrals(request.user, record.child),
            "may_refer": policy.can_refer_child(request.user, record.child),
            "end_form": EndInvolvementForm(),
            # Casework: opening an early-help episode (the page it leads to applies the
            # duplicate-assessment guard).
            "may_open_episode": policy.can_open_episode(request.user, record.child),
            # Casework: stepping down from children's social care into early help.
            "may_step_down": policy.can_step_down(request.user, record.child),
            # A family's view (subject access): data managers of the child's agencies.
            "may_produce_family_view": policy.can_produce_family_view(request.user, record.child),
            # The audit of the record (issue 6): data managers and data protection leads.
            "may_view_audit": policy.can_view_child_audit(request.user, record.child),
            # Break-glass: the banner while viewing under emergency access (issue 6).
            "break_glass": active_break_glass(request.user, record.child)
            if record.basis == AccessBasis.BREAK_GLASS
            else None,
        },
    )


@require_POST
def state_reason(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    """Open a record outside the practitioner's relationships by stating why."""
    child = get_object_or_404(Child, pk=child_id)
    policy.require(policy.can_state_reason(request.user, child))
    form = StatedReasonForm(request.POST)
    if form.is_valid():
        try:
            sharing_services.state_reason_for_access(
                practitioner=request.user, child=child, reason=form.cleaned_data["reason"]
            )
        except ValidationError as problem:
            form.add_error("reason", problem)
        else:
            return redirect("children:detail", child_id=child.pk)
    return _no_relationship(request, child, form)


def _no_relationship(request: HttpRequest, child: Child, form: StatedReasonForm) -> HttpResponse:
    """The refusal page, which offers to open the record with a stated reason."""
    hours = int(settings.STATED_REASON_ACCESS.total_seconds() // 3600)
    return render(
        request,
        "children/no_relationship.html",
        {
            "child_id": child.pk,
            "form": form,
            "reason_hours": hours,
            # Break-glass: emergency access for someone who cannot wait (issue 6).
            "may_break_glass": policy.can_break_glass(request.user, child),
        },
        status=403,
    )


@require_http_methods(["GET", "POST"])
def end_involvement(
    request: AuthenticatedRequest, child_id: int, involvement_id: int
) -> HttpResponse:
    involvement = get_object_or_404(
        Involvement.objects.select_related("child", "agency"), pk=involvement_id, child_id=child_id
    )
    policy.require(
        policy.can_end_involvement(request.user, involvement),
        "You can only end your own current involvement.",
    )
    form = EndInvolvementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.end_involvement(
            practitioner=request.user, involvement=involvement, reason=form.cleaned_data["reason"]
        )
        messages.success(
            request,
            f"Your involvement with {involvement.child.full_name} has ended. "
            "You no longer have access to their record.",
        )
        return redirect("home")
    return render(
        request, "children/end_involvement.html", {"involvement": involvement, "form": form}
    )


# Sensitive services ---------------------------------------------------------------------


@require_POST
def record_consent(
    request: AuthenticatedRequest, child_id: int, involvement_id: int
) -> HttpResponse:
    involvement = get_object_or_404(
        Involvement.objects.select_related("child", "agency"), pk=involvement_id, child_id=child_id
    )
    policy.require(
        policy.can_record_consent(request.user, involvement),
        "Only the practitioner involved can record consent for a sensitive involvement.",
    )
    services.record_consent(practitioner=request.user, involvement=involvement)
    messages.success(
        request,
        "Consent is recorded: the other practitioners involved can now see this involvement.",
    )
    return redirect("children:detail", child_id=child_id)


# Shielding ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def child_shielding(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    """Shield a child, or lift their shielding: data managers of the child's agencies."""
    child = get_object_or_404(Child, pk=child_id)
    policy.require(policy.can_shield_child(request.user, child))
    shield_form = ShieldForm(request.POST if request.POST.get("action") == "shield" else None)
    lift_form = LiftShieldingForm(request.POST if request.POST.get("action") == "lift" else None)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "shield" and shield_form.is_valid():
                services.shield_child(
                    practitioner=request.user,
                    child=child,
                    reason=shield_form.cleaned_data["reason"],
                    review_on=shield_form.cleaned_data["review_on"],
                )
                messages.success(
                    request,
                    f"{child.full_name} is shielded: their whereabouts are hidden and every "
                    "view of their record is flagged for review.",
                )
                return redirect("children:shielding", child_id=child.pk)
            if request.POST.get("action") == "lift" and lift_form.is_valid():
                services.lift_shielding(
                    practitioner=request.user,
                    child=child,
                    reason=lift_form.cleaned_data["lift_reason"],
                )
                messages.success(request, f"The shielding of {child.full_name} is lifted.")
                return redirect("children:shielding", child_id=child.pk)
        except ValidationError as problem:
            form = shield_form if request.POST.get("action") == "shield" else lift_form
            if hasattr(problem, "error_dict"):
                for name, errors in problem.error_dict.items():
                    target = name if name in form.fields else None
                    for error in errors:
                        form.add_error(target, error)
            else:
                form.add_error(None, problem)
    page = selectors.shielding_page(
        practitioner=request.user, child_id=child.pk, path=request.get_full_path()
    )
    return render(
        request,
        "children/shielding.html",
        {
            "page": page,
            "child": page.child,
            "shield_form": shield_form,
            "lift_form": lift_form,
            "form": shield_form if request.POST.get("action") != "lift" else lift_form,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def shielding_reviews(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_review_shielded_views(request.user))
    reviews = selectors.shielding_reviews(
        practitioner=request.user,
        page_number=request.GET.get("page"),
        path=request.get_full_path(),
        page_size=settings.PAGE_SIZE,
    )
    return render(request, "children/shielding_reviews.html", {"reviews": reviews})


@require_POST
def review_access(request: AuthenticatedRequest, access_record_id: int) -> HttpResponse:
    access_record = get_object_or_404(
        AccessRecord.objects.select_related("child"), pk=access_record_id
    )
    policy.require(policy.can_review_access(request.user, access_record))
    form = ReviewAccessForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    services.review_access(practitioner=request.user, access_record=access_record, note=note)
    messages.success(request, "The view is marked as reviewed.")
    return redirect("children:shielding-reviews")


@require_GET
def child_search(request: AuthenticatedRequest) -> HttpResponse:
    """Search the child index: the form and its results on one page. With htmx only the
    results part is sent back; without JavaScript the whole page is."""
    policy.require(
        policy.can_search_children(request.user),
        "System administrators cannot search for children through that role.",
    )
    form = SearchForm(request.GET or None)
    outcome = None
    if form.is_bound and form.is_valid():
        wait = search_throttle.wait_before_next_search(request.user)
        if wait is not None:
            return search_throttle.too_many_searches(request, wait)
        outcome = search_children(practitioner=request.user, query=form.to_query())
    htmx = getattr(request, "htmx", None)
    partial = bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]
    template = "children/_search_results.html" if partial else "children/search.html"
    response = render(request, template, {"form": form, "outcome": outcome})
    patch_vary_headers(response, ["HX-Request"])
    return response
