"""Reads of practitioners' accounts: for the person themselves and for administrators."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from joinedup.accounts.models import Practitioner
from joinedup.accounts.throttling import username_is_locked_out


@dataclass(frozen=True)
class AccountSummary:
    active: int
    inactive: int
    recently_created: list[Practitioner]


def account_summary() -> AccountSummary:
    accounts = Practitioner.objects.all()
    return AccountSummary(
        active=accounts.filter(is_active=True).count(),
        inactive=accounts.filter(is_active=False).count(),
        recently_created=list(accounts.select_related("home_agency").order_by("-date_joined")[:5]),
    )


def _has_two_factor() -> Exists:
    return Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True))


def accounts_for_administration(search: str = "") -> QuerySet[Practitioner]:
    accounts = (
        Practitioner.objects.select_related("home_agency")
        .annotate(has_two_factor=_has_two_factor())
        .order_by("last_name", "first_name", "username")
    )
    search = search.strip()
    if search:
        accounts = accounts.filter(
            Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(username__icontains=search)
            | Q(email__icontains=search)
            | Q(job_title__icontains=search)
            | Q(home_agency__name__icontains=search)
        )
    return accounts


def accounts_page(
    *, search: str, page_number: str | int | None, page_size: int
) -> Page[Practitioner]:
    return Paginator(accounts_for_administration(search), page_size).get_page(page_number)


def two_factor_device(practitioner: Practitioner) -> TOTPDevice | None:
    """The practitioner's confirmed authenticator, if they have turned two-factor on."""
    return TOTPDevice.objects.filter(user=practitioner, confirmed=True).order_by("pk").first()


def has_two_factor(practitioner: Practitioner) -> bool:
    return TOTPDevice.objects.filter(user=practitioner, confirmed=True).exists()


@dataclass(frozen=True)
class AccountStatus:
    """What an administrator needs to know about an account's security (no child data)."""

    active: bool
    two_factor: bool
    locked_out: bool
    has_password: bool


def account_status(practitioner: Practitioner) -> AccountStatus:
    return AccountStatus(
        active=practitioner.is_active,
        two_factor=has_two_factor(practitioner),
        locked_out=username_is_locked_out(practitioner.get_username()),
        has_password=practitioner.has_usable_password(),
    )


def line_manager_choices(exclude: Practitioner | None = None) -> QuerySet[Practitioner]:
    choices = Practitioner.objects.filter(is_active=True).select_related("home_agency")
    if exclude is not None and exclude.pk:
        choices = choices.exclude(pk=exclude.pk)
    return choices.order_by("last_name", "first_name")
