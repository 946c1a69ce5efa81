"""``manage.py demo_totp <username>``: the current two-factor code of a demo account."""

from __future__ import annotations

import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from joinedup.accounts.models import Practitioner
from joinedup.demo import logins
from joinedup.demo.load import demo_accounts_q


class Command(BaseCommand):
    help = (
        "Print the current six-digit two-factor code of a demo account (only with DEBUG on, "
        "and only for the demo area's own devices)."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "demo_totp only runs with DEBUG on: it is for demonstrations on a developer's "
                "machine, never for a live service."
            )
        username = options["username"]
        demo_accounts = Practitioner.objects.filter(demo_accounts_q())
        device = TOTPDevice.objects.filter(
            user__in=demo_accounts,
            user__username=username,
            name=logins.DEMO_DEVICE_NAME,
            confirmed=True,
        ).first()
        if device is None:
            raise CommandError(
                f"{username} is not a demo account with a demo authenticator. Load the demo "
                "area with `manage.py load_demo` and use one of the logins it prints."
            )
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        code = f"{totp.token():0{device.digits}d}"
        seconds_left = device.step - int(time.time() - device.t0) % device.step
        self.stdout.write(code)
        if options["verbosity"] > 0:
            self.stderr.write(f"Valid for another {seconds_left} s.")
