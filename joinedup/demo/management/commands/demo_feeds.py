"""Write demo agency feed files (see joinedup/demo/feeds.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from joinedup.demo.feeds import DemoFeedsError, write_demo_feeds


class Command(BaseCommand):
    help = "Write a CSV or XLSX feed file and a column mapping for four demo agencies."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, required=True, help="The folder to write to.")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            files = write_demo_feeds(options["out"], seed=options["seed"])
        except DemoFeedsError as error:
            raise CommandError(str(error)) from error
        for written in files:
            self.stdout.write(f"{written.agency}: {written.rows} rows in {written.path}")
            self.stdout.write(
                f'  manage.py import_feed --agency "{written.agency}" --file {written.path} '
                f"--mapping {written.mapping_path}"
            )
