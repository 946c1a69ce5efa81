"""``manage.py load_demo``: load the synthetic Ashworth demo area."""

from __future__ import annotations

import sys
import tempfile
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from joinedup.demo import area, logins
from joinedup.demo.feeds import import_demo_feeds
from joinedup.demo.load import (
    DEFAULT_BATCH_SIZE,
    DEFAULT_CHILDREN,
    DEFAULT_SEED,
    DemoAreaError,
    LoadSummary,
    existing_data,
    load_demo_area,
)


class Command(BaseCommand):
    help = (
        "Load a synthetic local area (Ashworth) with agencies, practitioners, partnerships, "
        "children and involvements; the same seed and size always give the same area."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="default %(default)s")
        parser.add_argument(
            "--children", type=int, default=DEFAULT_CHILDREN, help="default %(default)s"
        )
        parser.add_argument(
            "--flush",
            action="store_true",
            help="Delete every child, agency and partnership, and the demo accounts, first.",
        )
        parser.add_argument(
            "--with-feeds",
            action="store_true",
            help="Also import four agencies' demo feeds and link them into the child index.",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Load only into an empty database; otherwise just print the demo logins.",
        )
        parser.add_argument(
            "--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="default %(default)s"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and not options["flush"]:
            already = existing_data()
            if already:
                self.stdout.write(f"The database already holds {already}: keeping it.")
                self.stdout.write(logins_text())
                return
        children = options["children"]
        with tqdm(
            total=children,
            unit=" children",
            unit_scale=True,
            file=sys.stderr,
            disable=options["verbosity"] == 0,
            desc="Children",
        ) as bar:
            involvements = 0

            def advance(child_count: int, involvement_count: int) -> None:
                nonlocal involvements
                involvements += involvement_count
                bar.set_postfix(involvements=f"{involvements:,}", refresh=False)
                bar.update(child_count)

            try:
                summary = load_demo_area(
                    seed=options["seed"],
                    children=children,
                    flush=options["flush"],
                    batch_size=options["batch_size"],
                    progress=advance,
                )
            except DemoAreaError as error:
                raise CommandError(str(error)) from error
        self._report(summary)
        if options["with_feeds"]:
            self._load_feeds(options["seed"])
        self.stdout.write(logins_text())

    def _load_feeds(self, seed: int) -> None:
        with tempfile.TemporaryDirectory(prefix="joinedup-demo-feeds-") as folder:
            loaded = import_demo_feeds(Path(folder), seed=seed)
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {loaded.feeds} agency feeds ({loaded.rows_created:,} records, "
                f"{loaded.rows_rejected} rows rejected for correction) and linked "
                f"{loaded.records_linked:,} records into the child index "
                f"({loaded.children_created} new children, {loaded.reviews_queued} possible "
                "matches to review)."
            )
        )

    def _report(self, summary: LoadSummary) -> None:
        write = self.stdout.write
        write(
            self.style.SUCCESS(
                f"Loaded the Ashworth demo area (seed {summary.seed}) in {summary.seconds:.1f} s: "
                f"{summary.agencies:,} agencies, {summary.practitioners} practitioners, "
                f"{summary.partnerships} partnerships, {summary.children:,} children, "
                f"{summary.involvements:,} involvements, {summary.episodes} early help episodes, "
                f"{summary.referrals} referrals."
            )
        )
        for warning in summary.warnings:
            write(self.style.WARNING(warning))


def logins_text() -> str:
    """The block of demo logins printed at the end of a load."""
    specs = {spec.username: spec for spec in area.PRACTITIONERS}
    rows = [
        ("admin", "System administrator (manages accounts; sees no child data)"),
        ("coordinator", f"{specs['coordinator'].job_title}, coordinates partnerships"),
        ("practitioner", f"{specs['practitioner'].job_title} with children and partnerships"),
        (
            area.DATA_MANAGER,
            f"{specs[area.DATA_MANAGER].job_title}, sends the school's records (agency feeds)",
        ),
    ]
    other_coordinators = sorted(
        set(area.coordinator_usernames()) - {"coordinator"} - set(area.data_manager_usernames())
    )
    lines = [
        "",
        "Demo logins",
        "===========",
        f"Password for every demo account: {logins.DEMO_PASSWORD}",
        "Everyone uses two-factor authentication. Every demo account has a demo authenticator;",
        "get its current code with: .venv/bin/python manage.py demo_totp <username>",
        "(development only: it refuses to run unless DEBUG is on).",
        "",
    ]
    for username, role in rows:
        lines.append(f"  {username:<14} {role}")
        lines.append(f"  {'':<14} two-factor code: .venv/bin/python manage.py demo_totp {username}")
    lines += [
        "",
        "Other coordinators: " + ", ".join(other_coordinators),
        "Every other practitioner signs in as firstname.lastname, e.g. grace.adeyemi",
        "(two-factor code: .venv/bin/python manage.py demo_totp grace.adeyemi).",
        "",
    ]
    return "\n".join(lines)
