"""The rules of membership: who may change it, no duplicate members, always a coordinator."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from joinedup.partnerships import services
from joinedup.partnerships.models import (
    ActivityModel,
    GovernmentModel,
    Membership,
    MembershipRole,
    Partnership,
)
from joinedup.sharing import policy
from tests.factories import AgencyFactory, MembershipFactory, PractitionerFactory

pytestmark = pytest.mark.django_db


def today() -> datetime.date:
    return timezone.localdate()


# Adding members ---------------------------------------------------------------------------


def test_coordinator_adds_a_member(team):
    newcomer = PractitionerFactory()
    manager = PractitionerFactory()
    membership = services.add_member(
        partnership=team.partnership,
        practitioner=newcomer,
        role=MembershipRole.MEMBER,
        started_on=today(),
        partnership_line_manager=manager,
        added_by=team.coordinator,
    )
    assert membership.is_current
    assert membership.partnership_line_manager == manager
    assert membership.has_dual_line_management


def test_a_current_member_cannot_be_added_again(team):
    with pytest.raises(ValidationError) as problem:
        services.add_member(
            partnership=team.partnership,
            practitioner=team.member,
            role=MembershipRole.MEMBER,
            started_on=today(),
            added_by=team.coordinator,
        )
    assert "already a member" in str(problem.value.message_dict["practitioner"])
    assert Membership.objects.filter(practitioner=team.member).count() == 1


def test_someone_joining_later_cannot_be_added_twice(team):
    newcomer = PractitionerFactory()
    later = today() + datetime.timedelta(days=14)
    MembershipFactory(partnership=team.partnership, practitioner=newcomer, started_on=later)
    with pytest.raises(ValidationError):
        services.add_member(
            partnership=team.partnership,
            practitioner=newcomer,
            role=MembershipRole.MEMBER,
            started_on=today(),
            added_by=team.coordinator,
        )


def test_a_former_member_can_rejoin(team):
    team.member_membership.ended_on = today() - datetime.timedelta(days=30)
    team.member_membership.save()
    membership = services.add_member(
        partnership=team.partnership,
        practitioner=team.member,
        role=MembershipRole.MANAGER,
        started_on=today(),
        added_by=team.coordinator,
    )
    assert membership.is_current
    assert Membership.objects.filter(practitioner=team.member).count() == 2


def test_a_database_clash_is_reported_as_a_duplicate(team):
    """If two coordinators add the same person at once, the unique constraint catches the
    second; it is reported as a form error, not a server error."""
    newcomer = PractitionerFactory()
    MembershipFactory(partnership=team.partnership, practitioner=newcomer)
    with (
        mock.patch.object(services, "_has_membership_on", return_value=False),
        pytest.raises(ValidationError) as problem,
    ):
        services.add_member(
            partnership=team.partnership,
            practitioner=newcomer,
            role=MembershipRole.MEMBER,
            started_on=today(),
            added_by=team.coordinator,
        )
    assert "already a member" in str(problem.value.message_dict["practitioner"])
    assert Membership.objects.filter(practitioner=newcomer).count() == 1


def test_home_line_manager_is_not_recorded_as_a_partnership_line_manager(team):
    boss = PractitionerFactory()
    newcomer = PractitionerFactory(line_manager=boss)
    with pytest.raises(ValidationError) as problem:
        services.add_member(
            partnership=team.partnership,
            practitioner=newcomer,
            role=MembershipRole.MEMBER,
            started_on=today(),
            partnership_line_manager=boss,
            added_by=team.coordinator,
        )
    assert "partnership_line_manager" in problem.value.message_dict


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_only_a_coordinator_adds_members(team, who):
    with pytest.raises(PermissionDenied):
        services.add_member(
            partnership=team.partnership,
            practitioner=PractitionerFactory(),
            role=MembershipRole.MEMBER,
            started_on=today(),
            added_by=getattr(team, who),
        )
    assert team.partnership.memberships.count() == 2


# Ending memberships -----------------------------------------------------------------------


def test_ending_a_membership_today_removes_them_from_current_members(team):
    services.end_membership(
        membership=team.member_membership, ended_on=today(), ended_by=team.coordinator
    )
    team.member_membership.refresh_from_db()
    assert team.member_membership.ended_on == today()
    assert not team.member_membership.is_current
    assert not Membership.objects.current().filter(practitioner=team.member).exists()


def test_a_membership_cannot_end_before_it_started(team):
    with pytest.raises(ValidationError) as problem:
        services.end_membership(
            membership=team.member_membership,
            ended_on=team.member_membership.started_on - datetime.timedelta(days=1),
            ended_by=team.coordinator,
        )
    assert "ended_on" in problem.value.message_dict


def test_the_last_coordinator_cannot_be_ended(team):
    with pytest.raises(ValidationError) as problem:
        services.end_membership(
            membership=team.coordinator_membership, ended_on=today(), ended_by=team.coordinator
        )
    assert "only coordinator" in problem.value.messages[0]
    team.coordinator_membership.refresh_from_db()
    assert team.coordinator_membership.ended_on is None


def test_a_coordinator_can_hand_over_and_leave(team):
    services.change_member(
        membership=team.member_membership,
        role=MembershipRole.COORDINATOR,
        partnership_line_manager=None,
        changed_by=team.coordinator,
    )
    services.end_membership(
        membership=team.coordinator_membership, ended_on=today(), ended_by=team.coordinator
    )
    assert policy.is_coordinator_of(team.member, team.partnership)
    assert not policy.is_coordinator_of(team.coordinator, team.partnership)


def test_an_ended_membership_cannot_be_changed_again(team):
    services.end_membership(
        membership=team.member_membership, ended_on=today(), ended_by=team.coordinator
    )
    with pytest.raises(PermissionDenied):
        services.end_membership(
            membership=team.member_membership, ended_on=today(), ended_by=team.coordinator
        )


def test_a_member_cannot_end_a_membership(team):
    with pytest.raises(PermissionDenied):
        services.end_membership(
            membership=team.member_membership, ended_on=today(), ended_by=team.member
        )
    team.member_membership.refresh_from_db()
    assert team.member_membership.ended_on is None


# Changing roles ---------------------------------------------------------------------------


def test_changing_a_role(team):
    services.change_member(
        membership=team.member_membership,
        role=MembershipRole.MANAGER,
        partnership_line_manager=team.coordinator,
        changed_by=team.coordinator,
    )
    team.member_membership.refresh_from_db()
    assert team.member_membership.role == MembershipRole.MANAGER
    assert team.member_membership.partnership_line_manager == team.coordinator


def test_the_last_coordinator_cannot_step_down(team):
    with pytest.raises(ValidationError) as problem:
        services.change_member(
            membership=team.coordinator_membership,
            role=MembershipRole.MEMBER,
            partnership_line_manager=None,
            changed_by=team.coordinator,
        )
    assert "role" in problem.value.message_dict
    team.coordinator_membership.refresh_from_db()
    assert team.coordinator_membership.role == MembershipRole.COORDINATOR


def test_a_coordinator_starting_later_does_not_count(team):
    """Someone who becomes coordinator next month does not cover for today."""
    MembershipFactory(
        partnership=team.partnership,
        role=MembershipRole.COORDINATOR,
        started_on=today() + datetime.timedelta(days=30),
    )
    with pytest.raises(ValidationError):
        services.end_membership(
            membership=team.coordinator_membership, ended_on=today(), ended_by=team.coordinator
        )


def test_a_practitioner_cannot_be_their_own_partnership_line_manager(team):
    with pytest.raises(ValidationError):
        services.change_member(
            membership=team.member_membership,
            role=MembershipRole.MEMBER,
            partnership_line_manager=team.member,
            changed_by=team.coordinator,
        )


# Partnership details ----------------------------------------------------------------------


def _details(team, **changes):
    details = {
        "name": "Brook Lane Panel",
        "description": "Meets every half term.",
        "government_model": GovernmentModel.PANEL,
        "activity_model": ActivityModel.COORDINATED,
        "base_setting": team.school,
        "started_on": datetime.date(2023, 9, 1),
        "member_agencies": [team.school],
    }
    return details | changes


def test_update_partnership_changes_details_and_agencies(team):
    clinic = AgencyFactory(name="Exampleton Health Visiting")
    services.update_partnership(
        partnership=team.partnership,
        updated_by=team.coordinator,
        **_details(team, member_agencies=[clinic], base_setting=clinic),
    )
    team.partnership.refresh_from_db()
    assert team.partnership.name == "Brook Lane Panel"
    assert team.partnership.activity_model == ActivityModel.COORDINATED
    assert list(team.partnership.member_agencies.all()) == [clinic]
    assert team.partnership.base_setting == clinic


def test_update_partnership_is_all_or_nothing(team):
    """If setting the agencies fails, the name change is rolled back too."""
    with (
        mock.patch.object(
            Partnership.member_agencies.related_manager_cls, "set", side_effect=RuntimeError
        ),
        pytest.raises(RuntimeError),
    ):
        services.update_partnership(
            partnership=team.partnership, updated_by=team.coordinator, **_details(team)
        )
    team.partnership.refresh_from_db()
    assert team.partnership.name == "Brook Lane Team Around the Child"


def test_update_partnership_refuses_a_member(team):
    with pytest.raises(PermissionDenied):
        services.update_partnership(
            partnership=team.partnership, updated_by=team.member, **_details(team)
        )


def test_update_partnership_refuses_a_name_already_taken(team):
    Partnership.objects.create(
        name="Brook Lane Panel",
        government_model=GovernmentModel.PANEL,
        activity_model=ActivityModel.DECISION_MAKING_GROUP,
        started_on=datetime.date(2024, 1, 1),
    )
    with pytest.raises(ValidationError) as problem:
        services.update_partnership(
            partnership=team.partnership,
            updated_by=team.coordinator,
            **_details(team, name="brook lane panel"),
        )
    assert "name" in problem.value.message_dict
