"""Casework: the action plan (needs → desired outcomes → actions), my actions, overdue
flags and protection against lost edits."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import plan, services
from joinedup.casework.models import ActionStatus, Outcome
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction, AccessRecord
from tests.factories import ChildFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def team():
    """An open episode led by ``lead``, with ``member`` on the team."""
    lead = PractitionerFactory(first_name="Lena", last_name="Lead")
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=lead, role="Class teacher")
    episode = services.open_episode(practitioner=lead, children=[child])
    services.record_consent(
        practitioner=lead,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Carer",
        given_on=timezone.localdate(),
        scope="assessment_and_sharing",
    )
    services.choose_lead_professional(
        recorded_by=lead,
        episode=episode,
        practitioner=lead,
        family_agreement_recorded=True,
        family_agreed_by="Sam Carer",
    )
    member = PractitionerFactory(first_name="Mo", last_name="Member")
    membership = services.add_team_member(
        added_by=lead, episode=episode, practitioner=member, role="School nurse"
    )
    return lead, member, membership, episode, child


def outcome_for(lead, episode, codes=("being-healthy",)):
    need = plan.add_need(practitioner=lead, episode=episode, description="Poor sleep")
    return plan.add_desired_outcome(
        practitioner=lead,
        need=need,
        description="Sleeps through the night",
        outcomes=list(Outcome.objects.filter(code__in=codes)),
    )


def action_for(lead, desired, who, due=None, description="Sleep hygiene sessions"):
    return plan.add_action(
        practitioner=lead,
        desired_outcome=desired,
        description=description,
        due_on=due or timezone.localdate() + 7 * DAY,
        responsible_practitioner=who,
    )


def test_the_five_outcomes_are_loaded_as_data():
    names = list(Outcome.objects.values_list("name", flat=True))
    assert names == [
        "Being healthy",
        "Staying safe",
        "Enjoying and achieving",
        "Making a positive contribution",
        "Achieving economic well-being",
    ]
    assert all(len(outcome.aims) == 5 for outcome in Outcome.objects.all())


def test_a_desired_outcome_needs_an_every_child_matters_outcome(client):
    lead, _member, _membership, episode, _child = team()
    need = plan.add_need(practitioner=lead, episode=episode, description="Missing school")
    with pytest.raises(ValidationError, match="Every Child Matters"):
        plan.add_desired_outcome(practitioner=lead, need=need, description="Attends", outcomes=[])
    sign_in_verified(client, lead)
    url = reverse("casework:add-desired-outcome", args=[episode.pk, need.pk])
    response = client.post(url, {"description": "Attends every day"})
    assert response.status_code == 400
    assert "Choose at least one Every Child Matters outcome" in response.content.decode()
    response = client.post(
        url,
        {
            "description": "Attends every day",
            "outcomes": ["enjoying-and-achieving", "staying-safe"],
        },
    )
    assert response.status_code == 302
    desired = need.desired_outcomes.get()
    assert {o.name for o in desired.outcomes.all()} == {"Enjoying and achieving", "Staying safe"}
    page = client.get(reverse("casework:plan", args=[episode.pk])).content.decode()
    assert "Attends every day" in page and "Staying safe" in page


def test_actions_are_added_and_updated_through_the_pages(client):
    lead, member, _membership, episode, _child = team()
    desired = outcome_for(lead, episode)
    sign_in_verified(client, lead)
    response = client.post(
        reverse("casework:add-action", args=[episode.pk, desired.pk]),
        {
            "description": "Bedtime routine plan",
            "responsible_practitioner": member.username,
            "due_on_day": "1",
            "due_on_month": "2",
            "due_on_year": "2030",
        },
    )
    assert response.status_code == 302, response.content.decode()
    action = desired.actions.get()
    assert action.responsible_practitioner == member
    assert action.responsible_agency == member.home_agency
    assert action.due_on == datetime.date(2030, 2, 1)
    assert action.status == ActionStatus.NOT_STARTED and action.revision == 1

    # The member responsible updates it; another member may not.
    sign_in_verified(client, member)
    edit = reverse("casework:edit-action", args=[episode.pk, action.pk])
    assert client.get(edit).status_code == 200
    response = client.post(
        edit,
        {
            "description": "Bedtime routine plan, agreed with mum",
            "responsible_practitioner": member.username,
            "due_on": "2030-02-01",
            "status": "done",
            "revision": "1",
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE and action.completed_on == timezone.localdate()
    assert action.revision == 2 and action.updated_by == member
    other = PractitionerFactory()
    services.add_team_member(added_by=lead, episode=episode, practitioner=other, role="GP")
    assert not policy.can_edit_action(other, action)
    sign_in_verified(client, other)
    assert client.get(edit).status_code == 403
    assert client.get(reverse("casework:plan", args=[episode.pk])).status_code == 200
    assert client.get(reverse("casework:add-need", args=[episode.pk])).status_code == 403


def test_a_stale_save_is_refused_and_both_versions_are_shown(client):
    lead, member, _membership, episode, _child = team()
    action = action_for(lead, outcome_for(lead, episode), member)
    # The lead saves first, from revision 1.
    plan.update_action(
        practitioner=lead,
        action=action,
        revision=1,
        description="Lead's wording",
        due_on=action.due_on,
        status="in_progress",
        responsible_practitioner=member,
    )
    with pytest.raises(plan.EditConflict) as refusal:
        plan.update_action(
            practitioner=member,
            action=action,
            revision=1,
            description="Member's wording",
            due_on=action.due_on,
            status="done",
            responsible_practitioner=member,
        )
    assert refusal.value.current.description == "Lead's wording"
    # The page: the member's form was loaded at revision 1.
    sign_in_verified(client, member)
    response = client.post(
        reverse("casework:edit-action", args=[episode.pk, action.pk]),
        {
            "description": "Member's wording",
            "responsible_practitioner": member.username,
            "due_on": action.due_on.isoformat(),
            "status": "done",
            "revision": "1",
        },
    )
    assert response.status_code == 409
    page = response.content.decode()
    assert "Someone else saved this action first" in page
    assert "Lead&#x27;s wording" in page and "Member&#x27;s wording" in page
    assert 'name="revision" value="2"' in page
    action.refresh_from_db()
    assert action.description == "Lead's wording" and action.status == "in_progress"
    # Status changes are guarded in the same way.
    with pytest.raises(plan.EditConflict):
        plan.set_action_status(practitioner=member, action=action, status="done", revision=1)
    plan.set_action_status(practitioner=member, action=action, status="done", revision=2)
    action.refresh_from_db()
    assert action.status == "done" and action.revision == 3


def test_my_actions_lists_only_my_actions_while_i_am_on_the_team(client):
    lead, member, membership, episode, child = team()
    desired = outcome_for(lead, episode)
    mine = action_for(lead, desired, member, description="Member's own action")
    action_for(lead, desired, lead, description="The lead's action")
    # Another child's episode the member is on, led by someone else.
    other_lead, _m, _ms, other_episode, other_child = team()
    services.add_team_member(
        added_by=other_lead, episode=other_episode, practitioner=member, role="Nurse"
    )
    elsewhere = action_for(
        other_lead, outcome_for(other_lead, other_episode), member, description="Elsewhere"
    )
    result = plan.my_actions(practitioner=member)
    assert [row.action for row in result.mine] == [mine, elsewhere] or {
        row.action for row in result.mine
    } == {mine, elsewhere}

    sign_in_verified(client, member)
    page = client.get(reverse("casework:my-actions")).content.decode()
    assert "Member&#x27;s own action" in page and "Elsewhere" in page
    assert "The lead&#x27;s action" not in page
    assert child.full_name in page and other_child.full_name in page
    listed = AccessRecord.objects.filter(practitioner=member, what="My actions")
    assert {record.child for record in listed} == {child, other_child}
    assert set(listed.values_list("action", flat=True)) == {AccessAction.LISTED}

    # After leaving the team the first child's action is gone.
    services.leave_team(practitioner=lead, member=membership)
    assert [row.action for row in plan.my_actions(practitioner=member).mine] == [elsewhere]
    page = client.get(reverse("casework:my-actions")).content.decode()
    assert "Member&#x27;s own action" not in page and child.full_name not in page
    # The navigation offers the page to practitioners.
    assert reverse("casework:my-actions") in page


def test_overdue_actions_are_flagged_to_the_practitioner_and_the_lead(client):
    lead, member, _membership, episode, _child = team()
    desired = outcome_for(lead, episode)
    late = action_for(lead, desired, member, due=timezone.localdate() - DAY, description="Late")
    done = action_for(lead, desired, member, due=timezone.localdate() - DAY, description="Done")
    plan.set_action_status(practitioner=member, action=done, status="done", revision=1)
    action_for(lead, desired, member, due=timezone.localdate(), description="Due today")

    for_member = plan.my_actions(practitioner=member)
    assert [row.action for row in for_member.overdue_mine] == [late]
    for_lead = plan.my_actions(practitioner=lead)
    assert [row.action for row in for_lead.overdue_in_episodes_led] == [late]
    assert for_lead.mine == []

    sign_in_verified(client, member)
    page = client.get(reverse("casework:my-actions")).content.decode()
    assert "You have 1 overdue action" in page and "Overdue" in page
    sign_in_verified(client, lead)
    page = client.get(reverse("casework:my-actions")).content.decode()
    assert "Overdue actions in episodes you lead" in page
    assert f'id="overdue-led-{late.pk}"' in page
    plan_page = client.get(reverse("casework:plan", args=[episode.pk])).content.decode()
    assert "1 action overdue" in plan_page


def test_reading_the_plan_is_recorded_per_child(client):
    lead, _member, _membership, episode, child = team()
    sign_in_verified(client, lead)
    before = AccessRecord.objects.filter(child=child, what="Early help plan").count()
    assert client.get(reverse("casework:plan", args=[episode.pk])).status_code == 200
    assert AccessRecord.objects.filter(child=child, what="Early help plan").count() == before + 1
    outsider = PractitionerFactory()
    sign_in_verified(client, outsider)
    assert client.get(reverse("casework:plan", args=[episode.pk])).status_code == 403


def test_plan_and_my_actions_queries_do_not_grow_with_the_actions(client):
    lead, member, _membership, episode, _child = team()
    desired = outcome_for(lead, episode, codes=("being-healthy", "staying-safe"))
    action_for(lead, desired, member, due=timezone.localdate() - DAY)
    action_for(lead, desired, lead)  # (an empty list skips its prefetch: start with one)
    sign_in_verified(client, lead)
    plan_url = reverse("casework:plan", args=[episode.pk])
    mine_url = reverse("casework:my-actions")
    plan_few = count_queries(client, plan_url)
    lead_few = count_queries(client, mine_url)
    sign_in_verified(client, member)
    mine_few = count_queries(client, mine_url)
    for n in range(4):
        more = outcome_for(lead, episode, codes=("enjoying-and-achieving",))
        action_for(lead, more, member, due=timezone.localdate() - DAY, description=f"A{n}")
        action_for(lead, more, lead, description=f"B{n}")
        other_lead, _m, _ms, other_episode, _c = team()
        services.add_team_member(
            added_by=other_lead, episode=other_episode, practitioner=member, role="Nurse"
        )
        action_for(other_lead, outcome_for(other_lead, other_episode), member)
    assert count_queries(client, mine_url) == mine_few
    sign_in_verified(client, lead)
    assert count_queries(client, plan_url) == plan_few
    assert count_queries(client, mine_url) == lead_few
