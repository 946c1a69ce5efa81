"""Closing and reopening an episode: thin views that ask the policy module (through the
selectors), then call casework.closure."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from joinedup.casework import closure, outcome_ratings
from joinedup.casework.outcome_forms import ClosureForm, OutcomeRatingsForm, ReopenForm
from joinedup.forms import add_errors
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction


def _after_closing(request: AuthenticatedRequest, page: closure.ClosurePage) -> HttpResponse:
    """Closing ends the team's access: back to the episode if the reader still sees it,
    otherwise to the reopen page, which shows the closure."""
    episode = page.episode
    deadline = closure.reopen_deadline(episode)
    messages.success(
        request,
        f"The episode is closed. It can be reopened until {deadline:%d %B %Y}."
        if deadline
        else "The episode is closed.",
    )
    if policy.can_view_episode(request.user, episode):
        return redirect("casework:episode", episode_id=episode.pk)
    if policy.can_reopen_episode(request.user, episode):
        return redirect("casework:reopen-episode", closed_episode_id=episode.pk)
    return redirect("casework:lead-queue")


@require_http_methods(["GET", "POST"])
def close_episode(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    """The reason, notes, the family's feedback and each child's final ratings, saved
    together or not at all."""
    posted = request.POST if request.method == "POST" else None
    page = closure.closure_page(
        practitioner=request.user,
        episode_id=episode_id,
        path=request.get_full_path(),
        action=AccessAction.VIEWED if posted is None else AccessAction.CHANGED,
    )
    closure_form = ClosureForm(posted)
    # The final ratings may be left out for some reasons: then a child's form left empty
    # is skipped (empty_permitted), and one partly filled in is checked.
    optional = posted is not None and not closure.final_ratings_required(posted.get("reason", ""))
    every = outcome_ratings.outcomes()
    ratings_forms = [
        (
            child,
            OutcomeRatingsForm(
                posted,
                prefix=f"child-{child.pk}",
                outcomes=every,
                empty_permitted=optional,
                use_required_attribute=False,
            ),
        )
        for child in page.children
    ]
    if posted is not None:
        valid = closure_form.is_valid()
        valid = all([form.is_valid() for _child, form in ratings_forms]) and valid
        if valid:
            data = closure_form.cleaned_data
            try:
                closure.close_episode(
                    practitioner=request.user,
                    episode=page.episode,
                    reason=data["reason"],
                    notes=data["notes"],
                    family_feedback=data["family_feedback"],
                    final_ratings={
                        child.pk: form.round_details()
                        for child, form in ratings_forms
                        if form.has_changed() or not optional
                    },
                )
            except ValidationError as problem:
                add_errors(closure_form, problem)
            else:
                return _after_closing(request, page)
    error_groups: list[tuple[str, Any]] = [("", closure_form)] + [
        (child.full_name, form) for child, form in ratings_forms
    ]
    has_errors = any(form.errors for _label, form in error_groups)
    return render(
        request,
        "casework/closure_close.html",
        {
            "page": page,
            "episode": page.episode,
            "closure_form": closure_form,
            "ratings_forms": ratings_forms,
            "error_groups": error_groups,
            "has_errors": has_errors,
            "scale": outcome_ratings.outcome_scale(),
            "optional_reasons": sorted(closure.RATINGS_OPTIONAL_REASONS),
        },
        status=400 if has_errors else 200,
    )


@require_http_methods(["GET", "POST"])
def reopen_episode(request: AuthenticatedRequest, closed_episode_id: int) -> HttpResponse:
    """Shows the closure and the days left to reopen; a reason is needed."""
    posted = request.POST if request.method == "POST" else None
    page = closure.closure_page(
        practitioner=request.user,
        episode_id=closed_episode_id,
        path=request.get_full_path(),
        reopening=True,
        action=AccessAction.VIEWED if posted is None else AccessAction.CHANGED,
    )
    form = ReopenForm(posted)
    problem = closure.reopen_problem(page.episode)
    if posted is not None and not problem and form.is_valid():
        try:
            closure.reopen_episode(
                practitioner=request.user,
                episode=page.episode,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as refusal:
            add_errors(form, refusal)
        else:
            messages.success(request, "The episode is open again. The team's access is restored.")
            return redirect("casework:episode", episode_id=page.episode.pk)
    deadline = closure.reopen_deadline(page.episode)
    return render(
        request,
        "casework/closure_reopen.html",
        {
            "page": page,
            "episode": page.episode,
            "form": form,
            "problem": problem,
            "deadline": deadline,
            "days_left": closure.days_left(page.episode),
        },
        status=400 if form.errors else 200,
    )
