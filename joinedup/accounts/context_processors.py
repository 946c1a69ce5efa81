"""What every page's header needs to know about the signed-in person."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from joinedup.accounts.notifications import unread_count


def notifications(request: HttpRequest) -> dict[str, Any]:
    """``unread_notification_count`` for the header's "Notifications (3)": counted (one
    query) only when a page shows it, and at most once a page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"unread_notification_count": SimpleLazyObject(lambda: unread_count(user))}
