"""Pieces shared by the management commands that run daily and tell people things."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class DailyNoticeCommand(BaseCommand):
    """A scheduled command that judges dates as on ``--today`` (for catching up or
    testing) and can ``--dry-run`` (say who would be told; tell nobody)."""

    today_help = "Judge the dates as on this day."
    dry_run_help = "Say who would be told; tell nobody."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", metavar="YYYY-MM-DD", help=self.today_help)
        parser.add_argument("--dry-run", action="store_true", help=self.dry_run_help)

    def today(self, options: dict[str, Any]) -> date | None:
        if not options["today"]:
            return None
        try:
            return date.fromisoformat(options["today"])
        except ValueError:
            raise CommandError("--today must be a date like 2026-09-01") from None
