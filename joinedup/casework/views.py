"""Casework pages: thin views that ask the policy module, then call selectors/services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from joinedup.casework import closure, escalation, outcome_ratings, reviews, selectors, services
from joinedup.casework.assessment import latest_assessments
from joinedup.casework.forms import (
    ConsentForm,
    LeadProfessionalForm,
    OpenEpisodeForm,
    PreAssessmentCheckForm,
    TeamMemberForm,
    WithdrawConsentForm,
)
from joinedup.casework.models import Episode, TeamMember
from joinedup.children.models import Child
from joinedup.forms import add_errors
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy
from joinedup.sharing.models import Consent


@require_http_methods(["GET", "POST"])
def open_episode(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    """Open an early-help episode from the child's page — unless one is open or recent, in
    which case the page says who the lead professional is instead (duplicate guard)."""
    child = get_object_or_404(Child, pk=child_id)
    policy.require(policy.can_open_episode(request.user, child))
    existing = selectors.existing_episode(child)
    siblings = (
        Child.objects.filter(policy.visible_children_filter(request.user))
        .exclude(pk=child.pk)
        .order_by("family_name", "given_name")
    )
    form = OpenEpisodeForm(request.POST if request.method == "POST" else None, siblings=siblings)
    if existing is None and request.method == "POST" and form.is_valid():
        children = [child, *form.cleaned_data.get("siblings", [])]
        for each in children:
            policy.require(policy.can_open_episode(request.user, each))
        try:
            episode = services.open_episode(practitioner=request.user, children=children)
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The early help episode is open.")
            return redirect("casework:episode", episode_id=episode.pk)
    return render(
        request,
        "casework/open_episode.html",
        {
            "child": child,
            "form": form,
            "existing": existing,
            "contact": selectors.lead_contact(existing) if existing else "",
        },
    )


def _episode_response(
    request: AuthenticatedRequest, episode_id: int, status: int = 200, **forms_: Any
) -> HttpResponse:
    page = selectors.episode_page(
        practitioner=request.user, episode_id=episode_id, path=request.get_full_path()
    )
    episode = page.episode
    latest = latest_assessments(episode)
    may_start = policy.can_start_assessment(request.user, episode)
    context: dict[str, Any] = {
        "page": page,
        "episode": episode,
        "assessments": [
            {"child": child, "assessment": latest.get(child.pk), "may_start": may_start}
            for child in page.children
        ],
        "may_manage": policy.can_manage_team(request.user, episode),
        "may_consent": policy.can_record_consent_for_episode(request.user, episode),
        "check_form": PreAssessmentCheckForm(),
        "consent_form": ConsentForm(),
        "member_form": TeamMemberForm(),
        "lead_form": LeadProfessionalForm(episode=episode),
        "reviews": reviews.episode_reviews(request.user, episode),
        "outcomes_section": outcome_ratings.episode_outcomes(request.user, episode, page.children),
        "closure_section": closure.episode_closure(request.user, episode),
        "escalation": escalation.episode_escalation(request.user, episode),
    }
    failed_withdrawal = forms_.pop("withdraw_form", None)
    context["consent_rows"] = [
        (
            consent,
            failed_withdrawal
            if failed_withdrawal is not None and forms_.get("withdraw_consent_id") == consent.pk
            else WithdrawConsentForm(auto_id=withdraw_form_ids(consent)),
        )
        for consent in page.current_consents
    ]
    context.update(forms_)
    return render(request, "casework/episode_detail.html", context, status=status)


def withdraw_form_ids(consent: Consent) -> str:
    """Each consent row has its own withdrawal form: distinct ids keep labels and error
    links tied to the right box."""
    return f"withdraw-{consent.pk}-%s"


@require_GET
def episode_detail(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    return _episode_response(request, episode_id)


def _episode_for(request: AuthenticatedRequest, episode_id: int, decision: Any) -> Episode:
    episode = get_object_or_404(Episode, pk=episode_id)
    policy.require(decision(request.user, episode))
    return episode


@require_POST
def record_check(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    episode = _episode_for(request, episode_id, policy.can_manage_team)
    form = PreAssessmentCheckForm(request.POST)
    if form.is_valid():
        services.record_pre_assessment_check(
            practitioner=request.user,
            episode=episode,
            needs_more_than_universal=form.cleaned_data["needs_more_than_universal"],
            notes=form.cleaned_data["notes"],
        )
        messages.success(request, "The check before assessing is recorded.")
        return redirect("casework:episode", episode_id=episode.pk)
    return _episode_response(request, episode.pk, 400, check_form=form)


@require_POST
def record_consent(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    episode = _episode_for(request, episode_id, policy.can_record_consent_for_episode)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.record_consent(practitioner=request.user, episode=episode, **form.cleaned_data)
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "Consent is recorded.")
            return redirect("casework:episode", episode_id=episode.pk)
    return _episode_response(request, episode.pk, 400, consent_form=form)


@require_POST
def withdraw_consent(
    request: AuthenticatedRequest, episode_id: int, consent_id: int
) -> HttpResponse:
    episode = _episode_for(request, episode_id, policy.can_record_consent_for_episode)
    consent = get_object_or_404(Consent, pk=consent_id, episode=episode)
    form = WithdrawConsentForm(request.POST, auto_id=withdraw_form_ids(consent))
    if form.is_valid():
        try:
            services.withdraw_consent(
                practitioner=request.user, consent=consent, reason=form.cleaned_data["reason"]
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(
                request, "The withdrawal of consent is recorded and takes effect today."
            )
            return redirect("casework:episode", episode_id=episode.pk)
    return _episode_response(
        request, episode.pk, 400, withdraw_form=form, withdraw_consent_id=consent.pk
    )


@require_POST
def add_team_member(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    episode = _episode_for(request, episode_id, policy.can_manage_team)
    form = TeamMemberForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_team_member(
                added_by=request.user,
                episode=episode,
                role=data["role"],
                practitioner=data.get("practitioner") if data["kind"] == "practitioner" else None,
                participant_name=data["participant_name"] if data["kind"] == "family" else "",
                participant_relationship=data["participant_relationship"],
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The team member is added.")
            return redirect("casework:episode", episode_id=episode.pk)
    return _episode_response(request, episode.pk, 400, member_form=form)


@require_POST
def leave_team(request: AuthenticatedRequest, episode_id: int, member_id: int) -> HttpResponse:
    episode = _episode_for(request, episode_id, policy.can_manage_team)
    member = get_object_or_404(TeamMember, pk=member_id, episode=episode)
    try:
        services.leave_team(practitioner=request.user, member=member)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
    else:
        messages.success(request, f"{member.name} has left the team.")
    return redirect("casework:episode", episode_id=episode.pk)


@require_POST
def choose_lead(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    episode = _episode_for(request, episode_id, policy.can_manage_team)
    form = LeadProfessionalForm(request.POST, episode=episode)
    if form.is_valid():
        try:
            services.choose_lead_professional(
                recorded_by=request.user,
                episode=episode,
                practitioner=form.cleaned_data["practitioner"],
                family_agreement_recorded=form.cleaned_data["family_agreement_recorded"],
                family_agreed_by=form.cleaned_data["family_agreed_by"],
                notes=form.cleaned_data["notes"],
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, "The lead professional is recorded.")
            return redirect("casework:episode", episode_id=episode.pk)
    return _episode_response(request, episode.pk, 400, lead_form=form)
