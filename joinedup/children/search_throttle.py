"""Throttling of child-index searches.

Search is the one way to reach children a practitioner has no relationship with, so a stolen
session or a curious colleague could use it to trawl the index. Each practitioner may run
``SEARCH_RATE_LIMIT`` searches in any ``SEARCH_RATE_WINDOW`` (by default 40 in 10 minutes,
far more than anyone finding children one at a time needs); beyond that, searching waits
until the oldest of those searches leaves the window.

The count is of the practitioner's own search records (``sharing.SearchRecord``, written in
the same transaction as every search), so it holds across processes and servers and needs
no cache. A refused search is not run, so it finds nobody and writes no search record; it
is logged as a warning for whoever watches the logs.

The limit is applied to the search pages (the child search and finding a record to merge),
not inside ``children.search.search_children``, which the search benchmark calls in bulk.
"""

from __future__ import annotations

import datetime
import logging
import math

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect

from joinedup.accounts.models import Practitioner
from joinedup.http import AuthenticatedRequest
from joinedup.sharing.models import SearchRecord

logger = logging.getLogger(__name__)


def wait_before_next_search(practitioner: Practitioner) -> datetime.timedelta | None:
    """How long the practitioner must wait before searching again, or None if they may
    search now. One query, on the search records' (practitioner, searched_at) index."""
    limit: int = settings.SEARCH_RATE_LIMIT
    window: datetime.timedelta = settings.SEARCH_RATE_WINDOW
    now = timezone.now()
    recent = list(
        SearchRecord.objects.filter(practitioner=practitioner, searched_at__gt=now - window)
        .order_by("-searched_at")
        .values_list("searched_at", flat=True)[:limit]
    )
    if len(recent) < limit:
        return None
    # The oldest of the last `limit` searches leaves the window at this moment.
    return max(recent[-1] + window - now, datetime.timedelta(seconds=1))


def too_many_searches(request: AuthenticatedRequest, wait: datetime.timedelta) -> HttpResponse:
    """The page shown instead of search results while searching is throttled (HTTP 429)."""
    logger.warning(
        "Child search throttled for %s: more than %s searches in %s",
        request.user.get_username(),
        settings.SEARCH_RATE_LIMIT,
        settings.SEARCH_RATE_WINDOW,
    )
    if request.headers.get("HX-Request") == "true":
        # htmx does not swap in an error response, so load the whole page instead: it
        # comes back here and shows the explanation below.
        return HttpResponseClientRedirect(request.get_full_path())
    minutes = max(1, math.ceil(wait.total_seconds() / 60))
    window_minutes = int(settings.SEARCH_RATE_WINDOW.total_seconds() // 60)
    response = render(
        request,
        "children/too_many_searches.html",
        {
            "wait_minutes": minutes,
            "limit": settings.SEARCH_RATE_LIMIT,
            "window_minutes": window_minutes,
        },
        status=429,
    )
    response["Retry-After"] = str(math.ceil(wait.total_seconds()))
    return response
