"""``manage.py demo_totp <username>``: the current two-factor code of a demo account."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from joinedup.demo.load import current_demo_code


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
        demo_code = current_demo_code(username)
        if demo_code is None:
            raise CommandError(
                f"{username} is not a demo account with a demo authenticator. Load the demo "
                "area with `manage.py load_demo` and use one of the logins it prints."
            )
        code, seconds_left = demo_code
        self.stdout.write(code)
        if options["verbosity"] > 0:
            self.stderr.write(f"Valid for another {seconds_left} s.")
