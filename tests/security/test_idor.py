"""Insecure direct object references (issue 6, item 8): every object URL tried with someone
else's object id.

Three sweeps over every URL of the service that names an object (taken from the URL
configuration, so a new URL is covered without changing this file):

* the world's own objects, by every role the permission matrix refuses, with GET and POST;
* another area's objects (conftest.build_stranger_area), by every role the matrix lets
  reach the world's object — the practitioner involved with the world's child asking for
  another child's episode, referral, plan… — with GET and POST;
* guessed ids: the world's ids plus 1 to 5, by the roles refused the URL, and ids that do
  not exist, by the role allowed.

Each must be refused — 403, 404 (or 405 for a method the view does not take), anonymous
visitors sent to sign in — and no table but the logs may change (common.fingerprint).
"""

from __future__ import annotations

import pytest
from django.db.models import Max

from tests.security import common

OBJECT_URLS = common.object_urls()
OBJECT_URL_NAMES = [name for name, _ in OBJECT_URLS]
PATTERNS = dict(OBJECT_URLS)
METHODS = ("GET", "POST")
GUESSES = (1, 2, 3, 4, 5)
REFUSED = {403, 404, 405}

# Access that is not per object by design, so another area's object is reachable too:
# pages every signed-in user, every practitioner or the public may open (an agency's or a
# partnership's page, a directory entry, stating a reason to open a record, the
# break-glass form, which records and reviews its use), and system administrators
# managing any account.
BROAD = (
    frozenset(common.ROLES),
    frozenset(common.signed_in_roles()),
    frozenset({"involved", "ended", "unrelated", "member", "coordinator", "data_manager"}),
)
NOT_PER_OBJECT = {
    (name, "administrator") for name in OBJECT_URL_NAMES if name.startswith("accounts:manage-")
}


def is_broad(name: str) -> bool:
    return common.rule(name).allowed in BROAD


def check_refused(response, role: str, what: str) -> str | None:
    """A description of the failure, or None when the request was refused."""
    location = response.headers.get("Location", "")
    if role == "anonymous":
        if response.status_code == 302 and "/sign-in/" in location:
            return None
        if response.status_code in REFUSED:
            return None
        return f"{what}: anonymous got {response.status_code} {location}"
    if response.status_code in REFUSED:
        return None
    return f"{what}: {role} got {response.status_code} {location}".rstrip()


def send(client, method: str, url: str, data: dict[str, str]):
    return client.post(url, data) if method == "POST" else client.get(url)


def try_as(client, world, role: str, requests: list[tuple[str, str, dict[str, str]]]):
    """Sign in as the role, make the requests, and return the failures."""
    client.logout()
    world.sign_in(client, role)
    failures = []
    for method, url, data in requests:
        response = send(client, method, url, data)
        common.TALLY["idor requests"] += 1
        problem = check_refused(response, role, f"{method} {url}")
        if problem:
            failures.append(problem)
    return failures


def int_keys(name: str) -> list[str]:
    converters = PATTERNS[name].pattern.converters
    return [
        key
        for key in common.url_keys(PATTERNS[name])
        if type(converters.get(key)).__name__ == "IntConverter"
    ]


# Roles with no relationship to the world's objects: nobody to sign in as, a practitioner
# with no relationship at all, and one whose involvement has ended.
OUTSIDERS = ("anonymous", "unrelated", "ended")


@pytest.mark.django_db
@pytest.mark.parametrize("name", OBJECT_URL_NAMES)
def test_an_object_url_refuses_other_peoples_ids(client, world, stranger_kwargs, name):
    rule = common.rule(name)
    pattern = PATTERNS[name]
    before = common.fingerprint()
    failures = []

    # 1. The world's object, by the roles with no relationship to it.
    url = common.url_for(name, pattern, world.url_kwargs)
    for role in OUTSIDERS:
        if role not in rule.allowed:
            failures += try_as(client, world, role, [(m, url, rule.data) for m in METHODS])
            common.TALLY["idor (url, role) pairs: the world's object"] += 1

    # 2. Another area's object, by every role allowed the world's (unless access to such
    # objects is not per object at all).
    missing_keys = set(common.url_keys(pattern)) - set(stranger_kwargs)
    if missing_keys:
        # A URL added since conftest.build_stranger_area was written: add its object there.
        common.TALLY["idor urls with no object in another area (add to conftest)"] += 1
    elif not is_broad(name):
        url = common.url_for(name, pattern, stranger_kwargs)
        for role in sorted(rule.allowed):
            if (name, role) not in NOT_PER_OBJECT:
                failures += try_as(client, world, role, [(m, url, rule.data) for m in METHODS])
                common.TALLY["idor (url, role) pairs: another area's object"] += 1

    # 3. Guessed ids: the next ids after the world's, by the practitioner with no
    # relationship; ids past the last row, by a role the URL allows (404, not a 500).
    allowed = common.allowed_role(name)
    for key in int_keys(name):
        if "unrelated" not in rule.allowed:
            guessed = [
                common.url_for(name, pattern, {**world.url_kwargs, key: world.url_kwargs[key] + n})
                for n in GUESSES
            ]
            failures += try_as(
                client, world, "unrelated", [(rule.method, u, rule.data) for u in guessed]
            )
            common.TALLY["idor guessed ids"] += len(guessed)
        if allowed is not None:
            past_the_end = past_last_id(world.url_kwargs[key])
            client.logout()
            world.sign_in(client, allowed)
            for n in GUESSES:
                missing = common.url_for(name, pattern, {**world.url_kwargs, key: past_the_end + n})
                response = send(client, rule.method, missing, rule.data)
                common.TALLY["idor requests"] += 1
                common.TALLY["idor ids past the last row"] += 1
                if response.status_code not in {403, 404}:
                    failures.append(
                        f"{missing} (no such object): {allowed} got {response.status_code}"
                    )

    changed = common.changed_tables(before, common.fingerprint())
    if changed:
        failures.append(f"refused requests changed {changed}")
    assert not failures, "\n".join(failures)


def past_last_id(value: int) -> int:
    """An id no table in the database has reached."""
    from django.apps import apps

    highest = value
    for model in apps.get_models():
        if model._meta.pk.get_internal_type() in {"AutoField", "BigAutoField"}:
            highest = max(highest, model._default_manager.aggregate(m=Max("pk"))["m"] or 0)
    return highest + 1000


def planned_size() -> dict[str, int]:
    """How many requests the sweep makes, worked out from the URLs and the permission
    matrix (docs/security-tests.md; tests/security/test_suite_size.py)."""
    from tests.security.conftest import STRANGER_KEYS

    size = dict.fromkeys(
        (
            "IDOR: object URLs",
            "IDOR: requests for the world's objects by roles with no relationship",
            "IDOR: requests for another area's objects by roles allowed the world's",
            "IDOR: requests with guessed ids (id+1 to id+5)",
            "IDOR: requests with ids past the last row",
        ),
        0,
    )
    for name in OBJECT_URL_NAMES:
        rule = common.rule(name)
        size["IDOR: object URLs"] += 1
        size["IDOR: requests for the world's objects by roles with no relationship"] += len(
            METHODS
        ) * len([role for role in OUTSIDERS if role not in rule.allowed])
        if not set(common.url_keys(PATTERNS[name])) - STRANGER_KEYS and not is_broad(name):
            size["IDOR: requests for another area's objects by roles allowed the world's"] += len(
                METHODS
            ) * len([role for role in rule.allowed if (name, role) not in NOT_PER_OBJECT])
        for _ in int_keys(name):
            if "unrelated" not in rule.allowed:
                size["IDOR: requests with guessed ids (id+1 to id+5)"] += len(GUESSES)
            if common.allowed_role(name) is not None:
                size["IDOR: requests with ids past the last row"] += len(GUESSES)
    return size
