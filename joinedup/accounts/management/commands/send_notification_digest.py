"""Email each practitioner who chose a daily digest the notifications that arrived since
their last one (docs/operations.md). Nothing is sent to someone with none. Run it daily::

    manage.py send_notification_digest --dry-run
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from joinedup.accounts.notifications import pending_digests, send_digest


class Command(BaseCommand):
    help = (
        "Email each practitioner whose notification emails are a daily digest the "
        "notifications not yet emailed to them since their last digest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say who would be emailed; send nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now = timezone.now()
        digests = pending_digests(now)
        failed = 0
        for digest in digests:
            person = digest.practitioner
            count = len(digest.notifications)
            if options["dry_run"]:
                self.stdout.write(
                    f"Would email {person.username} <{person.email}>: {count} notifications"
                )
                continue
            try:
                send_digest(digest, now=now)
            except Exception as error:  # one bad address must not stop everyone's digest
                failed += 1
                self.stderr.write(f"Could not email {person.username}: {error}")
        verb = "Would email" if options["dry_run"] else "Emailed"
        self.stdout.write(self.style.SUCCESS(f"{verb} a digest to {len(digests) - failed} people."))
        if failed:
            raise CommandError(
                f"{failed} digests could not be sent; they will be tried again next time."
            )
