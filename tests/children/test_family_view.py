"""A family's view (issue 6): what Joined Up holds about a child, for the family."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.casework.models import Episode, EpisodeChild
from joinedup.children import services
from joinedup.sharing.models import (
    AccessAction,
    AccessBasis,
    AccessRecord,
    Disclosure,
    DisclosureBasis,
    DisclosureKind,
)
from tests.children.index_support import link_records
from tests.factories import AgencyFactory, ChildFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.referrals.factories import make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting():
    school = AgencyFactory(name="Mill Lane Primary")
    teacher = PractitionerFactory(home_agency=school, first_name="Tessa", last_name="Teacher")
    involvement = InvolvementFactory(practitioner=teacher, role="Class teacher")
    child = involvement.child
    link_records(
        child,
        school,
        {
            "Record ID": "P1",
            "Given name": child.given_name,
            "Address line 1": "7 Hidden Row",
            "Postcode": "EX9 9ZZ",
            "Educational setting": "Hilltop Academy",
        },
    )
    manager = PractitionerFactory(home_agency=school, is_data_manager=True)
    return child, teacher, manager, school


def url(child) -> str:
    return reverse("children:family-view", args=[child.pk])


def page(client, manager, child) -> str:
    sign_in_verified(client, manager)
    response = client.get(url(child))
    assert response.status_code == 200
    return response.content.decode()


def test_shows_agencies_records_and_access_counts_by_agency(client, setting):
    child, teacher, manager, _school = setting
    sign_in_verified(client, teacher)
    client.get(reverse("children:detail", args=[child.pk]))
    client.logout()
    text = page(client, manager, child)
    assert "Mill Lane Primary" in text
    assert "Class teacher" in text
    assert "Hilltop Academy" in text
    assert "7 Hidden Row" in text
    looked = text.split('id="looked-heading"')[1]
    assert "Mill Lane Primary" in looked
    assert timezone.localdate().strftime("%B %Y") in looked
    # Practitioners are not named in who has looked.
    assert "Tessa" not in looked
    assert teacher.get_full_name() not in looked


def test_referrals_show_what_was_shared_and_the_basis(client, setting):
    child, teacher, manager, _school = setting
    referral = make_referral(referrer=teacher, child=child, status="sent")
    text = page(client, manager, child)
    section = text.split('id="referrals-heading"')[1].split('id="shared-heading"')[0]
    assert referral.service.name in section
    assert referral.get_sharing_basis_display() in section


def test_producing_writes_an_access_record_and_a_disclosure(client, setting):
    child, _teacher, manager, _school = setting
    page(client, manager, child)
    access = AccessRecord.objects.get(child=child, practitioner=manager)
    assert access.what == "Family's view report"
    assert access.basis == AccessBasis.DATA_MANAGER
    assert access.action == AccessAction.VIEWED
    disclosure = Disclosure.objects.get(child=child)
    assert disclosure.kind == DisclosureKind.EXPORT
    assert disclosure.basis == DisclosureBasis.RELATIONSHIP
    assert disclosure.recipient == "The child or family (subject access request)"
    # The next report shows the disclosure made by the last one.
    assert "The child or family (subject access request)" in page(client, manager, child)


def test_only_a_data_manager_of_the_childs_agencies_may_produce_it(client, setting):
    child, teacher, _manager, _school = setting
    other_manager = PractitionerFactory(home_agency=AgencyFactory(), is_data_manager=True)
    for user in (teacher, other_manager):
        sign_in_verified(client, user)
        assert client.get(url(child)).status_code == 403
        client.logout()
    assert not Disclosure.objects.filter(child=child).exists()


def test_the_link_shows_on_the_childs_page_only_for_those_allowed(client, setting):
    child, teacher, manager, _school = setting
    detail = reverse("children:detail", args=[child.pk])
    InvolvementFactory(child=child, practitioner=manager, role="Data manager")
    sign_in_verified(client, manager)
    assert 'id="family-view-link"' in client.get(detail).content.decode()
    client.logout()
    sign_in_verified(client, teacher)
    assert (
        'id="family-view-link"'
        not in client.get(reverse("children:detail", args=[child.pk])).content.decode()
    )


def test_a_sensitive_involvement_is_left_out_until_consent_is_recorded(client, setting):
    child, _teacher, manager, _school = setting
    clinic = AgencyFactory(name="Riverside Sexual Health", sensitive_service="sexual_health")
    nurse = PractitionerFactory(home_agency=clinic)
    involvement = InvolvementFactory(
        child=child, practitioner=nurse, agency=clinic, role="Clinic nurse"
    )
    AccessRecord.objects.create(
        practitioner=nurse,
        child=child,
        action="viewed",
        what="Child record",
        basis=AccessBasis.INVOLVEMENT,
        reason="Involved",
    )
    assert "Riverside Sexual Health" not in page(client, manager, child)
    involvement.consent_recorded_on = timezone.localdate()
    involvement.save()
    text = page(client, manager, child)
    assert "Riverside Sexual Health" in text
    assert "Riverside Sexual Health" in text.split('id="looked-heading"')[1]


def test_a_shielded_childs_whereabouts_are_withheld_with_a_generic_note(client, setting):
    child, _teacher, manager, _school = setting
    services.shield_child(
        practitioner=manager,
        child=child,
        reason="Risk from a former partner",
        review_on=timezone.localdate() + datetime.timedelta(days=90),
    )
    # The report itself (the header names the signed-in data manager's own agency).
    text = page(client, manager, child).split('id="identity"')[0].split("<h1")[1]
    text += page(client, manager, child).split('id="identity"')[1].split("</main>")[0]
    assert "Some information is withheld to keep someone safe." in text
    for whereabouts in ("7 Hidden Row", "EX9 9ZZ", "Hilltop Academy", "Mill Lane Primary"):
        assert whereabouts not in text
    assert "shield" not in text.lower()
    assert "former partner" not in text


def test_an_unshielded_report_has_no_withheld_note(client, setting):
    child, _teacher, manager, _school = setting
    assert "Some information is withheld" not in page(client, manager, child)


def test_a_sibling_in_the_same_episode_is_not_named(client, setting):
    child, teacher, manager, _school = setting
    sibling = ChildFactory(given_name="Siblina", family_name="Otherchild")
    episode = Episode.objects.create(opened_by=teacher)
    EpisodeChild.objects.create(episode=episode, child=child)
    EpisodeChild.objects.create(episode=episode, child=sibling)
    text = page(client, manager, child)
    assert "Mill Lane Primary" in text.split('id="early-help"')[1]
    assert "Siblina" not in text and "Otherchild" not in text


def test_queries_do_not_grow_with_access_records(client, setting):
    child, _teacher, manager, _school = setting
    sign_in_verified(client, manager)
    before = count_queries(client, url(child))
    for _ in range(6):
        AccessRecord.objects.create(
            practitioner=PractitionerFactory(home_agency=AgencyFactory()),
            child=child,
            action="viewed",
            what="Child record",
            basis=AccessBasis.INVOLVEMENT,
            reason="Involved",
        )
    assert count_queries(client, url(child)) == before


def test_consents_show_who_gave_them_for_what_and_to_whom(client, setting):
    child, teacher, manager, school = setting
    from joinedup.sharing import consents

    clinic = AgencyFactory(name="Riverside Sexual Health", sensitive_service="sexual_health")
    given = consents.record_consent(
        consents.ConsentTerms(
            given_by_kind="parent_carer",
            given_by_name="Pat Parent",
            giver_reason="The child is seven",
            given_on=timezone.localdate(),
            for_sharing=True,
            scope=["identity", "involvements"],
            agencies=[school, clinic],
        ),
        recorded_by=teacher,
        child=child,
    )
    consents.withdraw_consent(consent=given, withdrawn_by=teacher, reason="Changed mind")
    text = page(client, manager, child).split('id="consents-heading"')[1]
    text = text.split('id="shared-heading"')[0]
    assert "Pat Parent (A parent or carer)" in text
    assert "Mill Lane Primary" in text
    # A sensitive service is not named to whoever reads the family's copy.
    assert "Riverside Sexual Health" not in text
    assert "A service (not named)" in text
    assert "Withdrawn on" in text
