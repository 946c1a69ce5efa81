"""Session time limits and two-factor enforcement."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from joinedup.sharing import policy

SESSION_STARTED_KEY = "joinedup_session_started_at"


class SessionTimeoutMiddleware:
    """Signs a person out when their session passes its absolute age, however active they
    are. (The idle timeout is the session cookie's age, renewed on each request.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            now = time.time()
            if started is None:
                request.session[SESSION_STARTED_KEY] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
                logout(request)
                messages.info(request, "You have been signed out because your session reached its time limit.")
                return redirect(settings.LOGIN_URL)
        return self.get_response(request)


class TwoFactorMiddleware:
    """Sends a signed-in person to two-factor set-up or verification before anything else
    when their role requires it, or when they have chosen to use it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated or user.is_verified():  # type: ignore[union-attr]
            return self.get_response(request)
        match = request.resolver_match or _resolve(request)
        if match is not None and match.view_name in TWO_FACTOR_EXEMPT_VIEWS:
            return self.get_response(request)
        from django_otp import user_has_device

        if user_has_device(user):
            return redirect(f"{reverse('accounts:verify-two-factor')}?next={request.get_full_path()}")
        if policy.requires_two_factor(user):
            return redirect(reverse("accounts:set-up-two-factor"))
        return self.get_response(request)


TWO_FACTOR_EXEMPT_VIEWS = {
    "accounts:sign-in",
    "accounts:sign-out",
    "accounts:verify-two-factor",
    "accounts:set-up-two-factor",
    "health",
}


def _resolve(request: HttpRequest):  # type: ignore[no-untyped-def]
    from django.urls import Resolver404, resolve

    try:
        return resolve(request.path_info)
    except Resolver404:
        return None
