"""Benchmark child index search: server-side latency and hit rate at demo-area scale.

Loads (or reuses) a demo area of N children, then runs searches built from real children
with realistic noise — typing errors, nicknames, day and month swapped, family name only
with a date of birth, name only — and measures the search service function
(``joinedup.children.search.search_children``: candidates, scoring, relationship and
shielding checks, and writing the SearchRecord, in its transaction; not HTTP). Reports
p50/p95/p99 and the hit rate (the right child in the top ten) separately for searches with
a date of birth and name-only searches.

    createdb -h 127.0.0.1 -U postgres joinedup_search          # once
    .venv/bin/python benchmarks/child_search.py \\
        --database-url postgres://postgres@127.0.0.1:5432/joinedup_search --children 100000
    .venv/bin/python benchmarks/child_search.py --sqlite --children 100000
    .venv/bin/python benchmarks/child_search.py ... --reuse    # keep an area already loaded

Each run prints a Markdown table row for ``benchmarks/results/child_search.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "joinedup.settings")
    import django

    django.setup()


def load_area(children: int, reuse: bool) -> float:
    from django.core.management import call_command
    from django.db import connection

    from joinedup.children.models import Child
    from joinedup.demo.load import load_demo_area

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if not (reuse and Child.objects.count() == children):
        load_demo_area(children=children, flush=True)
    if connection.vendor == "postgresql":
        # Fresh planner statistics, as autovacuum keeps them in production: without them
        # (after a bulk load or a migration) PostgreSQL can pick a full index scan.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return time.perf_counter() - started


# Noise ------------------------------------------------------------------------------


def typo(word: str, rng: random.Random) -> str:
    """One typing error: a letter substituted, dropped, doubled or two swapped (never the
    first letter, which people rarely get wrong)."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.choice(("substitute", "drop", "double", "swap"))
    if kind == "substitute":
        return word[:i] + rng.choice("aeiourstnl") + word[i + 1 :]
    if kind == "drop":
        return word[:i] + word[i + 1 :]
    if kind == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


def nickname_of(given: str, rng: random.Random) -> str | None:
    from joinedup.children.search import _nicknames_by_formal
    from joinedup.children.standardise import standardise_name

    options = sorted(_nicknames_by_formal().get(standardise_name(given), ()))
    return rng.choice(options).title() if options else None


@dataclass
class Case:
    kind: str
    with_dob: bool
    child_id: int
    query: Any
    same_name: int


def build_cases(count: int, rng: random.Random) -> list[Case]:
    from datetime import date

    from django.db.models import Count, Max

    from joinedup.children.models import Child
    from joinedup.children.search import SearchQuery

    highest = Child.objects.aggregate(highest=Max("pk"))["highest"]
    ids = sorted({rng.randint(1, highest) for _ in range(count * 2)})
    rows = list(
        Child.objects.filter(pk__in=ids).values_list(
            "pk", "given_name", "family_name", "date_of_birth", "postcode"
        )
    )
    rng.shuffle(rows)
    rows = rows[:count]
    names = {(row[1], row[2]) for row in rows}
    same: dict[tuple[str, str], int] = {}
    for given, family in names:
        same[(given, family)] = Child.objects.filter(
            given_name=given, family_name=family
        ).aggregate(n=Count("pk"))["n"]
    cases = []
    for index, (pk, given, family, born, _postcode) in enumerate(rows):
        with_dob = index % 2 == 0
        kind = rng.choice(
            ("exact", "typo given", "typo family", "nickname", "swapped dob", "family only")
        )
        name_given, name_family, dob = given, family, born
        if kind == "typo given":
            name_given = typo(given, rng)
        elif kind == "typo family":
            name_family = typo(family, rng)
        elif kind == "nickname":
            name_given = nickname_of(given, rng) or typo(given, rng)
        elif kind == "swapped dob":
            if born.day <= 12 and born.day != born.month:
                dob = date(born.year, born.day, born.month)
            else:
                name_family = typo(family, rng)
                kind = "typo family"
        if not with_dob and kind in ("swapped dob", "family only"):
            kind = "exact"
        name = name_family if kind == "family only" else f"{name_given} {name_family}"
        query = SearchQuery.build(name=name, date_of_birth=dob if with_dob else None)
        cases.append(Case(kind, with_dob, pk, query, same[(given, family)]))
    return cases


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def run(database_url: str, children: int, searches: int, reuse: bool, seed: int) -> dict[str, Any]:
    setup(database_url)
    from django.db import connection

    from joinedup.accounts.models import Practitioner
    from joinedup.children.search import search_children

    load_seconds = load_area(children, reuse)
    rng = random.Random(seed)  # noqa: S311 - repeatable noise, not secrecy
    cases = build_cases(searches, rng)
    practitioner = Practitioner.objects.filter(is_superuser=False, is_active=True).order_by("pk")[0]
    for case in cases[:50]:  # warm caches and connections
        search_children(practitioner=practitioner, query=case.query)
    timings: dict[bool, list[float]] = {True: [], False: []}
    hits: dict[bool, int] = {True: 0, False: 0}
    ceiling: dict[bool, float] = {True: 0.0, False: 0.0}
    by_kind: dict[tuple[bool, str], list[int]] = {}
    for case in cases:
        started = time.perf_counter()
        outcome = search_children(practitioner=practitioner, query=case.query)
        timings[case.with_dob].append(time.perf_counter() - started)
        hit = case.child_id in [result.child_id for result in outcome.results]
        hits[case.with_dob] += hit
        ceiling[case.with_dob] += min(1.0, 10 / case.same_name)
        by_kind.setdefault((case.with_dob, case.kind), []).append(hit)
    report: dict[str, Any] = {
        "vendor": connection.vendor,
        "children": children,
        "load_seconds": load_seconds,
        "groups": {},
    }
    for with_dob in (True, False):
        ms = [t * 1000 for t in timings[with_dob]]
        n = len(ms)
        report["groups"]["with date of birth" if with_dob else "name only"] = {
            "searches": n,
            "p50": percentile(ms, 50),
            "p95": percentile(ms, 95),
            "p99": percentile(ms, 99),
            "mean": statistics.fmean(ms),
            "hit_rate": hits[with_dob] / n,
            "ceiling": ceiling[with_dob] / n,
            "by_kind": {
                kind: (sum(values) / len(values), len(values))
                for (dob, kind), values in sorted(by_kind.items())
                if dob == with_dob
            },
        }
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="")
    parser.add_argument("--sqlite", action="store_true", help="Use /tmp/child_search.sqlite3")
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--searches", type=int, default=4000)
    parser.add_argument("--reuse", action="store_true", help="Keep an area of that size")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    url = args.database_url or ("sqlite:////tmp/child_search.sqlite3" if args.sqlite else "")
    if not url:
        parser.error("give --database-url or --sqlite")
    report = run(url, args.children, args.searches, args.reuse, args.seed)
    engine = "PostgreSQL" if report["vendor"] == "postgresql" else "SQLite"
    if report["load_seconds"]:
        print(f"Loaded {report['children']:,} children in {report['load_seconds']:.1f} s")
    for group, r in report["groups"].items():
        print(
            f"| {engine} | {report['children']:,} | {group} | {r['searches']:,} | {r['p50']:.1f} ms "
            f"| {r['p95']:.1f} ms | {r['p99']:.1f} ms | {r['hit_rate']:.1%} | {r['ceiling']:.1%} |"
        )
        for kind, (rate, n) in r["by_kind"].items():
            print(f"    {group} / {kind}: {rate:.1%} of {n}")


if __name__ == "__main__":
    main()
