"""Break-glass (emergency) access: starting it, the alert to the data protection lead, the
time limit, and the review queue (issue 6, "Reasons and break-glass")."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.models import Notification
from joinedup.partnerships.models import MembershipRole
from joinedup.sharing import policy
from joinedup.sharing.break_glass import break_glass, review, review_queue
from joinedup.sharing.models import AccessBasis, AccessRecord, BreakGlassAccess, BreakGlassReview
from tests.factories import (
    AdministratorFactory,
    AgencyFactory,
    ChildFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

REASON = "Child missing overnight, carers not answering the phone"


@pytest.fixture
def area(db):
    """A partnership with a data protection lead and a member who has no relationship
    with the child."""
    agency = AgencyFactory()
    partnership = PartnershipFactory()
    lead = PractitionerFactory(username="lead", home_agency=agency)
    practitioner = PractitionerFactory(
        username="nurse", first_name="Nia", last_name="Jones", home_agency=agency
    )
    MembershipFactory(
        partnership=partnership, practitioner=lead, role=MembershipRole.DATA_PROTECTION_LEAD
    )
    MembershipFactory(partnership=partnership, practitioner=practitioner)
    child = ChildFactory(given_name="Amelia", family_name="Thornberry")
    return {"partnership": partnership, "lead": lead, "practitioner": practitioner, "child": child}


def expired(practitioner, child) -> BreakGlassAccess:
    return BreakGlassAccess.objects.create(
        practitioner=practitioner,
        child=child,
        reason=REASON,
        started_at=timezone.now() - datetime.timedelta(hours=6),
        expires_at=timezone.now() - datetime.timedelta(hours=2),
    )


# Starting -------------------------------------------------------------------------------


def test_a_reason_is_required(area):
    with pytest.raises(ValidationError, match="in a sentence"):
        break_glass(practitioner=area["practitioner"], child=area["child"], reason="  urgent ")
    assert not BreakGlassAccess.objects.exists()


def test_administrators_and_archived_records_are_refused(area):
    with pytest.raises(PermissionDenied):
        break_glass(practitioner=AdministratorFactory(), child=area["child"], reason=REASON)
    archived = ChildFactory(archived_on=timezone.localdate())
    with pytest.raises(PermissionDenied):
        break_glass(practitioner=area["practitioner"], child=archived, reason=REASON)
    assert not BreakGlassAccess.objects.exists()


def test_the_form_refuses_a_missing_reason(client, area):
    sign_in_verified(client, area["practitioner"])
    url = reverse("children:break-glass", kwargs={"child_id": area["child"].pk})
    response = client.post(url, {"reason": ""})
    assert response.status_code == 400
    assert "Say what the emergency is" in response.content.decode()
    assert not BreakGlassAccess.objects.exists()


def test_access_is_granted_until_it_expires_and_not_after(client, area):
    practitioner, child = area["practitioner"], area["child"]
    assert not policy.can_view_child(practitioner, child)
    sign_in_verified(client, practitioner)
    refusal = client.get(reverse("children:detail", kwargs={"child_id": child.pk}))
    assert refusal.status_code == 403
    assert "get emergency access" in refusal.content.decode()

    response = client.post(
        reverse("children:break-glass", kwargs={"child_id": child.pk}), {"reason": REASON}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("children:detail", args=[child.pk])
    decision = policy.can_view_child(practitioner, child)
    assert decision and decision.basis == AccessBasis.BREAK_GLASS
    page = client.get(reverse("children:detail", kwargs={"child_id": child.pk}))
    assert page.status_code == 200
    assert 'id="break-glass"' in page.content.decode()
    assert "will review it" in page.content.decode()

    BreakGlassAccess.objects.update(expires_at=timezone.now() - datetime.timedelta(minutes=1))
    assert not policy.can_view_child(practitioner, child)
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 403


def test_starting_and_viewing_write_access_records(client, area):
    practitioner, child = area["practitioner"], area["child"]
    access = break_glass(practitioner=practitioner, child=child, reason=REASON)
    started = AccessRecord.objects.get(child=child)
    assert started.practitioner == practitioner
    assert started.action == "changed"
    assert started.basis == AccessBasis.BREAK_GLASS
    assert started.what == "Emergency access started"
    assert REASON in started.reason
    assert access.expires_at - access.started_at == datetime.timedelta(hours=4)

    sign_in_verified(client, practitioner)
    client.get(reverse("children:detail", args=[child.pk]))
    viewed = AccessRecord.objects.filter(child=child, action="viewed").get()
    assert viewed.basis == AccessBasis.BREAK_GLASS
    assert REASON in viewed.reason


# Alerting -------------------------------------------------------------------------------


def test_the_data_protection_lead_is_alerted_at_once(area, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        access = break_glass(practitioner=area["practitioner"], child=area["child"], reason=REASON)
    notification = Notification.objects.get(recipient=area["lead"])
    assert notification.is_urgent
    assert notification.kind == "break-glass"
    assert notification.url == reverse("children:break-glass-review", args=[access.pk])
    assert "Nia Jones" in notification.subject
    (email,) = mail.outbox
    assert email.to == [area["lead"].email]
    assert email.subject.startswith("Urgent: ")
    assert "Amelia T." in email.body
    assert "Thornberry" not in email.subject + email.body
    assert not Notification.objects.filter(recipient=area["practitioner"]).exists()


def test_without_a_data_protection_lead_the_agency_data_managers_are_alerted(db):
    agency = AgencyFactory()
    practitioner = PractitionerFactory(home_agency=agency)
    data_manager = PractitionerFactory(home_agency=agency, is_data_manager=True)
    break_glass(practitioner=practitioner, child=ChildFactory(), reason=REASON)
    notification = Notification.objects.get()
    assert notification.recipient == data_manager
    assert notification.is_urgent
    assert "No data protection lead" in notification.body


# Reviewing ------------------------------------------------------------------------------


def test_the_queue_shows_only_the_leads_own_partnerships_oldest_first(client, area):
    older = expired(area["practitioner"], area["child"])
    newer = break_glass(practitioner=area["practitioner"], child=ChildFactory(), reason=REASON)
    assert list(review_queue(area["lead"])) == [older, newer]

    other_lead = PractitionerFactory()
    MembershipFactory(
        partnership=PartnershipFactory(),
        practitioner=other_lead,
        role=MembershipRole.DATA_PROTECTION_LEAD,
    )
    assert list(review_queue(other_lead)) == []
    assert not policy.can_review_break_glass_access(other_lead, older)
    sign_in_verified(client, other_lead)
    assert client.get(reverse("children:break-glass-review", args=[older.pk])).status_code == 403


def test_the_queue_page_makes_the_same_queries_however_many_wait(client, area):
    sign_in_verified(client, area["lead"])
    url = reverse("children:break-glass-reviews")
    expired(area["practitioner"], area["child"])
    one = count_queries(client, url)
    for _ in range(4):
        expired(PractitionerFactory(), ChildFactory())
        member = PractitionerFactory()
        MembershipFactory(partnership=area["partnership"], practitioner=member)
        expired(member, ChildFactory())
    assert count_queries(client, url) == one


def test_a_review_is_recorded_and_leaves_the_queue(client, area):
    access = expired(area["practitioner"], area["child"])
    viewed = AccessRecord.objects.create(
        practitioner=area["practitioner"],
        child=area["child"],
        action="viewed",
        what="Child record",
        basis=AccessBasis.BREAK_GLASS,
        reason=REASON,
    )
    AccessRecord.objects.filter(pk=viewed.pk).update(
        occurred_at=access.started_at + datetime.timedelta(minutes=5)
    )
    sign_in_verified(client, area["lead"])
    url = reverse("children:break-glass-review", args=[access.pk])
    page = client.get(url).content.decode()
    assert "Amelia Thornberry" in page
    assert REASON in page
    assert "Child record" in page
    oversight = AccessRecord.objects.filter(practitioner=area["lead"]).get()
    assert oversight.basis == AccessBasis.PARTNERSHIP_OVERSIGHT

    refused = client.post(url, {"outcome": BreakGlassReview.NOT_JUSTIFIED, "note": ""})
    assert refused.status_code == 400
    assert "Say what you found" in refused.content.decode()
    response = client.post(url, {"outcome": BreakGlassReview.JUSTIFIED, "note": ""})
    assert response.status_code == 302
    access.refresh_from_db()
    assert access.reviewed_by == area["lead"]
    assert access.review_outcome == BreakGlassReview.JUSTIFIED
    assert access.reviewed_at is not None
    assert list(review_queue(area["lead"])) == []
    with pytest.raises(ValidationError, match="already been reviewed"):
        review(access=access, by=area["lead"], outcome=BreakGlassReview.JUSTIFIED)


def test_nobody_reviews_their_own_emergency_access(area):
    lead = area["lead"]
    own = expired(lead, area["child"])
    assert own not in review_queue(lead)
    with pytest.raises(ValidationError, match="your own"):
        review(access=own, by=lead, outcome=BreakGlassReview.JUSTIFIED)
    own.refresh_from_db()
    assert own.reviewed_at is None


def test_the_home_page_offers_the_queue_to_data_protection_leads(client, area):
    expired(area["practitioner"], area["child"])
    sign_in_verified(client, area["lead"])
    page = client.get(reverse("home")).content.decode()
    assert reverse("children:break-glass-reviews") in page
    assert "1 emergency access waiting for your review" in page
    client.logout()
    sign_in_verified(client, area["practitioner"])
    page = client.get(reverse("home")).content.decode()
    assert reverse("children:break-glass-reviews") not in page
