"""Assessment pages: thin views that ask the policy module, then call
casework.assessment (services and selectors)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from joinedup.casework import assessment as assessments
from joinedup.casework.assessment_forms import AssessmentForm
from joinedup.casework.models import Assessment, Episode
from joinedup.children.models import Child
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction


@require_POST
def start_assessment(request: AuthenticatedRequest, episode_id: int, child_id: int) -> HttpResponse:
    episode = get_object_or_404(Episode, pk=episode_id)
    policy.require(policy.can_start_assessment(request.user, episode))
    child = get_object_or_404(Child, pk=child_id, episode_links__episode=episode)
    try:
        assessment = assessments.start_assessment(
            practitioner=request.user, episode=episode, child=child
        )
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
        return redirect("casework:episode", episode_id=episode.pk)
    messages.success(request, "The assessment is started. Drafts are saved as you go.")
    return redirect("casework:assessment-edit", assessment_id=assessment.pk)


def _edit_response(
    request: AuthenticatedRequest,
    page: assessments.AssessmentPage,
    form: AssessmentForm,
    status: int = 200,
    conflict: assessments.AssessmentConflict | None = None,
    theirs_vs_yours: assessments.Differences | None = None,
) -> HttpResponse:
    return render(
        request,
        "casework/assessment_edit.html",
        {
            "page": page,
            "assessment": page.assessment,
            "form": form,
            "conflict": conflict,
            "theirs_vs_yours": theirs_vs_yours,
        },
        status=status,
    )


def _conflict_response(
    request: AuthenticatedRequest,
    page: assessments.AssessmentPage,
    form: AssessmentForm,
    conflict: assessments.AssessmentConflict,
) -> HttpResponse:
    """Nothing was saved. The page shows the saved version beside this one, and the form
    keeps this person's changes, now at the saved revision: saving again (after reading
    both) is a deliberate choice, never a silent overwrite."""
    data = request.POST.copy()
    data["revision"] = str(conflict.stored.revision)
    rebound = AssessmentForm(data, elements=page.elements)
    rebound.is_valid()
    changes = assessments.differences(conflict.stored_snapshot, form.snapshot(), page.elements)
    return _edit_response(request, page, rebound, 409, conflict, changes)


@require_http_methods(["GET", "POST"])
def assessment_edit(request: AuthenticatedRequest, assessment_id: int) -> HttpResponse:
    page = assessments.assessment_page(
        practitioner=request.user,
        assessment_id=assessment_id,
        path=request.get_full_path(),
        decide=policy.can_edit_assessment,
        action=AccessAction.VIEWED if request.method == "GET" else AccessAction.CHANGED,
    )
    assessment = page.assessment
    if not assessment.is_draft:
        messages.error(
            request,
            "This assessment has been submitted and is locked: start a revision to change it.",
        )
        return redirect("casework:assessment", assessment_id=assessment.pk)
    if request.method != "POST":
        form = AssessmentForm(
            initial=AssessmentForm.initial_for(assessment, page.elements), elements=page.elements
        )
        return _edit_response(request, page, form)
    form = AssessmentForm(request.POST, elements=page.elements)
    if not form.is_valid():
        return _edit_response(request, page, form, 400)
    submitting = request.POST.get("action") == "submit"
    try:
        saved = assessments.save_draft(
            practitioner=request.user,
            assessment=assessment,
            revision=form.cleaned_data["revision"],
            fields=form.text_fields(),
            answers=form.answers(),
        )
        if submitting:
            assessments.submit_assessment(
                practitioner=request.user, assessment=saved, revision=saved.revision
            )
    except assessments.AssessmentConflict as conflict:
        return _conflict_response(request, page, form, conflict)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
        return redirect("casework:assessment", assessment_id=assessment.pk)
    if submitting:
        messages.success(request, "The assessment is submitted and locked.")
        return redirect("casework:assessment", assessment_id=assessment.pk)
    messages.success(request, f"Draft saved at {timezone.localtime():%H:%M}.")
    return redirect("casework:assessment-edit", assessment_id=assessment.pk)


@require_POST
def assessment_autosave(request: AuthenticatedRequest, assessment_id: int) -> HttpResponse:
    """HTMX autosave: a small status fragment, with the new revision swapped out of band
    into the form's hidden input."""
    page = assessments.assessment_page(
        practitioner=request.user,
        assessment_id=assessment_id,
        path=request.get_full_path(),
        decide=policy.can_edit_assessment,
        action=AccessAction.CHANGED,
    )
    form = AssessmentForm(request.POST, elements=page.elements)
    context: dict[str, Any] = {"assessment": page.assessment}
    if not form.is_valid():
        context["problem"] = "Not saved: reload the page and try again."
    else:
        try:
            saved = assessments.save_draft(
                practitioner=request.user,
                assessment=page.assessment,
                revision=form.cleaned_data["revision"],
                fields=form.text_fields(),
                answers=form.answers(),
            )
        except assessments.AssessmentConflict as conflict:
            context["problem"] = f"Not saved: {conflict}. Select Save draft to see both versions."
        except ValidationError as problem:
            context["problem"] = "Not saved: " + " ".join(problem.messages)
        else:
            context["saved"] = saved
            context["saved_at"] = timezone.localtime(saved.updated_at)
    return render(request, "casework/assessment_autosave.html", context)


@require_GET
def assessment_detail(request: AuthenticatedRequest, assessment_id: int) -> HttpResponse:
    page = assessments.assessment_page(
        practitioner=request.user, assessment_id=assessment_id, path=request.get_full_path()
    )
    assessment = page.assessment
    may_edit = bool(policy.can_edit_assessment(request.user, assessment))
    has_later = Assessment.objects.filter(
        episode_id=assessment.episode_id,
        child_id=assessment.child_id,
        version__gt=assessment.version,
    ).exists()
    return render(
        request,
        "casework/assessment_detail.html",
        {
            "page": page,
            "assessment": assessment,
            "may_edit": may_edit,
            "may_revise": may_edit and not assessment.is_draft and not has_later,
            "may_record_ratings": policy.can_record_outcome_ratings(
                request.user, assessment.episode
            ),
        },
    )


@require_POST
def assessment_revise(request: AuthenticatedRequest, assessment_id: int) -> HttpResponse:
    assessment = get_object_or_404(Assessment.objects.select_related("episode"), pk=assessment_id)
    policy.require(policy.can_edit_assessment(request.user, assessment))
    try:
        new = assessments.revise_assessment(practitioner=request.user, assessment=assessment)
    except ValidationError as problem:
        messages.error(request, " ".join(problem.messages))
        return redirect("casework:assessment", assessment_id=assessment.pk)
    messages.success(request, f"Version {new.version} is a new draft copying the submitted one.")
    return redirect("casework:assessment-edit", assessment_id=new.pk)


@require_GET
def assessment_versions(request: AuthenticatedRequest, assessment_id: int) -> HttpResponse:
    page = assessments.versions_page(
        practitioner=request.user, assessment_id=assessment_id, path=request.get_full_path()
    )
    return render(request, "casework/assessment_versions.html", {"page": page})
