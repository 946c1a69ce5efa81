"""Referrals in the demo area: a spread of states made through the lifecycle, and two
children the demo coordinator's ping-pong list finds."""

from __future__ import annotations

import pytest
from django.core import mail
from django.utils import timezone

from joinedup.accounts.models import Notification
from joinedup.demo.load import load_demo_area
from joinedup.demo.referrals import PINGPONG_PARTNERSHIP
from joinedup.partnerships.models import Partnership
from joinedup.referrals.models import PingPongOwnership, Referral, ReferralEvent, Service
from joinedup.referrals.pingpong import pingpong_children

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_the_demo_has_referrals_in_many_states_and_two_ping_pong_children():
    summary = load_demo_area(seed=5, children=1000)

    referrals = Referral.objects.all()
    assert summary.referrals == referrals.count()
    assert 15 <= referrals.count() <= 20
    statuses = set(referrals.values_list("status", flat=True))
    assert statuses >= {
        "draft",
        "sent",
        "acknowledged",
        "accepted",
        "declined",
        "started",
        "completed",
        "withdrawn",
    }
    assert referrals.filter(urgency="urgent").exists()
    assert referrals.filter(handled_outside=True).exists()
    assert referrals.filter(follows__isnull=False).exists()
    assert referrals.filter(status="accepted", expected_start_on__isnull=False).exists()
    today = timezone.localdate()
    assert referrals.filter(status="sent", acknowledge_by__lt=today).exists()  # overdue
    # Every step is an event, dated in the past with the referral.
    for referral in referrals.exclude(status="draft"):
        assert referral.sent_at is not None
        sent = ReferralEvent.objects.get(referral=referral, to_status="sent")
        assert sent.at == referral.sent_at
    # The demo's own school nurse login starts clean; nobody was emailed.
    assert not referrals.filter(referrer__username="practitioner").exists()
    assert not referrals.filter(child__involvements__practitioner__username="practitioner")
    assert mail.outbox == []
    assert Notification.objects.filter(kind="referral").exists()
    # Services that take referrals in Joined Up have staff to answer them.
    assert not Service.objects.filter(
        accepts_referrals_in_app=True, maintainers__isnull=True
    ).exists()

    partnership = Partnership.objects.get(name=PINGPONG_PARTNERSHIP)
    assert partnership.memberships.filter(
        practitioner__username="coordinator", role="coordinator"
    ).exists()
    found = pingpong_children(partnership)
    assert len(found) == 2
    rules = sorted(rule for entry in found for rule in entry.rules)
    assert rules == ["3 referrals declined in 90 days", "referred to 3 agencies in 90 days"]


def test_flushing_deletes_the_referrals_and_loads_the_same_again():
    load_demo_area(seed=5, children=600)
    first = Referral.objects.count()
    child = Referral.objects.exclude(status="draft").first().child
    PingPongOwnership.objects.create(
        child=child,
        partnership=Partnership.objects.get(name=PINGPONG_PARTNERSHIP),
        owner=Referral.objects.first().referrer,
        note="Meet the family",
        recorded_by=Referral.objects.first().referrer,
    )
    load_demo_area(seed=5, children=600, flush=True)
    assert Referral.objects.count() == first
    assert not PingPongOwnership.objects.exists()


def test_the_browser_tests_small_area_has_no_referrals():
    assert load_demo_area(seed=7, children=60).referrals == 0
    assert not Referral.objects.exists()
