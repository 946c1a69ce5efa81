"""Referral report pages and their CSV files, for a service and for a partnership (thin
views over referrals.reports and referrals.charts; who may read them is decided in
sharing.policy). Reports hold counts and times only, so no access record is written."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from joinedup.http import AuthenticatedRequest
from joinedup.partnerships.models import Partnership
from joinedup.referrals import charts, reports
from joinedup.referrals.models import Service
from joinedup.sharing import policy


def _reported_service(request: AuthenticatedRequest, service_slug: str) -> Service:
    """The service, or 404 for one that does not exist or that this person may not see (an
    unpublished entry is not admitted to exist); 403 unless they may read its reports."""
    service = Service.objects.select_related("agency").filter(slug=service_slug).first()
    if service is None or not policy.can_view_service(request.user, service):
        raise Http404("No such service")
    policy.require(
        policy.can_view_service_referral_reports(request.user, service),
        "Only the service's own staff and the people who keep its entry up to date can see "
        "its referral reports.",
    )
    return service


def _reported_partnership(request: AuthenticatedRequest, partnership_id: int) -> Partnership:
    partnership = get_object_or_404(Partnership, pk=partnership_id)
    policy.require(
        policy.can_view_partnership_referral_reports(request.user, partnership),
        "Only the partnership's coordinators can see its referral reports.",
    )
    return partnership


def _months(request: HttpRequest) -> int:
    return reports.report_months(request.GET.get("months"))


def _page(request: HttpRequest, report: reports.ReferralReport, **context: Any) -> HttpResponse:
    return render(
        request,
        "referrals/report.html",
        {
            "report": report,
            "volume_chart": charts.volume_chart(report),
            "times_chart": charts.times_chart(report),
            "periods": reports.PERIODS,
            **context,
        },
    )


def _csv(report: reports.ReferralReport, filename: str) -> HttpResponse:
    response = HttpResponse(reports.report_csv(report), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_GET
def service_report(request: AuthenticatedRequest, service_slug: str) -> HttpResponse:
    service = _reported_service(request, service_slug)
    report = reports.service_report(service, months=_months(request))
    return _page(
        request,
        report,
        service=service,
        csv_url=reverse("referrals:service-report-csv", args=[service.slug]),
    )


@require_GET
def service_report_csv(request: AuthenticatedRequest, service_slug: str) -> HttpResponse:
    service = _reported_service(request, service_slug)
    report = reports.service_report(service, months=_months(request))
    return _csv(report, f"referrals-{service.slug}-{report.months}-months.csv")


@require_GET
def partnership_report(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _reported_partnership(request, partnership_id)
    report = reports.partnership_report(partnership, months=_months(request))
    return _page(
        request,
        report,
        partnership=partnership,
        csv_url=reverse("referrals:partnership-report-csv", args=[partnership.pk]),
    )


@require_GET
def partnership_report_csv(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = _reported_partnership(request, partnership_id)
    report = reports.partnership_report(partnership, months=_months(request))
    return _csv(report, f"referrals-partnership-{partnership.pk}-{report.months}-months.csv")
