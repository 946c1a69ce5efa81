"""Link every agency's source records to children (the batch identity-matching run)."""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from joinedup.accounts.models import Practitioner
from joinedup.children import linkage


class Command(BaseCommand):
    help = (
        "Train the matching model on every source record (and every child not yet backed by "
        "one), link records to children — automatically above the high threshold, a new "
        "child below the low one — and queue the middle band for a data manager's review. "
        "Saves the model for matching later imports one record at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=42, help="Seed for training.")
        parser.add_argument(
            "--as", dest="username", help="Record the links as made by this person."
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        performed_by = None
        if options["username"]:
            performed_by = Practitioner.objects.filter(username=options["username"]).first()
            if performed_by is None:
                raise CommandError(f"There is nobody called {options['username']!r}.")
        if options["verbosity"] < 2:
            logging.getLogger("splink").setLevel(logging.ERROR)
        self.stdout.write("Training the model and scoring pairs…")
        with tqdm(
            unit=" records", disable=options["no_progress"], desc="Applying clusters"
        ) as progress:
            summary = linkage.link_all(
                performed_by=performed_by, seed=options["seed"], progress=progress.update
            )
        self.stdout.write(
            "\n".join(
                [
                    f"Source records:              {summary.records}",
                    f"Children used as index rows: {summary.index_children}",
                    f"Records linked:              {summary.records_linked}",
                    f"New children:                {summary.children_created}",
                    f"Possible matches to review:  {summary.reviews_queued}",
                    f"Not linked (no valid date of birth): {summary.not_linked}",
                ]
            )
        )
        if summary.timings:
            took = ", ".join(f"{k} {v:.1f}s" for k, v in summary.timings.items())
            self.stdout.write(f"Matching took: {took}")
        self.stdout.write(self.style.SUCCESS("Done."))
