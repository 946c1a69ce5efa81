"""Fixtures for the security suite (docs/security-tests.md).

The shared world (tests/sharing/conftest.py) gives one child with a practitioner in each
relationship to it. The security suite adds a second, separate area — a "stranger"
practitioner at another school with their own child, episode, plan, assessment,
referrals, feed and directory entry — so that each object URL can be tried by the world's
roles (including the practitioner involved with the world's child) with someone else's
object id.
"""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from tests.security import common
from tests.sharing.conftest import World, world  # noqa: F401 - the shared fixture, re-used

# The objects build_stranger_area makes, by URL keyword (docs/security-tests.md counts them).
STRANGER_KEYS = frozenset(
    {
        "child_id",
        "involvement_id",
        "partnership_id",
        "agency_id",
        "membership_id",
        "practitioner_id",
        "feed_id",
        "service_slug",
        "service_import_id",
        "rejected_service_row_id",
        "reject_id",
        "access_record_id",
        "review_id",
        "event_id",
        "episode_id",
        "consent_id",
        "member_id",
        "assessment_id",
        "need_id",
        "desired_outcome_id",
        "action_id",
        "offer_id",
        "team_review_id",
        "closed_episode_id",
        "step_up_id",
        "referral_id",
        "declined_referral_id",
        "outside_referral_id",
        "draft_referral_id",
        "notification_id",
        "break_glass_id",
        "sharing_decision_id",
        "exercise_id",
        "statement_id",
        "force_field_id",
        "swot_id",
        "meeting_id",
        "meeting_action_id",
        "self_evaluation_id",
        "uidb64",
        "token",
    }
)


@pytest.fixture
def stranger_kwargs(world: World) -> dict[str, Any]:  # noqa: F811 - needs the world first
    """URL keyword arguments naming objects of another area that no world role has any
    relationship to: the same keys as world.url_kwargs."""
    kwargs = build_stranger_area()
    assert set(kwargs) == STRANGER_KEYS
    return kwargs


def build_stranger_area() -> dict[str, Any]:
    from joinedup.accounts.notifications import notify
    from joinedup.casework import closure, escalation, handover, plan, reviews
    from joinedup.casework import services as casework
    from joinedup.casework.assessment import start_assessment
    from joinedup.casework.models import Outcome
    from joinedup.children.feeds.importing import import_feed
    from joinedup.children.models import LinkEvent, LinkEventKind, MatchReview
    from joinedup.partnerships.models import AgencyKind, MembershipRole, Sector
    from joinedup.referrals import lifecycle
    from joinedup.referrals import services as directory
    from joinedup.sharing import policy as sharing_policy
    from joinedup.sharing.models import AccessRecord, BreakGlassAccess
    from tests.factories import (
        AgencyFactory,
        ChildFactory,
        InvolvementFactory,
        MembershipFactory,
        PartnershipFactory,
        PractitionerFactory,
    )

    today = timezone.localdate()
    school = AgencyFactory(name="Hillside Academy")
    partnership = PartnershipFactory(name="Hillside Team Around the Child")
    partnership.member_agencies.add(school)
    child = ChildFactory()
    stranger = PractitionerFactory(username="stranger", home_agency=school)
    colleague = PractitionerFactory(username="stranger_colleague", home_agency=school)
    stranger_dm = PractitionerFactory(
        username="stranger_data_manager", home_agency=school, is_data_manager=True
    )
    feed = import_feed(
        agency=school,
        file=b"Record ID,Given name\r\nH1,Hana\r\n,Hal\r\n",
        filename="hillside.csv",
        submitted_by=stranger_dm,
    )
    involvement = InvolvementFactory(child=child, practitioner=stranger, role="Form tutor")
    MembershipFactory(partnership=partnership, practitioner=stranger)
    colleague_membership = MembershipFactory(partnership=partnership, practitioner=colleague)
    MembershipFactory(
        partnership=partnership, practitioner=stranger_dm, role=MembershipRole.COORDINATOR
    )
    flagged = AccessRecord.objects.create(
        practitioner=stranger,
        child=child,
        action="viewed",
        what="Child record",
        basis="involvement",
        reason="Involved as Form tutor",
        flagged_for_review=True,
    )
    record = feed.latest_records.get()
    record.child = ChildFactory()
    record.save(update_fields=["child"])
    review = MatchReview.objects.create(
        source_record=record, child=record.child, candidate_child=child, probability=0.8
    )
    merge = LinkEvent.objects.create(
        kind=LinkEventKind.MERGED, child=child, other_child=ChildFactory(merged_into=child)
    )
    break_glass = BreakGlassAccess.objects.create(
        practitioner=colleague,
        child=child,
        reason="Child missing from school",
        started_at=timezone.now() - datetime.timedelta(days=1, hours=4),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    entry = directory.create_service(
        agency=school,
        details=directory.ServiceDetails(
            fields={
                "name": "Hillside Homework Club",
                "description": "Help with homework",
                "accepts_referrals_in_app": True,
            },
            districts=["EX2"],
            maintainers=[colleague],
        ),
        created_by=stranger_dm,
    )
    service_import = directory.import_services(
        content=b"slug,name,agency,description,age_from,age_to\r\n,Club,Nowhere,Fun,5,9\r\n",
        filename="hillside-directory.csv",
        imported_by=stranger_dm,
    )
    episode = casework.open_episode(practitioner=stranger, children=[child])
    consent = casework.record_consent(
        practitioner=stranger,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Jo Carer",
        given_on=today,
        scope="assessment_and_sharing",
    )
    casework.choose_lead_professional(
        recorded_by=stranger,
        episode=episode,
        practitioner=stranger,
        family_agreement_recorded=True,
        family_agreed_by="Jo Carer",
    )
    family_member = casework.add_team_member(
        added_by=stranger,
        episode=episode,
        role="Parent",
        participant_name="Jo Carer",
        participant_relationship="Father",
    )
    need = plan.add_need(practitioner=stranger, episode=episode, description="Reading")
    desired = plan.add_desired_outcome(
        practitioner=stranger,
        need=need,
        description="Reads at age level",
        outcomes=list(Outcome.objects.filter(code="enjoying-and-achieving")),
    )
    action = plan.add_action(
        practitioner=stranger,
        desired_outcome=desired,
        description="Daily reading",
        due_on=today,
        responsible_practitioner=stranger,
    )
    team_review = reviews.schedule_review(
        practitioner=stranger,
        episode=episode,
        scheduled_for=timezone.now() + datetime.timedelta(days=7),
        location="Hillside Academy",
    )
    casework.add_team_member(
        added_by=stranger, episode=episode, practitioner=colleague, role="Family support"
    )
    offer = handover.offer_lead_role(
        lead=stranger, episode=episode, to=colleague, family_agreed_by="Jo Carer"
    )
    closed = casework.open_episode(practitioner=stranger, children=[ChildFactory()])
    closure.close_episode(practitioner=stranger, episode=closed, reason="moved_away")
    social_care = AgencyFactory(
        name="Hillside Children's Social Care",
        sector=Sector.SOCIAL_CARE,
        kind=AgencyKind.SOCIAL_CARE_TEAM,
    )
    step_up = escalation.step_up(
        practitioner=stranger,
        episode=episode,
        to_agency=social_care,
        reason="Disclosure of harm",
        shared_sections=["latest_assessment", "plan"],
    )
    outside = directory.create_service(
        agency=social_care,
        details=directory.ServiceDetails(
            fields={
                "name": "Hillside Family Mediation",
                "description": "Mediation",
                "how_to_refer_outside": "email",
                "referral_address": "hillside-mediation@outside.example",
            },
            districts=["EX2"],
        ),
        created_by=stranger_dm,
    )

    def referral_to(service, status: str):
        details = lifecycle.ReferralDetails(
            reason="Finding reading hard",
            shared_sections=("contact",),
            sharing_basis="consent",
            consent_given_by="parent_carer",
            consent_given_by_name="Jo Carer",
            consent_given_on=today,
        )
        referral = lifecycle.create_draft(
            referrer=stranger, child=child, service=service, details=details
        )
        if status == "draft":
            return referral
        referral = lifecycle.send_referral(
            referral, by=stranger, decision=sharing_policy.can_send_referral(stranger, referral)
        )
        if status == "declined":
            referral = lifecycle.acknowledge(referral, by=colleague)
            referral = lifecycle.decline(referral, by=colleague, reason="criteria_not_met")
        return referral

    sent = referral_to(entry, "sent")
    declined = referral_to(entry, "declined")
    outside_referral = referral_to(outside, "sent")
    draft = referral_to(entry, "draft")
    (notification,) = notify([stranger], subject="Referral sent", url=f"/referrals/{sent.pk}/")
    # Sharing without consent, waiting for the area's data protection lead.
    from joinedup.sharing.models import SharingDecision

    sharing_decision = SharingDecision.objects.create(
        child=child,
        lawful_basis="significant_harm",
        consent_position="not_sought_risk",
        why="Injury seen at school",
        what_shared="The child's name and school",
        shared_with="Hillside Children's Social Care",
        decided_by=colleague,
        confirm_by=timezone.now() + datetime.timedelta(hours=24),
    )
    # The area's partnership toolkit exercises, started by its coordinator.
    from joinedup.toolkit import services as toolkit

    exercises = {
        kind: toolkit.create_exercise(
            partnership=partnership,
            kind=kind,
            title=f"Hillside {kind}",
            question="Should we meet every week?",
            held_on=today,
            created_by=stranger_dm,
        )
        for kind in ("diamond_ranking", "force_field", "swot")
    }
    meeting = toolkit.add_meeting(partnership=partnership, held_on=today, created_by=stranger_dm)
    meeting_action = toolkit.add_meeting_action(
        meeting=meeting, description="Hillside protocol", owner=stranger_dm
    )
    self_evaluation = toolkit.start_self_evaluation(
        partnership=partnership, checklist="building_blocks", held_on=today, created_by=stranger_dm
    )

    return {
        "child_id": child.pk,
        "involvement_id": involvement.pk,
        "partnership_id": partnership.pk,
        "agency_id": school.pk,
        "membership_id": colleague_membership.pk,
        "practitioner_id": colleague.pk,
        "feed_id": feed.pk,
        "service_slug": entry.slug,
        "service_import_id": service_import.pk,
        "rejected_service_row_id": service_import.rejected_rows.get().pk,
        "reject_id": feed.rejected_rows.get().pk,
        "access_record_id": flagged.pk,
        "review_id": review.pk,
        "event_id": merge.pk,
        "episode_id": episode.pk,
        "consent_id": consent.pk,
        "member_id": family_member.pk,
        "assessment_id": start_assessment(practitioner=stranger, episode=episode, child=child).pk,
        "need_id": need.pk,
        "desired_outcome_id": desired.pk,
        "action_id": action.pk,
        "offer_id": offer.pk,
        "team_review_id": team_review.pk,
        "closed_episode_id": closed.pk,
        "step_up_id": step_up.pk,
        "referral_id": sent.pk,
        "declined_referral_id": declined.pk,
        "outside_referral_id": outside_referral.pk,
        "draft_referral_id": draft.pk,
        "notification_id": notification.pk,
        "break_glass_id": break_glass.pk,
        "sharing_decision_id": sharing_decision.pk,
        "exercise_id": exercises["diamond_ranking"].pk,
        "statement_id": exercises["diamond_ranking"].statements.first().pk,
        "force_field_id": exercises["force_field"].pk,
        "swot_id": exercises["swot"].pk,
        "meeting_id": meeting.pk,
        "meeting_action_id": meeting_action.pk,
        "self_evaluation_id": self_evaluation.pk,
        "uidb64": "MQ",
        "token": "set-password",
    }


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:
    """Print the suite's size, for the closing note of issue 6 (docs/security-tests.md)."""
    if not common.TALLY:
        return
    terminalreporter.section("security suite size")
    for key, value in sorted(common.TALLY.items()):
        terminalreporter.write_line(f"{key}: {value}")


@pytest.fixture(autouse=True)
def quiet_refusals():
    """Thousands of refused requests each log a warning with a traceback; only errors
    matter here (a 500 fails the test anyway)."""
    import logging

    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)
