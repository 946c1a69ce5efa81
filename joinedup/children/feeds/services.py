"""Changes to an agency's feed settings; importing itself is in ``importing``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, TYPE_CHECKING

from django.db import transaction

from joinedup.children.feeds import importing, running
from joinedup.children.feeds.format import check_mapping
from joinedup.children.models import Feed, FeedColumnMapping, FeedStatus
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
