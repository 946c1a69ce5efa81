"""Action plan pages: thin views that ask the policy module, then call casework.plan."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from joinedup.casework import plan
from joinedup.casework.models import Action, DesiredOutcome, Episode, PlanNeed
from joinedup.casework.plan_forms import (
    ActionForm,
    ActionStatusForm,
    DesiredOutcomeForm,
    EditActionForm,
    NeedForm,
)
from joinedup.forms import add_errors
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy


def _managed_episode(request: AuthenticatedRequest, episode_id: int) -> Episode:
    episode = get_object_or_404(Episode, pk=episode_id)
    policy.require(policy.can_manage_plan(request.user, episode))
    return episode


def _form_page(
    request: AuthenticatedRequest, episode: Episode, form: forms.Form, **context: Any
) -> HttpResponse:
    context.update({"episode": episode, "form": form})
    status = 400 if form.errors else 200
    return render(request, "casework/plan_form.html", context, status=status)


@require_GET
def plan_detail(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    page = plan.episode_plan(
        practitioner=request.user, episode_id=episode_id, path=request.get_full_path()
    )
    return render(
        request,
        "casework/plan_detail.html",
        {"page": page, "episode": page.episode},
    )


@require_http_methods(["GET", "POST"])
def add_need(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    episode = _managed_episode(request, episode_id)
    form = NeedForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            plan.add_need(
                practitioner=request.user,
                episode=episode,
                description=form.cleaned_data["description"],
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The need is added to the plan.")
            return redirect("casework:plan", episode_id=episode.pk)
    return _form_page(request, episode, form, title="Add a need", button="Add the need")


@require_http_methods(["GET", "POST"])
def add_desired_outcome(
    request: AuthenticatedRequest, episode_id: int, need_id: int
) -> HttpResponse:
    episode = _managed_episode(request, episode_id)
    need = get_object_or_404(PlanNeed, pk=need_id, episode=episode)
    form = DesiredOutcomeForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            plan.add_desired_outcome(
                practitioner=request.user,
                need=need,
                description=form.cleaned_data["description"],
                outcomes=list(form.cleaned_data["outcomes"]),
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The desired outcome is added to the plan.")
            return redirect("casework:plan", episode_id=episode.pk)
    return _form_page(
        request,
        episode,
        form,
        title="Add a desired outcome",
        caption=need.description,
        button="Add the outcome",
    )


@require_http_methods(["GET", "POST"])
def add_action(
    request: AuthenticatedRequest, episode_id: int, desired_outcome_id: int
) -> HttpResponse:
    episode = _managed_episode(request, episode_id)
    desired = get_object_or_404(
        DesiredOutcome.objects.select_related("need__episode"),
        pk=desired_outcome_id,
        need__episode=episode,
    )
    form = ActionForm(request.POST if request.method == "POST" else None, episode=episode)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan.add_action(
                practitioner=request.user,
                desired_outcome=desired,
                description=data["description"],
                due_on=data["due_on"],
                responsible_practitioner=data.get("responsible_practitioner"),
                responsible_name=data.get("responsible_name", ""),
                responsible_agency=data.get("responsible_agency"),
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The action is added to the plan.")
            return redirect("casework:plan", episode_id=episode.pk)
    return _form_page(
        request,
        episode,
        form,
        title="Add an action",
        caption=desired.description,
        button="Add the action",
    )


def _editable_action(request: AuthenticatedRequest, episode_id: int, action_id: int) -> Action:
    action = plan.plan_action(episode_id=episode_id, action_id=action_id)
    policy.require(policy.can_edit_action(request.user, action))
    return action


def _initial(action: Action) -> dict[str, Any]:
    return {
        "description": action.description,
        "responsible_practitioner": action.responsible_practitioner,
        "responsible_name": action.responsible_name,
        "responsible_agency": action.responsible_agency,
        "due_on": action.due_on,
        "status": action.status,
        "revision": action.revision,
    }


@require_http_methods(["GET", "POST"])
def edit_action(request: AuthenticatedRequest, episode_id: int, action_id: int) -> HttpResponse:
    """Edit an action. The form carries the revision it was loaded at; if someone saved in
    between, the save is refused and the page shows the stored version beside this one."""
    action = _editable_action(request, episode_id, action_id)
    episode = action.desired_outcome.need.episode
    plan.record_action_read(practitioner=request.user, action=action, path=request.get_full_path())
    conflict: Action | None = None
    submitted: dict[str, Any] | None = None
    if request.method == "POST":
        form = EditActionForm(request.POST, episode=episode)
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan.update_action(
                    practitioner=request.user,
                    action=action,
                    revision=data["revision"],
                    description=data["description"],
                    due_on=data["due_on"],
                    status=data["status"],
                    responsible_practitioner=data.get("responsible_practitioner"),
                    responsible_name=data.get("responsible_name", ""),
                    responsible_agency=data.get("responsible_agency"),
                )
            except plan.EditConflict as problem:
                conflict, submitted = problem.current, data
                # Start again from the stored version: saving now overwrites it knowingly.
                form = EditActionForm(
                    initial=_initial(problem.current) | _submitted_fields(data),
                    episode=episode,
                )
            except ValidationError as problem:
                add_errors(form, problem)
            else:
                messages.success(request, "The action is updated.")
                return redirect("casework:plan", episode_id=episode.pk)
    else:
        form = EditActionForm(initial=_initial(action), episode=episode)
    return render(
        request,
        "casework/plan_action_edit.html",
        {
            "episode": episode,
            "action": action,
            "form": form,
            "conflict": conflict,
            "submitted": submitted,
        },
        status=409 if conflict else (400 if form.errors else 200),
    )


def _submitted_fields(data: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if key != "revision"}


@require_POST
def set_action_status(
    request: AuthenticatedRequest, episode_id: int, action_id: int
) -> HttpResponse:
    action = _editable_action(request, episode_id, action_id)
    form = ActionStatusForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a status for the action.")
    else:
        try:
            plan.set_action_status(
                practitioner=request.user,
                action=action,
                status=form.cleaned_data["status"],
                revision=form.cleaned_data["revision"],
            )
        except plan.EditConflict:
            messages.error(
                request,
                "Someone else changed this action a moment ago; its status was not changed. "
                "Check the latest version below.",
            )
        except ValidationError as problem:
            messages.error(request, " ".join(problem.messages))
        else:
            messages.success(request, "The action's status is updated.")
    return redirect("casework:plan", episode_id=action.desired_outcome.need.episode_id)


@require_GET
def my_actions(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_list_my_actions(request.user))
    page = plan.my_actions(practitioner=request.user, path=request.get_full_path())
    return render(request, "casework/plan_my_actions.html", {"page": page})
