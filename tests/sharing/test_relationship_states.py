"""The permission matrix across relationship states (issue 6): access that came from a
relationship lapses the moment the relationship ends.

For each state a practitioner reaches the world's object through one relationship; the
relationship then ends (involvement ended, team membership ended, consent withdrawn,
consent expired, referral closed, break-glass expired) and every URL about that object
whose access is relationship-based (the matrix does not allow 'unrelated' there) must
refuse them. The URLs come from the URL configuration, so new ones are covered.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.utils import timezone

from joinedup.casework import services as casework
from joinedup.children.models import Involvement
from joinedup.sharing import consents
from joinedup.sharing.models import BreakGlassAccess, Consent
from tests.factories import AgencyFactory, InvolvementFactory, PractitionerFactory
from tests.sharing.test_permission_matrix import request_as, rule_for, url_names

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class State:
    # The URL keyword that names the object the relationship gives access to.
    key: str
    # URLs that must be reachable before the change (the relationship is real).
    reachable_before: tuple[str, ...]


STATES = {
    "involvement_ended": State("child_id", ("children:detail",)),
    "break_glass_expired": State("child_id", ("children:detail",)),
    "team_membership_ended": State("episode_id", ("casework:episode", "casework:plan")),
    "consent_withdrawn": State("episode_id", ("casework:episode", "casework:plan")),
    "consent_expired": State("episode_id", ("casework:episode", "casework:plan")),
    "referral_closed": State("referral_id", ("referrals:referral",)),
}


def relationship_urls(key: str) -> list[str]:
    """URLs naming the object, whose access depends on a relationship: not public, not open
    to anyone signed in, not the child's "state a reason" and break-glass doors."""
    names = []
    for name, pattern in url_names():
        if name.startswith("admin:") or key not in pattern.pattern.regex.groupindex:
            continue
        rule = rule_for(name)
        if rule is None or "unrelated" in rule.allowed:
            continue
        if set(pattern.pattern.regex.groupindex) - {key, "child_id"} and key == "child_id":
            continue  # a URL about something else that happens to name the child
        names.append(name)
    return sorted(names)


def arrange(world, state: str) -> tuple[object, Callable[[], None]]:
    """The practitioner holding the relationship, and the change that ends it."""
    today = timezone.localdate()
    episode_id = world.url_kwargs["episode_id"]
    from joinedup.casework.models import Episode

    episode = Episode.objects.get(pk=episode_id)
    lead = world.users["involved"]
    if state == "involvement_ended":
        health_visitor = PractitionerFactory()
        involvement = InvolvementFactory(child=world.child, practitioner=health_visitor)

        def end() -> None:
            Involvement.objects.filter(pk=involvement.pk).update(ended_on=today)

        return health_visitor, end
    if state == "break_glass_expired":
        doctor = PractitionerFactory()
        access = BreakGlassAccess.objects.create(
            practitioner=doctor,
            child=world.child,
            reason="Admitted to A&E at night, parents not answering",
            expires_at=timezone.now() + datetime.timedelta(hours=4),
        )

        def end() -> None:
            BreakGlassAccess.objects.filter(pk=access.pk).update(
                expires_at=timezone.now() - datetime.timedelta(seconds=1)
            )

        return doctor, end
    if state.startswith("team_membership") or state.startswith("consent"):
        nurse = PractitionerFactory(home_agency=AgencyFactory(name="School nursing"))
        member = casework.add_team_member(
            added_by=lead, episode=episode, practitioner=nurse, role="School nurse"
        )
        consent = Consent.objects.get(pk=world.url_kwargs["consent_id"])

        def end() -> None:
            if state == "team_membership_ended":
                casework.leave_team(practitioner=lead, member=member)
            elif state == "consent_withdrawn":
                consents.withdraw_consent(consent=consent, withdrawn_by=lead, reason="Asked")
            else:
                Consent.objects.filter(pk=consent.pk).update(
                    given_on=today - datetime.timedelta(days=365), expires_on=today
                )

        return nurse, end
    if state == "referral_closed":
        from joinedup.referrals import lifecycle
        from joinedup.referrals.models import Referral

        referral = Referral.objects.get(pk=world.url_kwargs["referral_id"])

        def end() -> None:
            lifecycle.withdraw(referral, by=lead, reason="No longer needed")

        return world.users["member"], end
    raise AssertionError(state)


@pytest.mark.parametrize("state", sorted(STATES))
def test_access_lapses_when_the_relationship_ends(client, world, state):
    spec = STATES[state]
    practitioner, end = arrange(world, state)
    world.users[state] = practitioner
    urls = relationship_urls(spec.key)
    assert urls, spec.key
    for name in spec.reachable_before:
        rule = rule_for(name)
        assert rule is not None
        response = request_as(client, world, name, state, rule)
        assert response.status_code == 200, f"{state}: {name} before the change"

    end()

    refused = []
    for name in urls:
        rule = rule_for(name)
        assert rule is not None
        response = request_as(client, world, name, state, rule)
        if response.status_code != 403:
            refused.append(f"{name}: {response.status_code}")
    assert not refused, f"{state}: still reachable after the relationship ended: {refused}"


def test_the_states_cover_the_relationships_the_policy_knows():
    """Every way in that lapses has a state here (the closing note counts URLs × states)."""
    assert set(STATES) == {
        "involvement_ended",
        "break_glass_expired",
        "team_membership_ended",
        "consent_withdrawn",
        "consent_expired",
        "referral_closed",
    }
    total = sum(len(relationship_urls(spec.key)) for spec in STATES.values())
    assert total >= 30
