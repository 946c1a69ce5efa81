"""Sign-in, two-factor authentication and account administration."""

from __future__ import annotations

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from joinedup.accounts import selectors
from joinedup.sharing import policy

sign_in = login_not_required(
    LoginView.as_view(template_name="accounts/sign_in.html", redirect_authenticated_user=True)
)


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:sign-in")


def verify_two_factor(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/placeholder.html", {"title": "Verify"})


def set_up_two_factor(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/placeholder.html", {"title": "Set up"})


def security(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/placeholder.html", {"title": "Your account"})


def manage_list(request: HttpRequest) -> HttpResponse:
    policy.require(policy.can_manage_accounts(request.user))
    return render(
        request, "accounts/placeholder.html", {"title": "Accounts", "accounts": selectors.accounts_for_administration()}
    )
