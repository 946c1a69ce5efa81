"""Reads of practitioners' accounts, for administrators."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from joinedup.accounts.models import Practitioner


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


def accounts_for_administration(search: str = "") -> QuerySet[Practitioner]:
    accounts = Practitioner.objects.select_related("home_agency").order_by("last_name", "first_name")
    if search:
        from django.db.models import Q

        accounts = accounts.filter(
            Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(username__icontains=search)
            | Q(email__icontains=search)
        )
    return accounts
