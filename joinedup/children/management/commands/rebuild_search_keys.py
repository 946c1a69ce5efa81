"""Recompute every child's search keys (after migrating, or after the rules change)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, transaction
from tqdm import tqdm

from joinedup.children.models import Child
from joinedup.children.search_keys import (
    SEARCH_KEY_FIELDS,
    SEARCH_SOURCE_FIELDS,
    search_key_row,
)


class Command(BaseCommand):
    help = (
        "Recompute the search keys (standardised and sound-alike names, postcode) of every "
        "child, in batches, writing only the children whose keys changed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=5000)
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size: int = options["batch_size"]
        total = Child.objects.count()
        quote = connection.ops.quote_name
        columns = [
            str(getattr(Child._meta.get_field(name), "column", name)) for name in SEARCH_KEY_FIELDS
        ]
        assignments = ", ".join(f"{quote(column)} = %s" for column in columns)
        table, pk = quote(Child._meta.db_table), quote(str(Child._meta.pk.column))
        update_sql = f"UPDATE {table} SET {assignments} WHERE {pk} = %s"  # noqa: S608
        changed = 0
        last_id = 0
        with tqdm(
            total=total, unit=" children", disable=options["no_progress"], unit_scale=True
        ) as progress:
            while True:
                rows = list(
                    Child.objects.filter(pk__gt=last_id)
                    .order_by("pk")
                    .values_list("pk", *SEARCH_SOURCE_FIELDS, *SEARCH_KEY_FIELDS)[:batch_size]
                )
                if not rows:
                    break
                updates = []
                for row in rows:
                    keys = search_key_row(row[1], row[2], row[3])
                    if keys != tuple(row[4:]):
                        updates.append((*keys, row[0]))
                if updates:
                    with transaction.atomic(), connection.cursor() as cursor:
                        cursor.executemany(update_sql, updates)
                changed += len(updates)
                last_id = rows[-1][0]
                progress.update(len(rows))
        self.stdout.write(f"Search keys rebuilt: {changed:,} of {total:,} children changed.")
