"""A child's consent records (issue 6): every consent about the child with its versions,
recording, changing (a new version) and withdrawing a consent, the daily review command,
and the consent written when a referral is sent with consent."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.models import Notification
from joinedup.casework import services as casework
from joinedup.sharing import consents, policy
from joinedup.sharing.consent_reviews import EXPIRED_KIND, REVIEW_KIND
from joinedup.sharing.models import AccessRecord, Consent, ConsentGiver, InformationKind
from tests.factories import (
    AgencyFactory,
    ChildFactory,
    InvolvementFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)
from tests.queries import count_queries
from tests.referrals.factories import ServiceFactory, make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def involved_with_child():
    practitioner = PractitionerFactory()
    child = ChildFactory()
    InvolvementFactory(child=child, practitioner=practitioner, role="Class teacher")
    return practitioner, child


def a_consent(child, by, **overrides) -> Consent:
    values = {
        "given_by_kind": ConsentGiver.PARENT_CARER,
        "given_by_name": "Sam Carer",
        "given_on": TODAY() - datetime.timedelta(days=10),
        "for_sharing": True,
        "scope": [InformationKind.IDENTITY, InformationKind.SETTING],
        "to_team": True,
    }
    values.update(overrides)
    return consents.record_consent(consents.ConsentTerms(**values), recorded_by=by, child=child)


def page_url(child) -> str:
    return reverse("children:consents", kwargs={"child_id": child.pk})


def new_url(child) -> str:
    return reverse("children:new-consent", kwargs={"child_id": child.pk})


def form_data(**overrides) -> dict:
    data = {
        "given_by_kind": "parent_carer",
        "given_by_name": "Alex Carer",
        "giver_reason": "",
        "purposes": ["sharing"],
        "scope": ["identity", "plan"],
        "to_team": "on",
        "given_on": TODAY().isoformat(),
    }
    data.update(overrides)
    return data


# The page ------------------------------------------------------------------------------


def test_the_page_lists_each_consent_with_its_status_and_versions(client):
    practitioner, child = involved_with_child()
    kept = a_consent(child, practitioner, review_on=TODAY())
    changed = consents.change_consent(
        consent=kept,
        terms=consents.ConsentTerms(
            given_by_kind=ConsentGiver.PARENT_CARER,
            given_by_name="Sam Carer",
            given_on=TODAY() - datetime.timedelta(days=10),
            for_sharing=True,
            scope=[InformationKind.IDENTITY],
            to_team=True,
            review_on=TODAY(),
        ),
        changed_by=practitioner,
        change_note="The family no longer want the school named",
    )
    withdrawn = a_consent(child, practitioner, given_by_name="Pat Carer")
    consents.withdraw_consent(consent=withdrawn, withdrawn_by=practitioner, reason="Moved away")
    sign_in_verified(client, practitioner)

    response = client.get(page_url(child))

    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="consent-{kept.pk}"' in html and f'id="consent-{changed.pk}"' in html
    assert "The family no longer want the school named" in html
    assert "In force" in html
    assert f"Withdrawn on {TODAY():%d %b %Y}" in html
    assert "Moved away" in html
    assert f'id="due-for-review-{changed.pk}"' in html
    assert str(InformationKind.IDENTITY.label) in html
    assert "The agencies of the team around the child" in html
    assert f'href="{new_url(child)}"' in html


def test_the_page_includes_consents_given_within_an_episode_the_child_is_in(client):
    practitioner, child = involved_with_child()
    sibling = ChildFactory()
    InvolvementFactory(child=sibling, practitioner=practitioner)
    episode = casework.open_episode(practitioner=practitioner, children=[child, sibling])
    consent = casework.record_consent(
        practitioner=practitioner,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Carer",
        given_on=TODAY(),
        scope="assessment_and_sharing",
    )
    recorded_for = consent.child
    other = sibling if recorded_for == child else child
    sign_in_verified(client, practitioner)

    response = client.get(page_url(other))

    assert f'id="consent-{consent.pk}"' in response.content.decode()


def test_reading_the_page_writes_an_access_record(client):
    practitioner, child = involved_with_child()
    a_consent(child, practitioner)
    sign_in_verified(client, practitioner)

    client.get(page_url(child))

    record = AccessRecord.objects.get(child=child, practitioner=practitioner)
    assert record.what == "Consent records"
    assert record.basis == "involvement"


def test_an_unrelated_practitioner_is_refused(client):
    practitioner, child = involved_with_child()
    consent = a_consent(child, practitioner)
    stranger = PractitionerFactory()
    sign_in_verified(client, stranger)

    assert client.get(page_url(child)).status_code == 403
    assert client.get(new_url(child)).status_code == 403
    change = reverse("children:change-consent", args=[child.pk, consent.pk])
    assert client.post(change, form_data(change_note="x")).status_code == 403
    withdraw = reverse("children:withdraw-consent", args=[child.pk, consent.pk])
    assert client.post(withdraw, {"reason": "x"}).status_code == 403
    consent.refresh_from_db()
    assert consent.is_in_force()
    assert not AccessRecord.objects.filter(practitioner=stranger).exists()


def test_a_stated_reason_reads_but_does_not_record(client):
    _practitioner, child = involved_with_child()
    visitor = PractitionerFactory()
    from joinedup.sharing.models import StatedReason

    StatedReason.objects.create(
        practitioner=visitor,
        child=child,
        reason="Checking a concern",
        expires_at=timezone.now() + datetime.timedelta(hours=2),
    )
    assert policy.can_view_child_consents(visitor, child)
    assert not policy.can_manage_child_consents(visitor, child)
    sign_in_verified(client, visitor)
    assert client.get(page_url(child)).status_code == 200
    assert client.get(new_url(child)).status_code == 403


def test_a_consent_to_a_sensitive_service_is_shown_only_to_its_recorder(client):
    practitioner, child = involved_with_child()
    clinic = ServiceFactory(agency=AgencyFactory(sensitive_service="sexual_health"))
    hidden = a_consent(child, practitioner, to_team=False, services=[clinic])
    colleague = PractitionerFactory()
    InvolvementFactory(child=child, practitioner=colleague)

    sign_in_verified(client, colleague)
    assert f'id="consent-{hidden.pk}"' not in client.get(page_url(child)).content.decode()
    sign_in_verified(client, practitioner)
    assert f'id="consent-{hidden.pk}"' in client.get(page_url(child)).content.decode()


def test_the_page_makes_the_same_number_of_queries_however_many_consents(client):
    practitioner, child = involved_with_child()
    agency = AgencyFactory()
    service = ServiceFactory()
    a_consent(child, practitioner, agencies=[agency], services=[service])
    sign_in_verified(client, practitioner)
    few = count_queries(client, page_url(child))

    for n in range(4):
        consent = a_consent(
            child, practitioner, agencies=[AgencyFactory()], services=[ServiceFactory()]
        )
        consents.change_consent(
            consent=consent,
            terms=consents.terms_of(consent),
            changed_by=PractitionerFactory(),
            change_note=f"Change {n}",
        )
    many = count_queries(client, page_url(child))

    assert many == few


# Recording ------------------------------------------------------------------------------


def test_recording_a_consent_for_the_child(client):
    practitioner, child = involved_with_child()
    partnership = PartnershipFactory()
    school = AgencyFactory(name="Brook Lane School")
    partnership.member_agencies.add(school)
    MembershipFactory(partnership=partnership, practitioner=practitioner)
    service = ServiceFactory(name="Speech and language therapy")
    sign_in_verified(client, practitioner)

    form = client.get(new_url(child))
    assert "Brook Lane School" in form.content.decode()
    assert "Speech and language therapy" in form.content.decode()
    response = client.post(
        new_url(child),
        form_data(
            purposes=["sharing", "referral"],
            agencies=[str(school.pk)],
            services=[str(service.pk)],
            review_on=(TODAY() + datetime.timedelta(days=180)).isoformat(),
            expires_on=(TODAY() + datetime.timedelta(days=365)).isoformat(),
        ),
        follow=True,
    )

    assert response.redirect_chain[-1][0] == page_url(child)
    assert "Consent from Alex Carer recorded." in response.content.decode()
    consent = Consent.objects.get(child=child)
    assert consent.episode is None
    assert consent.for_sharing and consent.for_referral and not consent.for_assessment
    assert consent.scope == ["identity", "plan"]
    assert list(consent.agencies.all()) == [school]
    assert list(consent.services.all()) == [service]
    assert consent.recorded_by == practitioner
    assert consent.is_in_force()
    assert AccessRecord.objects.filter(
        child=child, practitioner=practitioner, action="changed", what="Consent recorded"
    ).exists()


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"given_by_kind": "young_person", "giver_reason": ""},
            "Say why the young person is competent to decide",
        ),
        ({"purposes": []}, "Choose at least one purpose the consent is for"),
        ({"scope": []}, "Choose the kinds of information the consent covers"),
        ({"to_team": ""}, "Say who the information may be shared with"),
        ({"given_by_kind": ""}, "Say who gave consent"),
        ({"given_by_name": ""}, "Enter the name of who gave consent"),
        ({"given_on": ""}, "Enter the date consent was given"),
    ],
)
def test_recording_shows_govuk_errors(client, overrides, message):
    practitioner, child = involved_with_child()
    sign_in_verified(client, practitioner)

    response = client.post(new_url(child), form_data(**overrides))

    assert response.status_code == 200
    html = response.content.decode()
    assert "govuk-error-summary" in html
    assert message in html
    assert not Consent.objects.filter(child=child).exists()


def test_every_problem_shows_at_once(client):
    practitioner, child = involved_with_child()
    sign_in_verified(client, practitioner)

    response = client.post(
        new_url(child),
        form_data(given_by_kind="young_person", given_by_name="", purposes=[], to_team=""),
    )

    html = response.content.decode()
    for message in (
        "Enter the name of who gave consent",
        "Say why the young person is competent to decide",
        "Choose at least one purpose the consent is for",
    ):
        assert html.count(message) == 2  # in the error summary and by the field


def test_expiry_must_come_after_the_date_given(client):
    practitioner, child = involved_with_child()
    sign_in_verified(client, practitioner)

    response = client.post(
        new_url(child), form_data(expires_on=TODAY().isoformat(), given_on=TODAY().isoformat())
    )

    assert "The expiry date must be after the date consent was given" in response.content.decode()
    assert not Consent.objects.filter(child=child).exists()


def test_a_young_persons_own_consent_with_why_they_are_competent(client):
    practitioner, child = involved_with_child()
    sign_in_verified(client, practitioner)

    client.post(
        new_url(child),
        form_data(
            given_by_kind="young_person",
            given_by_name="Jo",
            giver_reason="Aged 15 and understands what sharing means",
            purposes=["assessment"],
            to_team="",
        ),
    )

    consent = Consent.objects.get(child=child)
    assert consent.given_by_kind == ConsentGiver.YOUNG_PERSON
    assert consent.giver_reason == "Aged 15 and understands what sharing means"


# Changing and withdrawing ---------------------------------------------------------------


def test_changing_makes_version_2_and_the_old_version_stops_counting(client):
    practitioner, child = involved_with_child()
    first = a_consent(child, practitioner)
    url = reverse("children:change-consent", args=[child.pk, first.pk])
    sign_in_verified(client, practitioner)

    form = client.get(url).content.decode()
    assert 'value="Sam Carer"' in form
    missing_note = client.post(url, form_data(given_by_name="Sam Carer"))
    assert "Say why the consent changed" in missing_note.content.decode()

    response = client.post(
        url,
        form_data(given_by_name="Sam Carer", scope=["identity"], change_note="Narrower now"),
        follow=True,
    )

    assert "version 2 recorded" in response.content.decode()
    first.refresh_from_db()
    second = Consent.objects.get(series=first.series, version=2)
    assert first.superseded_at is not None and not first.is_in_force()
    assert second.is_in_force()
    assert second.change_note == "Narrower now"
    assert second.scope == ["identity"]
    assert list(Consent.objects.filter(child=child).in_force()) == [second]


def test_withdrawing_a_consent(client):
    practitioner, child = involved_with_child()
    consent = a_consent(child, practitioner)
    url = reverse("children:withdraw-consent", args=[child.pk, consent.pk])
    sign_in_verified(client, practitioner)

    assert "Say why consent was withdrawn" in client.post(url, {"reason": ""}).content.decode()
    response = client.post(url, {"reason": "The family asked us to stop"}, follow=True)

    assert "withdrawn" in response.content.decode()
    consent.refresh_from_db()
    assert consent.withdrawn_on == TODAY()
    assert consent.withdrawn_reason == "The family asked us to stop"
    assert consent.withdrawal_recorded_by == practitioner
    assert not consent.is_in_force()


def test_a_consent_of_another_child_is_not_found(client):
    practitioner, child = involved_with_child()
    other_child = ChildFactory()
    InvolvementFactory(child=other_child, practitioner=practitioner)
    consent = a_consent(other_child, practitioner)
    sign_in_verified(client, practitioner)

    url = reverse("children:withdraw-consent", args=[child.pk, consent.pk])
    assert client.post(url, {"reason": "x"}).status_code == 404


# The child's record links to the page --------------------------------------------------


def test_the_childs_record_links_to_the_consent_records(client):
    practitioner, child = involved_with_child()
    sign_in_verified(client, practitioner)
    html = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert f'href="{page_url(child)}"' in html


# The daily review ------------------------------------------------------------------------


def test_review_consents_tells_the_recorder_once():
    practitioner, child = involved_with_child()
    due = a_consent(child, practitioner, review_on=TODAY())
    a_consent(child, practitioner, review_on=TODAY() + datetime.timedelta(days=1))

    call_command("review_consents")
    call_command("review_consents")

    told = Notification.objects.filter(kind=REVIEW_KIND)
    assert told.count() == 1
    notice = told.get()
    assert notice.recipient == practitioner
    assert notice.url.endswith(f"#consent-{due.pk}")

    # A new version with a review date that has come is told again.
    consents.change_consent(
        consent=due,
        terms=consents.terms_of(due),
        changed_by=practitioner,
        change_note="Reviewed with the family",
    )
    call_command("review_consents")
    assert Notification.objects.filter(kind=REVIEW_KIND).count() == 2


def test_review_consents_dry_run_tells_nobody(capsys):
    practitioner, child = involved_with_child()
    a_consent(child, practitioner, review_on=TODAY())

    call_command("review_consents", "--dry-run")

    assert "Would tell" in capsys.readouterr().out
    assert not Notification.objects.filter(kind=REVIEW_KIND).exists()


def test_review_consents_tells_the_team_when_consent_expired():
    lead, child = involved_with_child()
    episode = casework.open_episode(practitioner=lead, children=[child])
    consent = casework.record_consent(
        practitioner=lead,
        episode=episode,
        given_by_kind="parent_carer",
        given_by_name="Sam Carer",
        given_on=TODAY() - datetime.timedelta(days=30),
        scope="assessment_and_sharing",
        expires_on=TODAY() + datetime.timedelta(days=1),
    )
    nurse = PractitionerFactory(home_agency=AgencyFactory(name="School nursing"))
    casework.add_team_member(added_by=lead, episode=episode, practitioner=nurse, role="Nurse")
    assert policy.can_view_episode(nurse, episode)
    # The day comes: the consent expires (access narrows through the policy on its own).
    Consent.objects.filter(pk=consent.pk).update(expires_on=TODAY())
    assert not policy.can_view_episode(nurse, episode)

    call_command("review_consents")
    call_command("review_consents")

    told = Notification.objects.filter(kind=EXPIRED_KIND)
    assert [n.recipient for n in told] == [nurse]
    assert "expired" in told.get().body


# Referrals -------------------------------------------------------------------------------


def test_sending_a_referral_with_consent_records_a_linked_consent(client):
    referral = make_referral(
        status="sent",
        shared_sections=("contact", "setting", "involvements"),
        consent_given_by="young_person",
        consent_given_by_name="Jo",
        consent_competence_note="Aged 15 and understands the referral",
    )

    consent = referral.consent
    assert consent is not None
    assert consent.child == referral.child
    assert consent.for_referral and consent.for_sharing
    assert set(consent.scope) == {"referral", "identity", "setting", "involvements"}
    assert list(consent.services.all()) == [referral.service]
    assert consent.given_by_kind == "young_person"
    assert consent.giver_reason == "Aged 15 and understands the referral"
    assert consent.recorded_by == referral.referrer
    assert consent.is_in_force()

    sign_in_verified(client, referral.referrer)
    html = client.get(reverse("referrals:referral", args=[referral.pk])).content.decode()
    assert 'id="referral-consent"' in html
    assert f"{page_url(referral.child)}#consent-{consent.pk}" in html
    assert f'id="consent-{consent.pk}"' in client.get(page_url(referral.child)).content.decode()


def test_a_referral_on_a_lawful_reason_records_no_consent():
    referral = make_referral(
        status="sent",
        sharing_basis="lawful_reason",
        consent_given_by="",
        consent_given_by_name="",
        consent_given_on=None,
        lawful_basis="safeguarding",
        lawful_reason="Asking the family would put the child at risk",
    )
    assert referral.consent is None
    assert not Consent.objects.filter(child=referral.child).exists()


def test_a_referral_made_again_after_a_decline_gets_its_own_consent():
    from joinedup.referrals import lifecycle
    from tests.referrals.factories import referral_details

    declined = make_referral(status="declined")
    other = ServiceFactory(accepts_referrals_in_app=True)
    other.maintainers.add(PractitionerFactory())
    again = lifecycle.re_refer(
        declined, by=declined.referrer, service=other, details=referral_details()
    )
    again = lifecycle.send_referral(
        again,
        by=declined.referrer,
        decision=policy.can_send_referral(declined.referrer, again),
    )

    assert again.consent is not None and again.consent != declined.consent
    assert list(again.consent.services.all()) == [other]
