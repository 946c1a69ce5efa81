"""Changes to an agency's feed settings; importing itself is in ``importing``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from joinedup.children.feeds import importing, running
from joinedup.children.feeds.format import check_mapping
from joinedup.children.models import Feed, FeedColumnMapping, FeedStatus, RejectedRow
from joinedup.sharing import policy

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.partnerships.models import Agency


def save_feed_mapping(
    *, agency: Agency, mapping: Mapping[str, str], changed_by: Practitioner
) -> None:
    """Replace the agency's column mapping (their heading → field of the format)."""
    policy.require(
        policy.can_manage_feed_mapping(changed_by, agency),
        "Only the agency's data managers can change its column mapping.",
    )
    cleaned = check_mapping(mapping)
    with transaction.atomic():
        FeedColumnMapping.objects.filter(agency=agency).delete()
        FeedColumnMapping.objects.bulk_create(
            FeedColumnMapping(
                agency=agency, their_heading=heading, field=key, updated_by=changed_by
            )
            for heading, key in cleaned.items()
        )


def submit_feed(
    *, agency: Agency, file: IO[bytes], filename: str, submitted_by: Practitioner
) -> Feed:
    """Receive an uploaded file and start importing it (see ``running``)."""
    feed = importing.receive_feed(
        agency=agency, file=file, filename=filename, submitted_by=submitted_by
    )
    if feed.status == FeedStatus.QUEUED:
        running.start_feed(feed_id=feed.pk)
        feed.refresh_from_db()
    return feed


class AlreadyResolved(Exception):
    """The rejected row was corrected by a later file, or dealt with, already."""


def mark_reject_dealt_with(*, reject: RejectedRow, by: Practitioner, reason: str) -> None:
    """Close a rejected row without sending it again (say the child has left and the row is
    not needed): it leaves the rejects file, and who did it, when and why is kept."""
    policy.require(
        policy.can_deal_with_reject(by, reject),
        "Only the agency's data managers can deal with its rejected rows.",
    )
    reason = reason.strip()
    if not reason:
        raise ValueError("A reason is required.")
    with transaction.atomic():
        updated = RejectedRow.objects.filter(pk=reject.pk, resolved_at__isnull=True).update(
            resolved_at=timezone.now(), dealt_with_by=by, dealt_with_reason=reason
        )
    if not updated:
        raise AlreadyResolved
    reject.refresh_from_db()
