"""Cross-site request forgery (issue 6, item 8): every URL of the service, posted to by a
role the permission matrix lets reach it, without a CSRF token, is refused with a 403
and writes nothing.

Every URL is posted to, not only the ones known to change state: a view that takes a POST
it should not must still not act on a forged one. Requests that the matrix lists as POST
actions are then sent again with a valid token, to show that the 403 came from the CSRF
check and not from the permission check.
"""

from __future__ import annotations

import pytest
from django.test import Client

from tests.security import common
from tests.sharing.test_permission_matrix import RULES

APP_URLS = common.app_urls()
PATTERNS = dict(APP_URLS)
# Each URL as a role allowed to reach it (anonymous for the public pages nobody signs in
# for, such as signing in and the set-password link).
CASES = [(name, common.allowed_role(name) or "anonymous") for name, _ in APP_URLS]
POST_ACTIONS = frozenset(name for name, rule in RULES.items() if rule.method == "POST")
# What Django's CSRF failure page says (django.views.csrf.csrf_failure).
CSRF_FAILURE = b"CSRF verification failed"
CONTROLS = [
    (name, role)
    for name, role in CASES
    if name in POST_ACTIONS and role in common.rule(name).allowed and role != "anonymous"
]


@pytest.fixture
def csrf_client() -> Client:
    return Client(enforce_csrf_checks=True)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), CASES)
def test_a_post_without_a_csrf_token_is_refused(csrf_client, world, name, role):
    rule = common.rule(name)
    world.sign_in(csrf_client, role)
    url = common.url_for(name, PATTERNS[name], world.url_kwargs)
    before = common.fingerprint()

    response = csrf_client.post(url, rule.data)
    common.TALLY["csrf requests without a token"] += 1

    assert response.status_code == 403, f"{name} as {role}: {response.status_code}"
    assert CSRF_FAILURE in response.content, f"{name} as {role} refused, but not for CSRF"
    assert common.changed_tables(before, common.fingerprint()) == []

    # A wrong token (a forged one) is refused as well.
    csrf_client.cookies["csrftoken"] = "x" * 32
    response = csrf_client.post(url, rule.data, headers={"X-CSRFToken": "y" * 32})
    common.TALLY["csrf requests with a forged token"] += 1
    assert response.status_code == 403
    assert CSRF_FAILURE in response.content
    assert common.changed_tables(before, common.fingerprint()) == []


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), CONTROLS)
def test_the_same_post_with_a_token_gets_past_the_check(csrf_client, world, name, role):
    rule = common.rule(name)
    world.sign_in(csrf_client, role)
    url = common.url_for(name, PATTERNS[name], world.url_kwargs)
    csrf_client.get("/")  # any page sets the CSRF cookie
    token = csrf_client.cookies["csrftoken"].value

    response = csrf_client.post(url, rule.data, headers={"X-CSRFToken": token})
    common.TALLY["csrf control requests with a token"] += 1

    # Whatever the view then decides, the CSRF check let the request through.
    assert CSRF_FAILURE not in response.content, f"{name} as {role}: refused with a valid token"


def planned_size() -> dict[str, int]:
    """How many requests the CSRF tests make (docs/security-tests.md)."""
    return {
        "CSRF: URLs posted to": len(CASES),
        "CSRF: requests without a token or with a forged one": 2 * len(CASES),
        "CSRF: control requests with a valid token": len(CONTROLS),
    }
