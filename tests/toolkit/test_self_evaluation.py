"""Self-evaluation: members rate each checklist item, the group result shows each item's
mean and spread, and the evidence Joined Up already holds (meetings, reviews, referrals)
appears beside the items that use it, as counts only."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import reviews
from joinedup.casework.models import Review
from joinedup.partnerships.models import MembershipRole
from joinedup.referrals import lifecycle
from joinedup.referrals.models import Referral
from joinedup.toolkit import evidence, exports, selectors, services
from joinedup.toolkit.content import checklists
from joinedup.toolkit.models import MeetingStatus, SelfEvaluation, SelfEvaluationAnswer
from tests.casework.test_plan import team
from tests.factories import MembershipFactory, PractitionerFactory
from tests.queries import count_queries
from tests.referrals.factories import make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db
DAY = datetime.timedelta(days=1)


@pytest.fixture
def coordinator_membership():
    return MembershipFactory(role=MembershipRole.COORDINATOR)


@pytest.fixture
def partnership(coordinator_membership):
    return coordinator_membership.partnership


@pytest.fixture
def coordinator(coordinator_membership):
    return coordinator_membership.practitioner


@pytest.fixture
def member(partnership):
    return MembershipFactory(partnership=partnership).practitioner


@pytest.fixture
def evaluation(partnership, coordinator):
    return services.start_self_evaluation(
        partnership=partnership,
        checklist="building_blocks",
        held_on=timezone.localdate(),
        created_by=coordinator,
    )


def all_items(rating: int, note: str = "") -> dict[str, tuple[int, str]]:
    return {item.key: (rating, note) for item in checklists()["building_blocks"].items}


# Evidence ---------------------------------------------------------------------------------


def test_meetings_are_compared_with_the_half_terms(partnership, coordinator):
    today = datetime.date(2027, 7, 31)
    services.add_term_date(
        partnership=partnership,
        name="Spring 2027",
        starts_on=datetime.date(2027, 1, 5),
        ends_on=datetime.date(2027, 3, 26),
        half_term_starts_on=datetime.date(2027, 2, 15),
        half_term_ends_on=datetime.date(2027, 2, 19),
    )
    services.add_term_date(
        partnership=partnership,
        name="Summer 2027",
        starts_on=datetime.date(2027, 4, 12),
        ends_on=datetime.date(2027, 7, 21),
        half_term_starts_on=datetime.date(2027, 5, 31),
        half_term_ends_on=datetime.date(2027, 6, 4),
    )
    for held_on, status in [
        (datetime.date(2027, 1, 20), MeetingStatus.HELD),
        (datetime.date(2027, 4, 28), MeetingStatus.HELD),
        (datetime.date(2027, 3, 10), MeetingStatus.CANCELLED),  # does not count
        (datetime.date(2027, 6, 16), MeetingStatus.PLANNED),  # never recorded as held
    ]:
        meeting = services.add_meeting(
            partnership=partnership, held_on=held_on, created_by=coordinator
        )
        meeting.status = status
        meeting.save()

    found = evidence.meetings_every_half_term(partnership, today)
    assert found.summary.startswith("Met in 2 of 4 half terms in the last twelve months")
    assert found.details == (
        "No meeting in Spring 2027, second half",
        "No meeting in Summer 2027, second half",
    )


def test_without_term_dates_the_meetings_are_only_counted(partnership):
    found = evidence.meetings_every_half_term(partnership, timezone.localdate())
    assert "Enter the school term dates" in found.summary


def test_reviews_on_time_count_episodes_led_by_members(partnership):
    lead, _member, _membership, episode, _child = team()
    MembershipFactory(partnership=partnership, practitioner=lead)
    today = timezone.localdate()

    def hold(episode, lead, due_on):
        review = reviews.schedule_review(
            practitioner=lead, episode=episode, scheduled_for=timezone.now() + DAY
        )
        Review.objects.filter(pk=review.pk).update(due_on=due_on)
        review.refresh_from_db()
        reviews.record_review(practitioner=lead, review=review, held_on=today, minutes="Met")

    hold(episode, lead, today + 7 * DAY)  # on time
    hold(episode, lead, today - 3 * DAY)  # late
    outsider, _m, _ms, other_episode, _c = team()  # not a member: not counted
    hold(other_episode, outsider, today + DAY)

    found = evidence.reviews_on_time(partnership, today)
    assert found.summary.startswith("1 of 2 reviews held by their due date")


def test_referrals_acknowledged_on_time_use_the_reports_rule(partnership, member):
    today = timezone.localdate()
    make_referral(referrer=member, status="acknowledged")  # on time
    late = make_referral(referrer=member, status="sent")
    Referral.objects.filter(pk=late.pk).update(acknowledge_by=today - 5 * DAY)
    late.refresh_from_db()
    lifecycle.acknowledge(late, by=late.service.maintainers.first())  # acknowledged late
    waiting = make_referral(referrer=member, status="sent")
    Referral.objects.filter(pk=waiting.pk).update(acknowledge_by=today - DAY)  # overdue
    make_referral(referrer=member, status="sent")  # still within its time: not counted
    make_referral(referrer=PractitionerFactory(), status="acknowledged")  # not a member

    found = evidence.referrals_acknowledged_on_time(partnership, today)
    assert found.summary.startswith("1 of 3 referrals made by the partnership's members")


def test_evidence_names_no_child(partnership, member):
    referral = make_referral(referrer=member, status="acknowledged")
    kinds = set(evidence.EVIDENCE)
    for found in evidence.evidence_for(partnership, kinds).values():
        text = " ".join([found.summary, *found.details])
        assert referral.child.given_name not in text
        assert referral.child.family_name not in text


# Answers and the group result ------------------------------------------------------------


def test_answering_again_replaces_the_members_ratings(evaluation, member):
    services.answer_self_evaluation(evaluation=evaluation, member=member, answers=all_items(2))
    services.answer_self_evaluation(evaluation=evaluation, member=member, answers=all_items(3))
    assert set(
        SelfEvaluationAnswer.objects.filter(member=member).values_list("rating", flat=True)
    ) == {3}


def test_ratings_and_items_are_checked(evaluation, member):
    with pytest.raises(ValidationError, match="rating from 1 to 4"):
        services.answer_self_evaluation(evaluation=evaluation, member=member, answers=all_items(5))
    with pytest.raises(ValidationError, match="checklist's own items"):
        services.answer_self_evaluation(
            evaluation=evaluation, member=member, answers={"tarot": (2, "")}
        )


def test_group_result_gives_mean_and_spread(evaluation, member, coordinator):
    services.answer_self_evaluation(evaluation=evaluation, member=member, answers=all_items(2))
    services.answer_self_evaluation(
        evaluation=evaluation, member=coordinator, answers=all_items(4, "Minutes on file")
    )
    first = selectors.self_evaluation_result(evaluation)[0]
    assert first.ratings == (2, 4)
    assert first.mean == 3 and first.spread == 1
    assert first.rating_counts() == [0, 1, 0, 1]
    assert first.evidence_given == ("Minutes on file",)


def test_the_csv_is_formula_safe(evaluation, member):
    services.answer_self_evaluation(
        evaluation=evaluation, member=member, answers=all_items(3, '=HYPERLINK("x")')
    )
    rows = list(
        csv.reader(io.StringIO(exports.self_evaluation_csv(evaluation).decode("utf-8-sig")))
    )
    assert rows[0] == ["Self-evaluation", "Building blocks of effective multi-agency working"]
    cells = [cell for row in rows for cell in row]
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)
    meetings_row = next(row for row in rows if row and row[0].startswith("The partnership meets"))
    assert "meeting" in meetings_row[-2]  # the evidence Joined Up holds


# Pages -----------------------------------------------------------------------------------


def test_a_member_starts_a_self_evaluation(client, partnership, member):
    sign_in_verified(client, member)
    response = client.post(
        reverse("toolkit:create-self-evaluation", args=[partnership.pk]),
        {"checklist": "partnership_readiness", "held_on": "2026-11-20"},
    )
    evaluation = SelfEvaluation.objects.get()
    assert response.headers["Location"] == reverse("toolkit:self-evaluation", args=[evaluation.pk])
    assert evaluation.created_by == member and evaluation.checklist == "partnership_readiness"


def test_the_page_shows_the_evidence_beside_the_items(client, evaluation, member):
    sign_in_verified(client, member)
    response = client.get(reverse("toolkit:self-evaluation", args=[evaluation.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-evidence="meetings_every_half_term"' in page
    assert 'data-evidence="reviews_on_time"' in page
    assert 'data-evidence="referrals_acknowledged_on_time"' in page
    assert "0 of 0 reviews held by their due date" in page


def test_a_member_rates_every_item(client, evaluation, member):
    sign_in_verified(client, member)
    data = {}
    for item in checklists()["building_blocks"].items:
        data[f"rating_{item.key}"] = "3"
        data[f"evidence_{item.key}"] = ""
    response = client.post(reverse("toolkit:answer-self-evaluation", args=[evaluation.pk]), data)
    assert response.status_code == 302
    assert SelfEvaluationAnswer.objects.filter(member=member).count() == len(data) // 2
    del data["rating_clear_purpose"]
    response = client.post(reverse("toolkit:answer-self-evaluation", args=[evaluation.pk]), data)
    assert response.status_code == 200
    assert b"Choose a rating for this item" in response.content


def test_non_members_are_refused(client, evaluation):
    sign_in_verified(client, PractitionerFactory())
    for name in ("toolkit:self-evaluation", "toolkit:self-evaluation-csv"):
        assert client.get(reverse(name, args=[evaluation.pk])).status_code == 403


def test_the_page_makes_the_same_queries_however_many_members_answer(
    client, partnership, evaluation, member
):
    sign_in_verified(client, member)
    url = reverse("toolkit:self-evaluation", args=[evaluation.pk])
    few = count_queries(client, url)
    for _ in range(4):
        other = MembershipFactory(partnership=partnership).practitioner
        services.answer_self_evaluation(evaluation=evaluation, member=other, answers=all_items(2))
    assert count_queries(client, url) == few
