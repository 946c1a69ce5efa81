"""The service navigation: one list, so later parts of the product add themselves here.

Each entry names a URL and a policy question deciding whether the signed-in person sees
it. The child index, casework, referrals, partnership toolkit and reports join this list
as they are built (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django_otp import user_has_device

from joinedup.sharing import policy


@dataclass(frozen=True)
class NavigationEntry:
    label: str
    url_name: str
    section: str
    shown_to: Callable[[Any], bool]


def _practitioner(user: Any) -> bool:
    return bool(user.is_authenticated)


ENTRIES = [
    NavigationEntry("Home", "home", "home", _practitioner),
    # Administrators see no child data through that role, so the list would only ever be empty.
    NavigationEntry(
        "Children", "children:list", "children", lambda user: not policy.can_manage_accounts(user)
    ),
    NavigationEntry("Partnerships", "partnerships:list", "partnerships", _practitioner),
    NavigationEntry("Agencies", "partnerships:agency-list", "agencies", _practitioner),
    NavigationEntry(
        "Toolkit", "toolkit:index", "toolkit", lambda user: bool(policy.can_list_toolkits(user))
    ),
    # The services directory is public; signed-in people reach it from here too.
    NavigationEntry("Services directory", "referrals:directory", "referrals", _practitioner),
    NavigationEntry(
        "My referrals",
        "referrals:my-referrals",
        "my-referrals",
        lambda user: bool(policy.can_list_my_referrals(user)),
    ),
    NavigationEntry(
        "Agency feeds",
        "children:feeds:index",
        "feeds",
        lambda user: bool(policy.can_use_feeds(user)),
    ),
    NavigationEntry(
        "Shielding",
        "children:shielding-reviews",
        "shielding",
        lambda user: bool(policy.can_review_shielded_views(user)),
    ),
    NavigationEntry(
        "Matching",
        "children:matching",
        "matching",
        lambda user: bool(policy.can_use_matching(user)),
    ),
    NavigationEntry(
        "My actions",
        "casework:my-actions",
        "casework",
        lambda user: bool(policy.can_list_my_actions(user)),
    ),
    NavigationEntry(
        "Work queue",
        "casework:lead-queue",
        "casework",
        lambda user: bool(policy.can_view_lead_queue(user)),
    ),
    NavigationEntry(
        "Accounts",
        "accounts:manage-list",
        "accounts",
        lambda user: bool(policy.can_manage_accounts(user)),
    ),
]


# Pages under /referrals/ sit under "My referrals" (the directory keeps /services/), except
# the coordinator's, which belong to the partnership.
PARTNERSHIP_REFERRAL_VIEWS = frozenset(
    {
        "referrals:pingpong",
        "referrals:pingpong-own",
        "referrals:partnership-report",
        "referrals:partnership-report-csv",
    }
)


def awaiting_two_factor(user: Any) -> bool:
    if user.is_verified():
        return False
    return bool(user_has_device(user) or policy.requires_two_factor(user))


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation_items": []}
    if awaiting_two_factor(user):
        # Every link would lead back to the code page until the code is entered.
        return {"navigation_items": [], "awaiting_two_factor": True}
    match = request.resolver_match
    current = ""
    if match is not None:
        current = "home" if match.view_name == "home" else (match.namespace or "")
        if match.view_name.startswith("partnerships:agency"):
            current = "agencies"
        elif match.namespace == "children:feeds":
            current = "feeds"
        elif match.view_name == "children:shielding-reviews":
            current = "shielding"
        elif match.view_name in {"children:break-glass-reviews", "children:break-glass-review"}:
            current = "break-glass"
        elif match.view_name in {"children:sharing-decisions", "children:sharing-decision"}:
            current = "sharing-decisions"
        elif match.view_name in {"children:matching", "children:matching-review"}:
            current = "matching"
        elif match.view_name in PARTNERSHIP_REFERRAL_VIEWS:
            current = "partnerships"
        elif request.path_info.startswith("/referrals/"):
            current = "my-referrals"
    return {
        "navigation_items": [
            {
                "label": entry.label,
                "href": reverse(entry.url_name),
                "active": entry.section == current,
            }
            for entry in ENTRIES
            if entry.shown_to(user)
        ]
    }
