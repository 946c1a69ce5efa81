"""Casework: outcomes over time — the 1–5 scale as data, rating rounds at assessment, at
reviews and at closure with the family's own score, and the distance-travelled chart and
table on the episode page."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import assessment, closure, outcome_ratings, reviews, services
from joinedup.casework.models import Outcome, OutcomeRatingRound, RatingOccasion
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction, AccessRecord
from tests.casework.test_plan import team
from tests.factories import ChildFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def codes() -> list[str]:
    return list(Outcome.objects.order_by("position").values_list("code", flat=True))


def scores(practitioner: int = 3, family: int | None = None, **overrides):
    """A score for every outcome; ``being_healthy=(2, 1)`` style overrides."""
    result = {code: (practitioner, family) for code in codes()}
    for name, value in overrides.items():
        result[name.replace("_", "-")] = value
    return result


def form_data(prefix: str = "", practitioner: int = 3, family: int | None = None, **extra):
    """POST data for an OutcomeRatingsForm (with ``prefix`` as the close page uses)."""
    start = f"{prefix}-" if prefix else ""
    data = {}
    for code in codes():
        name = code.replace("-", "_")
        data[f"{start}practitioner_{name}"] = str(practitioner)
        data[f"{start}family_{name}"] = "" if family is None else str(family)
    data[f"{start}family_rater"] = extra.pop("family_rater", "Sam Carer" if family else "")
    data[f"{start}notes"] = extra.pop("notes", "")
    data.update(extra)
    return data


def submitted_assessment(lead, episode, child):
    draft = assessment.start_assessment(practitioner=lead, episode=episode, child=child)
    return assessment.submit_assessment(
        practitioner=lead, assessment=draft, revision=draft.revision
    )


def held_review(lead, episode, held_on=None):
    review = reviews.schedule_review(
        practitioner=lead, episode=episode, scheduled_for=timezone.now() + DAY
    )
    return reviews.record_review(
        practitioner=lead, review=review, held_on=held_on or timezone.localdate(), minutes="Met"
    )


def rate(lead, episode, child, occasion=RatingOccasion.ASSESSMENT, review=None, **kwargs):
    kwargs.setdefault("scores", scores())
    return outcome_ratings.record_rating_round(
        practitioner=lead, episode=episode, child=child, occasion=occasion, review=review, **kwargs
    )


def test_the_scale_is_data_with_labels_and_descriptors():
    scale = outcome_ratings.outcome_scale()
    assert [point.score for point in scale] == [1, 2, 3, 4, 5]
    assert scale[0].label == "Serious concern" and scale[-1].label == "Doing well"
    assert all(point.descriptor for point in scale)


def test_ratings_at_assessment_wait_for_the_submitted_assessment_and_are_made_once():
    lead, _member, _membership, episode, child = team()
    with pytest.raises(ValidationError, match=r"once .* assessment is submitted"):
        rate(lead, episode, child)
    submitted_assessment(lead, episode, child)
    rating_round = rate(
        lead, episode, child, scores=scores(being_healthy=(2, 1)), family_rater="Sam (mother)"
    )
    assert rating_round.occasion == RatingOccasion.ASSESSMENT
    assert rating_round.recorded_by == lead
    healthy = rating_round.ratings.get(outcome__code="being-healthy")
    assert (healthy.practitioner_score, healthy.family_score) == (2, 1)
    assert rating_round.ratings.count() == 5
    with pytest.raises(ValidationError, match="at assessment were recorded"):
        rate(lead, episode, child)


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            {"being_healthy": (0, None)},
            "practitioner's score for Being healthy must be from 1 to 5",
        ),
        ({"staying_safe": (6, None)}, "practitioner's score for Staying safe must be from 1 to 5"),
        ({"staying_safe": (3, 9)}, "family's score for Staying safe must be from 1 to 5"),
    ],
)
def test_scores_must_be_on_the_scale(bad, message):
    lead, _member, _membership, episode, child = team()
    submitted_assessment(lead, episode, child)
    with pytest.raises(ValidationError, match=message):
        rate(lead, episode, child, scores=scores(**bad), family_rater="Sam")
    assert not OutcomeRatingRound.objects.exists()


def test_every_outcome_needs_a_score_and_family_scores_need_a_rater():
    lead, _member, _membership, episode, child = team()
    submitted_assessment(lead, episode, child)
    partial = scores()
    del partial["staying-safe"]
    with pytest.raises(ValidationError, match="Give the practitioner's score for Staying safe"):
        rate(lead, episode, child, scores=partial)
    with pytest.raises(ValidationError, match="Say who gave the family's rating"):
        rate(lead, episode, child, scores=scores(family=4))
    assert not OutcomeRatingRound.objects.exists()


def test_ratings_at_a_review_need_a_held_review_and_are_made_once_per_child():
    lead, _member, _membership, episode, child = team()
    scheduled = reviews.schedule_review(
        practitioner=lead, episode=episode, scheduled_for=timezone.now() + DAY
    )
    with pytest.raises(ValidationError, match="once the review is held"):
        rate(lead, episode, child, occasion=RatingOccasion.REVIEW, review=scheduled)
    review = reviews.record_review(
        practitioner=lead, review=scheduled, held_on=timezone.localdate() - DAY, minutes="Met"
    )
    rating_round = rate(lead, episode, child, occasion=RatingOccasion.REVIEW, review=review)
    assert rating_round.rated_on == review.held_on  # the review's date by default
    with pytest.raises(ValidationError, match="already recorded"):
        rate(lead, episode, child, occasion=RatingOccasion.REVIEW, review=review)


def test_a_closed_episode_takes_no_ratings():
    lead, _member, _membership, episode, child = team()
    submitted_assessment(lead, episode, child)
    closure.close_episode(practitioner=lead, episode=episode, reason="moved_away")
    with pytest.raises(ValidationError, match="closed"):
        rate(lead, episode, child)


def test_only_the_lead_records_ratings():
    lead, member, _membership, episode, _child = team()
    assert policy.can_record_outcome_ratings(lead, episode)
    assert not policy.can_record_outcome_ratings(member, episode)
    assert policy.can_view_outcome_ratings(member, episode)


def test_before_a_lead_is_chosen_the_opener_records_while_on_the_team():
    opener = PractitionerFactory()
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=opener)
    episode = services.open_episode(practitioner=opener, children=[child])
    assert policy.can_record_outcome_ratings(opener, episode)
    services.leave_team(practitioner=opener, member=episode.team.get(practitioner=opener))
    # Still sees the episode through the involvement, but is no longer on the team.
    assert policy.can_view_episode(opener, episode)
    assert not policy.can_record_outcome_ratings(opener, episode)


def test_distance_travelled_puts_rounds_in_order_with_the_change():
    lead, _member, _membership, episode, child = team()
    submitted_assessment(lead, episode, child)
    rate(lead, episode, child, scores=scores(being_healthy=(2, 1)), family_rater="Sam")
    review = held_review(lead, episode)
    rate(
        lead,
        episode,
        child,
        occasion=RatingOccasion.REVIEW,
        review=review,
        scores=scores(being_healthy=(3, None)),
    )
    closure.close_episode(
        practitioner=lead,
        episode=episode,
        reason="outcomes_achieved",
        final_ratings={child.pk: {"scores": scores(being_healthy=(4, 3)), "family_rater": "Sam"}},
    )
    (row,) = outcome_ratings.distance_travelled(episode, [child])
    assert [column.label for column in row.rounds] == ["Assessment", "Review 1", "Closure"]
    healthy = row.series[0]
    assert healthy.outcome.code == "being-healthy"
    assert healthy.practitioner == [2, 3, 4]
    assert healthy.family == [1, None, 3]
    assert healthy.practitioner_change.words == "Up 2 (from 2 to 4)"
    assert healthy.family_change.words == "Up 2 (from 1 to 3)"
    assert row.series[1].practitioner_change.words == "No change (3)"
    assert "Being healthy: the practitioner's score went up 2, from 2 to 4" in row.summary
    # The chart: a gap in the family's line where no family score was given.
    panel = row.chart.panels[0]
    assert len(panel.practitioner_points) == 3 and len(panel.family_points) == 2
    assert panel.practitioner_path.count("L") == 2
    assert panel.family_path.count("M") == 2 and "L" not in panel.family_path


def test_the_ratings_page_records_a_round_and_the_access(client):
    lead, _member, _membership, episode, child = team()
    submitted_assessment(lead, episode, child)
    sign_in_verified(client, lead)
    url = reverse("casework:record-ratings", args=[episode.pk, child.pk]) + "?occasion=assessment"
    page = client.get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "Being healthy" in text and ": the practitioner's score" in text
    assert "Needs are met; the child is doing as well as other children" in text  # a hint
    assert AccessRecord.objects.filter(
        practitioner=lead, child=child, what="Outcome ratings", action=AccessAction.VIEWED
    ).exists()

    # A family score without who gave it: nothing saved, the error summary says why.
    response = client.post(url, form_data(family=2, family_rater=""))
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert "Say who gave the family&#x27;s rating" in response.content.decode()
    assert not OutcomeRatingRound.objects.exists()

    response = client.post(url, form_data(practitioner=2, family=1))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#distance-travelled")
    rating_round = OutcomeRatingRound.objects.get()
    assert rating_round.family_rater == "Sam Carer"
    assert {(r.practitioner_score, r.family_score) for r in rating_round.ratings.all()} == {(2, 1)}


def test_the_ratings_page_explains_when_ratings_cannot_be_taken(client):
    lead, _member, _membership, episode, child = team()
    sign_in_verified(client, lead)
    url = reverse("casework:record-ratings", args=[episode.pk, child.pk])
    page = client.get(url).content.decode()
    assert "once" in page and "assessment is submitted" in page
    assert "Save the ratings" not in page
    response = client.post(url, form_data())
    assert response.status_code == 200
    assert not OutcomeRatingRound.objects.exists()


def test_only_the_lead_reaches_the_ratings_page(client):
    lead, member, _membership, episode, child = team()
    submitted_assessment(lead, episode, child)
    sign_in_verified(client, member)
    url = reverse("casework:record-ratings", args=[episode.pk, child.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, form_data()).status_code == 403
    assert not OutcomeRatingRound.objects.exists()


def test_ratings_at_a_review_are_linked_from_the_held_review(client):
    lead, _member, _membership, episode, child = team()
    review = held_review(lead, episode)
    sign_in_verified(client, lead)
    detail = client.get(reverse("casework:team-review", args=[episode.pk, review.pk]))
    url = (
        reverse("casework:record-ratings", args=[episode.pk, child.pk])
        + f"?occasion=review&review={review.pk}"
    )
    assert url.replace("&", "&amp;") in detail.content.decode()
    response = client.post(url, form_data(practitioner=4))
    assert response.status_code == 302
    assert response.headers["Location"] == reverse(
        "casework:team-review", args=[episode.pk, review.pk]
    )
    assert OutcomeRatingRound.objects.get().review == review


def test_ratings_at_assessment_are_linked_from_the_submitted_assessment(client):
    lead, member, _membership, episode, child = team()
    submitted = submitted_assessment(lead, episode, child)
    link = reverse("casework:record-ratings", args=[episode.pk, child.pk])
    sign_in_verified(client, lead)
    assert link in client.get(reverse("casework:assessment", args=[submitted.pk])).content.decode()
    sign_in_verified(client, member)
    page = client.get(reverse("casework:assessment", args=[submitted.pk])).content.decode()
    assert link not in page


def _rounds(lead, episode, child, count):
    """Assessment ratings, then ``count - 1`` held reviews with ratings."""
    submitted_assessment(lead, episode, child)
    rate(lead, episode, child, scores=scores(2, 1), family_rater="Sam")
    for index in range(count - 1):
        review = held_review(lead, episode)
        rate(
            lead,
            episode,
            child,
            occasion=RatingOccasion.REVIEW,
            review=review,
            scores=scores(min(3 + index, 5), None),
        )


def test_the_episode_page_shows_the_chart_and_the_table(client):
    lead, member, _membership, episode, child = team()
    submitted_assessment(lead, episode, child)
    rate(lead, episode, child, scores=scores(2, 1, staying_safe=(1, 2)), family_rater="Sam")
    review = held_review(lead, episode)
    rate(
        lead,
        episode,
        child,
        occasion=RatingOccasion.REVIEW,
        review=review,
        scores=scores(4, 3, staying_safe=(1, 1)),
        family_rater="Sam",
    )
    sign_in_verified(client, member)  # a team member reads the ratings
    page = client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    assert "Distance travelled" in page
    assert 'role="img"' in page
    assert f'aria-labelledby="chart-{child.pk}-title chart-{child.pk}-desc"' in page
    assert f"Outcome scores over time for {child.full_name}" in page
    assert "stroke-dasharray" in page  # the family's line is dashed, not only coloured
    table = page[page.index(f'id="distance-table-{child.pk}"') :]
    table = table[: table.index("</table>")]
    assert "<caption" in table and 'scope="col"' in table and 'scope="row"' in table
    assert "Assessment" in table and "Review 1" in table
    assert "Up 2 (from 2 to 4)" in table  # practitioner, being healthy (and others)
    assert "Down 1 (from 2 to 1)" in table  # the family, staying safe
    assert "No change (1)" in table  # the practitioner, staying safe
    # Recording is the lead's: the member sees no link to record.
    assert reverse("casework:record-ratings", args=[episode.pk, child.pk]) not in page


def test_the_episode_page_makes_a_flat_number_of_queries_as_rounds_grow(client):
    lead, _member, _membership, episode, child = team()
    _rounds(lead, episode, child, 2)
    sign_in_verified(client, lead)
    url = reverse("casework:episode", args=[episode.pk])
    before = count_queries(client, url)
    for _index in range(3):
        review = held_review(lead, episode)
        rate(lead, episode, child, occasion=RatingOccasion.REVIEW, review=review)
    assert OutcomeRatingRound.objects.count() == 5
    assert count_queries(client, url) == before
