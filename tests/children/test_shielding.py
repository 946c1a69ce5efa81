"""Shielding: a data manager hides a child's whereabouts; every view is flagged for review."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from joinedup.children import services
from joinedup.children.models import Child, Shielding
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction, AccessRecord, AccessReview
from tests.children.index_support import link_records
from tests.factories import AgencyFactory, InvolvementFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

FUTURE = timezone.localdate() + datetime.timedelta(days=90)


@pytest.fixture
def setting():
    """A child known to a school (involvement + the school's own record) with a data manager."""
    school = AgencyFactory(name="Mill Lane Primary")
    teacher = PractitionerFactory(home_agency=school)
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
            "Parent or carer 1 name": "Pat Example",
            "Parent or carer 1 telephone": "01632 960777",
            "Educational setting": "Hilltop Academy",
            "GP practice": "Example Medical Centre",
        },
    )
    manager = PractitionerFactory(home_agency=school, is_data_manager=True)
    return child, teacher, manager, school


def shield(manager, child) -> Shielding:
    return services.shield_child(
        practitioner=manager, child=child, reason="Risk from a former partner", review_on=FUTURE
    )


def test_a_data_manager_shields_a_child_from_the_shielding_page(client, setting):
    child, _teacher, manager, _school = setting
    sign_in_verified(client, manager)
    url = reverse("children:shielding", args=[child.pk])

    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "action": "shield",
            "reason": "Risk from a former partner",
            "review_on": FUTURE.isoformat(),
        },
    )

    assert response.status_code == 302
    shielding = Shielding.objects.active().get(child=child)
    assert shielding.shielded_by == manager
    assert shielding.review_on == FUTURE
    assert AccessRecord.objects.filter(
        child=child, practitioner=manager, action=AccessAction.CHANGED
    ).exists()


def test_shielding_needs_a_reason_and_a_future_review_date(client, setting):
    child, _teacher, manager, _school = setting
    sign_in_verified(client, manager)
    past = timezone.localdate() - datetime.timedelta(days=1)

    response = client.post(
        reverse("children:shielding", args=[child.pk]),
        {
            "action": "shield",
            "reason": "Risk",
            "review_on": past.isoformat(),
        },
    )

    assert response.status_code == 400
    assert "The review date must be in the future" in response.content.decode()
    assert not Shielding.objects.exists()
    with pytest.raises(ValidationError):
        services.shield_child(practitioner=manager, child=child, reason=" ", review_on=FUTURE)


def test_only_data_managers_of_the_childs_agencies_may_shield(setting):
    child, teacher, manager, _school = setting
    elsewhere = PractitionerFactory(is_data_manager=True)

    assert policy.can_shield_child(manager, child)
    assert not policy.can_shield_child(teacher, child)
    assert not policy.can_shield_child(elsewhere, child)
    with pytest.raises(PermissionDenied):
        shield(elsewhere, child)


def test_a_shielded_childs_whereabouts_are_hidden_from_practitioners(client, setting):
    child, teacher, manager, _school = setting
    sign_in_verified(client, teacher)
    before = client.get(reverse("children:detail", args=[child.pk])).content.decode()
    assert "7 Hidden Row" in before and "EX9 9ZZ" in before

    shield(manager, child)
    page = client.get(reverse("children:detail", args=[child.pk])).content.decode()

    assert "This record is shielded" in page
    for hidden in (
        child.address_line_1,
        child.postcode,
        "7 Hidden Row",
        "EX9 9ZZ",
        "01632 960777",
        "Hilltop Academy",
        "Example Medical Centre",
        teacher.email,
    ):
        assert hidden not in page, hidden
    assert child.nhs_number_display in page  # identity stays
    assert "Class teacher" in page  # who is involved stays, without contact details
    assert not policy.can_see_whereabouts(teacher, child)


def test_the_data_managers_who_may_shield_still_see_the_whereabouts(client, setting):
    child, _teacher, manager, _school = setting
    shield(manager, child)
    sign_in_verified(client, manager)
    client.post(
        reverse("children:state-reason", args=[child.pk]),
        {"reason": "Checking the shielded record is right"},
    )

    page = client.get(reverse("children:detail", args=[child.pk])).content.decode()

    assert "EX9 9ZZ" in page
    assert "You can see the child's whereabouts as a data manager" in page
    assert "Manage the shielding of this record" in page
    assert policy.can_see_whereabouts(manager, child)


def test_every_view_of_a_shielded_record_is_flagged_for_review(client, setting):
    child, teacher, manager, _school = setting
    sign_in_verified(client, teacher)
    client.get(reverse("children:detail", args=[child.pk]))
    assert not AccessRecord.objects.filter(flagged_for_review=True).exists()

    shield(manager, child)
    client.get(reverse("children:detail", args=[child.pk]))
    client.get(reverse("children:list"))

    view = AccessRecord.objects.get(child=child, practitioner=teacher, flagged_for_review=True)
    assert view.action == AccessAction.VIEWED
    # A list shows no whereabouts: recorded, not flagged.
    assert not AccessRecord.objects.filter(
        action=AccessAction.LISTED, flagged_for_review=True
    ).exists()


def test_data_managers_review_flagged_views_and_due_shieldings(client, setting):
    child, teacher, manager, _school = setting
    shield(manager, child)
    sign_in_verified(client, teacher)
    client.get(reverse("children:detail", args=[child.pk]))
    view = AccessRecord.objects.get(practitioner=teacher, flagged_for_review=True)

    sign_in_verified(client, manager)
    page = client.get(reverse("children:shielding-reviews")).content.decode()
    assert teacher.get_full_name() in page
    assert "Mark as reviewed" in page
    assert "No shielding is due for review" in page

    response = client.post(reverse("children:review-access", args=[view.pk]))
    assert response.status_code == 302
    assert AccessReview.objects.get(access_record=view).reviewed_by == manager
    page = client.get(reverse("children:shielding-reviews")).content.decode()
    assert "No views are waiting for review" in page
    # Reviewing does not itself create views to review.
    assert AccessRecord.objects.filter(flagged_for_review=True).count() == 1

    Shielding.objects.filter(child=child).update(review_on=timezone.localdate())
    page = client.get(reverse("children:shielding-reviews")).content.decode()
    assert "Due for review" in page


def test_a_data_manager_of_another_agency_sees_none_of_it(client, setting):
    child, teacher, manager, _school = setting
    shield(manager, child)
    sign_in_verified(client, teacher)
    client.get(reverse("children:detail", args=[child.pk]))
    view = AccessRecord.objects.get(flagged_for_review=True)
    other = PractitionerFactory(is_data_manager=True)
    sign_in_verified(client, other)

    page = client.get(reverse("children:shielding-reviews")).content.decode()
    assert child.full_name not in page
    assert client.post(reverse("children:review-access", args=[view.pk])).status_code == 403
    assert client.get(reverse("children:shielding", args=[child.pk])).status_code == 403


def test_lifting_the_shielding_keeps_the_history_and_shows_the_whereabouts_again(client, setting):
    child, teacher, manager, _school = setting
    shield(manager, child)
    sign_in_verified(client, manager)

    response = client.post(
        reverse("children:shielding", args=[child.pk]),
        {"action": "lift", "lift_reason": "The risk has passed"},
    )

    assert response.status_code == 302
    lifted = Shielding.objects.get(child=child)
    assert lifted.lifted_by == manager and lifted.lift_reason == "The risk has passed"
    assert policy.can_see_whereabouts(teacher, child)
    shield(manager, child)  # may be shielded again: a new row
    assert Shielding.objects.filter(child=child).count() == 2


def test_whereabouts_for_many_children_follow_the_single_child_rule(setting):
    child, teacher, manager, _school = setting
    shield(manager, child)
    others = [InvolvementFactory().child for _ in range(3)]
    shield(
        PractitionerFactory(home_agency=others[0].involvements.get().agency, is_data_manager=True),
        others[0],
    )
    ids = [child.pk, *(c.pk for c in others)]

    for user in (teacher, manager):
        hidden = policy.children_with_hidden_whereabouts(user, ids)
        by_filter = set(
            Child.objects.filter(pk__in=ids)
            .filter(policy.whereabouts_hidden_filter(user))
            .values_list("pk", flat=True)
        )
        single = {
            c.pk
            for c in Child.objects.filter(pk__in=ids)
            if not policy.can_see_whereabouts(user, c)
        }
        assert hidden == by_filter == single
    assert policy.children_with_hidden_whereabouts(teacher, ids) == {child.pk, others[0].pk}
    assert policy.children_with_hidden_whereabouts(manager, ids) == {others[0].pk}


def test_the_review_list_makes_the_same_queries_however_many_views(client, setting):
    child, teacher, manager, _school = setting
    shield(manager, child)
    sign_in_verified(client, teacher)
    client.get(reverse("children:detail", args=[child.pk]))
    sign_in_verified(client, manager)
    url = reverse("children:shielding-reviews")
    few = count_queries(client, url)

    for _ in range(5):
        other = InvolvementFactory(child=child)
        sign_in_verified(client, other.practitioner)
        client.get(reverse("children:detail", args=[child.pk]))
    sign_in_verified(client, manager)

    assert count_queries(client, url) == few
