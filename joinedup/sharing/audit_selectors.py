"""Audit viewers (issue 6): who viewed or changed what about a child, when and why; a
practitioner's own access history; a data protection lead's view of one member's access
and searches, and of the anomaly flags of their partnerships' members.

Access is decided by policy (can_view_child_audit, can_view_own_access_history,
can_view_practitioner_audit, can_review_access_anomalies). Reading a child's audit is a
read of the child's record, and a member's audit names children, so both write access
records in the same transaction. A practitioner's own history writes none: it shows them
only what they themselves opened, and recording each look at it would fill the audit with
records of reading the audit."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from joinedup.accounts.models import Practitioner
from joinedup.children.models import Child
from joinedup.sharing import anomalies, audit, policy
from joinedup.sharing.models import AccessAction, AccessRecord, SearchRecord

if TYPE_CHECKING:
    from joinedup.sharing.anomalies import AnomalyFlag

AUDIT_PAGE_SIZE = 50
SHOW_ACCESS = "access"
SHOW_SEARCHES = "searches"


@dataclass(frozen=True)
class AuditFilters:
    practitioner_id: int | None = None
    from_date: datetime.date | None = None
    to_date: datetime.date | None = None


@dataclass(frozen=True)
class ChildAudit:
    child: Child
    records: Page
    practitioners: list[Practitioner]


@dataclass(frozen=True)
class AccessHistory:
    practitioner: Practitioner
    show: str
    page: Page
    flags: list[AnomalyFlag]


@dataclass(frozen=True)
class SearchRow:
    search: SearchRecord
    summary: str


@dataclass(frozen=True)
class FlaggedPractitioner:
    practitioner: Practitioner
    flags: list[AnomalyFlag]


def child_audit(
    *,
    viewer: Practitioner,
    child_id: int,
    filters: AuditFilters,
    page_number: str | int | None,
    path: str,
) -> ChildAudit:
    """One page (50) of the child's access records, newest first, optionally narrowed to
    one practitioner and a date range. Refused unless policy.can_view_child_audit allows;
    one access record. Fixed number of queries however many records."""
    with transaction.atomic():
        child = get_object_or_404(Child, pk=child_id)
        decision = policy.can_view_child_audit(viewer, child)
        if not decision:
            raise PermissionDenied("You may not see the audit of this child's record.")
        all_records = AccessRecord.objects.filter(child=child)
        practitioners = list(
            Practitioner.objects.filter(pk__in=all_records.values("practitioner")).order_by(
                "last_name", "first_name", "pk"
            )
        )
        records = all_records.select_related("practitioner__home_agency").order_by(
            "-occurred_at", "-pk"
        )
        if filters.practitioner_id:
            records = records.filter(practitioner_id=filters.practitioner_id)
        if filters.from_date:
            records = records.filter(occurred_at__date__gte=filters.from_date)
        if filters.to_date:
            records = records.filter(occurred_at__date__lte=filters.to_date)
        page = Paginator(records, AUDIT_PAGE_SIZE).get_page(page_number)
        # Evaluate the page before the viewer's own access record is written.
        page.object_list = list(page.object_list)
        audit.record_access(
            practitioner=viewer,
            children=[child],
            decision=decision,
            what="Audit of the record",
            path=path,
        )
    return ChildAudit(child=child, records=page, practitioners=practitioners)


def own_access_history(
    *, practitioner: Practitioner, show: str, page_number: str | int | None
) -> AccessHistory:
    """One page of the practitioner's own access records or searches, newest first."""
    if not policy.can_view_own_access_history(practitioner):
        raise PermissionDenied("Sign in to see your access history.")
    return AccessHistory(
        practitioner=practitioner,
        show=_show(show),
        page=_history_page(practitioner, _show(show), page_number),
        flags=[],
    )


def practitioner_audit(
    *,
    viewer: Practitioner,
    practitioner_id: int,
    show: str,
    page_number: str | int | None,
    path: str,
) -> AccessHistory:
    """A data protection lead's view of one member: a page of their access records (each
    child listed gets an access record of the lead's, LISTED) or of their searches, and
    their anomaly flags."""
    with transaction.atomic():
        practitioner = get_object_or_404(Practitioner, pk=practitioner_id)
        decision = policy.can_view_practitioner_audit(viewer, practitioner)
        if not decision:
            raise PermissionDenied("You may not see this practitioner's audit.")
        show = _show(show)
        page = _history_page(practitioner, show, page_number)
        if show == SHOW_ACCESS:
            children = {record.child_id: record.child for record in page if record.child}
            audit.record_access(
                practitioner=viewer,
                children=children.values(),
                decision=decision,
                action=AccessAction.LISTED,
                what="Practitioner's access audit",
                path=path,
            )
    return AccessHistory(
        practitioner=practitioner,
        show=show,
        page=page,
        flags=anomalies.anomaly_flags(practitioner.pk),
    )


def flagged_practitioners(*, viewer: Practitioner) -> list[FlaggedPractitioner]:
    """The current members of the viewer's partnerships (as data protection lead) with at
    least one anomaly flag, by name. Fixed number of queries however many members."""
    if not policy.can_review_access_anomalies(viewer):
        raise PermissionDenied("Only data protection leads review access anomalies.")
    members = Practitioner.objects.filter(policy.audited_practitioners_filter(viewer))
    flags = anomalies.anomaly_flags_for(members.values_list("pk", flat=True))
    flagged = (
        Practitioner.objects.filter(pk__in=list(flags))
        .select_related("home_agency")
        .order_by("last_name", "first_name", "pk")
    )
    return [FlaggedPractitioner(practitioner=p, flags=flags[p.pk]) for p in flagged]


def summarise_search(parameters: dict[str, Any]) -> str:
    """What was searched for, in a line: the fields entered, without how it was run."""
    parts = [
        f"{str(key).replace('_', ' ').capitalize()}: {value}"
        for key, value in parameters.items()
        if key != "strategy" and value not in ("", None, [], {})
    ]
    return "; ".join(parts) or "Nothing entered"


def _show(show: str) -> str:
    return SHOW_SEARCHES if show == SHOW_SEARCHES else SHOW_ACCESS


def _history_page(practitioner: Practitioner, show: str, page_number: str | int | None) -> Page:
    rows: QuerySet[Any]
    if show == SHOW_SEARCHES:
        rows = SearchRecord.objects.filter(practitioner=practitioner).order_by(
            "-searched_at", "-pk"
        )
    else:
        rows = (
            AccessRecord.objects.filter(practitioner=practitioner)
            .select_related("child")
            .order_by("-occurred_at", "-pk")
        )
    page = Paginator(rows, AUDIT_PAGE_SIZE).get_page(page_number)
    if show == SHOW_SEARCHES:
        # The page holds rows for the template: each search with its summary.
        search_rows: list[Any] = [
            SearchRow(search=search, summary=summarise_search(search.parameters))
            for search in page.object_list
        ]
        page.object_list = search_rows
    else:
        page.object_list = list(page.object_list)
    return page
