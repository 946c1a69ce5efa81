"""What the security tests share: the URLs (from the URL configuration itself, as the
permission matrix enumerates them), filling their ids, and a fingerprint of the database
to show a refused request changed nothing."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from django.apps import apps
from django.urls import URLPattern, reverse

from tests.sharing.test_permission_matrix import ROLES, Rule, rule_for, url_names

# Sizes counted while the tests run, printed at the end of the run (conftest.py).
TALLY: Counter[str] = Counter()

# Tables a refused request may write to by design: the audit of who tried to see what
# (access records, searches, sharing decisions and their tamper-evident chain), sessions,
# sign-in throttling (axes) and the two-factor device's last use.
LOG_TABLES = frozenset(
    {
        "sessions.Session",
        "otp_totp.TOTPDevice",
        "axes.AccessFailureLog",
        "axes.AccessAttempt",
        "axes.AccessAttemptExpiration",
        "axes.AccessLog",
        "sharing.AccessRecord",
        "sharing.SearchRecord",
        "sharing.SharingDecision",
        "sharing.AuditChainHead",
        "sharing.AuditChainLink",
    }
)
# Columns that change on every sign-in, not by the request under test.
VOLATILE_COLUMNS = frozenset({"last_login"})

# The order in which the security tests pick a role a URL allows: the practitioner
# involved first (most pages about the world's child are theirs).
ROLE_PREFERENCE = (
    "involved",
    "member",
    "coordinator",
    "data_manager",
    "administrator",
    "unrelated",
    "ended",
)


def app_urls() -> list[tuple[str, URLPattern]]:
    """Every named URL of the service, leaving out Django's admin site (one rule in the
    permission matrix: administrators only, behind its own CSRF-protected forms)."""
    return [(name, pattern) for name, pattern in url_names() if not name.startswith("admin:")]


def url_keys(pattern: URLPattern) -> tuple[str, ...]:
    return tuple(pattern.pattern.regex.groupindex)


def object_urls() -> list[tuple[str, URLPattern]]:
    """URLs naming an object by its id or slug (not the set-password link's token)."""
    return [
        (name, pattern)
        for name, pattern in app_urls()
        if set(url_keys(pattern)) - {"uidb64", "token"}
    ]


def rule(name: str) -> Rule:
    found = rule_for(name)
    assert found is not None, f"{name} has no rule in the permission matrix"
    return found


def allowed_role(name: str) -> str | None:
    """A signed-in role the permission matrix lets reach the URL, if any."""
    allowed = rule(name).allowed
    return next((role for role in ROLE_PREFERENCE if role in allowed), None)


def url_for(name: str, pattern: URLPattern, kwargs: Mapping[str, Any]) -> str:
    return reverse(name, kwargs={key: kwargs[key] for key in url_keys(pattern)})


def fingerprint() -> dict[str, str]:
    """A digest of every row of every table except the logs, per table: a request that
    creates, changes or deletes anything changes at least one digest."""
    digests = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in LOG_TABLES or not model._meta.managed:
            continue
        columns = [
            f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE_COLUMNS
        ]
        rows = model._default_manager.order_by("pk").values_list(*columns)
        digests[label] = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return digests


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(label for label in before if before[label] != after.get(label))


def signed_in_roles() -> tuple[str, ...]:
    return tuple(role for role in ROLES if role != "anonymous")


def roles_refused(name: str) -> Iterator[str]:
    allowed = rule(name).allowed
    yield from (role for role in ROLES if role not in allowed)
