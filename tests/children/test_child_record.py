import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from joinedup.children import selectors
from joinedup.sharing.models import AccessAction, AccessRecord
from tests.factories import ChildFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def test_practitioner_sees_everyone_involved_with_their_child(client):
    involvement = InvolvementFactory(role="Class teacher")
    other = InvolvementFactory(child=involvement.child, role="Health visitor")
    sign_in_verified(client, involvement.practitioner)

    response = client.get(reverse("children:detail", args=[involvement.child.pk]))

    assert response.status_code == 200
    page = response.content.decode()
    assert escape(involvement.child.full_name) in page
    assert escape(other.practitioner.get_full_name()) in page
    assert "Health visitor" in page
    assert involvement.child.nhs_number_display in page


def test_viewing_a_child_writes_an_access_record_with_who_what_when_and_why(client):
    involvement = InvolvementFactory(role="School nurse")
    sign_in_verified(client, involvement.practitioner)

    client.get(reverse("children:detail", args=[involvement.child.pk]))

    record = AccessRecord.objects.get(child=involvement.child, action=AccessAction.VIEWED)
    assert record.practitioner == involvement.practitioner
    assert record.what == "Child record"
    assert "School nurse" in record.reason
    assert record.path == reverse("children:detail", args=[involvement.child.pk])
    assert record.occurred_at is not None


def test_access_lapses_the_day_the_involvement_ends(client):
    today = timezone.localdate()
    involvement = InvolvementFactory(
        started_on=today - datetime.timedelta(days=100), ended_on=today
    )
    sign_in_verified(client, involvement.practitioner)

    response = client.get(reverse("children:detail", args=[involvement.child.pk]))

    assert response.status_code == 403
    assert not AccessRecord.objects.filter(child=involvement.child).exists()


def test_an_involvement_that_has_not_started_gives_no_access(client):
    today = timezone.localdate()
    involvement = InvolvementFactory(started_on=today + datetime.timedelta(days=7))
    sign_in_verified(client, involvement.practitioner)

    assert client.get(reverse("children:detail", args=[involvement.child.pk])).status_code == 403


def test_ending_your_own_involvement_removes_your_access(client):
    involvement = InvolvementFactory()
    child_url = reverse("children:detail", args=[involvement.child.pk])
    sign_in_verified(client, involvement.practitioner)

    response = client.post(
        reverse("children:end-involvement", args=[involvement.child.pk, involvement.pk]),
        {"reason": "Support completed"},
    )

    assert response.status_code == 302
    involvement.refresh_from_db()
    assert involvement.ended_on == timezone.localdate()
    assert involvement.ended_reason == "Support completed"
    assert client.get(child_url).status_code == 403
    assert AccessRecord.objects.filter(
        child=involvement.child, action=AccessAction.CHANGED
    ).exists()


def test_you_cannot_end_someone_elses_involvement(client):
    involvement = InvolvementFactory()
    colleague = InvolvementFactory(child=involvement.child)
    sign_in_verified(client, involvement.practitioner)

    response = client.post(
        reverse("children:end-involvement", args=[involvement.child.pk, colleague.pk])
    )

    assert response.status_code == 403
    colleague.refresh_from_db()
    assert colleague.ended_on is None


def test_the_children_list_shows_only_current_involvements_and_records_the_listing(client):
    practitioner = PractitionerFactory()
    mine = InvolvementFactory(practitioner=practitioner)
    today = timezone.localdate()
    ended = InvolvementFactory(
        practitioner=practitioner, started_on=today - datetime.timedelta(days=90), ended_on=today
    )
    not_mine = InvolvementFactory()
    sign_in_verified(client, practitioner)

    page = client.get(reverse("children:list")).content.decode()

    assert escape(mine.child.full_name) in page
    assert escape(ended.child.full_name) not in page
    assert escape(not_mine.child.full_name) not in page
    listed = AccessRecord.objects.filter(practitioner=practitioner, action=AccessAction.LISTED)
    assert list(listed.values_list("child", flat=True)) == [mine.child.pk]


def test_children_visible_to_matches_the_single_record_rule():
    practitioner = PractitionerFactory()
    mine = InvolvementFactory(practitioner=practitioner).child
    ChildFactory()
    assert list(selectors.children_visible_to(practitioner)) == [mine]


def test_children_list_queries_do_not_grow_with_the_number_of_children(client):
    practitioner = PractitionerFactory()
    InvolvementFactory(practitioner=practitioner)
    sign_in_verified(client, practitioner)
    url = reverse("children:list")
    one = count_queries(client, url)
    InvolvementFactory.create_batch(20, practitioner=practitioner)
    assert count_queries(client, url) == one


def test_child_record_queries_do_not_grow_with_the_number_involved(client):
    involvement = InvolvementFactory()
    sign_in_verified(client, involvement.practitioner)
    url = reverse("children:detail", args=[involvement.child.pk])
    one = count_queries(client, url)
    InvolvementFactory.create_batch(15, child=involvement.child)
    assert count_queries(client, url) == one


def test_access_records_cannot_be_changed_or_deleted():
    from joinedup.sharing.models import AppendOnlyError

    involvement = InvolvementFactory()
    record = AccessRecord.objects.create(
        practitioner=involvement.practitioner,
        child=involvement.child,
        action="viewed",
        what="x",
        basis="involvement",
        reason="r",
    )
    record.reason = "changed"
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()


def test_a_practitioner_with_no_relationship_is_offered_to_state_a_reason(client):
    child = ChildFactory()
    stranger = PractitionerFactory()
    sign_in_verified(client, stranger)

    response = client.get(reverse("children:detail", args=[child.pk]))

    assert response.status_code == 403
    assert "You are not involved with this child" in response.content.decode()
    assert escape(child.full_name) not in response.content.decode()
    assert not AccessRecord.objects.exists()


def test_a_stated_reason_opens_the_record_for_a_while_and_is_recorded_with_each_view(
    client, settings
):
    child = ChildFactory()
    stranger = PractitionerFactory()
    sign_in_verified(client, stranger)

    response = client.post(
        reverse("children:state-reason", args=[child.pk]),
        {"reason": "Police raised a welfare concern about this child today"},
    )
    assert response.status_code == 302
    page = client.get(reverse("children:detail", args=[child.pk]))

    assert page.status_code == 200
    record = AccessRecord.objects.get(child=child, practitioner=stranger)
    assert record.basis == "stated_reason"
    assert "Police raised a welfare concern" in record.reason


def test_access_from_a_stated_reason_lapses(client):
    from joinedup.sharing.models import StatedReason

    child = ChildFactory()
    stranger = PractitionerFactory()
    StatedReason.objects.create(
        practitioner=stranger,
        child=child,
        reason="An old reason that has lapsed",
        expires_at=timezone.now() - datetime.timedelta(minutes=1),
    )
    sign_in_verified(client, stranger)

    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 403


def test_a_reason_must_say_something(client):
    child = ChildFactory()
    sign_in_verified(client, PractitionerFactory())

    response = client.post(reverse("children:state-reason", args=[child.pk]), {"reason": "x"})

    assert response.status_code == 403
    assert "Say why you need to open this record" in response.content.decode()
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 403
