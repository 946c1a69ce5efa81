"""The early help assessment: domains as data, consent, drafts, locking, versions."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from joinedup.casework import assessment as assessments
from joinedup.casework import services
from joinedup.casework.models import (
    Assessment,
    AssessmentAnswer,
    AssessmentDomain,
    AssessmentElement,
    AssessmentStatus,
)
from joinedup.sharing.models import AccessRecord
from tests.factories import ChildFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

# The domain primer lives in the project's shared folder, beside the repository.
DOMAIN_FILE = Path(__file__).resolve().parents[3] / "shared" / "domain" / "assessment.md"


def episode_with_consent(scope="assessment"):
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
        scope=scope,
    )
    return lead, child, episode


def started():
    lead, child, episode = episode_with_consent()
    return (
        lead,
        child,
        assessments.start_assessment(practitioner=lead, episode=episode, child=child),
    )


def element(code):
    return AssessmentElement.objects.get(code=code)


def form_data(assessment, **changes):
    """The edit form as loaded: every field, with ``changes`` applied."""
    assessment.refresh_from_db()
    data = {"revision": str(assessment.revision)}
    data.update({name: getattr(assessment, name) for name in Assessment.TEXT_FIELDS})
    for answer in assessment.answers.all():
        data[f"rating-{answer.element_id}"] = answer.rating
        data[f"notes-{answer.element_id}"] = answer.notes
    data.update(changes)
    return data


def test_the_three_domains_and_every_element_are_loaded_as_data():
    assert list(AssessmentDomain.objects.values_list("number", flat=True)) == [1, 2, 3]
    text = DOMAIN_FILE.read_text() if DOMAIN_FILE.exists() else ""
    titles = set(AssessmentElement.objects.values_list("title", flat=True))
    data = json.loads(
        Path("joinedup/casework/data/assessment_elements.json").read_text(encoding="utf-8")
    )
    expected = [e["title"] for d in data["domains"] for e in d["elements"]]
    assert titles == set(expected) and len(expected) == 19
    counts = [domain.elements.count() for domain in AssessmentDomain.objects.all()]
    assert counts == [12, 3, 4]
    if text:  # every element listed in the domain notes is there, in their words
        section = text.split("## Around the assessment")[0]
        listed = re.findall(r"^- (.+)$", section, flags=re.MULTILINE)
        assert set(listed) == titles


def test_starting_needs_consent_to_the_assessment():
    lead = PractitionerFactory()
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=lead)
    episode = services.open_episode(practitioner=lead, children=[child])
    with pytest.raises(ValidationError, match="Consent to the assessment is not recorded"):
        assessments.start_assessment(practitioner=lead, episode=episode, child=child)
    consent = services.record_consent(
        practitioner=lead,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Carer",
        given_on=timezone.localdate(),
        scope="assessment",
    )
    services.withdraw_consent(practitioner=lead, consent=consent, reason="No")
    with pytest.raises(ValidationError, match="withdrawn"):
        assessments.start_assessment(practitioner=lead, episode=episode, child=child)
    assert not Assessment.objects.exists()


def test_start_from_the_page_refused_clearly_without_consent(client):
    lead = PractitionerFactory()
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=lead)
    episode = services.open_episode(practitioner=lead, children=[child])
    sign_in_verified(client, lead)
    response = client.post(
        reverse("casework:start-assessment", args=[episode.pk, child.pk]), follow=True
    )
    assert "Consent to the assessment is not recorded" in response.content.decode()
    assert not Assessment.objects.exists()


def test_a_draft_is_saved_from_the_edit_page_without_javascript(client):
    lead, child, assessment = started()
    assert assessment.answers.count() == 19
    sign_in_verified(client, lead)
    url = reverse("casework:assessment-edit", args=[assessment.pk])
    page = client.get(url).content.decode()
    assert "Development of the child or young person" in page
    assert "Guidance, boundaries and stimulation" in page
    assert 'hx-trigger="change delay:1s"' in page
    speech = element("speech-language-communication")
    response = client.post(
        url,
        form_data(
            assessment,
            child_views="I like drawing but school is loud",
            **{f"rating-{speech.pk}": "need", f"notes-{speech.pk}": "Few words at 4"},
        ),
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.revision == 2
    assert assessment.child_views == "I like drawing but school is loud"
    answer = assessment.answers.get(element=speech)
    assert (answer.rating, answer.notes) == ("need", "Few words at 4")
    assert AccessRecord.objects.filter(child=child, what="Early help assessment").exists()


def test_concurrent_edit_is_refused_with_both_versions_shown(client):
    lead, _child, assessment = started()
    colleague = PractitionerFactory(first_name="Cara", last_name="Colleague")
    services.record_consent(
        practitioner=lead,
        episode=assessment.episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Carer",
        given_on=timezone.localdate(),
        scope="assessment_and_sharing",
    )
    services.add_team_member(
        added_by=lead, episode=assessment.episode, practitioner=colleague, role="Nurse"
    )
    # The colleague is the assessing practitioner here; the lead may edit too.
    Assessment.objects.filter(pk=assessment.pk).update(assessing_practitioner=colleague)
    loaded = form_data(assessment)  # both open the form at revision 1
    url = reverse("casework:assessment-edit", args=[assessment.pk])
    sign_in_verified(client, colleague)
    assert client.post(url, {**loaded, "summary_needs": "Speech therapy"}).status_code == 302
    sign_in_verified(client, lead)
    response = client.post(url, {**loaded, "summary_needs": "Help with routines"})
    assert response.status_code == 409
    page = response.content.decode()
    assert "Your changes were not saved" in page
    assert "Speech therapy" in page and "Help with routines" in page
    assert "Cara Colleague" in page
    assessment.refresh_from_db()
    assert assessment.summary_needs == "Speech therapy"  # not overwritten
    # The form now carries the saved revision: saving again is a deliberate choice.
    assert f'name="revision" id="id_revision" value="{assessment.revision}"' in page


def test_submission_locks_the_assessment(client):
    lead, _child, assessment = started()
    sign_in_verified(client, lead)
    url = reverse("casework:assessment-edit", args=[assessment.pk])
    response = client.post(
        url, form_data(assessment, summary_strengths="Loving family", action="submit")
    )
    assert response.status_code == 302
    assessment.refresh_from_db()
    assert assessment.status == AssessmentStatus.SUBMITTED and assessment.submitted_at
    # Edits are refused: by the service, the page and the autosave.
    with pytest.raises(ValidationError, match="locked"):
        assessments.save_draft(
            practitioner=lead,
            assessment=assessment,
            revision=assessment.revision,
            fields={"summary_needs": "x"},
            answers={},
        )
    response = client.post(url, form_data(assessment, summary_needs="Changed"))
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("casework:assessment", args=[assessment.pk])
    autosave = client.post(
        reverse("casework:assessment-autosave", args=[assessment.pk]),
        form_data(assessment, summary_needs="Changed"),
    )
    assert "Not saved" in autosave.content.decode()
    assessment.refresh_from_db()
    assert assessment.summary_needs == ""
    view = client.get(reverse("casework:assessment", args=[assessment.pk])).content.decode()
    assert "Loving family" in view and "Submitted" in view


def test_a_revision_is_version_two_with_the_differences_shown(client):
    lead, _child, assessment = started()
    speech = element("speech-language-communication")
    housing = element("housing-employment-finance")
    saved = assessments.save_draft(
        practitioner=lead,
        assessment=assessment,
        revision=1,
        fields={"summary_needs": "Speech"},
        answers={speech.pk: ("need", "Few words")},
    )
    assessments.submit_assessment(practitioner=lead, assessment=saved, revision=saved.revision)
    sign_in_verified(client, lead)
    response = client.post(reverse("casework:assessment-revise", args=[assessment.pk]))
    second = Assessment.objects.get(version=2)
    assert response.headers["Location"] == reverse("casework:assessment-edit", args=[second.pk])
    assert second.previous_version_id == assessment.pk and second.is_draft
    assert second.summary_needs == "Speech"
    assert second.answers.get(element=speech).rating == "need"
    client.post(
        reverse("casework:assessment-edit", args=[second.pk]),
        form_data(
            second,
            summary_needs="Speech and housing",
            **{f"rating-{speech.pk}": "strength", f"rating-{housing.pk}": "need"},
        ),
    )
    assessment.refresh_from_db()
    assert assessment.summary_needs == "Speech"  # version 1 is untouched
    page = client.get(reverse("casework:assessment-versions", args=[second.pk])).content.decode()
    assert "Changes in version 2 (from version 1)" in page
    assert "Summary of needs" in page and "Speech and housing" in page
    assert speech.title in page and housing.title in page
    assert page.count('class="govuk-table__row element-change"') == 2
    assert "Emotional warmth and stability" not in page  # unchanged elements are not listed


def test_autosave_returns_the_saved_status_and_the_new_revision(client):
    lead, _child, assessment = started()
    sign_in_verified(client, lead)
    response = client.post(
        reverse("casework:assessment-autosave", args=[assessment.pk]),
        form_data(assessment, reason="Attendance has dropped"),
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r"Saved at \d\d:\d\d", body)
    assert 'name="revision" id="id_revision" value="2" hx-swap-oob="true"' in body
    assessment.refresh_from_db()
    assert assessment.reason == "Attendance has dropped" and assessment.revision == 2
    # A stale autosave is refused, not applied.
    stale = client.post(
        reverse("casework:assessment-autosave", args=[assessment.pk]),
        form_data(assessment, revision="1", reason="Old"),
    )
    assert "Not saved" in stale.content.decode()
    assessment.refresh_from_db()
    assert assessment.reason == "Attendance has dropped"


def test_only_the_assessing_practitioner_or_lead_edits_team_members_read(client):
    lead, _child, assessment = started()
    services.record_consent(
        practitioner=lead,
        episode=assessment.episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Carer",
        given_on=timezone.localdate(),
        scope="assessment_and_sharing",
    )
    member = PractitionerFactory()
    services.add_team_member(
        added_by=lead, episode=assessment.episode, practitioner=member, role="Nurse"
    )
    sign_in_verified(client, member)
    assert client.get(reverse("casework:assessment", args=[assessment.pk])).status_code == 200
    assert client.get(reverse("casework:assessment-edit", args=[assessment.pk])).status_code == 403


def test_edit_page_queries_do_not_grow_with_answers(client):
    lead, _child, assessment = started()
    sign_in_verified(client, lead)
    url = reverse("casework:assessment-edit", args=[assessment.pk])
    count_queries(client, url)  # warm up (session, sign-in caches)
    before = count_queries(client, url)
    domain = AssessmentDomain.objects.get(number=3)
    for n in range(5):
        extra = AssessmentElement.objects.create(
            domain=domain, code=f"extra-{n}", position=10 + n, title=f"Extra {n}"
        )
        AssessmentAnswer.objects.create(assessment=assessment, element=extra, rating="need")
    assert count_queries(client, url) == before


def test_the_episode_page_leads_to_the_assessment_and_the_plan(client):
    lead, child, episode = episode_with_consent()
    sign_in_verified(client, lead)
    page = client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    assert reverse("casework:start-assessment", args=[episode.pk, child.pk]) in page
    assert reverse("casework:plan", args=[episode.pk]) in page

    assessment = assessments.start_assessment(practitioner=lead, episode=episode, child=child)
    page = client.get(reverse("casework:episode", args=[episode.pk])).content.decode()
    assert reverse("casework:assessment", args=[assessment.pk]) in page
    assert "Version 1, draft" in page
