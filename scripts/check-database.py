"""Fail clearly when the database named by DATABASE_URL cannot be reached.

CI runs the suite a second time on PostgreSQL; a missing server must fail that run
rather than let it pass by skipping.
"""

from __future__ import annotations

import os
import sys

import dj_database_url


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        print("DATABASE_URL is not set", file=sys.stderr)
        return 1
    config = dj_database_url.parse(url)
    if config["ENGINE"] != "django.db.backends.postgresql":
        return 0
    import psycopg

    try:
        with psycopg.connect(
            host=config["HOST"] or None,
            port=config["PORT"] or None,
            user=config["USER"] or None,
            password=config["PASSWORD"] or None,
            dbname=config["NAME"],
            connect_timeout=10,
        ) as connection:
            version = connection.execute("SHOW server_version").fetchone()
    except psycopg.OperationalError as error:
        print(
            f"Cannot reach PostgreSQL at {config['HOST']}:{config['PORT']}: {error}",
            file=sys.stderr,
        )
        return 1
    print(f"PostgreSQL {version[0] if version else '?'} at {config['HOST']}:{config['PORT']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
