"""Services directory pages. Searching the directory, an entry's page and the printable
directory are public (families use them; they hold no child data), so they are marked
``login_not_required``; everything that changes the directory asks sharing.policy."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from joinedup import pdf
from joinedup.accounts.models import Practitioner
from joinedup.http import AuthenticatedRequest
from joinedup.referrals import directory_csv, selectors, service_queue, services
from joinedup.referrals.forms import (
    DirectorySearchForm,
    FixRejectedRowForm,
    ImportServicesForm,
    PrintDirectoryForm,
    ServiceForm,
    opening_time_formset,
    opening_times_from,
)
from joinedup.referrals.models import (
    LEVEL_OF_NEED_HINTS,
    RejectedServiceRow,
    Service,
    ServiceImport,
    Weekday,
)
from joinedup.sharing import policy


def _csv_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _visible_service(request: HttpRequest, slug: str) -> Service:
    """The entry, or 404 for one that does not exist or that this person may not see (an
    unpublished entry is not admitted to exist)."""
    service = selectors.service_by_slug(slug)
    if service is None or not policy.can_view_service(request.user, service):
        raise Http404("No such service")
    return service


def _maintained_service(request: AuthenticatedRequest, slug: str) -> Service:
    service = _visible_service(request, slug)
    policy.require(
        policy.can_maintain_service(request.user, service),
        "Only the service's own staff and its agency's data managers can change this entry.",
    )
    return service


def _safe_next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=False):
        return target
    return fallback


# Searching the directory (public) -------------------------------------------------------


@login_not_required
@require_GET
def directory(request: HttpRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET or None)
    now = timezone.now()
    query = form.to_query(now=now) if form.is_valid() else selectors.DirectoryQuery()
    page, entries = selectors.directory_page(
        viewer=request.user,
        query=query,
        page_number=request.GET.get("page"),
        page_size=settings.PAGE_SIZE,
        now=now,
    )
    user = request.user
    return render(
        request,
        "referrals/directory.html",
        {
            "form": form,
            "query": query,
            "page": page,
            "entries": entries,
            "can_add": policy.can_add_service(user),
            "can_export": policy.can_export_services(user),
            "can_see_contact": policy.can_see_service_contact_person(user),
            "export_query": request.GET.urlencode(),
        },
    )


@login_not_required
@require_GET
def service_detail(request: HttpRequest, service_slug: str) -> HttpResponse:
    service = _visible_service(request, service_slug)
    now = timezone.now()
    return render(
        request,
        "referrals/service_detail.html",
        {
            "service": service,
            "is_open_now": service.is_open_at(now),
            "is_stale": service.is_stale(),
            "opening_days": _opening_days(service),
            "can_maintain": policy.can_maintain_service(request.user, service),
            "can_see_contact": policy.can_see_service_contact_person(request.user),
            "level_hints": LEVEL_OF_NEED_HINTS,
            # Referrals: practitioners refer a child from the child's record.
            "may_refer_children": policy.can_search_children(request.user),
        },
    )


def _opening_days(service: Service) -> list[tuple[str, list[Any]]]:
    days: dict[int, list[Any]] = {}
    for slot in service.opening_times.all():
        days.setdefault(slot.weekday, []).append(slot)
    return [(Weekday(day).label, slots) for day, slots in sorted(days.items())]


# The printable directory (public) -------------------------------------------------------


def _printable(request: HttpRequest) -> tuple[PrintDirectoryForm, dict[str, Any]]:
    form = PrintDirectoryForm(request.GET or None)
    district, need_codes, prepared_for = "", [], ""
    if form.is_valid():
        district = form.cleaned_data["area"]
        need_codes = form.cleaned_data["need"]
        prepared_for = form.cleaned_data["prepared_for"].strip()
    needs = [need for need in selectors.needs() if need.code in need_codes]
    return form, {
        "services": selectors.printable_services(
            viewer=request.user, district=district, need_codes=need_codes
        ),
        "district": district,
        "chosen_needs": needs,
        "prepared_for": prepared_for,
        "printed_on": timezone.localdate(),
        "can_see_contact": policy.can_see_service_contact_person(request.user),
        "query_string": request.GET.urlencode(),
    }


@login_not_required
@require_GET
def print_directory(request: HttpRequest) -> HttpResponse:
    form, context = _printable(request)
    return render(request, "referrals/print_directory.html", {"form": form, **context})


@login_not_required
@require_GET
def print_directory_pdf(request: HttpRequest) -> HttpResponse:
    form, context = _printable(request)
    print_url = reverse("referrals:print") + (
        f"?{context['query_string']}" if context["query_string"] else ""
    )
    if form.is_bound and not form.is_valid():
        return redirect(print_url)
    html = render_to_string("referrals/directory_pdf.html", context, request=request)
    try:
        content = pdf.pdf_bytes(html)
    except pdf.PdfUnavailable as problem:
        return render(
            request,
            "referrals/pdf_unavailable.html",
            {"print_url": print_url, "packages": pdf.PANGO_PACKAGES, "problem": str(problem)},
            status=503,
        )
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = 'attachment; filename="services-directory.pdf"'
    return response


# Export and import ----------------------------------------------------------------------


@require_GET
def export_csv(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_export_services(request.user))
    form = DirectorySearchForm(request.GET or None)
    query = form.to_query(now=timezone.now()) if form.is_valid() else selectors.DirectoryQuery()
    services_list = selectors.all_services_for_export(viewer=request.user, query=query)
    return _csv_response(directory_csv.services_csv(services_list), "services-directory.csv")


@require_http_methods(["GET", "POST"])
def import_services(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(
        policy.can_import_services(request.user),
        "Only data managers and partnership coordinators can import directory entries.",
    )
    form = ImportServicesForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            record = services.import_services(
                content=upload.read(), filename=upload.name or "", imported_by=request.user
            )
        except services.ImportRefused as refused:
            form.add_error("file", refused.message)
        else:
            messages.success(
                request,
                f"{record.rows_created} entries added and {record.rows_updated} updated; "
                f"{record.rows_rejected} rows need correcting.",
            )
            return redirect("referrals:import-result", service_import_id=record.pk)
    return render(
        request,
        "referrals/import.html",
        {
            "form": form,
            "columns": directory_csv.COLUMNS,
            "agencies": selectors.agencies_managed_by(request.user),
            "needs": selectors.needs(),
            "recent_imports": ServiceImport.objects.filter(imported_by=request.user)[:5],
        },
    )


def _service_import(request: AuthenticatedRequest, service_import_id: int) -> ServiceImport:
    record = selectors.service_import(service_import_id)
    if record is None:
        raise Http404("No such import")
    policy.require(
        policy.can_view_service_import(request.user, record),
        "Only the person who imported the file can see its rejected rows.",
    )
    return record


@require_GET
def import_result(request: AuthenticatedRequest, service_import_id: int) -> HttpResponse:
    record = _service_import(request, service_import_id)
    return render(
        request,
        "referrals/import_result.html",
        {"record": record, "rejected": list(selectors.open_rejected_rows(record))},
    )


@require_GET
def import_rejects_csv(request: AuthenticatedRequest, service_import_id: int) -> HttpResponse:
    record = _service_import(request, service_import_id)
    content = directory_csv.rejected_rows_csv(
        list(record.columns), selectors.open_rejected_rows(record)
    )
    return _csv_response(content, f"rejected-rows-{record.pk}.csv")


@require_http_methods(["GET", "POST"])
def fix_rejected_row(
    request: AuthenticatedRequest, service_import_id: int, rejected_service_row_id: int
) -> HttpResponse:
    record = _service_import(request, service_import_id)
    row = RejectedServiceRow.objects.filter(
        service_import=record, pk=rejected_service_row_id, resolved_at__isnull=True
    ).first()
    if row is None:
        raise Http404("No such rejected row")
    columns = list(record.columns)
    # Bound to the row as received (or as corrected), so its problems show beside the cells.
    data = request.POST if request.method == "POST" else row.values
    form = FixRejectedRowForm(data, columns=columns, values=row.values)
    problems = row.problems
    if form.is_valid() and request.method == "POST":
        try:
            service, found = services.retry_rejected_row(
                row=row, values=form.values(), retried_by=request.user
            )
        except ValidationError as problem:
            form.add_error(None, problem)
            found = []
        else:
            if service is not None:
                messages.success(request, f"Line {row.line_number} was imported: {service.name}.")
                return redirect("referrals:import-result", service_import_id=record.pk)
        problems = [p.as_dict() for p in found]
    for p in problems:
        form.add_error(p["column"] if p["column"] in form.fields else None, p["reason"])
    return render(
        request,
        "referrals/fix_rejected_row.html",
        {"record": record, "row": row, "form": form, "problems": problems},
    )


# Maintaining entries ----------------------------------------------------------------------


def _maintainer_choices(agency_id: int | None, service: Service | None) -> Any:
    people = Practitioner.objects.filter(is_active=True, home_agency_id=agency_id)
    if service is not None and service.pk:
        people = people | Practitioner.objects.filter(maintained_services=service)
    return people.distinct().order_by("last_name", "first_name")


@require_http_methods(["GET", "POST"])
def service_create(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(
        policy.can_add_service(request.user),
        "Only data managers and partnership coordinators can add directory entries.",
    )
    agencies = selectors.agencies_managed_by(request.user)
    chosen = request.POST.get("agency") or request.GET.get("agency")
    agency_id = int(chosen) if chosen and chosen.isdigit() else None
    if agency_id is None or not agencies.filter(pk=agency_id).exists():
        first = agencies.first()
        agency_id = first.pk if first else None
    form = ServiceForm(
        request.POST or None,
        agencies=agencies,
        maintainer_choices=_maintainer_choices(agency_id, None),
        initial={"agency": agency_id},
    )
    formset = opening_time_formset(request.POST or None, None)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            service = services.create_service(
                agency=form.cleaned_data["agency"],
                details=form.details(opening_times_from(formset)),
                created_by=request.user,
            )
        except ValidationError as problem:
            _add_service_errors(form, problem)
        else:
            messages.success(request, f"{service.name} has been added to the directory.")
            return redirect("referrals:service", service_slug=service.slug)
    return render(
        request,
        "referrals/service_form.html",
        {"form": form, "formset": formset, "service": None},
    )


@require_http_methods(["GET", "POST"])
def service_edit(request: AuthenticatedRequest, service_slug: str) -> HttpResponse:
    service = _maintained_service(request, service_slug)
    form = ServiceForm(
        request.POST or None,
        instance=service,
        maintainer_choices=_maintainer_choices(service.agency_id, service),
    )
    formset = opening_time_formset(request.POST or None, service)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            updated = services.update_service(
                service=service,
                details=form.details(opening_times_from(formset)),
                updated_by=request.user,
                details_confirmed=bool(form.cleaned_data.get("details_confirmed")),
            )
        except ValidationError as problem:
            _add_service_errors(form, problem)
        else:
            messages.success(request, f"The entry for {updated.name} has been saved.")
            return redirect("referrals:service", service_slug=updated.slug)
    return render(
        request,
        "referrals/service_form.html",
        {"form": form, "formset": formset, "service": service},
    )


def _add_service_errors(form: ServiceForm, problem: ValidationError) -> None:
    if not hasattr(problem, "error_dict"):
        form.add_error(None, problem)
        return
    for name, errors in problem.error_dict.items():
        target = {"serves_all_districts": "districts", "opening_times": None}.get(name, name)
        form.add_error(target if target in form.fields else None, errors)


@require_POST
def confirm_checked(request: AuthenticatedRequest, service_slug: str) -> HttpResponse:
    service = _maintained_service(request, service_slug)
    services.confirm_service_checked(service=service, checked_by=request.user)
    messages.success(
        request, f"Thank you: the entry for {service.name} is recorded as checked today."
    )
    return redirect(_safe_next(request, reverse("referrals:my-services")))


@require_GET
def my_services(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_list_my_services(request.user))
    today = timezone.localdate()
    # Each service the person is staff of links to its referrals, with the new ones counted.
    maintained = list(
        service_queue.with_new_referral_counts(
            selectors.services_maintained_by(request.user), request.user
        )
    )
    stale = [service for service in maintained if service.is_stale(today)]
    return render(
        request,
        "referrals/my_services.html",
        {
            "services": maintained,
            "stale_ids": {service.pk for service in stale},
            "stale_count": len(stale),
            "stale_after_days": settings.DIRECTORY_STALE_AFTER_DAYS,
            "can_add": policy.can_add_service(request.user),
            "can_import": policy.can_import_services(request.user),
        },
    )
