"""Where a sign-in attempt comes from, for django-axes' address count."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from joinedup.accounts.throttling import client_ip_address


@pytest.fixture
def factory() -> RequestFactory:
    return RequestFactory()


def test_without_trusted_proxies_the_forwarded_header_is_ignored(factory, settings):
    settings.AXES_TRUSTED_PROXY_COUNT = 0
    request = factory.post("/", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert client_ip_address(request) == "203.0.113.9"


def test_behind_one_proxy_the_last_forwarded_address_is_the_client(factory, settings):
    settings.AXES_TRUSTED_PROXY_COUNT = 1
    request = factory.post(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.1, 203.0.113.9"
    )
    # The first entry could have been made up by the client; the proxy added the last.
    assert client_ip_address(request) == "203.0.113.9"


def test_behind_two_proxies(factory, settings):
    settings.AXES_TRUSTED_PROXY_COUNT = 2
    request = factory.post(
        "/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9, 10.0.0.1"
    )
    assert client_ip_address(request) == "203.0.113.9"


def test_a_short_or_garbled_header_falls_back_safely(factory, settings):
    settings.AXES_TRUSTED_PROXY_COUNT = 2
    assert (
        client_ip_address(factory.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="x"))
        == "10.0.0.2"
    )
    settings.AXES_TRUSTED_PROXY_COUNT = 1
    assert (
        client_ip_address(
            factory.post("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="not-an-ip")
        )
        == "10.0.0.2"
    )
