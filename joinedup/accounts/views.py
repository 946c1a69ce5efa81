"""Sign-in, two-factor authentication, your own account, and account administration.

Thin views: the policy module decides who may do what, services make changes, selectors
read. Administrators manage accounts here and never see children's data: nothing in these
pages links to or shows a child.
"""

from __future__ import annotations

import datetime
from base64 import b32encode
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from axes.helpers import get_cool_off
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import (
    INTERNAL_RESET_SESSION_TOKEN,
    LoginView,
    PasswordResetConfirmView,
)
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from joinedup.accounts import selectors, services
from joinedup.accounts.forms import (
    AccountForm,
    ChangePasswordForm,
    SetPasswordFromLinkForm,
    SignInForm,
    TwoFactorCodeForm,
)
from joinedup.accounts.middleware import (
    SIGNED_OUT_ABSOLUTE,
    SIGNED_OUT_REASON_KEY,
    is_two_factor_verified,
    start_session_clock,
)
from joinedup.accounts.models import Practitioner
from joinedup.accounts.throttling import client_ip_address
from joinedup.http import AuthenticatedRequest
from joinedup.sharing import policy


def _posted(request: HttpRequest) -> Any:
    """Form data when the form was submitted (even empty), so it is validated."""
    return request.POST if request.method == "POST" else None


# Signing in and out ----------------------------------------------------------------------


def _safe_next(request: HttpRequest, default: str = "") -> str:
    """The ``next`` parameter if it points back into this site, otherwise ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _with_next(url_name: str, next_url: str) -> str:
    url = reverse(url_name)
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


class SignInView(LoginView):
    template_name = "accounts/sign_in.html"
    form_class = SignInForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["idle_minutes"] = int(settings.SESSION_IDLE_TIMEOUT.total_seconds() // 60)
        reason = self.request.session.pop(SIGNED_OUT_REASON_KEY, None)
        if reason == SIGNED_OUT_ABSOLUTE:
            hours = int(settings.SESSION_ABSOLUTE_TIMEOUT.total_seconds() // 3600)
            context["signed_out_notice"] = (
                f"You have been signed out because you had been signed in for {hours} hours. "
                "Sign in again to carry on."
            )
        return context

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        practitioner = form.get_user()
        auth_login(self.request, practitioner)
        start_session_clock(self.request)
        services.record_sign_in(
            practitioner=practitioner,
            ip_address=getattr(self.request, "axes_ip_address", None)
            or client_ip_address(self.request),
        )
        next_url = self.get_redirect_url()
        if user_has_device(practitioner):
            return HttpResponseRedirect(_with_next("accounts:verify-two-factor", next_url))
        if policy.requires_two_factor(practitioner):
            return HttpResponseRedirect(_with_next("accounts:set-up-two-factor", next_url))
        return HttpResponseRedirect(next_url or resolve_url(settings.LOGIN_REDIRECT_URL))


sign_in = login_not_required(SignInView.as_view())


@login_not_required
def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What django-axes shows when sign-in is locked (AXES_LOCKOUT_CALLABLE)."""
    cool_off = get_cool_off(request) or datetime.timedelta(0)
    try_again_at = timezone.localtime(timezone.now() + cool_off) if cool_off else None
    context = {
        "cool_off_minutes": max(1, int(cool_off.total_seconds() // 60)) if cool_off else None,
        "try_again_at": _clock_time(try_again_at) if try_again_at else "",
    }
    return render(
        request,
        settings.AXES_LOCKOUT_TEMPLATE,
        context,
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    )


def _clock_time(moment: datetime.datetime) -> str:
    """GOV.UK style times: 9:05am, 2:45pm."""
    return f"{moment.hour % 12 or 12}:{moment.minute:02d}{'am' if moment.hour < 12 else 'pm'}"


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.success(request, "You have signed out.")
    return redirect("accounts:sign-in")


# Two-factor authentication ---------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def verify_two_factor(request: AuthenticatedRequest) -> HttpResponse:
    """The second step of signing in for anyone with an authenticator app."""
    practitioner = request.user
    next_url = _safe_next(request)
    if is_two_factor_verified(practitioner):
        return HttpResponseRedirect(next_url or reverse("home"))
    device = selectors.two_factor_device(practitioner)
    if device is None:
        if policy.requires_two_factor(practitioner):
            return HttpResponseRedirect(_with_next("accounts:set-up-two-factor", next_url))
        return HttpResponseRedirect(next_url or reverse("home"))
    form = TwoFactorCodeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        check = services.check_two_factor_code(device=device, code=form.cleaned_data["code"])
        if check.accepted:
            _complete_two_factor(request, device)
            return HttpResponseRedirect(next_url or reverse("home"))
        form.add_error("code", _wrong_code_message(check))
    return render(
        request,
        "accounts/verify_two_factor.html",
        {"form": form, "next": next_url, "demo_code": _demo_code(practitioner)},
    )


def _demo_code(practitioner: Practitioner) -> tuple[str, int] | None:
    """In development only (DEBUG), a demo account's current code, so that someone trying
    the demo area needs no second terminal. Never in a live service: current_demo_code
    answers None unless DEBUG is on and the device is the demo area's own."""
    if not settings.DEBUG:
        return None
    from joinedup.demo.load import current_demo_code

    return current_demo_code(practitioner.username)


def _complete_two_factor(request: AuthenticatedRequest, device: TOTPDevice) -> None:
    device.refresh_from_db()
    otp_login(request, device)
    # The session now carries more privilege: give it a new key.
    request.session.cycle_key()


def _wrong_code_message(check: services.CodeCheck) -> str:
    if check.wait_seconds:
        return (
            "You have entered too many wrong codes. "
            f"Wait {check.wait_seconds} second{'s' if check.wait_seconds != 1 else ''}, then enter the code your app shows"
        )
    return "The code is not correct. Check the time on your phone is right and enter the code your app shows now"


def _qr_code_svg(data: str) -> SafeString:
    """The set-up QR code as inline SVG markup: no script, no inline styles, no data: URL."""
    image = qrcode.make(
        data, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=4
    )
    svg = image.to_string(encoding="unicode")
    start = svg.index("<svg")
    opening_end = svg.index(">", start)
    opening = svg[start:opening_end]
    # Size it with the stylesheet (.app-qr-code) rather than fixed millimetres.
    for attribute in ("width", "height"):
        value_start = opening.find(f' {attribute}="')
        if value_start != -1:
            value_end = opening.index('"', value_start + len(attribute) + 3)
            opening = opening[:value_start] + opening[value_end + 1 :]
    opening += (
        ' class="app-qr-code" role="img" aria-label="QR code to scan with your authenticator app"'
    )
    # The SVG is generated here from a URL encoded as squares, so it holds no user text.
    return mark_safe(opening + svg[opening_end:])  # noqa: S308


def _secret_in_groups(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


@never_cache
@require_http_methods(["GET", "POST"])
def set_up_two_factor(request: AuthenticatedRequest) -> HttpResponse:
    """Turn two-factor authentication on: scan the QR code, then prove it works."""
    practitioner = request.user
    next_url = _safe_next(request)
    required = policy.requires_two_factor(practitioner)
    if user_has_device(practitioner):
        if not is_two_factor_verified(practitioner):
            # Setting up a second authenticator must not be a way round the first one.
            return HttpResponseRedirect(_with_next("accounts:verify-two-factor", next_url))
        messages.info(request, "Two-factor authentication is already on for your account.")
        return redirect("accounts:security")
    device = services.start_two_factor_set_up(practitioner=practitioner)
    form = TwoFactorCodeForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        check = services.confirm_two_factor(
            practitioner=practitioner,
            device=device,
            code=form.cleaned_data["code"],
        )
        if check.accepted:
            _complete_two_factor(request, device)
            messages.success(
                request,
                "Two-factor authentication is on. You will need a code from your app each time you sign in.",
            )
            return HttpResponseRedirect(
                next_url or reverse("home" if required else "accounts:security")
            )
        form.add_error("code", _wrong_code_message(check))
    context = {
        "form": form,
        "next": next_url,
        "required": required,
        "qr_code": _qr_code_svg(device.config_url),
        "secret": _secret_in_groups(device),
    }
    return render(request, "accounts/set_up_two_factor.html", context)


@require_POST
def turn_off_two_factor(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(
        not policy.requires_two_factor(request.user),
        "Everyone must use two-factor authentication, so you cannot turn it off.",
    )
    services.turn_off_two_factor(practitioner=request.user)
    messages.success(request, "Two-factor authentication is off.")
    return redirect("accounts:security")


# Your account ----------------------------------------------------------------------------


@require_GET
def security(request: AuthenticatedRequest) -> HttpResponse:
    practitioner = request.user
    context = {
        "two_factor_on": selectors.has_two_factor(practitioner),
        "two_factor_required": policy.requires_two_factor(practitioner),
    }
    return render(request, "accounts/security.html", context)


@never_cache
@require_http_methods(["GET", "POST"])
def change_password(request: AuthenticatedRequest) -> HttpResponse:
    practitioner = request.user
    form = ChangePasswordForm(practitioner, _posted(request))
    if request.method == "POST" and form.is_valid():
        services.change_password(
            practitioner=practitioner,
            new_password=form.cleaned_data["new_password1"],
        )
        # Stay signed in here; other sessions using the old password end.
        update_session_auth_hash(request, practitioner)
        messages.success(request, "Your password has been changed.")
        return redirect("accounts:security")
    return render(request, "accounts/change_password.html", {"form": form})


class SetPasswordView(PasswordResetConfirmView):
    """Where the emailed set-password link leads. Django's view keeps the token out of the
    address bar (and so out of Referer headers) once checked."""

    template_name = "accounts/set_password.html"
    form_class = SetPasswordFromLinkForm
    success_url = reverse_lazy("accounts:sign-in")

    def form_valid(self, form: Form) -> HttpResponse:
        services.set_password_from_link(
            practitioner=self.user,
            new_password=form.cleaned_data["new_password1"],
        )
        self.request.session.pop(INTERNAL_RESET_SESSION_TOKEN, None)
        messages.success(self.request, "Your password has been set. You can now sign in.")
        return HttpResponseRedirect(str(self.success_url))


set_password = login_not_required(SetPasswordView.as_view())


# Account administration ------------------------------------------------------------------


def _require_account_manager(request: AuthenticatedRequest) -> None:
    policy.require(
        policy.can_manage_accounts(request.user), "Only system administrators can manage accounts."
    )


# The longest search the account list takes (no name or email is longer).
SEARCH_MAX_LENGTH = 200


@require_GET
def manage_list(request: AuthenticatedRequest) -> HttpResponse:
    _require_account_manager(request)
    # A longer search (SQLite refuses a LIKE pattern over 50,000 bytes) or a NUL byte
    # (PostgreSQL refuses it) is trimmed rather than sent to the database as it is.
    query = request.GET.get("q", "").replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
    page = selectors.accounts_page(
        search=query, page_number=request.GET.get("page"), page_size=settings.PAGE_SIZE
    )
    return render(request, "accounts/manage_list.html", {"page": page, "query": query})


@require_http_methods(["GET", "POST"])
def manage_create(request: AuthenticatedRequest) -> HttpResponse:
    _require_account_manager(request)
    form = AccountForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        practitioner = services.create_account(administrator=request.user, details=form.details())
        link = services.send_set_password_link(
            administrator=request.user,
            practitioner=practitioner,
            site_url=request.build_absolute_uri("/"),
        )
        return _set_password_link_page(request, practitioner, link, created=True)
    return render(request, "accounts/manage_form.html", {"form": form, "practitioner": None})


def _set_password_link_page(
    request: AuthenticatedRequest, practitioner: Practitioner, link: str, *, created: bool
) -> HttpResponse:
    context = {
        "practitioner": practitioner,
        "link": link,
        "created": created,
        "lifetime_days": max(1, services.set_password_link_lifetime().days),
    }
    response = render(request, "accounts/set_password_link.html", context)
    # The link sets a password: keep it out of caches and browser history.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def manage_detail(request: AuthenticatedRequest, practitioner_id: int) -> HttpResponse:
    _require_account_manager(request)
    practitioner = get_object_or_404(
        Practitioner.objects.select_related("home_agency", "line_manager"), pk=practitioner_id
    )
    context = {
        "practitioner": practitioner,
        "status": selectors.account_status(practitioner),
        "is_self": practitioner.pk == request.user.pk,
    }
    return render(request, "accounts/manage_detail.html", context)


@require_http_methods(["GET", "POST"])
def manage_edit(request: AuthenticatedRequest, practitioner_id: int) -> HttpResponse:
    _require_account_manager(request)
    practitioner = get_object_or_404(Practitioner, pk=practitioner_id)
    form = AccountForm(_posted(request), instance=practitioner)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_account(
                administrator=request.user,
                practitioner=practitioner,
                details=form.details(),
            )
        except services.AccountActionRefused as refusal:
            form.add_error("line_manager", str(refusal))
        else:
            messages.success(request, f"The account for {practitioner} has been updated.")
            return redirect("accounts:manage-detail", practitioner_id=practitioner.pk)
    return render(
        request, "accounts/manage_form.html", {"form": form, "practitioner": practitioner}
    )


def _account_action(
    request: AuthenticatedRequest, practitioner_id: int, action: Any, success: str
) -> HttpResponse:
    _require_account_manager(request)
    practitioner = get_object_or_404(Practitioner, pk=practitioner_id)
    try:
        action(administrator=request.user, practitioner=practitioner)
    except services.AccountActionRefused as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(request, success.format(name=practitioner))
    return redirect("accounts:manage-detail", practitioner_id=practitioner.pk)


@require_POST
def manage_deactivate(request: AuthenticatedRequest, practitioner_id: int) -> HttpResponse:
    return _account_action(
        request,
        practitioner_id,
        services.deactivate_account,
        "The account for {name} has been deactivated. They can no longer sign in.",
    )


@require_POST
def manage_reactivate(request: AuthenticatedRequest, practitioner_id: int) -> HttpResponse:
    return _account_action(
        request,
        practitioner_id,
        services.reactivate_account,
        "The account for {name} has been reactivated. They can sign in again.",
    )


@require_POST
def manage_reset_two_factor(request: AuthenticatedRequest, practitioner_id: int) -> HttpResponse:
    return _account_action(
        request,
        practitioner_id,
        services.reset_two_factor,
        "Two-factor authentication has been reset for {name}. "
        "They must set it up again before they can go on.",
    )


@require_POST
def manage_unlock(request: AuthenticatedRequest, practitioner_id: int) -> HttpResponse:
    return _account_action(
        request,
        practitioner_id,
        services.unlock_account,
        "The account for {name} has been unlocked. They can try to sign in again now.",
    )


@require_POST
def manage_send_set_password_link(
    request: AuthenticatedRequest, practitioner_id: int
) -> HttpResponse:
    _require_account_manager(request)
    practitioner = get_object_or_404(Practitioner, pk=practitioner_id)
    try:
        link = services.send_set_password_link(
            administrator=request.user,
            practitioner=practitioner,
            site_url=request.build_absolute_uri("/"),
        )
    except services.AccountActionRefused as refusal:
        messages.error(request, str(refusal))
        return redirect("accounts:manage-detail", practitioner_id=practitioner.pk)
    return _set_password_link_page(request, practitioner, link, created=False)
