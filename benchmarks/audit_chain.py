"""Benchmark the tamper-evident audit: sealing 100,000 access records into the hash chain,
and verifying the chain, each against a fresh database.

Loads the access records in bulk (unsealed), then runs each step in its own process, so
its wall time and peak memory (maximum resident set size) are its own: sealing the whole
backlog (the chain reset before each run), and verifying it (``chain.verify_chain``, then
once more through ``manage.py verify_audit_chain``, whose system checks load the whole
app). Each step runs ``--repeat`` times; the median time and the highest peak RSS are
reported, as Markdown table rows for ``benchmarks/results/audit_chain.md``.

    .venv/bin/python benchmarks/audit_chain.py                     # SQLite, 100k records
    .venv/bin/python benchmarks/audit_chain.py --records 1000000 --repeat 1
    .venv/bin/python benchmarks/audit_chain.py \\
        --database-url postgres://postgres@127.0.0.1:5432/joinedup_bench

The PostgreSQL database named in the URL is dropped and created again first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
MANAGE = ROOT / "manage.py"
BATCH = 10_000


def setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "joinedup.settings")
    import django

    django.setup()


def load(records: int) -> None:
    """``records`` access records by 200 practitioners about 5,000 children, over a year."""
    setup()
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from joinedup.accounts.models import Practitioner
    from joinedup.children.models import Child
    from joinedup.sharing.models import AccessBasis, AccessRecord

    now = timezone.now()
    with transaction.atomic():
        people = Practitioner.objects.bulk_create(
            Practitioner(username=f"bench.{n}", email=f"bench.{n}@example.org") for n in range(200)
        )
        children = Child.objects.bulk_create(
            Child(
                given_name="Bench",
                family_name=f"Child {n}",
                date_of_birth=now.date() - timedelta(days=365 * 8),
            )
            for n in range(5_000)
        )
    for start in range(0, records, BATCH):
        with transaction.atomic():
            AccessRecord.objects.bulk_create(
                AccessRecord(
                    practitioner=people[n % len(people)],
                    child=children[(n * 7) % len(children)],
                    action="viewed",
                    what="Child record",
                    basis=AccessBasis.INVOLVEMENT if n % 10 else AccessBasis.STATED_REASON,
                    reason="Class teacher" if n % 10 else "Concern raised at the school gate",
                    path=f"/children/{(n * 7) % len(children)}/",
                    occurred_at=now - timedelta(seconds=(records - n) * 300),
                )
                for n in range(start, min(start + BATCH, records))
            )


def seal() -> None:
    setup()
    from joinedup.sharing.chain import reset_chain, seal_pending

    reset_chain()
    result = seal_pending()
    print(f"sealed {result.total}")


def verify() -> None:
    setup()
    from joinedup.sharing.chain import verify_chain

    result = verify_chain()
    print(f"checked {result.links}" + (" intact" if result.ok else " PROBLEMS"))


def timed(env: dict[str, str], *args: str) -> tuple[float, float, str]:
    """Run a step in its own process; its wall time, peak RSS (MiB) and output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(  # noqa: S603 - our own scripts and arguments
            [sys.executable, *args], env=env, cwd=ROOT, stdout=out, stderr=err
        )
        # wait4 gives this child's own resource usage; ru_maxrss is in KiB on Linux.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        output = out.read()
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"{' '.join(args)} failed:\n{output}\n{err.read()}")
    return seconds, usage.ru_maxrss / 1024, output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", help="a PostgreSQL URL; default a fresh SQLite file")
    parser.add_argument("--phase", choices=["load", "seal", "verify"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "load":
        load(args.records)
        return
    if args.phase == "seal":
        seal()
        return
    if args.phase == "verify":
        verify()
        return

    with tempfile.TemporaryDirectory(prefix="audit-chain-") as scratch:
        if args.database_url:
            sys.path.insert(0, str(ROOT / "benchmarks"))
            from demo_area import fresh_postgres

            fresh_postgres(args.database_url)
            url, engine = args.database_url, "PostgreSQL"
        else:
            url, engine = f"sqlite:///{Path(scratch) / 'chain.sqlite3'}", "SQLite"
        env = {**os.environ, "DATABASE_URL": url, "DEBUG": "false"}
        script = str(Path(__file__).resolve())
        timed(env, str(MANAGE), "migrate", "--verbosity", "0")
        load_seconds, _, _ = timed(env, script, "--phase", "load", "--records", str(args.records))
        seals = [timed(env, script, "--phase", "seal") for _ in range(args.repeat)]
        verifies = [timed(env, script, "--phase", "verify") for _ in range(args.repeat)]
        # The command as operators run it (its Django system checks load the whole app).
        command = timed(env, str(MANAGE), "verify_audit_chain")
    assert all(f"sealed {args.records}" in output for _, _, output in seals), seals[0][2]
    assert all(f"checked {args.records} intact" in out for _, _, out in verifies), verifies[0][2]
    assert "The audit is intact" in command[2], command[2]
    print(f"Loaded {args.records:,} access records in {load_seconds:.1f} s.\n")
    print("| Database | Step | Records | Median wall time | Records/s | Peak RSS |")
    print("|---|---|---:|---:|---:|---:|")
    for step, runs in (("seal", seals), ("verify", verifies)):
        median = statistics.median(seconds for seconds, _, _ in runs)
        peak = max(rss for _, rss, _ in runs)
        print(
            f"| {engine} | {step} | {args.records:,} | {median:.1f} s "
            f"| {args.records / median:,.0f} | {peak:,.0f} MiB |"
        )
    seconds, rss, _ = command
    print(
        f"| {engine} | `manage.py verify_audit_chain` (once) | {args.records:,} | {seconds:.1f} s "
        f"| {args.records / seconds:,.0f} | {rss:,.0f} MiB |"
    )


if __name__ == "__main__":
    main()
