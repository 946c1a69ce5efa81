"""What a referral shares with the service: always the child's identity and the referral,
then only the parts the referrer ticked; whereabouts withheld while the child is shielded;
sensitive involvements only with consent."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from joinedup.casework import assessment as assessments
from joinedup.casework import outcome_ratings, plan, services
from joinedup.casework.models import Outcome
from joinedup.children import services as children_services
from joinedup.partnerships.models import SensitiveService
from joinedup.referrals import lifecycle
from joinedup.referrals.shared import WITHHELD_WHEREABOUTS, shared_information
from tests.children.index_support import link_records
from tests.factories import AgencyFactory, ChildFactory, InvolvementFactory, PractitionerFactory
from tests.referrals.factories import ServiceFactory, make_referral, referral_details

pytestmark = pytest.mark.django_db

ALL_SECTIONS = (
    "contact",
    "setting",
    "involvements",
    "latest_assessment",
    "plan",
    "outcome_ratings",
)


def school_record(child, school=None):
    school = school or AgencyFactory(name="Mill Lane Primary")
    link_records(
        child,
        school,
        {
            "Record ID": f"P{child.pk}",
            "Given name": child.given_name,
            "Address line 1": "7 Hidden Row",
            "Postcode": "EX9 9ZZ",
            "Parent or carer 1 name": "Pat Example",
            "Parent or carer 1 relationship": "Mother",
            "Parent or carer 1 telephone": "01632 960777",
            "Educational setting": "Hilltop Academy",
            "GP practice": "Example Medical Centre",
        },
    )
    return school


def render(referral) -> str:
    return render_to_string(
        "referrals/_shared_information.html", {"shared": shared_information(referral)}
    )


def test_always_shares_the_childs_identity_and_the_referral_and_nothing_unticked():
    referrer = PractitionerFactory(
        first_name="Rita", last_name="Referrer", job_title="School nurse", phone="01632 960100"
    )
    child = ChildFactory(other_names="Ame", address_line_1="12 Secret Street")
    school_record(child)
    InvolvementFactory(child=child, role="Youth worker")
    referral = make_referral(referrer=referrer, child=child, shared_sections=())

    shared = shared_information(referral)

    assert shared.child_name == child.full_name
    assert shared.other_names == "Ame"
    assert shared.date_of_birth == child.date_of_birth
    assert shared.sex == "Female"
    assert shared.nhs_number == child.nhs_number_display
    assert shared.referrer.name == "Rita Referrer"
    assert shared.referrer.job_title == "School nurse"
    assert shared.basis is not None and shared.basis.is_consent
    assert shared.basis.consent_given_by_name == "Sam Parent"
    assert shared.sections == ()
    assert shared.contact is None and shared.setting is None and shared.involvements is None
    html = render(referral)
    assert child.full_name in html
    assert "Sam Parent" in html
    assert "12 Secret Street" not in html
    assert "Hilltop Academy" not in html
    assert "Pat Example" not in html
    assert "Youth worker" not in html


def test_contact_and_setting_come_from_the_child_and_the_agencies_records():
    child = ChildFactory(address_line_1="12 Secret Street", postcode="EX1 2AB")
    school_record(child)
    referral = make_referral(child=child, shared_sections=("contact", "setting"))

    shared = shared_information(referral)

    assert shared.contact is not None
    assert "12 Secret Street" in shared.contact.address_lines
    assert shared.contact.postcode == "EX1 2AB"
    assert [carer.name for carer in shared.contact.parents_carers] == ["Pat Example"]
    assert shared.contact.parents_carers[0].agency_name == "Mill Lane Primary"
    assert shared.setting is not None
    assert [said.value for said in shared.setting.educational_settings] == ["Hilltop Academy"]
    assert [said.value for said in shared.setting.gp_practices] == ["Example Medical Centre"]
    html = render(referral)
    assert "Pat Example" in html and "01632 960777" in html
    assert "Hilltop Academy" in html and "Example Medical Centre" in html


def test_only_the_contact_part_leaves_out_the_setting():
    child = ChildFactory()
    school_record(child)
    referral = make_referral(child=child, shared_sections=("contact",))
    html = render(referral)
    assert "Pat Example" in html
    assert "Hilltop Academy" not in html


def test_a_shielded_childs_whereabouts_are_withheld():
    child = ChildFactory(address_line_1="12 Secret Street")
    school = school_record(child)
    manager = PractitionerFactory(home_agency=school, is_data_manager=True)
    referrer = PractitionerFactory()
    other = InvolvementFactory(child=child, role="Youth worker")
    referral = make_referral(
        referrer=referrer, child=child, shared_sections=("contact", "setting", "involvements")
    )
    children_services.shield_child(
        practitioner=manager,
        child=child,
        reason="Risk from a former partner",
        review_on=timezone.localdate() + datetime.timedelta(days=90),
    )

    shared = shared_information(referral)

    assert shared.whereabouts_withheld
    assert shared.contact is None and shared.setting is None
    assert shared.involvements is not None
    assert all(not row.agency and not row.email for row in shared.involvements)
    html = render(referral)
    assert WITHHELD_WHEREABOUTS in html.replace("&#x27;", "'")
    assert "12 Secret Street" not in html
    assert "Hilltop Academy" not in html
    assert "Youth worker" in html
    assert other.agency.name not in html
    assert other.practitioner.email not in html


def test_sensitive_involvements_go_only_with_consent():
    child = ChildFactory()
    referrer = PractitionerFactory()
    InvolvementFactory(child=child, practitioner=referrer, agency=referrer.home_agency)
    InvolvementFactory(
        child=child, role="Sexual health nurse", sensitive_service=SensitiveService.SEXUAL_HEALTH
    )
    InvolvementFactory(
        child=child,
        role="Counsellor",
        sensitive_service=SensitiveService.MENTAL_HEALTH,
        consent_recorded_on=timezone.localdate(),
    )
    InvolvementFactory(
        child=child,
        role="Former tutor",
        started_on=timezone.localdate() - datetime.timedelta(days=90),
        ended_on=timezone.localdate() - datetime.timedelta(days=10),
    )
    referral = make_referral(referrer=referrer, child=child, shared_sections=("involvements",))

    roles = {row.role for row in shared_information(referral).involvements or ()}

    assert "Counsellor" in roles
    assert "Sexual health nurse" not in roles
    assert "Former tutor" not in roles


def test_a_sensitive_services_records_give_no_contact_details_without_consent():
    child = ChildFactory()
    clinic = AgencyFactory(name="Hidden Clinic", sensitive_service=SensitiveService.SEXUAL_HEALTH)
    school_record(child, clinic)
    referral = make_referral(child=child, shared_sections=("contact",))
    shared = shared_information(referral)
    assert shared.contact is not None
    assert shared.contact.parents_carers == ()
    assert "Hidden Clinic" not in render(referral)


def episode_with_everything():
    """An open episode with a submitted assessment, a plan with actions and outcome ratings
    at assessment, and a referral from it sharing every part."""
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
    draft = assessments.start_assessment(practitioner=lead, episode=episode, child=child)
    elements = assessments.elements_for(draft)
    draft = assessments.save_draft(
        practitioner=lead,
        assessment=draft,
        revision=draft.revision,
        fields={"reason": "Worried about attendance", "child_views": "I like drawing"},
        answers={element.pk: ("need", "Mornings are hard") for element in elements},
    )
    assessments.submit_assessment(practitioner=lead, assessment=draft, revision=draft.revision)
    need = plan.add_need(practitioner=lead, episode=episode, description="Poor sleep")
    desired = plan.add_desired_outcome(
        practitioner=lead,
        need=need,
        description="Sleeps through the night",
        outcomes=list(Outcome.objects.filter(code="being-healthy")),
    )
    for number in range(3):
        plan.add_action(
            practitioner=lead,
            desired_outcome=desired,
            description=f"Bedtime routine step {number + 1}",
            due_on=timezone.localdate() + datetime.timedelta(days=7),
            responsible_practitioner=lead,
        )
    outcome_ratings.record_rating_round(
        practitioner=lead,
        episode=episode,
        child=child,
        occasion="assessment",
        scores={outcome.code: (2, 3) for outcome in Outcome.objects.all()},
        family_rater="Sam Carer",
    )
    service = ServiceFactory(accepts_referrals_in_app=True)
    referral = lifecycle.create_draft(
        referrer=lead,
        child=child,
        service=service,
        episode=episode,
        details=referral_details(shared_sections=ALL_SECTIONS),
    )
    return lead, episode, child, referral


def test_the_episode_parts_share_the_latest_submitted_assessment_the_plan_and_the_ratings():
    _lead, _episode, _child, referral = episode_with_everything()

    shared = shared_information(referral)

    assert shared.latest_assessment is not None
    assert shared.latest_assessment.reason == "Worried about attendance"
    assert shared.latest_assessment.domains
    assert shared.latest_assessment.domains[0].rows[0].rating == "Need"
    assert shared.plan is not None
    assert shared.plan[0].description == "Poor sleep"
    actions = shared.plan[0].desired_outcomes[0].actions
    assert [action.status for action in actions] == ["Not started"] * 3
    assert shared.outcome_ratings is not None and len(shared.outcome_ratings.rounds) == 1
    html = render(referral)
    assert "Mornings are hard" in html
    assert "Bedtime routine step 3" in html
    assert "Change" in html


def test_a_draft_assessment_is_not_shared():
    lead = PractitionerFactory()
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=lead)
    episode = services.open_episode(practitioner=lead, children=[child])
    services.record_consent(
        practitioner=lead,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Carer",
        given_on=timezone.localdate(),
        scope="assessment_and_sharing",
    )
    assessments.start_assessment(practitioner=lead, episode=episode, child=child)
    referral = lifecycle.create_draft(
        referrer=lead,
        child=child,
        service=ServiceFactory(),
        episode=episode,
        details=referral_details(shared_sections=("latest_assessment",)),
    )
    shared = shared_information(referral)
    assert shared.shares_latest_assessment
    assert shared.latest_assessment is None
    assert "No early help assessment has been submitted yet" in render(referral)


def queries_for(referral) -> int:
    with CaptureQueriesContext(connection) as context:
        shared_information(referral)
    return len(context.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_record():
    lead, episode, child, referral = episode_with_everything()
    school_record(child)
    queries_for(referral)  # the referral caches its episode
    before = queries_for(referral)
    desired = episode.plan_needs.first().desired_outcomes.first()
    for number in range(5):
        plan.add_action(
            practitioner=lead,
            desired_outcome=desired,
            description=f"More step {number}",
            due_on=timezone.localdate(),
            responsible_practitioner=lead,
        )
        InvolvementFactory(child=child, role=f"Helper {number}")
    school_record(child, AgencyFactory())
    assert queries_for(referral) == before
