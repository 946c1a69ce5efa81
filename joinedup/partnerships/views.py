"""Partnership and agency pages (to be completed)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from joinedup.partnerships.models import Agency, Partnership
from joinedup.sharing import policy


def partnership_list(request: HttpRequest) -> HttpResponse:
    return render(request, "partnerships/placeholder.html", {"title": "Partnerships"})


def partnership_detail(request: HttpRequest, partnership_id: int) -> HttpResponse:
    partnership = get_object_or_404(Partnership, pk=partnership_id)
    policy.require(policy.can_view_partnership(request.user, partnership))
    return render(request, "partnerships/placeholder.html", {"title": partnership.name})


def agency_list(request: HttpRequest) -> HttpResponse:
    return render(request, "partnerships/placeholder.html", {"title": "Agencies"})


def agency_detail(request: HttpRequest, agency_id: int) -> HttpResponse:
    agency = get_object_or_404(Agency, pk=agency_id)
    policy.require(policy.can_view_agency(request.user, agency))
    return render(request, "partnerships/placeholder.html", {"title": agency.name})
