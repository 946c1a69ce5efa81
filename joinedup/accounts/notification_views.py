"""Notifications in the app: the signed-in person's list, opening one (which marks it
read), marking them all read, and choosing how they hear by email.

A notification is its recipient's alone (sharing.policy.can_read_notification). The list
shows only subjects and short bodies, written to name a child by given name and initial
only; the pages they lead to ask the policy and record access themselves.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from joinedup.accounts import notifications
from joinedup.accounts.forms import NotificationSettingsForm
from joinedup.accounts.models import Notification
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" else None


@require_GET
def notification_list(request: AuthenticatedRequest) -> HttpResponse:
    page = notifications.notifications_page(
        practitioner=request.user,
        page_number=request.GET.get("page"),
        page_size=settings.PAGE_SIZE,
    )
    return render(request, "accounts/notifications.html", {"page": page})


@require_POST
def notification_read(request: AuthenticatedRequest, notification_id: int) -> HttpResponse:
    """Mark the notification read and go to what it is about."""
    notification = get_object_or_404(Notification, pk=notification_id)
    policy.require(
        policy.can_read_notification(request.user, notification),
        "This notification was sent to someone else.",
    )
    notifications.mark_read(notification=notification)
    if notification.url and url_has_allowed_host_and_scheme(
        notification.url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(notification.url)
    return redirect("accounts:notifications")


@require_POST
def notifications_read_all(request: AuthenticatedRequest) -> HttpResponse:
    marked = notifications.mark_all_read(practitioner=request.user)
    if marked:
        messages.success(
            request, f"{marked} notification{'s' if marked != 1 else ''} marked as read."
        )
    return redirect("accounts:notifications")


@require_http_methods(["GET", "POST"])
def notification_settings(request: AuthenticatedRequest) -> HttpResponse:
    practitioner = request.user
    form = NotificationSettingsForm(
        _posted(request), initial={"notification_emails": practitioner.notification_emails}
    )
    if request.method == "POST" and form.is_valid():
        notifications.set_notification_emails(
            practitioner=practitioner, choice=form.cleaned_data["notification_emails"]
        )
        messages.success(request, "Your choice of notification emails has been saved.")
        return redirect("accounts:notifications")
    return render(
        request,
        "accounts/notification_settings.html",
        {"form": form, "has_email": bool(practitioner.email)},
    )
