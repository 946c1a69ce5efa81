"""Casework: reviews (team around the child meetings) — due dates by policy, invitations
with a calendar file, recording progress and decisions, overdue reviews."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import plan, reviews
from joinedup.casework.models import (
    RAG,
    Action,
    ActionStatus,
    Review,
    ReviewStatus,
)
from joinedup.partnerships.models import MembershipRole
from tests.casework.test_plan import action_for, outcome_for, team
from tests.factories import MembershipFactory, PartnershipFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)
WEEK = datetime.timedelta(weeks=1)


def schedule(lead, episode, days=7):
    return reviews.schedule_review(
        practitioner=lead,
        episode=episode,
        scheduled_for=timezone.now() + days * DAY,
        location="Brook Lane",
    )


def test_due_dates_follow_settings(settings, django_capture_on_commit_callbacks):
    settings.FIRST_REVIEW_WEEKS = 3
    settings.REVIEW_INTERVAL_WEEKS = 5
    lead, _member, _membership, episode, _child = team()
    with django_capture_on_commit_callbacks(execute=True):
        first = schedule(lead, episode)
    assert first.due_on == episode.opened_on + 3 * WEEK
    held = timezone.localdate()
    reviews.record_review(practitioner=lead, review=first, held_on=held, minutes="Met")
    first.refresh_from_db()
    assert first.next_review_due == held + 5 * WEEK
    second = schedule(lead, episode)
    assert second.due_on == held + 5 * WEEK


def test_a_chosen_next_review_date_sets_the_next_due_date():
    lead, _member, _membership, episode, _child = team()
    review = schedule(lead, episode)
    chosen = timezone.localdate() + 20 * DAY
    reviews.record_review(
        practitioner=lead,
        review=review,
        held_on=timezone.localdate(),
        minutes="Met",
        next_review_due=chosen,
    )
    assert schedule(lead, episode).due_on == chosen


def test_invitations_are_emailed_with_a_calendar_file(django_capture_on_commit_callbacks):
    lead, member, _membership, episode, child = team()
    with django_capture_on_commit_callbacks(execute=True):
        review = schedule(lead, episode)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([lead.email, member.email])
    message = mail.outbox[0]
    assert child.given_name not in message.body
    name, content, mimetype = message.attachments[0]
    assert name == "review.ics" and mimetype.startswith("text/calendar")
    text = content.decode() if isinstance(content, bytes) else content
    assert "BEGIN:VEVENT" in text and f"review-{review.pk}@joinedup" in text
    assert "\r\n" in text


def test_only_one_review_is_scheduled_at_a_time():
    lead, _member, _membership, episode, _child = team()
    schedule(lead, episode)
    with pytest.raises(Exception, match="already scheduled"):
        schedule(lead, episode)


def test_recording_rates_actions_records_attendance_and_decisions():
    lead, member, membership, episode, _child = team()
    desired = outcome_for(lead, episode)
    first = action_for(lead, desired, member, description="Sleep diary")
    second = action_for(lead, desired, lead, description="GP appointment")
    review = schedule(lead, episode)
    reviews.record_review(
        practitioner=lead,
        review=review,
        held_on=timezone.localdate(),
        minutes="Good progress on sleep.",
        attended_member_ids=[membership.pk],
        other_attendees=["Sam Carer"],
        progress={first.pk: ("green", "Diary kept"), second.pk: ("red", "Missed")},
        changes=[reviews.ActionChange(action=first, status=ActionStatus.DONE)],
        new_actions=[
            reviews.NewAction(
                desired_outcome=desired,
                description="Bedtime routine chart",
                due_on=timezone.localdate() + 14 * DAY,
                responsible_practitioner=member,
            )
        ],
    )
    review.refresh_from_db()
    assert review.status == ReviewStatus.HELD
    assert dict(review.progress.values_list("action_id", "rag")) == {
        first.pk: RAG.GREEN,
        second.pk: RAG.RED,
    }
    first.refresh_from_db()
    assert first.status == ActionStatus.DONE
    assert Action.objects.filter(description="Bedtime routine chart").exists()
    attended = {(row.team_member_id, row.name, row.attended) for row in review.attendance.all()}
    assert (membership.pk, "", True) in attended
    assert (None, "Sam Carer", True) in attended
    assert review.next_review_due == timezone.localdate() + 6 * WEEK


def test_every_current_action_must_be_rated():
    lead, member, _membership, episode, _child = team()
    action_for(lead, outcome_for(lead, episode), member)
    review = schedule(lead, episode)
    with pytest.raises(Exception, match="Rate progress"):
        reviews.record_review(
            practitioner=lead, review=review, held_on=timezone.localdate(), minutes="Met"
        )


def test_the_record_page_records_rag_and_a_new_action(client):
    lead, member, membership, episode, _child = team()
    desired = outcome_for(lead, episode)
    action = action_for(lead, desired, member)
    review = schedule(lead, episode)
    sign_in_verified(client, lead)
    today = timezone.localdate()
    due = today + 10 * DAY
    url = reverse("casework:record-review", args=[episode.pk, review.pk])
    response = client.post(
        url,
        {
            "held_on": today.isoformat(),
            "minutes": "Met at school",
            "attended": [membership.pk],
            f"rag_{action.pk}": "amber",
            f"note_{action.pk}": "Started",
            "new_desired_outcome": desired.pk,
            "new_description": "Weekly check-in call",
            "new_due_on": due.isoformat(),
            "new_responsible": lead.username,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    review.refresh_from_db()
    assert review.progress.get().rag == RAG.AMBER
    assert Action.objects.filter(description="Weekly check-in call", due_on=due).exists()
    page = client.get(reverse("casework:team-review", args=[episode.pk, review.pk]))
    assert "Amber" in page.content.decode()


def test_calendar_download(client):
    lead, _member, _membership, episode, _child = team()
    review = schedule(lead, episode)
    sign_in_verified(client, lead)
    response = client.get(reverse("casework:review-calendar", args=[episode.pk, review.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VCALENDAR" in response.content


def _make_overdue(review: Review) -> None:
    Review.objects.filter(pk=review.pk).update(due_on=timezone.localdate() - DAY)


def test_an_overdue_review_is_visible_to_the_lead_and_the_coordinator(client):
    lead, member, _membership, episode, child = team()
    review = schedule(lead, episode)
    _make_overdue(review)
    partnership = PartnershipFactory()
    MembershipFactory(partnership=partnership, practitioner=member)
    coordinator = PractitionerFactory()
    MembershipFactory(
        partnership=partnership, practitioner=coordinator, role=MembershipRole.COORDINATOR
    )
    other_coordinator = PractitionerFactory()
    MembershipFactory(
        partnership=PartnershipFactory(),
        practitioner=other_coordinator,
        role=MembershipRole.COORDINATOR,
    )
    assert reviews.overdue_reviews_for_lead(lead) == [review]
    assert reviews.overdue_reviews_for_lead(member) == []
    assert reviews.overdue_reviews_for_coordinator(coordinator) == [review]
    assert reviews.overdue_reviews_for_coordinator(other_coordinator) == []

    url = reverse("casework:overdue-reviews")
    sign_in_verified(client, lead)
    assert child.full_name in client.get(url).content.decode()
    client.logout()
    sign_in_verified(client, coordinator)
    text = client.get(url).content.decode()
    assert f"Episode {episode.pk}" in text and child.full_name not in text
    # The episode page tags it too.
    client.logout()
    sign_in_verified(client, lead)
    assert "Overdue" in client.get(reverse("casework:episode", args=[episode.pk])).content.decode()


def test_a_held_review_is_not_overdue():
    lead, _member, _membership, episode, _child = team()
    review = schedule(lead, episode)
    _make_overdue(review)
    reviews.record_review(
        practitioner=lead, review=review, held_on=timezone.localdate(), minutes="Met"
    )
    assert reviews.overdue_reviews_for_lead(lead) == []


def test_review_pages_make_a_flat_number_of_queries(client):
    lead, member, _membership, episode, _child = team()
    desired = outcome_for(lead, episode)
    action_for(lead, desired, member)
    review = schedule(lead, episode)
    sign_in_verified(client, lead)
    record = reverse("casework:record-review", args=[episode.pk, review.pk])
    before = count_queries(client, record)
    for number in range(4):
        action_for(lead, desired, member, description=f"Action {number}")
    assert count_queries(client, record) == before

    progress = {a.pk: ("green", "") for a in reviews.current_actions(episode)}
    reviews.record_review(
        practitioner=lead,
        review=review,
        held_on=timezone.localdate(),
        minutes="Met",
        progress=dict(list(progress.items())[:1]) | progress,
    )
    detail = reverse("casework:team-review", args=[episode.pk, review.pk])
    assert count_queries(client, detail) > 0
    second = schedule(lead, episode)
    for number in range(3):
        action_for(lead, desired, member, description=f"More {number}")
    progress = {a.pk: ("amber", "") for a in reviews.current_actions(episode)}
    reviews.record_review(
        practitioner=lead,
        review=second,
        held_on=timezone.localdate(),
        minutes="Met",
        progress=progress,
    )
    first_count = count_queries(client, detail)
    second_count = count_queries(
        client, reverse("casework:team-review", args=[episode.pk, second.pk])
    )
    assert first_count == second_count


def test_only_the_lead_schedules_and_records():
    from joinedup.sharing import policy

    lead, member, _membership, episode, _child = team()
    assert policy.can_manage_reviews(lead, episode)
    assert not policy.can_manage_reviews(member, episode)
    assert policy.can_view_reviews(member, episode)
    assert plan  # the plan services make the decisions' actions
