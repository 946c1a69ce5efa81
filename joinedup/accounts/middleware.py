"""Session time limits and two-factor enforcement."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect
from django_otp import user_has_device

from joinedup.sharing import policy

SESSION_STARTED_KEY = "joinedup_session_started_at"
# Set in the fresh session after a time-limit sign-out, so the sign-in page can say why.
SIGNED_OUT_REASON_KEY = "joinedup_signed_out_reason"
SIGNED_OUT_ABSOLUTE = "absolute"

# Views an authenticated person must reach before two-factor authentication is complete.
# (Views marked login_not_required are exempt too: they are open to everyone anyway.)
TWO_FACTOR_EXEMPT_VIEWS = frozenset(
    {
        "accounts:sign-in",
        "accounts:sign-out",
        "accounts:verify-two-factor",
        "accounts:set-up-two-factor",
        "health",
    }
)


def is_two_factor_verified(user: Any) -> bool:
    """Whether this session has passed two-factor authentication (django_otp's
    OTPMiddleware gives request.user an is_verified() method)."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified()) if callable(is_verified) else False


def start_session_clock(request: HttpRequest) -> None:
    """Start the absolute session limit; called when someone signs in."""
    request.session[SESSION_STARTED_KEY] = time.time()


def _redirect(request: HttpRequest, url: str) -> HttpResponse:
    """A redirect that also works for htmx requests, which would otherwise swap the
    target page into part of the current one."""
    if request.headers.get("HX-Request") == "true":
        return HttpResponseClientRedirect(url)
    return HttpResponseRedirect(url)


class SessionTimeoutMiddleware:
    """Signs a person out when their session passes its absolute age, however active they
    are. (The idle timeout is the session's age, SESSION_COOKIE_AGE, which is renewed on
    every request because SESSION_SAVE_EVERY_REQUEST is on; an expired session is simply
    not loaded, so the person arrives at sign-in.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(SESSION_STARTED_KEY)
            now = time.time()
            if started is None:
                # Signed in some other way (the Django admin's own sign-in, for example).
                request.session[SESSION_STARTED_KEY] = now
            elif now - float(started) > settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds():
                logout(request)
                # The message framework is not set up yet at this point in the middleware,
                # so leave a note in the new, empty session for the sign-in page.
                request.session[SIGNED_OUT_REASON_KEY] = SIGNED_OUT_ABSOLUTE
                if request.method == "GET" and request.headers.get("HX-Request") != "true":
                    return redirect_to_login(request.get_full_path())
                return _redirect(request, resolve_url(settings.LOGIN_URL))
        return self.get_response(request)


class TwoFactorMiddleware:
    """Sends a signed-in person to two-factor verification or set-up before anything else:
    to verify when they have a device, to set-up when they have none (every practitioner
    must use it, policy.requires_two_factor)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or is_two_factor_verified(user):
            return None
        if not getattr(view_func, "login_required", True):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in TWO_FACTOR_EXEMPT_VIEWS:
            return None
        if user_has_device(user):
            query = urlencode({"next": request.get_full_path()})
            return _redirect(request, f"{reverse('accounts:verify-two-factor')}?{query}")
        if policy.requires_two_factor(user):
            return _redirect(request, reverse("accounts:set-up-two-factor"))
        return None
