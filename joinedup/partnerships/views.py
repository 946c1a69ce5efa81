"""Partnership and agency pages: thin views that ask the policy module, then call
selectors and services.

Adding a member works as an ordinary form post; where HTMX is running, the same form
replaces just the members section of the partnership page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from joinedup.http import AuthenticatedRequest
from joinedup.partnerships import selectors, services
from joinedup.partnerships.forms import (
    AddMemberForm,
    ChangeMemberForm,
    EndMembershipForm,
    GovernmentModelFilterForm,
    PartnershipForm,
    SectorFilterForm,
)
from joinedup.partnerships.models import Agency, Membership, Partnership
from joinedup.sharing import policy


def _is_htmx_partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _get_partnership(partnership_id: int) -> Partnership:
    return get_object_or_404(selectors.partnership_for_page(partnership_id))


def _get_membership(partnership: Partnership, membership_id: int) -> Membership:
    return get_object_or_404(
        selectors.membership_for_change(partnership_id=partnership.pk), pk=membership_id
    )


# Partnerships ---------------------------------------------------------------------------


@require_GET
def partnership_list(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_list_partnerships(request.user))
    form = GovernmentModelFilterForm(request.GET or None)
    government_model = form.cleaned_data["government_model"] if form.is_valid() else ""
    partnerships = selectors.partnership_directory(
        viewer=request.user,
        government_model=government_model,
    )
    template = (
        "partnerships/_partnership_results.html"
        if _is_htmx_partial(request)
        else "partnerships/partnership_list.html"
    )
    response = render(
        request,
        template,
        {"filter_form": form, "partnerships": partnerships, "filtered": bool(government_model)},
    )
    patch_vary_headers(response, ["HX-Request"])
    return response


def _members_context(
    request: AuthenticatedRequest,
    partnership: Partnership,
    *,
    add_form: AddMemberForm | None = None,
    notice: str = "",
) -> dict[str, Any]:
    can_manage = bool(policy.can_manage_memberships(request.user, partnership))
    context: dict[str, Any] = {
        "partnership": partnership,
        "people": selectors.partnership_people(partnership),
        "can_manage": can_manage,
        "notice": notice,
    }
    if can_manage:
        context["add_form"] = add_form or AddMemberForm()
    return context


@require_GET
def partnership_detail(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _get_partnership(partnership_id)
    policy.require(policy.can_view_partnership(request.user, partnership))
    return render(
        request, "partnerships/partnership_detail.html", _members_context(request, partnership)
    )


@require_http_methods(["GET", "POST"])
def partnership_edit(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _get_partnership(partnership_id)
    policy.require(
        policy.can_manage_partnership(request.user, partnership),
        "Only a coordinator of this partnership can change its details.",
    )
    form = PartnershipForm(request.POST or None, instance=partnership)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_partnership(
                partnership=partnership,
                updated_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(
                request, f"The details of {form.cleaned_data['name']} have been saved."
            )
            return redirect("partnerships:detail", partnership_id=partnership.pk)
    return render(
        request, "partnerships/partnership_form.html", {"partnership": partnership, "form": form}
    )


@require_http_methods(["GET", "POST"])
def add_member(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _get_partnership(partnership_id)
    policy.require(
        policy.can_manage_memberships(request.user, partnership),
        "Only a coordinator of this partnership can add members.",
    )
    form = AddMemberForm(request.POST or None)
    notice = ""
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.add_member(
                partnership=partnership,
                added_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            notice = (
                f"{membership.practitioner} has been added as "
                f"{membership.get_role_display().lower()}."
            )
            if not _is_htmx_partial(request):
                messages.success(request, notice)
                return redirect("partnerships:detail", partnership_id=partnership.pk)
            form = AddMemberForm()
    if _is_htmx_partial(request):
        context = _members_context(request, partnership, add_form=form, notice=notice)
        context["swap_coordinators"] = True
        return render(request, "partnerships/_members.html", context)
    return render(
        request, "partnerships/add_member.html", {"partnership": partnership, "form": form}
    )


@require_http_methods(["GET", "POST"])
def change_member(
    request: AuthenticatedRequest, partnership_id: int, membership_id: int
) -> HttpResponse:
    partnership = _get_partnership(partnership_id)
    membership = _get_membership(partnership, membership_id)
    policy.require(
        policy.can_change_membership(request.user, membership),
        "Only a coordinator of this partnership can change a current membership.",
    )
    form = ChangeMemberForm(
        request.POST or None,
        initial={
            "role": membership.role,
            "partnership_line_manager": membership.partnership_line_manager_id,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.change_member(
                membership=membership,
                changed_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(request, f"{membership.practitioner}'s membership has been updated.")
            return redirect("partnerships:detail", partnership_id=partnership.pk)
    return render(
        request,
        "partnerships/change_member.html",
        {"partnership": partnership, "membership": membership, "form": form},
    )


@require_http_methods(["GET", "POST"])
def end_membership(
    request: AuthenticatedRequest, partnership_id: int, membership_id: int
) -> HttpResponse:
    partnership = _get_partnership(partnership_id)
    membership = _get_membership(partnership, membership_id)
    policy.require(
        policy.can_change_membership(request.user, membership),
        "Only a coordinator of this partnership can end a current membership.",
    )
    form = EndMembershipForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.end_membership(
                membership=membership,
                ended_by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as problem:
            form.add_error(None, problem)
        else:
            messages.success(
                request, f"{membership.practitioner}'s membership of {partnership} has ended."
            )
            return redirect("partnerships:detail", partnership_id=partnership.pk)
    return render(
        request,
        "partnerships/end_membership.html",
        {
            "partnership": partnership,
            "membership": membership,
            "form": form,
            "is_last_coordinator": services.is_last_coordinator(membership),
        },
    )


# Agencies -------------------------------------------------------------------------------


@require_GET
def agency_list(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_list_agencies(request.user))
    form = SectorFilterForm(request.GET or None)
    sector = form.cleaned_data["sector"] if form.is_valid() else ""
    return render(
        request,
        "partnerships/agency_list.html",
        {
            "filter_form": form,
            "agencies": selectors.agency_directory(sector=sector),
            "filtered": bool(sector),
        },
    )


@require_GET
def agency_detail(request: AuthenticatedRequest, agency_id: int) -> HttpResponse:
    agency = get_object_or_404(Agency, pk=agency_id)
    policy.require(policy.can_view_agency(request.user, agency))
    return render(
        request, "partnerships/agency_detail.html", {"profile": selectors.agency_profile(agency)}
    )
