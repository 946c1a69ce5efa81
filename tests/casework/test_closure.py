"""Casework: closing an episode (reason, the family's feedback, final ratings for every
child) and reopening it within the allowed period."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import closure, reviews, services
from joinedup.casework.models import (
    EpisodeChild,
    EpisodeReopening,
    EpisodeStatus,
    OutcomeRatingRound,
    RatingOccasion,
    Review,
    ReviewStatus,
)
from joinedup.sharing import policy
from joinedup.sharing.models import AccessRecord
from tests.casework.test_outcome_ratings import form_data, scores
from tests.casework.test_plan import team
from tests.factories import ChildFactory, InvolvementFactory, PractitionerFactory
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


def family_team():
    """An open episode for a brother and sister, led by ``lead``, with ``member`` on it."""
    lead, member, _membership, episode, child = team()
    sibling = ChildFactory(family_name=child.family_name)
    EpisodeChild.objects.create(episode=episode, child=sibling)
    return lead, member, episode, child, sibling


def final(*children, **kwargs):
    return {child.pk: {"scores": scores(**kwargs)} for child in children}


def scheduled_review(lead, episode):
    return reviews.schedule_review(
        practitioner=lead, episode=episode, scheduled_for=timezone.now() + DAY
    )


def backdate(episode, days):
    episode.opened_on = timezone.localdate() - days * DAY
    episode.save(update_fields=["opened_on"])


def test_closing_records_everything_and_ends_the_teams_access():
    lead, member, episode, child, sibling = family_team()
    review = scheduled_review(lead, episode)
    closed = closure.close_episode(
        practitioner=lead,
        episode=episode,
        reason="outcomes_achieved",
        notes="All actions done",
        family_feedback="We feel listened to",
        final_ratings={
            child.pk: {"scores": scores(4, 5), "family_rater": "Sam (mother)"},
            sibling.pk: {"scores": scores(5), "notes": "Settled at school"},
        },
    )
    episode.refresh_from_db()
    assert closed.status == episode.status == EpisodeStatus.CLOSED
    assert episode.closed_on == timezone.localdate()
    assert episode.closed_by == lead
    assert (episode.closure_reason, episode.closure_notes, episode.family_feedback) == (
        "outcomes_achieved",
        "All actions done",
        "We feel listened to",
    )
    assert not EpisodeChild.objects.filter(episode=episode, is_open=True).exists()
    rounds = OutcomeRatingRound.objects.filter(episode=episode, occasion=RatingOccasion.CLOSURE)
    assert {r.child_id for r in rounds} == {child.pk, sibling.pk}
    review.refresh_from_db()
    assert review.status == ReviewStatus.CANCELLED  # nobody is left to meet
    assert not policy.can_view_child(member, child)
    assert not policy.can_view_episode(member, episode)


def test_final_ratings_are_needed_for_every_child_unless_the_family_has_gone():
    lead, _member, episode, child, sibling = family_team()
    with pytest.raises(ValidationError, match=f"Give the final ratings for {sibling.full_name}"):
        closure.close_episode(
            practitioner=lead,
            episode=episode,
            reason="universal_services",
            final_ratings=final(child),
        )
    episode.refresh_from_db()
    assert episode.is_open and not OutcomeRatingRound.objects.exists()  # nothing half-written
    for reason in ("stepped_up", "moved_away", "family_withdrew"):
        assert not closure.final_ratings_required(reason)
    closure.close_episode(practitioner=lead, episode=episode, reason="family_withdrew")
    assert not episode.is_open


def test_a_bad_score_for_one_child_saves_nothing():
    lead, _member, episode, child, sibling = family_team()
    ratings = final(child)
    ratings[sibling.pk] = {"scores": scores(7)}
    with pytest.raises(ValidationError, match=f"{sibling.full_name}: .* from 1 to 5"):
        closure.close_episode(
            practitioner=lead, episode=episode, reason="outcomes_achieved", final_ratings=ratings
        )
    episode.refresh_from_db()
    assert episode.is_open and episode.closed_by is None
    assert not OutcomeRatingRound.objects.exists()


def test_other_needs_notes_and_the_reason_must_be_known():
    lead, _member, _membership, episode, child = team()
    with pytest.raises(ValidationError, match="Say why the episode is closing"):
        closure.close_episode(
            practitioner=lead, episode=episode, reason="other", final_ratings=final(child)
        )
    with pytest.raises(ValidationError, match="Choose why the episode is closing"):
        closure.close_episode(practitioner=lead, episode=episode, reason="bored")
    closure.close_episode(
        practitioner=lead,
        episode=episode,
        reason="other",
        notes="Family asked to pause",
        final_ratings=final(child),
    )
    with pytest.raises(ValidationError, match="already closed"):
        closure.close_episode(practitioner=lead, episode=episode, reason="moved_away")


def test_reopening_keeps_the_closure_and_restores_the_teams_access():
    lead, member, _membership, episode, child = team()
    closure.close_episode(
        practitioner=lead,
        episode=episode,
        reason="moved_away",
        family_feedback="Moving to Leeds",
    )
    assert not policy.can_view_child(member, child)
    with pytest.raises(ValidationError, match="Say why"):
        closure.reopen_episode(practitioner=lead, episode=episode, reason="  ")
    closure.reopen_episode(practitioner=lead, episode=episode, reason="The move fell through")
    episode.refresh_from_db()
    assert episode.is_open and episode.closed_on is None and episode.closed_by is None
    assert (episode.closure_reason, episode.family_feedback) == ("", "")
    reopening = EpisodeReopening.objects.get(episode=episode)
    assert reopening.reopened_by == lead
    assert reopening.previous_closure_reason == "moved_away"
    assert reopening.previous_family_feedback == "Moving to Leeds"
    assert reopening.previous_closed_on == timezone.localdate()
    assert EpisodeChild.objects.get(episode=episode, child=child).is_open
    assert policy.can_view_child(member, child)
    with pytest.raises(ValidationError, match="open"):
        closure.reopen_episode(practitioner=lead, episode=episode, reason="Again")


def test_reopening_is_refused_after_the_period(settings):
    settings.EPISODE_REOPEN_DAYS = 5
    lead, _member, _membership, episode, _child = team()
    backdate(episode, 30)
    closure.close_episode(
        practitioner=lead, episode=episode, reason="moved_away", on=timezone.localdate() - 6 * DAY
    )
    assert not policy.can_reopen_episode(lead, episode)
    with pytest.raises(ValidationError, match="could be reopened until"):
        closure.reopen_episode(practitioner=lead, episode=episode, reason="Came back")
    settings.EPISODE_REOPEN_DAYS = 6  # the last day still counts
    assert policy.can_reopen_episode(lead, episode)
    closure.reopen_episode(practitioner=lead, episode=episode, reason="Came back")


def test_reopening_is_refused_when_a_child_has_another_open_episode(settings):
    settings.EPISODE_RECENT_DAYS = 0
    lead, _member, _membership, episode, child = team()
    backdate(episode, 30)
    closure.close_episode(
        practitioner=lead, episode=episode, reason="moved_away", on=timezone.localdate() - DAY
    )
    newcomer = PractitionerFactory(first_name="Nia", last_name="New")
    InvolvementFactory(child=child, practitioner=newcomer)
    other = services.open_episode(practitioner=newcomer, children=[child])
    message = f"{child.full_name} now has another open early help episode (episode {other.pk}, "
    with pytest.raises(ValidationError, match=message.replace("(", r"\(")):
        closure.reopen_episode(practitioner=lead, episode=episode, reason="Came back")
    episode.refresh_from_db()
    assert not episode.is_open and not EpisodeReopening.objects.exists()


def test_only_the_lead_closes_and_reopens():
    lead, member, _membership, episode, _child = team()
    assert policy.can_close_episode(lead, episode)
    assert not policy.can_close_episode(member, episode)
    closure.close_episode(practitioner=lead, episode=episode, reason="moved_away")
    assert not policy.can_close_episode(lead, episode)
    assert policy.can_reopen_episode(lead, episode)
    assert not policy.can_reopen_episode(member, episode)
    assert not policy.can_reopen_episode(PractitionerFactory(), episode)


def _close_url(episode):
    return reverse("casework:close-episode", args=[episode.pk])


def test_the_close_page_saves_everything_or_nothing(client):
    lead, _member, episode, child, sibling = family_team()
    sign_in_verified(client, lead)
    page = client.get(_close_url(episode))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Needs met by universal services" in text  # the reasons, as radios
    assert f'id="final-ratings-{child.pk}"' in text and f'id="final-ratings-{sibling.pk}"' in text
    assert AccessRecord.objects.filter(practitioner=lead, what="Closing the episode").count() == 2

    # The sister's final ratings are missing: nothing is saved, the summary names her.
    data = {"reason": "outcomes_achieved", "family_feedback": "Thank you"}
    data.update(form_data(f"child-{child.pk}", practitioner=4, family=5))
    response = client.post(_close_url(episode), data)
    assert response.status_code == 400
    text = response.content.decode()
    assert "There is a problem" in text
    assert f"{sibling.full_name}: Choose the practitioner&#x27;s score for Being healthy" in text
    episode.refresh_from_db()
    assert episode.is_open and not OutcomeRatingRound.objects.exists()

    data.update(form_data(f"child-{sibling.pk}", practitioner=3))
    response = client.post(_close_url(episode), data)
    assert response.status_code == 302
    episode.refresh_from_db()
    assert not episode.is_open and episode.family_feedback == "Thank you"
    assert episode.closed_by == lead
    by_child = {
        r.child_id: r for r in OutcomeRatingRound.objects.filter(occasion=RatingOccasion.CLOSURE)
    }
    assert by_child[child.pk].family_rater == "Sam Carer"
    assert {r.practitioner_score for r in by_child[sibling.pk].ratings.all()} == {3}
    # The lead still sees the child (an involvement), so back to the episode page.
    assert response.headers["Location"] == reverse("casework:episode", args=[episode.pk])


def test_the_close_page_needs_notes_for_other_and_skips_ratings_when_the_family_moved(client):
    lead, _member, _membership, episode, _child = team()
    sign_in_verified(client, lead)
    response = client.post(_close_url(episode), {"reason": "other"})
    assert response.status_code == 400
    assert "Say why the episode is closing" in response.content.decode()
    response = client.post(_close_url(episode), {"reason": "moved_away"})
    assert response.status_code == 302
    episode.refresh_from_db()
    assert episode.closure_reason == "moved_away" and not OutcomeRatingRound.objects.exists()


def test_a_member_cannot_close_the_episode(client):
    _lead, member, _membership, episode, _child = team()
    sign_in_verified(client, member)
    assert client.get(_close_url(episode)).status_code == 403
    assert client.post(_close_url(episode), {"reason": "moved_away"}).status_code == 403
    episode.refresh_from_db()
    assert episode.is_open
    page = client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    assert _close_url(episode) not in page


def test_the_reopen_page_shows_the_closure_and_the_days_left(client, settings):
    settings.EPISODE_REOPEN_DAYS = 30
    lead, member, _membership, episode, _child = team()
    backdate(episode, 40)
    closure.close_episode(
        practitioner=lead,
        episode=episode,
        reason="family_withdrew",
        family_feedback="Not now",
        on=timezone.localdate() - 10 * DAY,
    )
    url = reverse("casework:reopen-episode", args=[episode.pk])
    sign_in_verified(client, member)
    assert client.get(url).status_code == 403
    sign_in_verified(client, lead)
    text = client.get(url).content.decode()
    assert "Family withdrew" in text and "Not now" in text
    assert "20 days left" in text
    assert AccessRecord.objects.filter(practitioner=lead, what="Reopening the episode").exists()
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Say why the episode is being reopened" in response.content.decode()
    response = client.post(url, {"reason": "The family asked for help again"})
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("casework:episode", args=[episode.pk])
    episode.refresh_from_db()
    assert episode.is_open
    # The member is back on the team's access, and the history shows the closure.
    sign_in_verified(client, member)
    page = client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    assert "Earlier closures and reopenings" in page
    assert "The family asked for help again" in page and "Not now" in page


def test_the_episode_page_reads_sensibly_when_closed(client):
    lead, _member, _membership, episode, child = team()
    scheduled_review(lead, episode)
    closure.close_episode(
        practitioner=lead,
        episode=episode,
        reason="outcomes_achieved",
        family_feedback="Brilliant support",
        final_ratings=final(child),
    )
    sign_in_verified(client, lead)  # still involved with the child
    page = client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    assert "Episode closed" in page
    assert f"Closed on {timezone.localdate():%-d %B %Y} by {lead}: outcomes achieved" in page
    assert "Brilliant support" in page
    assert reverse("casework:reopen-episode", args=[episode.pk]) in page
    assert _close_url(episode) not in page
    assert "not scheduled yet" not in page  # no next review for a closed episode
    assert Review.objects.get().status == ReviewStatus.CANCELLED
