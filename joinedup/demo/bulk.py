"""Fast inserts of many rows, for loading a large demo area.

``QuerySet.bulk_create`` builds a model instance and prepares every field of every row;
at a million children and two and a half million involvements that alone takes minutes.
Here rows are plain tuples already in their database form, written with ``COPY`` on
PostgreSQL and ``executemany`` elsewhere: about ten times faster. Table and column names
come from the models, so a renamed field cannot silently go astray.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.core.management.color import no_style
from django.db import connection
from django.db.models import Model

Row = tuple[Any, ...]  # one row's values, in their database form


class RowWriter:
    """Inserts tuples of values into one model's table, in the order of ``fields``."""

    def __init__(self, model: type[Model], fields: Sequence[str]) -> None:
        quote = connection.ops.quote_name
        columns = [_column(model, name) for name in fields]
        self.table = quote(model._meta.db_table)
        self.column_list = ", ".join(quote(column) for column in columns)
        placeholders = ", ".join(["%s"] * len(columns))
        self.insert_sql = f"INSERT INTO {self.table} ({self.column_list}) VALUES ({placeholders})"  # noqa: S608

    def write(self, rows: Sequence[Row]) -> None:
        if not rows:
            return
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                copy_sql = f"COPY {self.table} ({self.column_list}) FROM STDIN"
                with cursor.cursor.copy(copy_sql) as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                cursor.executemany(self.insert_sql, rows)


def _column(model: type[Model], field_name: str) -> str:
    column = getattr(model._meta.get_field(field_name), "column", None)
    if not isinstance(column, str):
        raise ValueError(f"{model.__name__}.{field_name} is not a column")
    return column


def reset_sequences(*models: type[Model]) -> None:
    """After inserting rows with explicit ids, make the database's next id follow them."""
    statements = connection.ops.sequence_reset_sql(no_style(), list(models))
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def next_id(model: type[Model]) -> int:
    """The first free id above every row in the model's table."""
    from django.db.models import Max

    highest = model._default_manager.aggregate(highest=Max("pk"))["highest"]
    return (highest or 0) + 1


@contextmanager
def fast_sqlite_writes() -> Iterator[None]:
    """On SQLite, skip waiting for the disk and use a larger page cache while loading.

    A crash part-way can then lose the load, but the load is one transaction anyway: it is
    either all there or not at all. The usual settings come back afterwards. Inside a
    transaction already begun (as in tests) SQLite refuses the change, so none is made.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        cursor.execute("PRAGMA cache_size")
        cache_size = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous = OFF")
        cursor.execute("PRAGMA cache_size = -262144")  # 256 MiB
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA synchronous = {int(synchronous)}")
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
