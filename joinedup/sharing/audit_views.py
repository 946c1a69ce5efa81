"""Audit viewers and anomaly flags (issue 6). Thin views over sharing.audit_selectors;
access through policy (can_view_child_audit, can_view_own_access_history,
can_view_practitioner_audit, can_review_access_anomalies)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from joinedup.forms import GovukDateField
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import audit_selectors, policy


class AuditFilterForm(forms.Form):
    """Narrow a child's audit to one practitioner and a date range (all optional)."""

    practitioner = forms.IntegerField(required=False, min_value=1)
    from_date = GovukDateField(required=False, label="From", what="the first date")
    to_date = GovukDateField(required=False, label="To", what="the last date")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("from_date"), cleaned.get("to_date")
        if start and end and end < start:
            self.add_error("to_date", "The last date must be the same as or after the first date")
        return cleaned

    def filters(self) -> audit_selectors.AuditFilters:
        if not self.is_valid():
            return audit_selectors.AuditFilters()
        return audit_selectors.AuditFilters(
            practitioner_id=self.cleaned_data["practitioner"],
            from_date=self.cleaned_data["from_date"],
            to_date=self.cleaned_data["to_date"],
        )


@require_GET
def child_audit(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    result = audit_selectors.child_audit(
        viewer=request.user,
        child_id=child_id,
        filters=form.filters(),
        page_number=request.GET.get("page"),
        path=request.get_full_path(),
    )
    return render(
        request,
        "sharing/child_audit.html",
        {
            "child": result.child,
            "records": result.records,
            "practitioners": result.practitioners,
            "form": form,
            "selected_practitioner": form.cleaned_data.get("practitioner")
            if form.is_valid()
            else None,
        },
    )


@require_GET
def my_access_history(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_view_own_access_history(request.user))
    history = audit_selectors.own_access_history(
        practitioner=request.user,
        show=request.GET.get("show", ""),
        page_number=request.GET.get("page"),
    )
    return render(request, "sharing/access_history.html", {"history": history, "own": True})


@require_GET
def practitioner_audit(request: AuthenticatedRequest, practitioner_id: int) -> HttpResponse:
    history = audit_selectors.practitioner_audit(
        viewer=request.user,
        practitioner_id=practitioner_id,
        show=request.GET.get("show", ""),
        page_number=request.GET.get("page"),
        path=request.get_full_path(),
    )
    return render(
        request,
        "sharing/access_history.html",
        {
            "history": history,
            "own": False,
            "may_review_shielded_views": policy.can_review_shielded_views(request.user),
        },
    )


@require_GET
def access_anomalies(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_review_access_anomalies(request.user))
    return render(
        request,
        "sharing/access_anomalies.html",
        {"flagged": audit_selectors.flagged_practitioners(viewer=request.user)},
    )
