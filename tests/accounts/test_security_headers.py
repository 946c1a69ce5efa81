"""Security headers, the Content-Security-Policy and Django's deployment checks."""

from __future__ import annotations

import os
import re
import secrets
import string
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

from tests.two_factor import sign_in_verified

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_security_headers_on_a_page(client):
    response = client.get(reverse("accounts:sign-in"))
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "object-src 'none'" in csp
    assert re.search(r"script-src 'self' 'nonce-[^']+'", csp)
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
def test_the_one_inline_script_carries_the_requests_nonce(client):
    response = client.get(reverse("accounts:sign-in"))
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    content = response.content.decode()
    inline_scripts = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", content)
    assert inline_scripts
    assert all(f'nonce="{nonce}"' in tag for tag in inline_scripts)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["accounts:sign-in", "accounts:set-up-two-factor", "accounts:security"]
)
def test_account_pages_have_no_inline_styles_or_handlers(client, practitioner, name):
    if name == "accounts:set-up-two-factor":
        client.force_login(practitioner)  # signed in, with no authenticator yet
    elif name != "accounts:sign-in":
        sign_in_verified(client, practitioner)
    response = client.get(reverse(name))
    assert response.status_code == 200
    content = response.content.decode()
    assert "<style" not in content
    assert not re.search(r"\sstyle=", content)
    assert not re.search(r"\son[a-z]+=", content)


@pytest.mark.django_db
def test_forms_are_protected_by_csrf(practitioner, password):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post(reverse("accounts:sign-in"), {"username": "nurse", "password": password})
    assert response.status_code == 403
    sign_in_verified(strict, practitioner)
    assert strict.post(reverse("accounts:sign-out")).status_code == 403


def test_deploy_checks_pass_with_production_settings(tmp_path):
    alphabet = string.ascii_letters + string.digits + "!@#%^&*(-_=+)"
    environment = {
        **os.environ,
        "JOINEDUP_ENVIRONMENT": "production",
        "SECRET_KEY": "".join(secrets.choice(alphabet) for _ in range(50)),
        "ALLOWED_HOSTS": "joinedup.example",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
    }
    environment.pop("DEBUG", None)
    # The browser tests set this for Playwright's event loop; production never has it.
    environment.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
