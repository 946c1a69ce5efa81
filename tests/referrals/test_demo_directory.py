"""The demo area's services directory: varied, with a few stale entries and one full."""

from __future__ import annotations

import datetime

import pytest

from joinedup.demo.load import load_demo_area
from joinedup.referrals.models import Capacity, Service
from joinedup.referrals.selectors import DirectoryQuery, directory_services, stale_services_for

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 2)


def directory_snapshot() -> list[tuple]:
    return list(
        Service.objects.order_by("slug").values_list(
            "slug", "agency__name", "capacity", "waiting_weeks", "last_checked_on"
        )
    )


def test_the_demo_directory_is_varied_with_stale_entries_and_one_full_service():
    load_demo_area(seed=5, children=60, today=TODAY)

    services = Service.objects.all()
    assert 25 <= services.count() <= 40
    assert services.filter(capacity=Capacity.FULL).count() == 1
    stale = [s for s in services if s.is_stale(TODAY)]
    assert 2 <= len(stale) <= 6
    assert all(s.maintainers.exists() for s in services)
    assert len({s.agency_id for s in services}) >= 20
    assert services.filter(serves_all_districts=False).exists()
    assert services.filter(accepts_referrals_in_app=True).exists()
    # Someone in the cast has stale entries on their "My services" page.
    owner = stale[0].maintainers.first()
    assert stale_services_for(owner, TODAY).exists()
    # The filters find something for a typical search.
    found = directory_services(
        viewer=owner, query=DirectoryQuery(needs=("emotional-wellbeing",), age=14, district="AW4")
    )
    assert found.count() >= 2


def test_the_same_seed_gives_the_same_directory():
    load_demo_area(seed=5, children=20, today=TODAY)
    first = directory_snapshot()
    load_demo_area(seed=5, children=20, today=TODAY, flush=True)
    assert directory_snapshot() == first
    load_demo_area(seed=6, children=20, today=TODAY, flush=True)
    assert directory_snapshot() != first
