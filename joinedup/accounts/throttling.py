"""Sign-in throttling helpers for django-axes: where a request comes from, and whether an
account is locked out."""

from __future__ import annotations

import ipaddress

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone


def client_ip_address(request: HttpRequest) -> str | None:
    """The address a sign-in attempt came from, for counting failures.

    With no trusted proxies this is REMOTE_ADDR: X-Forwarded-For can be forged by anyone.
    Behind N trusted proxies, each appends the address it received the request from, so
    the client is the N-th entry from the right.
    """
    proxies = settings.AXES_TRUSTED_PROXY_COUNT
    remote = _valid_address(request.META.get("REMOTE_ADDR", ""))
    if proxies > 0:
        forwarded = [
            item.strip()
            for item in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if item.strip()
        ]
        if len(forwarded) >= proxies:
            return _valid_address(forwarded[-proxies]) or remote
    return remote


def _valid_address(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def username_is_locked_out(username: str) -> bool:
    """Whether failed sign-ins for this username have reached the limit within the cool-off
    time (the per-account part of the lockout; address lockouts expire by themselves)."""
    attempts = AccessAttempt.objects.filter(username=username)
    cool_off = get_cool_off()
    if cool_off:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
    return bool(failures >= settings.AXES_FAILURE_LIMIT)
