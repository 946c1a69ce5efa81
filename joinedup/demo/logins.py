"""Demo logins: one shared password, and two-factor devices whose codes the demo can show.

Every demo account has the same password. Everyone must use two-factor authentication, so
every demo account comes with a confirmed TOTP device whose key is derived from the seed;
``manage.py demo_totp <username>`` prints the current code, and only when ``DEBUG`` is on. The device's name marks it as a demo device: the
command refuses any other device, so it can never reveal a real person's code.
"""

from __future__ import annotations

import hashlib

from django.contrib.auth.hashers import make_password

DEMO_PASSWORD = "demo-area-Ashworth-2026"  # noqa: S105 - published on purpose, for the demo
DEMO_DEVICE_NAME = "Demo authenticator"


def password_hash(seed: int) -> str:
    """The shared password, hashed once (with a salt fixed by the seed) for every account."""
    salt = hashlib.sha256(f"joinedup-demo-salt:{seed}".encode()).hexdigest()[:22]
    return make_password(DEMO_PASSWORD, salt=salt)


def totp_key(seed: int, username: str) -> str:
    """A demo account's TOTP key: twenty bytes from the seed and username, as hex."""
    return hashlib.sha256(f"joinedup-demo-totp:{seed}:{username}".encode()).hexdigest()[:40]
