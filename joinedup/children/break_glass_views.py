"""Break-glass (emergency) access pages: starting it from a child's record, and the data
protection leads' review queue. Thin: the policy decides, sharing.break_glass does."""

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
from joinedup.sharing import break_glass, policy
from joinedup.sharing.models import BreakGlassAccess, BreakGlassReview


class BreakGlassForm(forms.Form):
    reason = forms.CharField(
        label="What is the emergency, and why can you not wait?",
        help_text=(
            "For example: the child has gone missing and I need their carers' contact details "
            "now. Your reason is sent to the data protection lead straight away."
        ),
        widget=forms.Textarea,
        max_length=1000,
        error_messages={"required": "Say what the emergency is and why you cannot wait"},
    )


class BreakGlassReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Was the emergency access justified?",
        choices=BreakGlassReview.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the emergency access was justified"},
    )
    note = forms.CharField(
        label="Note",
        help_text="Needed when it was not justified: what you found and what happens next.",
        widget=forms.Textarea,
        required=False,
        max_length=2000,
    )


@require_http_methods(["GET", "POST"])
def start_break_glass(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    child = get_object_or_404(Child, pk=child_id)
    policy.require(
        policy.can_break_glass(request.user, child),
        "Emergency access is not available for this record.",
    )
    form = BreakGlassForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            access = break_glass.break_glass(
                practitioner=request.user,
                child=child,
                reason=form.cleaned_data["reason"],
                path=request.get_full_path(),
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.warning(
                request,
                "Emergency access has started. The data protection lead has been told and "
                f"will review it. It ends at {timezone.localtime(access.expires_at):%H:%M on %d %B %Y}.",
            )
            return redirect("children:detail", child_id=child.pk)
    return render(
        request,
        "children/break_glass.html",
        {"child_id": child.pk, "form": form, "hours": settings.BREAK_GLASS_HOURS},
        status=400 if request.method == "POST" else 200,
    )


@require_GET
def break_glass_reviews(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(
        policy.can_review_break_glass(request.user),
        "Only a data protection lead can see emergency access reviews.",
    )
    return render(
        request,
        "children/break_glass_reviews.html",
        {
            "accesses": Paginator(
                break_glass.review_queue(request.user), settings.PAGE_SIZE
            ).get_page(request.GET.get("page"))
        },
    )


@require_http_methods(["GET", "POST"])
def break_glass_review(request: AuthenticatedRequest, break_glass_id: int) -> HttpResponse:
    form = BreakGlassReviewForm(request.POST or None)
    if request.method == "POST":
        access = get_object_or_404(BreakGlassAccess, pk=break_glass_id)
        policy.require(policy.can_review_break_glass_access(request.user, access))
        if form.is_valid():
            try:
                break_glass.review(
                    access=access,
                    by=request.user,
                    outcome=form.cleaned_data["outcome"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as problem:
                add_errors(form, problem)
            else:
                messages.success(request, "Your review of the emergency access is recorded.")
                return redirect("children:break-glass-reviews")
    page = break_glass.review_page(
        user=request.user, break_glass_id=break_glass_id, path=request.get_full_path()
    )
    return render(
        request,
        "children/break_glass_review.html",
        {"page": page, "access": page.access, "form": form},
        status=400 if request.method == "POST" else 200,
    )
