"""Early-help casework in the demo area: episodes at each stage, made through the same
services practitioners use, so every rule holds (consent before the team, the lead chosen
with the family's agreement, ratings after the assessment is submitted).

One episode per hundred children (at most ``MAX_EPISODES``), so the small areas the
browser tests load have none and their journeys start from a clean slate."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.db.models import Count

from joinedup.casework import assessment, closure, outcome_ratings, plan, services
from joinedup.casework.models import (
    AssessmentElement,
    Episode,
    Outcome,
    PreAssessmentCheck,
    Rating,
    TeamMember,
)
from joinedup.children.models import Child, Involvement
from joinedup.sharing.models import Consent

MAX_EPISODES = 40
CHILDREN_PER_EPISODE = 100

NEEDS = (
    (
        "School attendance has dropped below 85% this term.",
        "Attends school every day",
        "enjoying-and-achieving",
    ),
    (
        "Sleep and eating are unsettled since the family moved.",
        "Settled routines at home",
        "being-healthy",
    ),
    (
        "Friendship difficulties and worries about bullying.",
        "Feels safe and has friends at school",
        "staying-safe",
    ),
    (
        "Speech is hard for adults outside the family to follow.",
        "Can make themselves understood in class",
        "enjoying-and-achieving",
    ),
    (
        "The family is in rent arrears and at risk of losing the tenancy.",
        "A secure home",
        "achieving-economic-well-being",
    ),
)


def create_demo_casework(*, rng: random.Random, children: int, today: date) -> int:
    """Open, assess, staff, plan and (for some) close demo episodes. Returns how many."""
    wanted = min(MAX_EPISODES, children // CHILDREN_PER_EPISODE)
    if not wanted:
        return 0
    outcomes = {outcome.code: outcome for outcome in Outcome.objects.all()}
    elements = list(AssessmentElement.objects.filter(is_active=True).order_by("pk"))
    candidates = list(
        Child.objects.annotate(practitioners=Count("involvements__practitioner", distinct=True))
        .filter(practitioners__gte=2)
        .exclude(involvements__practitioner__username="practitioner")
        .order_by("pk")
        .values_list("pk", flat=True)[: wanted * 5]
    )
    made = 0
    for child_id in rng.sample(candidates, min(wanted, len(candidates))):
        involvements = list(
            Involvement.objects.current()
            .filter(child_id=child_id, practitioner__isnull=False)
            .select_related("practitioner__home_agency", "child")
            .order_by("pk")
        )
        by_agency = {
            inv.practitioner.home_agency_id: inv for inv in involvements if inv.practitioner
        }
        if len(by_agency) < 2:
            continue
        first, second = list(by_agency.values())[:2]
        _one_episode(rng, first, second, outcomes, elements, today, stage=made % 4)
        made += 1
    return made


def _one_episode(rng, first, second, outcomes, elements, today, *, stage: int) -> None:
    opener, lead, child = first.practitioner, second.practitioner, first.child
    episode = services.open_episode(practitioner=opener, children=[child])
    services.record_pre_assessment_check(
        practitioner=opener,
        episode=episode,
        needs_more_than_universal=True,
        notes="Needs more than school and health services alone can give.",
    )
    services.record_consent(
        practitioner=opener,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name=f"Parent of {child.given_name}",
        given_on=today,
        scope="assessment_and_sharing",
    )
    draft = assessment.start_assessment(practitioner=opener, episode=episode, child=child)
    need_text, outcome_text, outcome_code = rng.choice(NEEDS)
    answers = {
        element.pk: (
            rng.choice([Rating.STRENGTH, Rating.NEED, Rating.NOT_ASSESSED]),
            "Discussed with the family at home.",
        )
        for element in rng.sample(elements, min(8, len(elements)))
    }
    draft = assessment.save_draft(
        practitioner=opener,
        assessment=draft,
        revision=draft.revision,
        fields={
            "reason": need_text,
            "child_views": "I want things to be better at school.",
            "parent_carer_views": "We need some help to get back on track.",
            "summary_strengths": "A close, caring family.",
            "summary_needs": need_text,
        },
        answers=answers,
    )
    if stage == 0:  # a draft assessment: the episode has just begun
        _backdate(episode, days=rng.randint(3, 14))
        return
    assessment.submit_assessment(practitioner=opener, assessment=draft, revision=draft.revision)
    start = {code: rng.randint(1, 3) for code in outcomes}
    outcome_ratings.record_rating_round(
        practitioner=opener,
        episode=episode,
        child=child,
        occasion="assessment",
        scores={code: (score, min(5, score + rng.randint(0, 1))) for code, score in start.items()},
        family_rater="Parent or carer",
    )
    services.add_team_member(
        added_by=opener, episode=episode, practitioner=lead, role=second.role or "Team member"
    )
    services.choose_lead_professional(
        recorded_by=opener,
        episode=episode,
        practitioner=lead,
        family_agreement_recorded=True,
        family_agreed_by="Parent or carer",
    )
    need = plan.add_need(practitioner=lead, episode=episode, description=need_text)
    desired = plan.add_desired_outcome(
        practitioner=lead, need=need, description=outcome_text, outcomes=[outcomes[outcome_code]]
    )
    for responsible, days in ((opener, rng.randint(7, 30)), (lead, rng.randint(14, 45))):
        plan.add_action(
            practitioner=lead,
            desired_outcome=desired,
            description=f"Agree next steps with the family ({responsible.first_name}).",
            due_on=today + timedelta(days=days),
            responsible_practitioner=responsible,
        )
    if stage == 3:  # closed: outcomes achieved
        closure.close_episode(
            practitioner=lead,
            episode=episode,
            reason="outcomes_achieved",
            family_feedback="Having one person to talk to made the difference.",
            final_ratings={
                child.pk: {
                    "scores": {code: (min(5, s + 2), min(5, s + 2)) for code, s in start.items()},
                    "family_rater": "Parent or carer",
                }
            },
        )
    _backdate(episode, days=rng.randint(20, 120))


def _backdate(episode: Episode, *, days: int) -> None:
    """Services date everything today; a demo reads better with episodes of varied age."""
    opened = episode.opened_on - timedelta(days=days)
    Episode.objects.filter(pk=episode.pk).update(opened_on=opened)
    TeamMember.objects.filter(episode=episode).update(joined_on=opened)
    Consent.objects.filter(episode=episode).update(given_on=opened)
    PreAssessmentCheck.objects.filter(episode=episode).update(recorded_on=opened)
