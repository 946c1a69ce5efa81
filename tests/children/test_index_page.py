"""The child's index page: provenance, contacts, settings, who is involved (with sensitive
services shown only with consent) and the early help indicator."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from joinedup.children import selectors
from joinedup.children.models import Involvement
from joinedup.partnerships.models import AgencyKind, SensitiveService
from joinedup.sharing import policy
from joinedup.sharing.models import AccessRecord
from tests.children.index_support import link_records
from tests.factories import AgencyFactory, ChildFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def detail(client, child) -> str:
    response = client.get(reverse("children:detail", args=[child.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_sources_show_who_said_what_and_when_and_where_agencies_disagree(client):
    involvement = InvolvementFactory()
    child = involvement.child
    school = AgencyFactory(name="Mill Lane Primary")
    health = AgencyFactory(name="Exampleton Health Visiting", kind=AgencyKind.HEALTH_VISITING)
    link_records(
        child,
        school,
        {
            "Record ID": "S1",
            "Given name": "Amy",
            "Family name": "Example",
            "Date of birth": "14/03/2015",
            "NHS number": child.nhs_number,
            "Postcode": "ex1 2ab",
            "Sex": "F",
        },
    )
    link_records(
        child,
        health,
        {
            "Record ID": "H9",
            "Given name": "Amy",
            "Family name": "Example",
            "Date of birth": "2015-04-03",
            "NHS number": child.nhs_number,
            "Postcode": "EX1 2AB",
            "Sex": "Female",
        },
    )
    sign_in_verified(client, involvement.practitioner)

    record = selectors.child_record(
        practitioner=involvement.practitioner, child_id=child.pk, path="/"
    )
    rows = {row.key: row for row in record.provenance.identity}
    assert rows["date_of_birth"].disagree
    assert not rows["nhs_number"].disagree
    assert not rows["postcode"].disagree  # "ex1 2ab" and "EX1 2AB" are the same postcode
    assert not rows["sex"].disagree  # F and Female
    assert {said.agency_name for said in rows["date_of_birth"].said} == {
        "Mill Lane Primary",
        "Exampleton Health Visiting",
    }

    page = detail(client, child)
    assert "Mill Lane Primary" in page and "Exampleton Health Visiting" in page
    assert "14/03/2015" in page and "2015-04-03" in page  # as each agency sent it
    assert "Agencies disagree" in page
    assert "S1" in page and "H9" in page
    assert timezone.localdate().strftime("%-d %b %Y") in page  # when last received


def test_invalid_values_are_shown_as_sent_and_marked(client):
    involvement = InvolvementFactory()
    link_records(
        involvement.child,
        AgencyFactory(name="Clinic"),
        {"Record ID": "C1", "Given name": "Amy", "NHS number": "1234567890"},
    )
    sign_in_verified(client, involvement.practitioner)

    page = detail(client, involvement.child)

    assert "1234567890" in page
    assert "Not valid:" in page


def test_contacts_setting_gp_and_reported_involvements_come_from_the_sources(client):
    involvement = InvolvementFactory()
    agency = AgencyFactory(name="Bright Start Family Support")
    link_records(
        involvement.child,
        agency,
        {
            "Record ID": "B7",
            "Given name": "Amy",
            "Parent or carer 1 name": "Pat Example",
            "Parent or carer 1 relationship": "Mother",
            "Parent or carer 1 telephone": "01632 960123",
            "Parent or carer 1 email": "pat@example.com",
            "Educational setting": "Mill Lane Primary",
            "GP practice": "Example Medical Centre",
            "Practitioner name": "Alex Worker",
            "Practitioner role": "Family support worker",
            "Practitioner telephone": "01632 960999",
            "Involved from": "2024-09-02",
        },
    )
    sign_in_verified(client, involvement.practitioner)

    page = detail(client, involvement.child)

    for text in (
        "Pat Example",
        "Mother",
        "01632 960123",
        "pat@example.com",
        "Mill Lane Primary",
        "Example Medical Centre",
        "Alex Worker",
        "Family support worker",
        "01632 960999",
        "Reported by Bright Start Family Support",
        "Since 2 Sep 2024",
    ):
        assert escape(text) in page, text
    assert "recorded by Bright Start Family Support" in page


def test_who_is_involved_shows_contact_details_and_since_when(client):
    involvement = InvolvementFactory(role="Class teacher")
    other = InvolvementFactory(child=involvement.child, role="Health visitor")
    other.practitioner.phone = "01632 960555"
    other.practitioner.save()
    sign_in_verified(client, involvement.practitioner)

    page = detail(client, involvement.child)

    assert escape(other.practitioner.get_full_name()) in page
    assert "01632 960555" in page
    assert other.practitioner.email in page
    assert f"Since {other.started_on:%-d %b %Y}" in page


def test_early_help_indicator_is_a_seam_until_casework_exists(client):
    involvement = InvolvementFactory()
    sign_in_verified(client, involvement.practitioner)

    assert selectors.early_help_indicator(involvement.child) is None
    assert "No early help assessment is recorded in Joined Up" in detail(client, involvement.child)


def test_a_sensitive_involvement_is_seen_only_by_the_practitioner_until_consent(client):
    mine = InvolvementFactory(role="Class teacher")
    child = mine.child
    sensitive = InvolvementFactory(
        child=child, role="Sexual health nurse", sensitive_service=SensitiveService.SEXUAL_HEALTH
    )

    sign_in_verified(client, mine.practitioner)
    assert "Sexual health nurse" not in detail(client, child)

    sign_in_verified(client, sensitive.practitioner)
    own = detail(client, child)
    assert "Sexual health nurse" in own
    assert "Only you can see this until consent is recorded" in own

    response = client.post(reverse("children:record-consent", args=[child.pk, sensitive.pk]))
    assert response.status_code == 302
    sensitive.refresh_from_db()
    assert sensitive.consent_recorded_on == timezone.localdate()
    assert sensitive.consent_recorded_by == sensitive.practitioner

    sign_in_verified(client, mine.practitioner)
    assert "Sexual health nurse" in detail(client, child)


def test_only_the_practitioner_involved_records_consent(client):
    mine = InvolvementFactory()
    sensitive = InvolvementFactory(
        child=mine.child, sensitive_service=SensitiveService.MENTAL_HEALTH
    )
    sign_in_verified(client, mine.practitioner)

    response = client.post(reverse("children:record-consent", args=[mine.child.pk, sensitive.pk]))

    assert response.status_code == 403
    sensitive.refresh_from_db()
    assert sensitive.consent_recorded_on is None
    # Consent on an involvement that is not sensitive is not a thing to record.
    assert not policy.can_record_consent(mine.practitioner, mine)


def test_a_sensitive_agency_makes_its_involvements_and_records_sensitive(client):
    mine = InvolvementFactory()
    child = mine.child
    clinic = AgencyFactory(
        name="Exampleton Substance Misuse Service",
        sensitive_service=SensitiveService.SUBSTANCE_MISUSE,
    )
    worker = PractitionerFactory(home_agency=clinic)
    involvement = InvolvementFactory(child=child, practitioner=worker, role="Recovery worker")
    link_records(child, clinic, {"Record ID": "X1", "Given name": "Amy"})
    sign_in_verified(client, mine.practitioner)

    page = detail(client, child)
    assert "Recovery worker" not in page
    assert "Exampleton Substance Misuse Service" not in page
    assert list(
        Involvement.objects.filter(child=child).filter(
            policy.visible_involvements_filter(mine.practitioner, child)
        )
    ) == [mine]

    Involvement.objects.filter(pk=involvement.pk).update(
        consent_recorded_on=timezone.localdate(), consent_recorded_by=worker
    )
    page = detail(client, child)
    assert "Recovery worker" in page
    assert "Exampleton Substance Misuse Service" in page


def test_the_page_reads_in_one_transaction_with_one_access_record(client):
    involvement = InvolvementFactory()
    link_records(involvement.child, AgencyFactory(), {"Record ID": "A", "Given name": "Amy"})
    sign_in_verified(client, involvement.practitioner)

    detail(client, involvement.child)

    assert AccessRecord.objects.filter(child=involvement.child).count() == 1


def test_the_page_makes_the_same_queries_however_many_sources_and_involvements(client):
    involvement = InvolvementFactory()
    child = involvement.child
    sign_in_verified(client, involvement.practitioner)
    url = reverse("children:detail", args=[child.pk])
    link_records(child, AgencyFactory(), {"Record ID": "R0", "Given name": "Amy"})
    InvolvementFactory(child=child)
    few = count_queries(client, url)

    for n in range(1, 12):
        link_records(
            child,
            AgencyFactory(),
            {
                "Record ID": f"R{n}",
                "Given name": "Amy",
                "Date of birth": "2015-03-14",
                "Parent or carer 1 name": "Pat",
                "Practitioner name": f"Worker {n}",
            },
        )
        InvolvementFactory(child=child)
    InvolvementFactory(
        child=child,
        sensitive_service=SensitiveService.MENTAL_HEALTH,
        consent_recorded_on=timezone.localdate(),
    )

    assert count_queries(client, url) == few


def test_ended_involvements_are_shown_as_ended(client):
    today = timezone.localdate()
    involvement = InvolvementFactory()
    InvolvementFactory(
        child=involvement.child,
        role="Speech therapist",
        started_on=today - datetime.timedelta(days=100),
        ended_on=today - datetime.timedelta(days=1),
    )
    sign_in_verified(client, involvement.practitioner)

    page = detail(client, involvement.child)

    assert "Speech therapist" in page
    assert "Ended" in page


def test_records_of_another_child_are_not_shown(client):
    involvement = InvolvementFactory()
    link_records(
        ChildFactory(), AgencyFactory(name="Other School"), {"Record ID": "Z", "Given name": "Zed"}
    )
    sign_in_verified(client, involvement.practitioner)

    assert "Other School" not in detail(client, involvement.child)
