"""Hardening that the other security tests do not cover: production settings (refusing to
start without a secret key, secure cookies, HSTS) and no secrets in the repository.
docs/security.md, "Hardening checklist", lists where each protection is tested."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION = {
    "JOINEDUP_ENVIRONMENT": "production",
    "SECRET_KEY": "x" * 20 + "production-test-key-not-used-anywhere-else",
    "ALLOWED_HOSTS": "joinedup.example",
}

PRINT_SETTINGS = """
import django, json
django.setup()
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in (
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME",
    "SECURE_HSTS_SECONDS", "SECURE_HSTS_INCLUDE_SUBDOMAINS", "SECURE_SSL_REDIRECT", "DEBUG",
    "SESSION_COOKIE_HTTPONLY", "CSRF_COOKIE_HTTPONLY",
)}))
"""


def _run(code: str, **environment: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "joinedup.settings", **environment}
    for name in ("DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"):
        env.pop(name, None)
    if "SECRET_KEY" not in environment:
        env.pop("SECRET_KEY", None)
    return subprocess.run(  # noqa: S603 - this file's own snippets, run with this Python
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = _run(
        "import django; django.setup()",
        JOINEDUP_ENVIRONMENT="production",
        ALLOWED_HOSTS="joinedup.example",
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_production_cookies_are_secure_and_hsts_is_on():
    import json

    result = _run(PRINT_SETTINGS, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values["SESSION_COOKIE_SECURE"] and values["CSRF_COOKIE_SECURE"]
    assert values["SESSION_COOKIE_HTTPONLY"] and values["CSRF_COOKIE_HTTPONLY"]
    assert values["SESSION_COOKIE_NAME"].startswith("__Host-")
    assert values["CSRF_COOKIE_NAME"].startswith("__Host-")
    assert values["SECURE_HSTS_SECONDS"] >= 31_536_000
    assert values["SECURE_HSTS_INCLUDE_SUBDOMAINS"]
    assert values["SECURE_SSL_REDIRECT"]
    assert values["DEBUG"] is False


# Things that must never be committed: private keys and well-known token formats.
SECRET_PATTERNS = re.compile(
    r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP )?PRIVATE KEY"
    r"|AKIA[0-9A-Z]{16}"
    r"|gh[pousr]_[A-Za-z0-9]{36}"
    r"|xox[abpr]-[A-Za-z0-9-]{10,}"
    r"|sk_live_[A-Za-z0-9]{16,}"
)
SECRET_FILES = re.compile(r"(^|/)(\.env|id_rsa|id_ed25519)$|\.(pem|key|p12|pfx)$")


def _tracked_files() -> list[Path]:
    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")
    try:
        listed = subprocess.run(  # noqa: S603 - a fixed, read-only git command
            [git, "ls-files", "-z"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [ROOT / name for name in listed.decode().split("\0") if name]


def test_no_secrets_are_committed():
    problems = []
    for path in _tracked_files():
        relative = path.relative_to(ROOT).as_posix()
        if SECRET_FILES.search(relative):
            problems.append(f"{relative}: a file of a kind that holds secrets")
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_bytes().decode("utf-8", errors="ignore")
        if SECRET_PATTERNS.search(text):
            problems.append(f"{relative}: looks like a private key or access token")
    assert not problems, "\n".join(problems)
