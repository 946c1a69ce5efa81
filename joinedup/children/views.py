"""Children's pages: thin views that ask the policy module, then call selectors/services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from joinedup.children import selectors, services
from joinedup.children.forms import EndInvolvementForm, StatedReasonForm
from joinedup.children.models import Child, Involvement
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy
from joinedup.sharing import services as sharing_services


@require_GET
def child_list(request: AuthenticatedRequest) -> HttpResponse:
    page = selectors.my_involvements_page(
        practitioner=request.user,
        page_number=request.GET.get("page"),
        path=request.get_full_path(),
        page_size=settings.PAGE_SIZE,
    )
    return render(request, "children/child_list.html", {"involvements_page": page})


@require_GET
def child_detail(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    try:
        record = selectors.child_record(
            practitioner=request.user, child_id=child_id, path=request.get_full_path()
        )
    except selectors.NoRelationship as refusal:
        return _no_relationship(request, refusal.child.pk, StatedReasonForm())
    return render(
        request,
        "children/child_detail.html",
        {"record": record, "child": record.child, "end_form": EndInvolvementForm()},
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
    return _no_relationship(request, child.pk, form)


def _no_relationship(request: HttpRequest, child_id: int, form: StatedReasonForm) -> HttpResponse:
    """The refusal page, which offers to open the record with a stated reason."""
    hours = int(settings.STATED_REASON_ACCESS.total_seconds() // 3600)
    return render(
        request,
        "children/no_relationship.html",
        {"child_id": child_id, "form": form, "reason_hours": hours},
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
