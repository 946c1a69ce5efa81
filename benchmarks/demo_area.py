"""Benchmark ``manage.py load_demo`` at several sizes, each against a fresh database.

Each size runs in its own process, so its wall time and peak memory (maximum resident set
size) are its own. Results are printed as Markdown table rows for
``benchmarks/results/demo_area.md``.

    .venv/bin/python benchmarks/demo_area.py                       # SQLite, 3k, 100k, 1M
    .venv/bin/python benchmarks/demo_area.py --sizes 3000 100000
    .venv/bin/python benchmarks/demo_area.py \
        --database-url postgres://postgres@127.0.0.1:5432/joinedup_bench

The PostgreSQL database named in the URL is dropped and created again for every size.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MANAGE = ROOT / "manage.py"
DEFAULT_SIZES = (3_000, 100_000, 1_000_000)
SUMMARY = re.compile(r"([\d,]+) children, ([\d,]+) involvements")


@dataclass
class Result:
    children: int
    involvements: int
    seconds: float
    peak_rss_mib: float
    database_mib: float

    @property
    def rows_per_second(self) -> float:
        return (self.children + self.involvements) / self.seconds

    def markdown_row(self, engine: str) -> str:
        return (
            f"| {engine} | {self.children:,} | {self.involvements:,} | {self.seconds:,.1f} s "
            f"| {self.rows_per_second:,.0f} | {self.peak_rss_mib:,.0f} MiB "
            f"| {self.database_mib:,.0f} MiB |"
        )


def run_manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own manage.py with our own arguments
        [sys.executable, str(MANAGE), *args],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )


def fresh_postgres(url: str) -> None:
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    name = config["NAME"]
    if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
        raise SystemExit(f"Refusing to drop a database with an unusual name: {name!r}")
    admin = psycopg.connect(
        host=config.get("HOST") or "127.0.0.1",
        port=int(config.get("PORT") or 5432),
        user=config.get("USER") or "postgres",
        password=config.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    with admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")


def database_size_mib(url: str, sqlite_path: Path | None) -> float:
    if sqlite_path is not None:
        files = [sqlite_path, Path(f"{sqlite_path}-wal")]
        return sum(f.stat().st_size for f in files if f.exists()) / 2**20
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    with psycopg.connect(url) as connection:
        row = connection.execute("SELECT pg_database_size(%s)", [config["NAME"]]).fetchone()
    return (row[0] if row else 0) / 2**20


def measure(children: int, database_url: str | None, seed: int) -> Result:
    with tempfile.TemporaryDirectory(prefix="demo-area-") as scratch:
        sqlite_path = None
        if database_url is None:
            sqlite_path = Path(scratch) / "demo.sqlite3"
            url = f"sqlite:///{sqlite_path}"
        else:
            url = database_url
            fresh_postgres(url)
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true"}
        run_manage(env, "migrate", "--verbosity", "0")

        out_path, err_path = Path(scratch) / "stdout.txt", Path(scratch) / "stderr.txt"
        with out_path.open("w") as out, err_path.open("w") as err:
            started = time.perf_counter()
            process = subprocess.Popen(  # noqa: S603 - our own manage.py and arguments
                [sys.executable, str(MANAGE), "load_demo", "--children", str(children),
                 "--seed", str(seed), "--verbosity", "0"],
                env=env, cwd=ROOT, stdout=out, stderr=err,
            )  # fmt: skip
            # wait4 gives this child's own resource usage; ru_maxrss is in KiB on Linux.
            _, status, usage = os.wait4(process.pid, 0)
            seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"load_demo failed:\n{err_path.read_text()}")
        stdout_text = out_path.read_text()
        match = SUMMARY.search(stdout_text)
        if match is None:
            raise SystemExit(f"Could not read load_demo's summary:\n{stdout_text}")
        return Result(
            children=int(match.group(1).replace(",", "")),
            involvements=int(match.group(2).replace(",", "")),
            seconds=seconds,
            peak_rss_mib=usage.ru_maxrss / 1024,
            database_mib=database_size_mib(url, sqlite_path),
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES))
    parser.add_argument(
        "--database-url", help="a PostgreSQL URL; the default is a fresh SQLite file per size"
    )
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    engine = "PostgreSQL" if args.database_url else "SQLite"

    print("| Database | Children | Involvements | Wall time | Rows/s | Peak RSS | Database size |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for size in args.sizes:
        result = measure(size, args.database_url, args.seed)
        print(result.markdown_row(engine), flush=True)


if __name__ == "__main__":
    main()
