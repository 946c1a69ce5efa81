"""Paper copies of the assessment and the plan: a print page and a PDF download. Thin
views over casework.paper; access through policy.can_print_assessment / can_print_plan."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from joinedup import pdf
from joinedup.casework import paper
from joinedup.casework.models import Assessment, Episode
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy


def _private(response: HttpResponse) -> HttpResponse:
    """A copy of a child's record must not be kept by browsers or proxies."""
    add_never_cache_headers(response)
    return response


def _pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return _private(response)


def _unavailable(
    request: AuthenticatedRequest, problem: pdf.PdfUnavailable, print_url: str
) -> HttpResponse:
    """503: this server cannot make PDFs (no Pango); the print page still works."""
    return _private(
        render(
            request,
            "casework/paper_unavailable.html",
            {
                "print_url": print_url,
                "packages": pdf.PANGO_PACKAGES,
                "problem": str(problem),
            },
            status=503,
        )
    )


def _assessment_links(assessment_id: int) -> dict[str, str]:
    return {
        "pdf": reverse("casework:assessment-pdf", kwargs={"assessment_id": assessment_id}),
        "back": reverse("casework:assessment", kwargs={"assessment_id": assessment_id}),
        "back_text": "Back to the assessment",
    }


def _plan_links(episode_id: int) -> dict[str, str]:
    return {
        "pdf": reverse("casework:plan-pdf", kwargs={"episode_id": episode_id}),
        "back": reverse("casework:plan", kwargs={"episode_id": episode_id}),
        "back_text": "Back to the plan",
    }


@require_GET
def assessment_print(request: AuthenticatedRequest, assessment_id: int) -> HttpResponse:
    copy = paper.assessment_paper(
        practitioner=request.user,
        assessment_id=assessment_id,
        path=request.get_full_path(),
        what="Early help assessment: print copy",
    )
    html = paper.assessment_html(copy, for_pdf=False, links=_assessment_links(assessment_id))
    return _private(HttpResponse(html))


@require_GET
def assessment_pdf(request: AuthenticatedRequest, assessment_id: int) -> HttpResponse:
    assessment = get_object_or_404(Assessment.objects.select_related("episode"), pk=assessment_id)
    policy.require(policy.can_print_assessment(request.user, assessment))
    try:
        pdf.load_weasyprint()
    except pdf.PdfUnavailable as problem:
        print_url = reverse("casework:assessment-print", kwargs={"assessment_id": assessment_id})
        return _unavailable(request, problem, print_url)
    copy = paper.assessment_paper(
        practitioner=request.user,
        assessment_id=assessment_id,
        path=request.get_full_path(),
        what="Early help assessment: PDF copy",
    )
    html = paper.assessment_html(copy, for_pdf=True, links=_assessment_links(assessment_id))
    return _pdf_response(pdf.pdf_bytes(html), copy.filename)


@require_GET
def plan_print(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    copy = paper.plan_paper(
        practitioner=request.user,
        episode_id=episode_id,
        path=request.get_full_path(),
        what="Early help plan: print copy",
    )
    html = paper.plan_html(copy, for_pdf=False, links=_plan_links(episode_id))
    return _private(HttpResponse(html))


@require_GET
def plan_pdf(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    episode = get_object_or_404(Episode, pk=episode_id)
    policy.require(policy.can_print_plan(request.user, episode))
    try:
        pdf.load_weasyprint()
    except pdf.PdfUnavailable as problem:
        print_url = reverse("casework:plan-print", kwargs={"episode_id": episode_id})
        return _unavailable(request, problem, print_url)
    copy = paper.plan_paper(
        practitioner=request.user,
        episode_id=episode_id,
        path=request.get_full_path(),
        what="Early help plan: PDF copy",
    )
    html = paper.plan_html(copy, for_pdf=True, links=_plan_links(episode_id))
    return _pdf_response(pdf.pdf_bytes(html), copy.filename)
