"""Casework: paper copies of the assessment and the plan for families (print page and PDF)."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup import pdf
from joinedup.casework import assessment as assessments
from joinedup.casework import paper, plan, services
from joinedup.casework.models import Outcome
from joinedup.sharing.models import AccessAction, AccessBasis, AccessRecord
from tests.factories import ChildFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

LONG_NOTES = "The family told us a great deal about this. " * 8


def team(children=1):
    """An open episode for ``children`` brothers and sisters, led by ``lead``, with
    consent to the assessment and to sharing."""
    lead = PractitionerFactory(first_name="Lena", last_name="Lead", phone="01632 960555")
    family = [ChildFactory() for _ in range(children)]
    for child in family:
        InvolvementFactory(child=child, practitioner=lead, role="Class teacher")
    episode = services.open_episode(practitioner=lead, children=family)
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
    return lead, episode, family


def an_assessment(lead, episode, child, notes=LONG_NOTES):
    assessment = assessments.start_assessment(practitioner=lead, episode=episode, child=child)
    elements = assessments.elements_for(assessment)
    return assessments.save_draft(
        practitioner=lead,
        assessment=assessment,
        revision=assessment.revision,
        fields={
            "reason": "Worried about attendance",
            "child_views": "I like drawing and my friends",
            "parent_carer_views": "Mornings are hard",
            "summary_strengths": "A loving family",
            "summary_needs": "Help with routines",
        },
        answers={element.pk: ("need", notes) for element in elements},
    )


def add_actions(lead, episode, count, need="Poor sleep"):
    need = plan.add_need(practitioner=lead, episode=episode, description=need)
    desired = plan.add_desired_outcome(
        practitioner=lead,
        need=need,
        description="Sleeps through the night",
        outcomes=list(Outcome.objects.filter(code__in=["being-healthy", "enjoying-and-achieving"])),
    )
    for number in range(count):
        plan.add_action(
            practitioner=lead,
            desired_outcome=desired,
            description=f"Bedtime routine step {number + 1}",
            due_on=timezone.localdate() + datetime.timedelta(days=number - 1),
            responsible_practitioner=lead,
        )
    return desired


def page_texts(document) -> list[str]:
    """The text laid out on each page of a weasyprint Document, margin boxes included."""

    def text_of(box) -> list[str]:
        own = [box.text] if getattr(box, "text", None) else []
        return own + [part for child in getattr(box, "children", ()) for part in text_of(child)]

    return [" ".join(text_of(page._page_box)) for page in document.pages]


def test_the_assessment_pdf_is_a_download_with_no_name_in_its_file_name(client):
    lead, episode, (child,) = team()
    assessment = an_assessment(lead, episode, child)
    sign_in_verified(client, lead)
    response = client.get(reverse("casework:assessment-pdf", args=[assessment.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response.content.rstrip().endswith(b"%%EOF")
    disposition = response["Content-Disposition"]
    assert disposition == (
        f'attachment; filename="early-help-assessment-{assessment.pk}-version-1.pdf"'
    )
    assert child.family_name not in disposition
    assert "no-store" in response["Cache-Control"]


def test_every_page_of_the_assessment_names_the_child_with_the_date_and_page_numbers():
    lead, episode, (child,) = team()
    assessment = an_assessment(lead, episode, child)
    copy = paper.assessment_paper(
        practitioner=lead, assessment_id=assessment.pk, path="/test/", what="Test copy"
    )
    html = paper.assessment_html(copy, for_pdf=True, links={})
    pages = page_texts(pdf.render_pdf_document(html))
    assert len(pages) > 1, "long notes should need more than one A4 page"
    printed = f"Printed {timezone.localdate():%-d %B %Y}"
    for number, text in enumerate(pages, start=1):
        assert child.full_name in text
        assert printed in text
        assert "Sensitive: keep safe" in text
        assert f"Page {number} of {len(pages)}" in text
    everything = " ".join(pages)
    assert "I like drawing and my friends" in everything
    assert "Mornings are hard" in everything
    assert "Lena Lead" in everything
    assert "Draft: this assessment has not been submitted yet" in everything


def test_the_print_page_loads_nothing_from_outside_the_app(client):
    lead, episode, (child,) = team()
    assessment = an_assessment(lead, episode, child, notes="Short notes")
    sign_in_verified(client, lead)
    response = client.get(reverse("casework:assessment-print", args=[assessment.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert child.full_name in html
    assert "/static/casework/paper.css" in html
    assert "http://" not in html and "https://" not in html and "//fonts" not in html
    assert reverse("casework:assessment-pdf", args=[assessment.pk]) in html
    assert "no-store" in response["Cache-Control"]
    # The domains and elements, with each answer.
    for domain in ("Development of the child", "Parents and carers", "Family and environmental"):
        assert domain in html
    assert html.count("Short notes") == len(assessments.elements_for(assessment))


def test_the_paper_copy_fetches_only_the_apps_static_files():
    body, media_type = pdf.static_file(f"{pdf.PAPER_BASE_URL}static/casework/paper.css")
    assert b"@page" in body and media_type == "text/css"
    for url in (
        "https://fonts.example.org/font.woff2",
        "http://169.254.169.254/latest/meta-data/",
        "file:///etc/passwd",
        f"{pdf.PAPER_BASE_URL}static/../settings.py",
        f"{pdf.PAPER_BASE_URL}static/casework/%2e%2e/%2e%2e/settings.py",
        f"{pdf.PAPER_BASE_URL}media/upload.csv",
    ):
        with pytest.raises(ValueError):
            pdf.static_file(url)
    # An outside image in the HTML is not fetched: the document still renders.
    document = pdf.render_pdf_document(
        '<html><body><img src="http://example.org/x.png" alt="x"><p>Hello</p></body></html>'
    )
    assert "Hello" in page_texts(document)[0]


def test_the_plan_pdf_lists_needs_outcomes_and_actions_with_the_lead_as_contact(client):
    lead, episode, family = team(children=2)
    add_actions(lead, episode, 3)
    sign_in_verified(client, lead)
    response = client.get(reverse("casework:plan-pdf", args=[episode.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"] == (
        f'attachment; filename="early-help-plan-episode-{episode.pk}.pdf"'
    )
    assert "no-store" in response["Cache-Control"]

    copy = paper.plan_paper(practitioner=lead, episode_id=episode.pk, path="/", what="Test")
    pages = page_texts(pdf.render_pdf_document(paper.plan_html(copy, for_pdf=True, links={})))
    for text in pages:
        for child in family:
            assert child.full_name in text
        assert "Sensitive: keep safe" in text
    everything = " ".join(pages)
    assert "Need 1: Poor sleep" in everything
    assert "Sleeps through the night" in everything
    assert "Being healthy" in everything
    assert "Bedtime routine step 3" in everything
    assert "Lena Lead" in everything and "01632 960555" in everything
    assert "Overdue" in everything  # the first action was due yesterday


def test_the_print_and_pdf_copies_are_recorded_as_disclosures(client):
    lead, episode, (child,) = team()
    assessment = an_assessment(lead, episode, child, notes="")
    add_actions(lead, episode, 1)
    sign_in_verified(client, lead)
    for name, argument, what in (
        ("casework:assessment-print", assessment.pk, "Early help assessment: print copy"),
        ("casework:assessment-pdf", assessment.pk, "Early help assessment: PDF copy"),
        ("casework:plan-print", episode.pk, "Early help plan: print copy"),
        ("casework:plan-pdf", episode.pk, "Early help plan: PDF copy"),
    ):
        url = reverse(name, args=[argument])
        assert client.get(url).status_code == 200
        record = AccessRecord.objects.get(what=what)
        assert record.practitioner == lead and record.child == child
        assert record.action == AccessAction.VIEWED
        assert record.basis == AccessBasis.TEAM_MEMBERSHIP
        assert "a paper or PDF copy was made" in record.reason
        assert record.path == url


def test_people_outside_the_team_get_no_copy_and_leave_no_record(client):
    lead, episode, (child,) = team()
    assessment = an_assessment(lead, episode, child, notes="")
    outsider = PractitionerFactory()
    # Involved with the child but not on the team: sees the child, not the casework.
    involved_elsewhere = PractitionerFactory()
    InvolvementFactory(child=child, practitioner=involved_elsewhere)
    before = AccessRecord.objects.count()
    for person in (outsider, involved_elsewhere):
        sign_in_verified(client, person)
        for url in (
            reverse("casework:assessment-print", args=[assessment.pk]),
            reverse("casework:assessment-pdf", args=[assessment.pk]),
            reverse("casework:plan-print", args=[episode.pk]),
            reverse("casework:plan-pdf", args=[episode.pk]),
        ):
            assert client.get(url).status_code == 403, url
    assert AccessRecord.objects.count() == before


def test_without_pango_the_pdf_page_explains_and_the_print_page_still_works(client, monkeypatch):
    lead, episode, (child,) = team()
    assessment = an_assessment(lead, episode, child, notes="")

    def no_pango(name):
        raise OSError("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open")

    monkeypatch.setattr(pdf.importlib, "import_module", no_pango)
    sign_in_verified(client, lead)
    for name, argument in (("assessment-pdf", assessment.pk), ("plan-pdf", episode.pk)):
        response = client.get(reverse(f"casework:{name}", args=[argument]))
        assert response.status_code == 503
        text = response.content.decode()
        assert "PDFs are unavailable on this server" in text
        assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in text
        assert "/print/" in text
    assert not AccessRecord.objects.filter(what__endswith="PDF copy").exists()
    assert client.get(reverse("casework:assessment-print", args=[assessment.pk])).status_code == 200
    assert client.get(reverse("casework:plan-print", args=[episode.pk])).status_code == 200


def test_the_screen_pages_link_to_the_paper_copies(client):
    lead, episode, (child,) = team()
    assessment = an_assessment(lead, episode, child, notes="")
    sign_in_verified(client, lead)
    page = client.get(reverse("casework:assessment", args=[assessment.pk])).content.decode()
    assert reverse("casework:assessment-print", args=[assessment.pk]) in page
    assert "Print or save as PDF" in page
    page = client.get(reverse("casework:plan", args=[episode.pk])).content.decode()
    assert reverse("casework:plan-print", args=[episode.pk]) in page


@pytest.mark.parametrize("name", ["casework:plan-print", "casework:plan-pdf"])
def test_the_plan_copy_takes_the_same_queries_however_many_actions(client, name):
    lead, episode, _family = team()
    desired = add_actions(lead, episode, 1)
    sign_in_verified(client, lead)
    url = reverse(name, args=[episode.pk])
    few = count_queries(client, url)
    for number in range(8):
        plan.add_action(
            practitioner=lead,
            desired_outcome=desired,
            description=f"More help {number}",
            due_on=timezone.localdate(),
            responsible_name="Sam Carer",
        )
    add_actions(lead, episode, 4, need="School attendance")
    assert count_queries(client, url) == few
