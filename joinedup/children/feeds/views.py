"""Agency feed pages: thin views that ask the policy module, then call selectors/services."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRefresh

from joinedup.children.feeds import exports, importing, selectors, services
from joinedup.children.feeds.format import FIELDS, REJECTS_COLUMNS
from joinedup.children.feeds.forms import DealtWithForm, FeedMappingForm, UploadFeedForm
from joinedup.children.feeds.reading import max_bytes
from joinedup.http import AuthenticatedRequest
from joinedup.partnerships.models import Agency
from joinedup.sharing import policy

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def feed_list(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_use_feeds(request.user), "Only data managers send agency feeds.")
    from django.core.paginator import Paginator

    page = Paginator(selectors.feeds_of(request.user), settings.PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "children/feeds/feed_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def upload(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_use_feeds(request.user), "Only data managers send agency feeds.")
    agencies = Agency.objects.filter(policy.feed_agencies_filter(request.user))
    form = UploadFeedForm(request.POST or None, request.FILES or None, agencies=agencies)
    if request.method == "POST" and form.is_valid():
        upload_file = form.cleaned_data["file"]
        feed = services.submit_feed(
            agency=form.cleaned_data["agency"],
            file=upload_file,
            filename=upload_file.name,
            submitted_by=request.user,
        )
        return redirect("children:feeds:detail", feed_id=feed.pk)
    return render(
        request,
        "children/feeds/upload.html",
        {"form": form, "agencies": agencies, "max_bytes": max_bytes()},
    )


@require_GET
def detail(request: AuthenticatedRequest, feed_id: int) -> HttpResponse:
    result = selectors.feed_result(
        practitioner=request.user,
        feed_id=feed_id,
        page_number=request.GET.get("page"),
        path=request.get_full_path(),
        page_size=settings.PAGE_SIZE,
    )
    return render(request, "children/feeds/detail.html", {"result": result, "feed": result.feed})


@require_GET
def progress(request: AuthenticatedRequest, feed_id: int) -> HttpResponse:
    feed = selectors.feed_for(practitioner=request.user, feed_id=feed_id)
    if feed.is_finished and getattr(request, "htmx", False):
        return HttpResponseClientRefresh()
    return render(request, "children/feeds/progress.html", {"feed": feed})


@require_GET
def rejects(request: AuthenticatedRequest, feed_id: int) -> HttpResponse:
    feed, rows = selectors.open_rejects_of(practitioner=request.user, feed_id=feed_id)
    stem = feed.filename.rsplit(".", 1)[0] or "feed"
    return _download(exports.rejects_csv(feed, rows), CSV_TYPE, f"{stem}-rejects-{feed.pk}.csv")


@require_http_methods(["GET", "POST"])
def deal_with_reject(request: AuthenticatedRequest, reject_id: int) -> HttpResponse:
    reject = selectors.reject_for(practitioner=request.user, reject_id=reject_id)
    result_url = reverse("children:feeds:detail", args=[reject.feed_id])
    form = DealtWithForm(request.POST or None)
    if request.method == "POST" and reject.resolved_at is None and form.is_valid():
        try:
            services.mark_reject_dealt_with(
                reject=reject, by=request.user, reason=form.cleaned_data["reason"]
            )
        except services.AlreadyResolved:
            messages.info(request, f"Line {reject.line_number} had already been dealt with.")
        else:
            messages.success(
                request,
                f"Line {reject.line_number} is marked as dealt with: it is no longer in the "
                "rejects file.",
            )
        return redirect(result_url)
    return render(
        request,
        "children/feeds/deal_with_reject.html",
        {"form": form, "reject": reject, "feed": reject.feed, "result_url": result_url},
    )


@require_http_methods(["GET", "POST"])
def mapping(request: AuthenticatedRequest, agency_id: int) -> HttpResponse:
    agency = get_object_or_404(Agency, pk=agency_id)
    policy.require(
        policy.can_manage_feed_mapping(request.user, agency),
        "Only the agency's data managers can change its column mapping.",
    )
    current = importing.agency_mapping(agency=agency)
    form = FeedMappingForm(request.POST or None, mapping=current)
    if request.method == "POST" and form.is_valid():
        services.save_feed_mapping(agency=agency, mapping=form.mapping(), changed_by=request.user)
        messages.success(request, f"The column mapping for {agency.name} has been saved.")
        return redirect("children:feeds:index")
    return render(request, "children/feeds/mapping.html", {"form": form, "agency": agency})


@require_GET
def format_page(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_read_feed_format(request.user))
    groups: dict[str, list] = {}
    for spec in FIELDS:
        groups.setdefault(spec.group, []).append(spec)
    return render(
        request,
        "children/feeds/format.html",
        {"groups": groups, "max_bytes": max_bytes(), "rejects_columns": REJECTS_COLUMNS},
    )


@require_GET
def template_csv(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_read_feed_format(request.user))
    return _download(exports.template_csv(), CSV_TYPE, "joined-up-feed-template.csv")


@require_GET
def template_xlsx(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_read_feed_format(request.user))
    return _download(exports.template_xlsx(), XLSX_TYPE, "joined-up-feed-template.xlsx")
