"""Reads of feeds, narrowed by the policy module; values of linked children are recorded."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from joinedup.children.models import Child, Feed, FeedInvalidField, RejectedRow
from joinedup.partnerships.models import Agency
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner

INVALID_SHOWN = 200


def feeds_of(practitioner: Practitioner) -> QuerySet[Feed]:
    return (
        Feed.objects.filter(agency__in=_agencies(practitioner))
        .select_related("agency", "submitted_by")
        .defer("content")
    )


def _agencies(practitioner: Practitioner) -> QuerySet[Agency]:
    return Agency.objects.filter(policy.feed_agencies_filter(practitioner))


def feed_for(*, practitioner: Practitioner, feed_id: int) -> Feed:
    feed = get_object_or_404(
        Feed.objects.select_related("agency", "submitted_by").defer("content"), pk=feed_id
    )
    policy.require(
        policy.can_view_feed(practitioner, feed),
        "Only the agency's data managers can see its feeds.",
    )
    return feed


@dataclass(frozen=True)
class FeedResult:
    feed: Feed
    rejects_page: Page
    open_rejects: int
    invalid_by_column: list[tuple[str, int]]
    invalid_fields: list[FeedInvalidField]
    invalid_total: int


def feed_result(
    *, practitioner: Practitioner, feed_id: int, page_number: str | None, path: str, page_size: int
) -> FeedResult:
    """A feed's result page. Rejected rows are the agency's own rows that matched no child.
    Invalid fields show values of source records; where identity matching has linked a
    source record to a child, showing its values is recorded like any read of a child."""
    with transaction.atomic():
        feed = get_object_or_404(
            Feed.objects.select_related("agency", "submitted_by").defer("content"), pk=feed_id
        )
        decision = policy.can_view_feed(practitioner, feed)
        if not decision:
            raise PermissionDenied("Only the agency's data managers can see its feeds.")
        rejects = RejectedRow.objects.filter(feed=feed).select_related(
            "resolved_by", "dealt_with_by"
        )
        page = Paginator(rejects.order_by("line_number"), page_size).get_page(page_number)
        invalid = FeedInvalidField.objects.filter(feed=feed).select_related("source_record__child")
        shown = list(invalid[:INVALID_SHOWN])
        counts = Counter(invalid.values_list("column", flat=True))
        linked: set[Child] = {
            row.source_record.child for row in shown if row.source_record.child is not None
        }
        if linked:
            audit.record_access(
                practitioner=practitioner,
                children=sorted(linked, key=lambda child: child.pk),
                decision=decision,
                action=AccessAction.VIEWED,
                what="Values the agency sent, in a feed result",
                path=path,
            )
    return FeedResult(
        feed=feed,
        rejects_page=page,
        open_rejects=rejects.filter(resolved_at__isnull=True).count(),
        invalid_by_column=sorted(counts.items(), key=lambda item: (-item[1], item[0])),
        invalid_fields=shown,
        invalid_total=sum(counts.values()),
    )


def open_rejects_of(*, practitioner: Practitioner, feed_id: int) -> tuple[Feed, list[RejectedRow]]:
    feed = feed_for(practitioner=practitioner, feed_id=feed_id)
    rejects = list(
        RejectedRow.objects.filter(feed=feed, resolved_at__isnull=True).order_by("line_number")
    )
    return feed, rejects


def reject_for(*, practitioner: Practitioner, reject_id: int) -> RejectedRow:
    """A rejected row, for its agency's data managers. Its values are the agency's own row,
    linked to no child, so showing it is not a read of a child (see docs/feeds.md)."""
    reject = get_object_or_404(
        RejectedRow.objects.select_related("feed__agency", "dealt_with_by").defer("feed__content"),
        pk=reject_id,
    )
    policy.require(
        policy.can_deal_with_reject(practitioner, reject),
        "Only the agency's data managers can deal with its rejected rows.",
    )
    return reject
