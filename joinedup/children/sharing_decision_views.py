"""Sharing without consent (issue 6): the queue of decisions waiting for the reader's
confirmation, and one decision with its confirm form. Thin: the policy decides,
sharing.sharing_decisions does."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from joinedup.children.models import Child
from joinedup.forms import add_errors
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy, sharing_decisions
from joinedup.sharing.models import SharingDecision, SharingDecisionOutcome


class ConfirmSharingDecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Was the sharing without consent right?",
        choices=SharingDecisionOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the sharing was right"},
    )
    note = forms.CharField(
        label="Note",
        help_text="Needed when it was not justified: why, and what happens next.",
        widget=forms.Textarea,
        required=False,
        max_length=2000,
    )


@require_GET
def sharing_decisions_to_confirm(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(
        policy.can_view_sharing_decision_queue(request.user),
        "Only practitioners confirm decisions to share without consent.",
    )
    page = Paginator(
        sharing_decisions.decisions_to_confirm(request.user), settings.PAGE_SIZE
    ).get_page(request.GET.get("page"))
    # Name the child only to those who may see the child's record anyway.
    visible = policy.visible_children_filter(request.user)
    decisions = list(page.object_list)
    named = set(
        Child.objects.filter(visible, pk__in=[d.child_id for d in decisions]).values_list(
            "pk", flat=True
        )
    )
    rows = [
        {
            "decision": decision,
            "child_name": decision.child.full_name if decision.child_id in named else "",
            "reference": sharing_decisions.reference_of(decision),
        }
        for decision in decisions
    ]
    return render(
        request,
        "children/sharing_decisions.html",
        {"page": page, "rows": rows, "now": timezone.now()},
    )


@require_http_methods(["GET", "POST"])
def sharing_decision(request: AuthenticatedRequest, sharing_decision_id: int) -> HttpResponse:
    # Bound on every POST, even an empty one, so a missing answer is an error shown.
    form = ConfirmSharingDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        decision = get_object_or_404(SharingDecision, pk=sharing_decision_id)
        policy.require(
            policy.can_confirm_sharing_decision(request.user, decision),
            "Only the decider's supervisor, or a data protection lead, can confirm this decision.",
        )
        if form.is_valid():
            try:
                sharing_decisions.confirm_sharing_decision(
                    decision=decision,
                    confirmed_by=request.user,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as problem:
                add_errors(form, problem)
            else:
                messages.success(request, "Your confirmation of the decision is recorded.")
                return redirect("children:sharing-decisions")
    page = sharing_decisions.decision_page(
        user=request.user, sharing_decision_id=sharing_decision_id, path=request.get_full_path()
    )
    return render(
        request,
        "children/sharing_decision.html",
        {
            "page": page,
            "decision": page.decision,
            "reference": sharing_decisions.reference_of(page.decision),
            "form": form,
        },
        status=400 if request.method == "POST" else 200,
    )
