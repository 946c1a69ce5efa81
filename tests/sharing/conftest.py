from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from joinedup.casework import services as casework
from joinedup.casework.assessment import start_assessment
from joinedup.children.feeds.importing import import_feed
from joinedup.children.models import LinkEvent, LinkEventKind, MatchReview
from joinedup.partnerships.models import MembershipRole
from joinedup.sharing.models import AccessRecord
from tests.factories import (
    AdministratorFactory,
    AgencyFactory,
    ChildFactory,
    InvolvementFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)
from tests.two_factor import sign_in_verified


@dataclass
class World:
    """One small area with a practitioner in each relationship to one child."""

    users: dict[str, Any] = field(default_factory=dict)
    url_kwargs: dict[str, int | str] = field(default_factory=dict)
    child: Any = None

    def sign_in(self, client, role: str) -> None:
        if role == "anonymous":
            return
        sign_in_verified(client, self.users[role])


@pytest.fixture
def world(db) -> World:
    today = timezone.localdate()
    school = AgencyFactory(name="Brook Lane Primary School")
    partnership = PartnershipFactory(name="Brook Lane Team Around the Child")
    partnership.member_agencies.add(school)
    child = ChildFactory()

    involved = PractitionerFactory(username="involved", home_agency=school)
    ended = PractitionerFactory(username="ended", home_agency=school)
    unrelated = PractitionerFactory(username="unrelated")
    member = PractitionerFactory(username="member", home_agency=school)
    coordinator = PractitionerFactory(username="coordinator", home_agency=school)
    administrator = AdministratorFactory(username="administrator")
    data_manager = PractitionerFactory(
        username="data_manager", home_agency=school, is_data_manager=True
    )
    feed = import_feed(
        agency=school,
        file=b"Record ID,Given name\r\nA1,Amy\r\n,Ben\r\n",
        filename="pupils.csv",
        submitted_by=data_manager,
    )

    current = InvolvementFactory(child=child, practitioner=involved, role="Class teacher")
    InvolvementFactory(
        child=child,
        practitioner=ended,
        role="School nurse",
        started_on=today - datetime.timedelta(days=200),
        ended_on=today - datetime.timedelta(days=10),
    )
    MembershipFactory(partnership=partnership, practitioner=involved)
    # A view flagged for review (as a view of a shielded record is), for the review pages.
    flagged = AccessRecord.objects.create(
        practitioner=involved,
        child=child,
        action="viewed",
        what="Child record",
        basis="involvement",
        reason="Involved as Class teacher",
        flagged_for_review=True,
    )
    # Identity matching: a possible match (the school's record A1, on a child of its own,
    # against the world's child) and a merge into the world's child that can be undone.
    record = feed.latest_records.get()
    record.child = ChildFactory()
    record.save(update_fields=["child"])
    review = MatchReview.objects.create(
        source_record=record, child=record.child, candidate_child=child, probability=0.8
    )
    merge = LinkEvent.objects.create(
        kind=LinkEventKind.MERGED, child=child, other_child=ChildFactory(merged_into=child)
    )
    member_membership = MembershipFactory(partnership=partnership, practitioner=member)
    MembershipFactory(
        partnership=partnership, practitioner=coordinator, role=MembershipRole.COORDINATOR
    )
    # Break-glass (issue 6): 'coordinator' is also the partnership's data protection lead
    # (a second, fixed-term membership: one open membership per partnership is allowed), and
    # reviews an emergency access by 'member' that has already expired (so it gives no
    # access to anyone now) and waits for review.
    from joinedup.sharing.models import BreakGlassAccess

    MembershipFactory(
        partnership=partnership,
        practitioner=coordinator,
        role=MembershipRole.DATA_PROTECTION_LEAD,
        ended_on=today + datetime.timedelta(days=365),
    )
    expired_break_glass = BreakGlassAccess.objects.create(
        practitioner=member,
        child=child,
        reason="Child missing from school, carers not answering",
        started_at=timezone.now() - datetime.timedelta(days=1, hours=4),
        expires_at=timezone.now() - datetime.timedelta(days=1),
    )
    # Sharing without consent (issue 6): 'member' (no supervisor named) shared without
    # consent, so 'coordinator', as data protection lead, confirms it; made directly, so
    # nobody is notified.
    from joinedup.sharing.models import SharingDecision

    sharing_decision = SharingDecision.objects.create(
        child=child,
        lawful_basis="significant_harm",
        consent_position="not_sought_risk",
        why="Bruising seen at school; asking the family could put the child at risk",
        what_shared="The child's name, date of birth and school",
        shared_with="Brook Lane Children's Social Care",
        decided_by=member,
        confirm_by=timezone.now() + datetime.timedelta(hours=24),
    )
    # Services directory (docs/services-directory.md): a published entry of the school,
    # kept up to date by 'member' (its maintainer); the school's data manager and the
    # coordinator of a partnership it belongs to may change it too. The data manager has
    # imported a file with one row rejected, which only they (the importer) see.
    from joinedup.referrals import services as directory

    directory_entry = directory.create_service(
        agency=school,
        details=directory.ServiceDetails(
            fields={
                "name": "Brook Lane Nurture Group",
                "description": "Small-group support",
                "accepts_referrals_in_app": True,
            },
            districts=["EX1"],
            maintainers=[member],
        ),
        created_by=data_manager,
    )
    directory_import = directory.import_services(
        content=b"slug,name,agency,description,age_from,age_to\r\n,Club,Nowhere,Fun,5,9\r\n",
        filename="directory.csv",
        imported_by=data_manager,
    )

    # Casework: an open early-help episode for the child, opened by the practitioner
    # involved, who is its lead professional (so only 'involved' reaches casework pages),
    # with consent to sharing and a family member on the team.
    episode = casework.open_episode(practitioner=involved, children=[child])
    consent = casework.record_consent(
        practitioner=involved,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Carer",
        given_on=today,
        scope="assessment_and_sharing",
    )
    casework.choose_lead_professional(
        recorded_by=involved,
        episode=episode,
        practitioner=involved,
        family_agreement_recorded=True,
        family_agreed_by="Sam Carer",
    )
    family_member = casework.add_team_member(
        added_by=involved,
        episode=episode,
        role="Parent",
        participant_name="Sam Carer",
        participant_relationship="Mother",
    )
    # The action plan: a need, a desired outcome and an action the lead is responsible for.
    from joinedup.casework import plan
    from joinedup.casework.models import Outcome

    plan_need = plan.add_need(practitioner=involved, episode=episode, description="Speech")
    desired_outcome = plan.add_desired_outcome(
        practitioner=involved,
        need=plan_need,
        description="Talks in sentences",
        outcomes=list(Outcome.objects.filter(code="enjoying-and-achieving")),
    )
    plan_action = plan.add_action(
        practitioner=involved,
        desired_outcome=desired_outcome,
        description="Refer to speech and language therapy",
        due_on=today,
        responsible_practitioner=involved,
    )

    # Reviews: a review of the episode, scheduled by its lead (invitations by email).
    from joinedup.casework import reviews

    team_review = reviews.schedule_review(
        practitioner=involved,
        episode=episode,
        scheduled_for=timezone.now() + datetime.timedelta(days=7),
        location="Brook Lane Primary School",
    )

    # Handing over the lead role: a practitioner on the team (no world role) offered the
    # lead role by 'involved', so only the lead reaches the withdraw action.
    from joinedup.casework import handover

    successor = PractitionerFactory(username="successor", home_agency=school)
    casework.add_team_member(
        added_by=involved, episode=episode, practitioner=successor, role="Family support"
    )
    lead_offer = handover.offer_lead_role(
        lead=involved, episode=episode, to=successor, family_agreed_by="Sam Carer"
    )

    # Closure and reopening: an earlier episode of another child, opened by 'involved' (no
    # lead chosen, so the opener acts as lead) and closed today because the family moved
    # away. Only 'involved' may open its reopen page.
    from joinedup.casework import closure

    closed_episode = casework.open_episode(practitioner=involved, children=[ChildFactory()])
    closure.close_episode(practitioner=involved, episode=closed_episode, reason="moved_away")

    # Step-up: the world's episode has been stepped up by its lead ('involved') to a
    # children's social care team and waits for an answer. No world role works there, so
    # only the lead records the answer (tests/casework/test_escalation.py covers social
    # care practitioners, and the step-down page they alone may use).
    from joinedup.casework import escalation
    from joinedup.partnerships.models import AgencyKind, Sector

    social_care = AgencyFactory(
        name="Brook Lane Children's Social Care",
        sector=Sector.SOCIAL_CARE,
        kind=AgencyKind.SOCIAL_CARE_TEAM,
    )
    pending_step_up = escalation.step_up(
        practitioner=involved,
        episode=episode,
        to_agency=social_care,
        reason="Disclosure of harm at school",
        shared_sections=["latest_assessment", "plan"],
    )

    # Referrals (docs/referrals.md): 'involved' has referred the child to the nurture group
    # ('member' is its staff): one referral sent and one declined; and one to a service
    # outside Joined Up (replies recorded by 'involved'). A draft of 'involved' too.
    from joinedup.referrals import lifecycle
    from joinedup.sharing import policy as sharing_policy

    outside_service = directory.create_service(
        agency=social_care,
        details=directory.ServiceDetails(
            fields={
                "name": "Brook Lane Family Mediation",
                "description": "Mediation for families in conflict",
                "how_to_refer_outside": "email",
                "referral_address": "mediation@outside.example",
            },
            districts=["EX1"],
        ),
        created_by=data_manager,
    )

    def referral_to(service, status: str):
        details = lifecycle.ReferralDetails(
            reason="Struggling to settle in class",
            shared_sections=("contact",),
            sharing_basis="consent",
            consent_given_by="parent_carer",
            consent_given_by_name="Pat Parent",
            consent_given_on=today,
        )
        referral = lifecycle.create_draft(
            referrer=involved, child=child, service=service, details=details
        )
        if status == "draft":
            return referral
        referral = lifecycle.send_referral(
            referral,
            by=involved,
            decision=sharing_policy.can_send_referral(involved, referral),
        )
        if status == "declined":
            referral = lifecycle.acknowledge(referral, by=member)
            referral = lifecycle.decline(referral, by=member, reason="criteria_not_met")
        return referral

    sent_referral = referral_to(directory_entry, "sent")
    declined_referral = referral_to(directory_entry, "declined")
    outside_referral = referral_to(outside_service, "sent")
    draft_referral = referral_to(directory_entry, "draft")
    # Notifications (docs/referrals.md): one for 'involved', which only they may open.
    from joinedup.accounts.notifications import notify

    (involved_notification,) = notify(
        [involved], subject="Referral acknowledged", url=f"/referrals/{sent_referral.pk}/"
    )

    # Partnership toolkit (issue 7): the coordinator has started one exercise of each kind
    # for the partnership, whose current members are 'involved', 'member' and 'coordinator'.
    from joinedup.toolkit import services as toolkit

    exercises = {
        kind: toolkit.create_exercise(
            partnership=partnership,
            kind=kind,
            title=f"Our {kind}",
            question="Should we meet every month?",
            held_on=today,
            created_by=coordinator,
        )
        for kind in ("diamond_ranking", "force_field", "swot")
    }
    # A partnership meeting planned by the coordinator today, with one action.
    meeting = toolkit.add_meeting(partnership=partnership, held_on=today, created_by=coordinator)
    meeting_action = toolkit.add_meeting_action(
        meeting=meeting, description="Share the protocol", owner=coordinator
    )
    self_evaluation = toolkit.start_self_evaluation(
        partnership=partnership, checklist="building_blocks", held_on=today, created_by=coordinator
    )

    return World(
        users={
            "involved": involved,
            "ended": ended,
            "unrelated": unrelated,
            "member": member,
            "coordinator": coordinator,
            "administrator": administrator,
            "data_manager": data_manager,
        },
        url_kwargs={
            "child_id": child.pk,
            "involvement_id": current.pk,
            "partnership_id": partnership.pk,
            "agency_id": school.pk,
            "membership_id": member_membership.pk,
            "practitioner_id": member.pk,
            "feed_id": feed.pk,
            "service_slug": directory_entry.slug,
            "service_import_id": directory_import.pk,
            "rejected_service_row_id": directory_import.rejected_rows.get().pk,
            "reject_id": feed.rejected_rows.get().pk,
            "access_record_id": flagged.pk,
            "review_id": review.pk,
            "event_id": merge.pk,
            "episode_id": episode.pk,
            "consent_id": consent.pk,
            "member_id": family_member.pk,
            # The assessment: a draft (version 1) of the child's assessment in the episode.
            "assessment_id": start_assessment(
                practitioner=involved, episode=episode, child=child
            ).pk,
            "need_id": plan_need.pk,
            "desired_outcome_id": desired_outcome.pk,
            "action_id": plan_action.pk,
            "offer_id": lead_offer.pk,
            "team_review_id": team_review.pk,
            "closed_episode_id": closed_episode.pk,
            "step_up_id": pending_step_up.pk,
            "referral_id": sent_referral.pk,
            "declined_referral_id": declined_referral.pk,
            "outside_referral_id": outside_referral.pk,
            "draft_referral_id": draft_referral.pk,
            "notification_id": involved_notification.pk,
            "break_glass_id": expired_break_glass.pk,
            "sharing_decision_id": sharing_decision.pk,
            "exercise_id": exercises["diamond_ranking"].pk,
            "statement_id": exercises["diamond_ranking"].statements.first().pk,
            "force_field_id": exercises["force_field"].pk,
            "swot_id": exercises["swot"].pk,
            "meeting_id": meeting.pk,
            "meeting_action_id": meeting_action.pk,
            "self_evaluation_id": self_evaluation.pk,
            # A set-password link that does not work: the page explains, with a 200.
            "uidb64": "MQ",
            "token": "set-password",
        },
        child=child,
    )
