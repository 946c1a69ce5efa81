"""Step-up and step-down pages: thin views that ask the policy module (through the
selectors of casework.escalation), then call its services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from joinedup.casework import escalation
from joinedup.casework.escalation_forms import StepDownForm, StepUpDecisionForm, StepUpForm
from joinedup.casework.models import StepUp, StepUpStatus
from joinedup.forms import add_errors
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction


def _action(request: AuthenticatedRequest) -> str:
    return AccessAction.CHANGED if request.method == "POST" else AccessAction.VIEWED


@require_http_methods(["GET", "POST"])
def step_up(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    """Step the episode up to children's social care (the lead professional)."""
    page = escalation.step_up_page(
        practitioner=request.user,
        episode_id=episode_id,
        path=request.get_full_path(),
        action=_action(request),
    )
    form = StepUpForm(
        request.POST if request.method == "POST" else None,
        sharing_consent_in_force=page.sharing_consent_in_force,
    )
    if page.pending is None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            escalation.step_up(
                practitioner=request.user,
                episode=page.episode,
                to_agency=data["to_agency"],
                reason=data["reason"],
                shared_sections=data["shared_sections"],
                shared_notes=data["shared_notes"],
                without_consent_reason=data.get("without_consent_reason", ""),
                lawful_basis=data.get("lawful_basis", ""),
                consent_position=data.get("consent_position", ""),
                site_url=request.build_absolute_uri("/"),
                path=request.get_full_path(),
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(
                request,
                "The episode is stepped up to children's social care and the team is told by "
                "email.",
            )
            return redirect("casework:episode", episode_id=page.episode.pk)
    return render(
        request,
        "casework/escalation_step_up.html",
        {"page": page, "episode": page.episode, "form": form},
        status=400 if form.errors else 200,
    )


def _after_decision(request: AuthenticatedRequest, step_up_id: int) -> HttpResponse:
    """Back to the episode if the reader still sees it (an accepted step-up closes it),
    else to the step-up's page if they still may see that."""
    answered = get_object_or_404(
        StepUp.objects.select_related("episode", "to_agency"), pk=step_up_id
    )
    if policy.can_view_episode(request.user, answered.episode):
        return redirect("casework:episode", episode_id=answered.episode_id)
    if policy.can_record_step_up_decision(request.user, answered):
        return redirect("casework:step-up-decision", step_up_id=answered.pk)
    return redirect("home")


@require_http_methods(["GET", "POST"])
def step_up_decision(request: AuthenticatedRequest, step_up_id: int) -> HttpResponse:
    """Record children's social care's answer to a step-up."""
    page = escalation.decision_page(
        practitioner=request.user,
        step_up_id=step_up_id,
        path=request.get_full_path(),
        action=_action(request),
    )
    form = StepUpDecisionForm(request.POST if request.method == "POST" else None)
    if page.is_pending and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        accepted = data["status"] == StepUpStatus.ACCEPTED
        try:
            escalation.record_step_up_decision(
                practitioner=request.user,
                step_up=page.step_up,
                accepted=accepted,
                note=data["decision_note"],
                decided_on=data["decided_on"],
                site_url=request.build_absolute_uri("/"),
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            if accepted:
                messages.success(
                    request,
                    "Children's social care accepted the step-up: the episode is closed as "
                    "stepped up and the team is told by email.",
                )
            else:
                messages.success(
                    request,
                    "Children's social care did not accept the step-up: early help continues "
                    "and the team is told by email.",
                )
            return _after_decision(request, page.step_up.pk)
    return render(
        request,
        "casework/escalation_decision.html",
        {"page": page, "step_up": page.step_up, "form": form},
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "POST"])
def step_down(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    """Step down from children's social care: open an early-help episode with a handover
    summary — unless one is open or recent, when the page says who the lead is instead."""
    page = escalation.step_down_page(
        practitioner=request.user,
        child_id=child_id,
        path=request.get_full_path(),
        action=_action(request),
    )
    form = StepDownForm(request.POST if request.method == "POST" else None)
    if page.existing is None and request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            handover = escalation.step_down(
                practitioner=request.user,
                child=page.child,
                summary=data["summary"],
                needs_remaining=data["needs_remaining"],
                risks=data["risks"],
                family_views=data["family_views"],
                social_care_reference=data["social_care_reference"],
                receiving_practitioner=data["receiving_practitioner"],
                receiving_role=data["receiving_role"],
                consent_given_by_kind=data["consent_given_by_kind"],
                consent_given_by_name=data["consent_given_by_name"],
                consent_competence_note=data["consent_competence_note"],
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The early help episode is open, with your handover summary.")
            return redirect("casework:episode", episode_id=handover.episode_id)
    return render(
        request,
        "casework/escalation_step_down.html",
        {"page": page, "child": page.child, "form": form},
        status=400 if form.errors else 200,
    )
