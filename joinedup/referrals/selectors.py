"""Reads of the services directory: search and filters, one entry, the entries a person
maintains and the stale ones. Which entries a person sees is the policy's business
(``policy.visible_services_filter``); these functions only narrow and load."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from joinedup.partnerships.models import Agency
from joinedup.referrals.models import (
    Need,
    RejectedServiceRow,
    Service,
    ServiceArea,
    ServiceImport,
    ServiceLevelOfNeed,
    ServiceOffer,
    ServiceOpeningTime,
    stale_before,
)
from joinedup.sharing import policy

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from joinedup.accounts.models import Practitioner

    Viewer = Practitioner | AnonymousUser

# Everything a directory card or entry page shows, in a fixed number of queries.
ENTRY_PREFETCH = ("needs", "offer_rows", "level_rows", "areas", "opening_times")


@dataclass(frozen=True)
class DirectoryQuery:
    """What a directory search asks for. Built by ``DirectorySearchForm.to_query`` or
    directly (tests pass ``open_at`` rather than patching the clock)."""

    text: str = ""
    needs: tuple[str, ...] = ()  # need codes: services addressing any of them
    age: int | None = None  # a child's age in years
    district: str = ""  # a postcode district, such as AW1
    open_at: datetime | None = None  # open at this moment (UK time)
    offers: tuple[str, ...] = ()
    levels: tuple[str, ...] = ()
    exclude_full: bool = False

    @property
    def is_filtered(self) -> bool:
        return bool(
            self.text
            or self.needs
            or self.age is not None
            or self.district
            or self.open_at
            or self.offers
            or self.levels
            or self.exclude_full
        )


@dataclass(frozen=True)
class DirectoryEntry:
    """A service as a result card shows it."""

    service: Service
    is_open_now: bool
    is_stale: bool


def needs() -> QuerySet[Need]:
    return Need.objects.all()


def open_at_q(moment: datetime) -> Q:
    """A filter on Service: open at this moment, in UK time. The single-service twin is
    ``Service.is_open_at``: keep the two in step."""
    local = timezone.localtime(moment)
    now = local.time()
    slots = ServiceOpeningTime.objects.filter(
        service=OuterRef("pk"), weekday=local.weekday(), opens__lte=now, closes__gt=now
    )
    return Q(Exists(slots))


def serves_district_q(district: str) -> Q:
    covered = ServiceArea.objects.filter(service=OuterRef("pk"), district=district)
    return Q(serves_all_districts=True) | Q(Exists(covered))


def _text_q(text: str) -> Q:
    """Every word must appear in the name, description or agency name."""
    condition = Q()
    for word in text.split():
        condition &= (
            Q(name__icontains=word)
            | Q(description__icontains=word)
            | Q(agency__name__icontains=word)
        )
    return condition


def directory_services(*, viewer: Viewer, query: DirectoryQuery) -> QuerySet[Service]:
    """The entries this viewer sees that match the query, with what a card shows."""
    services = Service.objects.filter(policy.visible_services_filter(viewer))
    if query.text:
        services = services.filter(_text_q(query.text))
    if query.needs:
        addressed = Service.needs.through.objects.filter(
            service_id=OuterRef("pk"), need__code__in=query.needs
        )
        services = services.filter(Exists(addressed))
    if query.age is not None:
        services = services.filter(age_from__lte=query.age, age_to__gte=query.age)
    if query.district:
        services = services.filter(serves_district_q(query.district))
    if query.open_at is not None:
        services = services.filter(open_at_q(query.open_at))
    if query.offers:
        offered = ServiceOffer.objects.filter(service=OuterRef("pk"), offer__in=query.offers)
        services = services.filter(Exists(offered))
    if query.levels:
        levels = ServiceLevelOfNeed.objects.filter(service=OuterRef("pk"), level__in=query.levels)
        services = services.filter(Exists(levels))
    if query.exclude_full:
        services = services.exclude(capacity="full")
    return (
        services.select_related("agency").prefetch_related(*ENTRY_PREFETCH).order_by("name", "pk")
    )


def directory_page(
    *,
    viewer: Viewer,
    query: DirectoryQuery,
    page_number: Any,
    page_size: int,
    now: datetime | None = None,
    today: date | None = None,
) -> tuple[Page[Service], list[DirectoryEntry]]:
    """One page of results, and each result's card (open now, stale)."""
    page = Paginator(directory_services(viewer=viewer, query=query), page_size).get_page(
        page_number
    )
    return page, entries_for(page.object_list, now=now, today=today)


def entries_for(
    services: Iterable[Service], *, now: datetime | None = None, today: date | None = None
) -> list[DirectoryEntry]:
    now = now or timezone.now()
    today = today or timezone.localdate()
    return [
        DirectoryEntry(service, service.is_open_at(now), service.is_stale(today))
        for service in services
    ]


def service_by_slug(slug: str) -> Service | None:
    """One entry with everything its page shows (whether the viewer may see it is the
    policy's question: ``can_view_service``)."""
    return (
        Service.objects.select_related("agency", "checked_by", "updated_by")
        .prefetch_related(*ENTRY_PREFETCH, "maintainers")
        .filter(slug=slug)
        .first()
    )


def printable_services(
    *, viewer: Viewer, district: str, need_codes: Iterable[str]
) -> list[Service]:
    """The published entries for a printed directory (a school's or children's centre's
    own copy): every matching entry, in name order, no paging."""
    query = DirectoryQuery(district=district, needs=tuple(need_codes))
    return list(directory_services(viewer=viewer, query=query).filter(is_published=True))


def services_maintained_by(practitioner: Practitioner) -> QuerySet[Service]:
    """The entries a practitioner may change ("My services"), stalest first."""
    return (
        Service.objects.filter(policy.maintained_services_filter(practitioner))
        .select_related("agency", "checked_by")
        .order_by("last_checked_on", "name", "pk")
    )


def stale_services_for(practitioner: Practitioner, today: date | None = None) -> QuerySet[Service]:
    return services_maintained_by(practitioner).filter(last_checked_on__lt=stale_before(today))


def stale_services_by_owner(today: date | None = None) -> dict[Practitioner, list[Service]]:
    """Who is told about which stale entries: an entry's maintainers (active accounts); an
    entry with none is its agency's data managers' to check. Three queries."""
    from joinedup.accounts.models import Practitioner

    stale = list(
        Service.objects.filter(last_checked_on__lt=stale_before(today))
        .select_related("agency")
        .prefetch_related("maintainers")
        .order_by("last_checked_on", "name", "pk")
    )
    agencies = {service.agency_id for service in stale}
    data_managers: dict[int, list[Practitioner]] = defaultdict(list)
    for person in Practitioner.objects.filter(
        is_active=True, is_data_manager=True, home_agency_id__in=agencies
    ).order_by("pk"):
        data_managers[int(person.home_agency_id or 0)].append(person)
    owners: dict[Practitioner, list[Service]] = defaultdict(list)
    for service in stale:
        maintainers = [person for person in service.maintainers.all() if person.is_active]
        for person in maintainers or data_managers.get(service.agency_id, []):
            owners[person].append(service)
    return dict(owners)


def agencies_managed_by(practitioner: Practitioner) -> QuerySet[Agency]:
    """The agencies whose entries this practitioner adds and imports."""
    return Agency.objects.filter(policy.service_agencies_filter(practitioner)).order_by("name")


def all_services_for_export(*, viewer: Viewer, query: DirectoryQuery) -> QuerySet[Service]:
    return directory_services(viewer=viewer, query=query).prefetch_related("maintainers")


def service_import(service_import_id: int) -> ServiceImport | None:
    return ServiceImport.objects.select_related("imported_by").filter(pk=service_import_id).first()


def open_rejected_rows(service_import: ServiceImport) -> QuerySet[RejectedServiceRow]:
    return service_import.rejected_rows.filter(resolved_at__isnull=True).order_by("line_number")
