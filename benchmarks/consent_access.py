"""Benchmark what consent-driven access costs (issue 6).

A team member's access to an episode now depends on the family's consent being in force
(``sharing.policy.team_access_q``): every team check and every list of children or
actions carries one more correlated subquery on ``sharing_consent``. This measures, at
realistic size, with consent checks on and (for comparison) with them switched off:

- ``can_view_episode`` for a team member (one decision, as every episode page asks);
- the first page (50) of a busy practitioner's children (``visible_children_filter``);
- "my actions" (``visible_plan_actions_filter``) for the same practitioner;
- withdrawing consent on an episode with a team of four (who loses access is worked out
  and told), end to end in its transaction.

Each reports median and p95 (ms) and the query count; the process's peak RSS is printed
at the end.

    createdb -h 127.0.0.1 -U postgres joinedup_consent          # once
    .venv/bin/python benchmarks/consent_access.py \\
        --database-url postgres://postgres@127.0.0.1:5432/joinedup_consent \\
        --children 100000 --episodes 20000
    .venv/bin/python benchmarks/consent_access.py ... --reuse    # keep an area already loaded

Prints Markdown table rows for ``benchmarks/results/consent_access.md``.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "joinedup.settings")
    import django

    django.setup()
    from django.conf import settings

    # Notifications are emailed too: keep the mail in memory, as a test would.
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def load(children: int, episodes: int, reuse: bool, rng: random.Random) -> dict[str, Any]:
    """A demo area, then ``episodes`` open episodes, each with consent to sharing with the
    team and a team of four from four agencies (bulk-created: the services are measured
    below, not here). One "busy" practitioner is on 300 of the teams."""
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from joinedup.accounts.models import Practitioner
    from joinedup.casework.models import Episode, EpisodeChild, TeamMember
    from joinedup.children.models import Child
    from joinedup.demo.load import load_demo_area
    from joinedup.partnerships.models import Agency
    from joinedup.sharing.consents import TEAM_SHARING_SCOPE
    from joinedup.sharing.models import Consent

    call_command("migrate", verbosity=0)
    if not (reuse and Episode.objects.count() >= episodes):
        load_demo_area(children=children, flush=True)
        today = timezone.localdate()
        agencies = list(Agency.objects.order_by("pk")[:40])
        staff = list(Practitioner.objects.filter(is_superuser=False).order_by("pk"))
        child_ids = list(
            Child.objects.filter(episodes__isnull=True)
            .order_by("?")
            .values_list("pk", flat=True)[:episodes]
        )
        busy = staff[0]
        batch = 2_000
        for start in range(0, len(child_ids), batch):
            chunk = child_ids[start : start + batch]
            made = Episode.objects.bulk_create(
                Episode(opened_by=rng.choice(staff), opened_on=today) for _ in chunk
            )
            EpisodeChild.objects.bulk_create(
                EpisodeChild(episode=episode, child_id=child_id)
                for episode, child_id in zip(made, chunk, strict=True)
            )
            members = []
            consents = []
            for index, (episode, child_id) in enumerate(zip(made, chunk, strict=True)):
                team = rng.sample(staff, 4)
                if (start + index) % (len(child_ids) // 300 or 1) == 0 and busy not in team:
                    team[0] = busy
                for practitioner in team:
                    members.append(
                        TeamMember(
                            episode=episode,
                            practitioner=practitioner,
                            role="Team member",
                            agency=rng.choice(agencies),
                            joined_on=today,
                            added_by=episode.opened_by,
                        )
                    )
                consents.append(
                    Consent(
                        child_id=child_id,
                        episode=episode,
                        given_by_kind="parent_carer",
                        given_by_name="A parent",
                        for_assessment=True,
                        for_sharing=True,
                        scope=list(TEAM_SHARING_SCOPE),
                        to_team=True,
                        given_on=today,
                        recorded_by=episode.opened_by,
                    )
                )
            TeamMember.objects.bulk_create(members)
            Consent.objects.bulk_create(consents)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    busy_member = (
        TeamMember.objects.values("practitioner_id")
        .order_by()
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    return {
        "episodes": Episode.objects.count(),
        "team_members": TeamMember.objects.count(),
        "busy_id": busy_member["practitioner_id"] if busy_member else None,
        "busy_teams": busy_member["n"] if busy_member else 0,
    }


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times = []
    queries = 0
    for _ in range(repeat):
        connection.queries_log.clear()  # a full log (9,000) would count nothing
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        queries = len(captured)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1], queries


def measure(info: dict[str, Any], repeat: int, rng: random.Random) -> list[tuple[str, tuple]]:
    from django.db import transaction

    from joinedup.accounts.models import Practitioner
    from joinedup.casework.models import Action, Episode, TeamMember
    from joinedup.children.models import Child
    from joinedup.sharing import consents, policy
    from joinedup.sharing.models import Consent

    busy = Practitioner.objects.get(pk=info["busy_id"])
    memberships = list(
        TeamMember.objects.filter(practitioner=busy).select_related("episode")[:repeat]
    )
    episodes = [m.episode for m in memberships]
    results = []

    def view_episode() -> None:
        episode = rng.choice(episodes)
        assert policy.can_view_episode(busy, episode)

    def children_page() -> None:
        list(Child.objects.filter(policy.visible_children_filter(busy)).order_by("pk")[:50])

    def my_actions() -> None:
        list(Action.objects.filter(policy.visible_plan_actions_filter(busy))[:50])

    for label, fn in (
        ("can_view_episode (team member)", view_episode),
        ("children list, first 50 (busy member)", children_page),
        ("my actions, first 50 (busy member)", my_actions),
    ):
        results.append((label, timed(fn, repeat)))

    withdrawable = list(
        Consent.objects.filter(withdrawn_on__isnull=True, episode__in=Episode.objects.all())
        .exclude(episode__in=episodes)
        .select_related("episode")[: max(repeat // 4, 20)]
    )
    lead = Practitioner.objects.exclude(pk=busy.pk).first()
    assert lead is not None
    queue = iter(withdrawable)

    def withdraw() -> None:
        consent = next(queue)
        with transaction.atomic():
            consents.withdraw_consent(consent=consent, withdrawn_by=lead, reason="Benchmark")

    results.append(("withdraw consent (team of 4, told)", timed(withdraw, len(withdrawable))))
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--children", type=int, default=100_000)
    parser.add_argument("--episodes", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    setup(args.database_url)
    rng = random.Random(11)  # noqa: S311 - repeatable sample, not secrecy
    started = time.perf_counter()
    info = load(args.children, args.episodes, args.reuse, rng)
    print(
        f"Loaded in {time.perf_counter() - started:.0f} s: {info['episodes']:,} episodes, "
        f"{info['team_members']:,} team members; the busy member is on "
        f"{info['busy_teams']} teams"
    )
    from joinedup.sharing import policy

    measure(info, args.repeat // 4, rng)  # warm the caches before either is timed
    with_checks = measure(info, args.repeat, rng)
    from django.db.models import Q

    def no_consent_check(on: Any = None) -> Q:
        return Q()

    real = policy.team_access_q
    policy.team_access_q = no_consent_check
    try:
        without = measure(info, args.repeat, rng)
    finally:
        policy.team_access_q = real
    print("| What | Consent checks | Median | p95 | Queries |")
    print("|---|---|---:|---:|---:|")
    for (label, (median, p95, queries)), (_, (median_off, p95_off, queries_off)) in zip(
        with_checks, without, strict=True
    ):
        print(f"| {label} | on | {median:.1f} ms | {p95:.1f} ms | {queries} |")
        print(f"| {label} | off | {median_off:.1f} ms | {p95_off:.1f} ms | {queries_off} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak RSS: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
