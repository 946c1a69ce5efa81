"""Review pages: thin views that ask the policy module, then call casework.reviews."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from joinedup.casework import reviews
from joinedup.casework.models import Episode
from joinedup.casework.review_forms import RecordReviewForm, ScheduleReviewForm
from joinedup.forms import add_errors
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy


@require_http_methods(["GET", "POST"])
def schedule_review(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    episode = get_object_or_404(Episode, pk=episode_id)
    policy.require(policy.can_manage_reviews(request.user, episode))
    form = ScheduleReviewForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        when = timezone.make_aware(
            datetime.combine(form.cleaned_data["date"], form.cleaned_data["time"])
        )
        try:
            review = reviews.schedule_review(
                practitioner=request.user,
                episode=episode,
                scheduled_for=when,
                location=form.cleaned_data["location"],
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The review is scheduled and the team invited by email.")
            return redirect("casework:team-review", episode_id=episode.pk, team_review_id=review.pk)
    return render(
        request,
        "casework/review_schedule.html",
        {"episode": episode, "form": form, "due_on": reviews.next_review_due_on(episode)},
        status=400 if form.errors else 200,
    )


@require_GET
def review_detail(
    request: AuthenticatedRequest, episode_id: int, team_review_id: int
) -> HttpResponse:
    page = reviews.review_page(
        practitioner=request.user,
        episode_id=episode_id,
        review_id=team_review_id,
        path=request.get_full_path(),
        what="Team around the child review",
    )
    return render(
        request,
        "casework/review_detail.html",
        {
            "page": page,
            "episode": page.review.episode,
            "may_record_ratings": policy.can_record_outcome_ratings(
                request.user, page.review.episode
            ),
        },
    )


@require_GET
def review_calendar(
    request: AuthenticatedRequest, episode_id: int, team_review_id: int
) -> HttpResponse:
    review = reviews.episode_review(episode_id=episode_id, review_id=team_review_id)
    policy.require(policy.can_view_reviews(request.user, review.episode))
    response = HttpResponse(reviews.calendar_file(review), content_type="text/calendar")
    response["Content-Disposition"] = f'attachment; filename="review-{review.pk}.ics"'
    return response


@require_http_methods(["GET", "POST"])
def record_review(
    request: AuthenticatedRequest, episode_id: int, team_review_id: int
) -> HttpResponse:
    review = reviews.episode_review(episode_id=episode_id, review_id=team_review_id)
    episode = review.episode
    policy.require(policy.can_manage_reviews(request.user, episode))
    actions = reviews.current_actions(episode)
    form = RecordReviewForm(
        request.POST if request.method == "POST" else None, episode=episode, actions=actions
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new_actions = []
        if data.get("new_desired_outcome"):
            new_actions.append(
                reviews.NewAction(
                    desired_outcome=data["new_desired_outcome"],
                    description=data["new_description"],
                    due_on=data["new_due_on"],
                    responsible_practitioner=data.get("new_responsible"),
                )
            )
        try:
            reviews.record_review(
                practitioner=request.user,
                review=review,
                held_on=data["held_on"],
                minutes=data["minutes"],
                attended_member_ids=[member.pk for member in data["attended"]],
                other_attendees=data["others"].splitlines(),
                progress={
                    action.pk: (data[f"rag_{action.pk}"], data[f"note_{action.pk}"])
                    for action in actions
                },
                changes=[
                    reviews.ActionChange(action=action, status=data[f"status_{action.pk}"])
                    for action in actions
                    if data.get(f"status_{action.pk}")
                ],
                new_actions=new_actions,
                next_review_due=data.get("next_review_due"),
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The review is recorded.")
            return redirect("casework:team-review", episode_id=episode.pk, team_review_id=review.pk)
    return render(
        request,
        "casework/review_record.html",
        {"episode": episode, "review": review, "form": form},
        status=400 if form.errors else 200,
    )


@require_GET
def overdue_reviews(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_list_overdue_reviews(request.user))
    page = reviews.overdue_reviews(practitioner=request.user, path=request.get_full_path())
    return render(request, "casework/review_overdue.html", {"page": page})
