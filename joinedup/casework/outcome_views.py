"""Outcome ratings pages: thin views that ask the policy module (through the selector),
then call casework.outcome_ratings."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from joinedup.casework import outcome_ratings
from joinedup.casework.models import RatingOccasion
from joinedup.casework.outcome_forms import OutcomeRatingsForm
from joinedup.forms import add_errors
from joinedup.http import AuthenticatedRequest
from joinedup.sharing.models import AccessAction

# Ratings at closure are recorded on the close page, with the closure.
PAGE_OCCASIONS = (RatingOccasion.ASSESSMENT, RatingOccasion.REVIEW)


def _occasion(request: AuthenticatedRequest) -> tuple[str, int | None]:
    """?occasion=assessment (the default) or ?occasion=review&review=<id>."""
    occasion = request.GET.get("occasion") or RatingOccasion.ASSESSMENT
    if occasion not in PAGE_OCCASIONS:
        raise Http404("No such occasion for ratings")
    if occasion != RatingOccasion.REVIEW:
        return occasion, None
    review = request.GET.get("review", "")
    if not review.isdigit():
        raise Http404("Choose a review")
    return occasion, int(review)


@require_http_methods(["GET", "POST"])
def record_ratings(request: AuthenticatedRequest, episode_id: int, child_id: int) -> HttpResponse:
    """One child's scores on the five outcomes at the assessment or at a held review."""
    occasion, review_id = _occasion(request)
    page = outcome_ratings.ratings_page(
        practitioner=request.user,
        episode_id=episode_id,
        child_id=child_id,
        occasion=occasion,
        review_id=review_id,
        path=request.get_full_path(),
        action=AccessAction.VIEWED if request.method == "GET" else AccessAction.CHANGED,
    )
    form = OutcomeRatingsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and not page.problem and form.is_valid():
        try:
            outcome_ratings.record_rating_round(
                practitioner=request.user,
                episode=page.episode,
                child=page.child,
                occasion=occasion,
                review=page.review,
                **form.round_details(),
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, f"The outcome ratings for {page.child.full_name} are saved.")
            if page.review is not None:
                return redirect(
                    "casework:team-review",
                    episode_id=page.episode.pk,
                    team_review_id=page.review.pk,
                )
            return redirect(
                reverse("casework:episode", args=[page.episode.pk]) + "#distance-travelled"
            )
    return render(
        request,
        "casework/outcomes_record.html",
        {
            "page": page,
            "episode": page.episode,
            "child": page.child,
            "ratings_form": form,
            "scale": outcome_ratings.outcome_scale(),
        },
        status=400 if form.errors else 200,
    )
