"""Apply the retention rules: archive records at 18, purge them after the set period.

Run daily by the scheduler (docs/operations.md). Example::

    manage.py apply_retention --dry-run
    manage.py apply_retention --today 2031-09-01
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from joinedup.children.retention import apply_retention


class Command(BaseCommand):
    help = (
        "Archive the records of children who have turned 18 (then seen by data managers "
        "only) and purge records archived more than RETENTION_PURGE_AFTER_YEARS ago."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be done; change nothing."
        )
        parser.add_argument(
            "--today",
            metavar="YYYY-MM-DD",
            help="Apply the rules as on this day (default: today).",
        )
        parser.add_argument(
            "--batch-size", type=int, default=500, help="Records per transaction (default 500)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = None
        if options["today"]:
            try:
                today = date.fromisoformat(options["today"])
            except ValueError:
                raise CommandError("--today must be a date like 2031-09-01") from None
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        result = apply_retention(
            today=today,
            dry_run=options["dry_run"],
            purge_after_years=settings.RETENTION_PURGE_AFTER_YEARS,
            batch_size=options["batch_size"],
            log=self.stdout.write,
        )
        if result.failed:
            raise CommandError(f"{result.failed} record(s) could not be purged; see above.")
