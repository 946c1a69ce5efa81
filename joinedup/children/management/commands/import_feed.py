"""Import an agency's file of records from the command line.

    manage.py import_feed --agency "Brookfield Community Primary School" --file pupils.csv \
        [--mapping mapping.json] [--as username]

Prints what happened to the rows and each rejected row (line, column, reason). Exits with
status 1 when the file is refused (nothing is imported then).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from joinedup.accounts.models import Practitioner
from joinedup.children.feeds.format import MappingError, check_mapping
from joinedup.children.feeds.importing import import_feed, run_feed
from joinedup.children.models import Feed, FeedStatus, RejectedRow
from joinedup.partnerships.models import Agency


class Command(BaseCommand):
    help = "Import an agency's CSV or XLSX file of records about children (an agency feed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--agency", help="The agency's name or id.")
        parser.add_argument("--file", type=Path, help="The CSV or XLSX file.")
        parser.add_argument(
            "--mapping",
            type=Path,
            help='A JSON file mapping your column headings to the format\'s fields, like {"Forename": "given_name"}. '
            "Without it, the agency's saved column mapping is used.",
        )
        parser.add_argument(
            "--as",
            dest="username",
            help="The data manager sending the file; they must be allowed to send the agency's records.",
        )
        parser.add_argument(
            "--resume",
            action="store_true",
            help="Run uploaded feeds left waiting or unfinished when the web service stopped. "
            "Use only while the web service is stopped.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["resume"]:
            self._resume()
            return
        if not options["agency"] or not options["file"]:
            raise CommandError("Give --agency and --file (or --resume).")
        agency = self._agency(options["agency"])
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"There is no file at {path}.")
        mapping = self._mapping(options["mapping"]) if options["mapping"] else None
        user = None
        if options["username"]:
            user = Practitioner.objects.filter(username=options["username"]).first()
            if user is None:
                raise CommandError(f"There is no account with the username {options['username']}.")
        try:
            with path.open("rb") as handle:
                feed = import_feed(
                    agency=agency,
                    file=handle,
                    filename=path.name,
                    submitted_by=user,
                    mapping=mapping,
                )
        except PermissionDenied as refusal:
            raise CommandError(str(refusal)) from refusal
        self._report(feed)

    def _agency(self, given: str) -> Agency:
        agency = Agency.objects.filter(name__iexact=given.strip()).first()
        if agency is None and given.strip().isdigit():
            agency = Agency.objects.filter(pk=int(given)).first()
        if agency is None:
            raise CommandError(f"There is no agency called {given!r}.")
        return agency

    def _mapping(self, path: Path) -> dict[str, str]:
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (OSError, ValueError) as error:
            raise CommandError(
                f"The mapping file {path} cannot be read as JSON: {error}"
            ) from error
        if not isinstance(data, dict):
            raise CommandError(
                'The mapping file must hold one JSON object, like {"Forename": "given_name"}.'
            )
        try:
            return check_mapping(data)
        except MappingError as error:
            raise CommandError(str(error)) from error

    def _report(self, feed: Feed) -> None:
        if feed.status == FeedStatus.REFUSED:
            raise CommandError(f"Refused {feed.filename}: {feed.refusal_message}")
        out = self.stdout
        out.write(f"Imported {feed.filename} for {feed.agency.name} (feed {feed.pk}).")
        out.write(f"  Rows in the file:            {feed.rows_total}")
        out.write(f"  New records:                 {feed.rows_created}")
        out.write(f"  Changed records:             {feed.rows_updated}")
        out.write(f"  Unchanged records:           {feed.rows_unchanged}")
        out.write(f"  Rows with invalid values:    {feed.rows_with_invalid_fields}")
        out.write(f"  Rows rejected:               {feed.rows_rejected}")
        if feed.rejects_resolved:
            out.write(f"  Earlier rejects corrected:   {feed.rejects_resolved}")
        if feed.unused_columns:
            out.write("  Columns not used: " + ", ".join(feed.unused_columns))
        for reject in RejectedRow.objects.filter(feed=feed).order_by("line_number"):
            column = f", column {reject.column}" if reject.column else ""
            out.write(f"  Rejected line {reject.line_number}{column}: {reject.reason}")

    def _resume(self) -> None:
        waiting = Feed.objects.filter(status__in=[FeedStatus.QUEUED, FeedStatus.RUNNING]).defer(
            "content"
        )
        for feed in waiting:
            Feed.objects.filter(pk=feed.pk).update(status=FeedStatus.QUEUED, rows_checked=0)
            try:
                self._report(run_feed(feed_id=feed.pk))
            except CommandError as refused:
                self.stderr.write(str(refused))
