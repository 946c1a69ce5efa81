"""Email each owner of a stale directory entry the list of their entries to check.

An entry is stale when it was last checked more than DIRECTORY_STALE_AFTER_DAYS ago. Its
owners are its maintainers; an entry with none goes to its agency's data managers. Run it
weekly (docs/services-directory.md). Example::

    manage.py flag_stale_services --site-url https://joinedup.example.org --dry-run
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.management.base import CommandParser
from django.template.loader import render_to_string

from joinedup.commands import DailyNoticeCommand
from joinedup.referrals.selectors import stale_services_by_owner


class Command(DailyNoticeCommand):
    today_help = "Judge staleness as on this day."
    dry_run_help = "Say who would be emailed; send nothing."
    help = (
        "Email the people who keep directory entries up to date a list of their entries last "
        "checked more than DIRECTORY_STALE_AFTER_DAYS ago."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--site-url",
            default="",
            help="The address people reach Joined Up at, for the links in the emails.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = self.today(options)
        site_url = options["site_url"].rstrip("/")
        owners = stale_services_by_owner(today)
        sent = 0
        for person, services in sorted(owners.items(), key=lambda item: item[0].pk):
            if not person.email:
                continue
            if options["dry_run"]:
                self.stdout.write(f"Would email {person.email}: {len(services)} stale entries")
                continue
            body = render_to_string(
                "referrals/email/stale_services.txt",
                {
                    "person": person,
                    "services": services,
                    "site_url": site_url,
                    "stale_after_days": settings.DIRECTORY_STALE_AFTER_DAYS,
                },
            )
            subject = (
                "A directory entry needs checking"
                if len(services) == 1
                else f"{len(services)} directory entries need checking"
            )
            send_mail(subject, body, None, [person.email])
            sent += 1
        entries = len({service.pk for services in owners.values() for service in services})
        verb = "Would email" if options["dry_run"] else "Emailed"
        count = len(owners) if options["dry_run"] else sent
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {count} people about {entries} stale directory entries.")
        )
