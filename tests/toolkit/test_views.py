"""The toolkit's pages: members take part, others are refused, the result panel refreshes
on its own, and pages make the same number of queries however many members take part."""

from __future__ import annotations

import pytest
from django.urls import reverse

from joinedup.partnerships.models import MembershipRole
from joinedup.toolkit import services
from joinedup.toolkit.models import DiamondRanking, Exercise, ForceFieldForce, SwotItem
from tests.factories import MembershipFactory, PractitionerFactory
from tests.queries import count_queries
from tests.toolkit.factories import placements_in_order, start_exercise
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator_membership():
    return MembershipFactory(role=MembershipRole.COORDINATOR)


@pytest.fixture
def partnership(coordinator_membership):
    return coordinator_membership.partnership


@pytest.fixture
def member(partnership):
    return MembershipFactory(partnership=partnership).practitioner


@pytest.fixture
def diamond(partnership, coordinator_membership):
    return start_exercise(partnership, coordinator_membership.practitioner)


def form_data(exercise, order):
    return {
        f"statement_{pk}": ("set_aside" if row is None else str(row))
        for pk, row in placements_in_order(exercise, order).items()
    }


def test_a_member_starts_an_exercise(client, partnership, member):
    sign_in_verified(client, member)
    response = client.post(
        reverse("toolkit:create", args=[partnership.pk]),
        {
            "kind": "force_field",
            "title": "Moving to one front door",
            "question": "One front door for every referral",
            "held_on_day": "2",
            "held_on_month": "3",
            "held_on_year": "2026",
        },
    )
    exercise = Exercise.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("toolkit:exercise", args=[exercise.pk])
    assert exercise.created_by == member
    assert exercise.held_on.isoformat() == "2026-03-02"


def test_a_force_field_needs_the_change_it_considers(client, partnership, member):
    sign_in_verified(client, member)
    response = client.post(
        reverse("toolkit:create", args=[partnership.pk]),
        {"kind": "force_field", "title": "Change", "held_on": "2026-03-02"},
    )
    assert response.status_code == 200
    assert "Describe the change the partnership is considering" in response.content.decode()
    assert not Exercise.objects.exists()


def test_a_member_submits_a_diamond_and_sees_the_group_result(client, diamond, member):
    sign_in_verified(client, member)
    response = client.post(
        reverse("toolkit:submit-ranking", args=[diamond.pk]), form_data(diamond, list(range(1, 13)))
    )
    assert response.status_code == 302
    assert DiamondRanking.objects.filter(practitioner=member).exists()
    page = client.get(reverse("toolkit:exercise", args=[diamond.pk])).content.decode()
    assert "1 member has ranked" in page
    assert 'hx-trigger="every 3s"' in page
    assert "<svg" in page and 'id="diamond-table"' in page


def test_a_diamond_of_the_wrong_shape_is_shown_again_with_the_problem(client, diamond, member):
    sign_in_verified(client, member)
    data = form_data(diamond, list(range(1, 13)))
    second = list(data)[1]
    data[second] = "1"  # two statements in row 1
    response = client.post(reverse("toolkit:submit-ranking", args=[diamond.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "There is a problem" in page
    assert "Row 1 needs 1 statement: you placed 2." in page
    assert not DiamondRanking.objects.exists()


def test_the_result_panel_alone_is_returned_for_polling(client, diamond, member):
    sign_in_verified(client, member)
    response = client.get(reverse("toolkit:result", args=[diamond.pk]), HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Group result" in page and "<html" not in page


def test_a_non_member_is_refused_everywhere(client, partnership, diamond):
    outsider = PractitionerFactory()
    sign_in_verified(client, outsider)
    for url in (
        reverse("toolkit:partnership", args=[partnership.pk]),
        reverse("toolkit:create", args=[partnership.pk]),
        reverse("toolkit:exercise", args=[diamond.pk]),
        reverse("toolkit:result", args=[diamond.pk]),
        reverse("toolkit:result-csv", args=[diamond.pk]),
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        reverse("toolkit:submit-ranking", args=[diamond.pk]), form_data(diamond, list(range(1, 13)))
    )
    assert response.status_code == 403
    assert not DiamondRanking.objects.exists()


def test_a_former_member_is_refused(client, partnership, diamond):
    import datetime

    former = MembershipFactory(
        partnership=partnership,
        started_on=datetime.date(2024, 9, 1),
        ended_on=datetime.date(2025, 1, 1),
    ).practitioner
    sign_in_verified(client, former)
    assert client.get(reverse("toolkit:exercise", args=[diamond.pk])).status_code == 403


def test_only_the_starter_or_a_coordinator_closes_an_exercise(
    client, diamond, member, coordinator_membership
):
    sign_in_verified(client, member)
    assert client.post(reverse("toolkit:change-status", args=[diamond.pk])).status_code == 403
    sign_in_verified(client, coordinator_membership.practitioner)
    assert client.post(reverse("toolkit:change-status", args=[diamond.pk])).status_code == 302
    diamond.refresh_from_db()
    assert not diamond.is_open
    sign_in_verified(client, member)
    response = client.post(
        reverse("toolkit:submit-ranking", args=[diamond.pk]), form_data(diamond, list(range(1, 13)))
    )
    assert response.status_code == 403
    assert "closed" in response.content.decode()


def test_a_coordinator_rewords_a_statement(client, diamond, coordinator_membership):
    sign_in_verified(client, coordinator_membership.practitioner)
    statement = diamond.statements.get(order=3)
    response = client.post(
        reverse("toolkit:reword-statement", args=[diamond.pk, statement.pk]),
        {"text": "Everyone knows what the school nurse does."},
    )
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.text == "Everyone knows what the school nurse does."


def test_members_add_forces_strategies_and_swot_points(client, partnership, member):
    force_field = start_exercise(partnership, member, "force_field")
    swot = start_exercise(partnership, member, "swot")
    sign_in_verified(client, member)
    client.post(
        reverse("toolkit:add-force", args=[force_field.pk]),
        {"direction": "against", "description": "No time", "strength": "5"},
    )
    force = ForceFieldForce.objects.get()
    client.post(
        reverse("toolkit:add-strategy", args=[force_field.pk]),
        {"description": "Protect an hour a week", "addresses": str(force.pk)},
    )
    client.post(
        reverse("toolkit:add-swot-item", args=[swot.pk]),
        {"quadrant": "opportunities", "text": "A new family hub"},
    )
    page = client.get(reverse("toolkit:exercise", args=[force_field.pk])).content.decode()
    assert "The forces against the change are stronger, by 5." in page
    assert "Protect an hour a week" in page
    assert SwotItem.objects.get().quadrant == "opportunities"
    # A contribution for another kind of exercise is not found there.
    response = client.post(
        reverse("toolkit:add-force", args=[swot.pk]),
        {"direction": "for", "description": "X", "strength": "1"},
    )
    assert response.status_code == 404


def test_the_csv_export(client, diamond, member):
    services.submit_diamond_ranking(
        exercise=diamond,
        practitioner=member,
        placements=placements_in_order(diamond, list(range(1, 13))),
    )
    sign_in_verified(client, member)
    response = client.get(reverse("toolkit:result-csv", args=[diamond.pk]))
    assert response["Content-Type"].startswith("text/csv")
    content = response.content.decode("utf-8-sig")
    assert "Kendall's W" in content and "Mean row" in content


def _add_members(partnership, count):
    return [MembershipFactory(partnership=partnership).practitioner for _ in range(count)]


def _contribute(diamond, force_field, swot, members):
    for index, practitioner in enumerate(members):
        order = list(range(1, 13))
        order = order[index % 12 :] + order[: index % 12]
        services.submit_diamond_ranking(
            exercise=diamond,
            practitioner=practitioner,
            placements=placements_in_order(diamond, order),
        )
        force = services.add_force(
            exercise=force_field,
            direction="for" if index % 2 else "against",
            description=f"Force {index}",
            strength=1 + index % 5,
            added_by=practitioner,
        )
        services.add_strategy(
            exercise=force_field,
            description=f"Strategy {index}",
            addresses=force,
            added_by=practitioner,
        )
        services.add_swot_item(
            exercise=swot, quadrant="strengths", text=f"Point {index}", added_by=practitioner
        )


def test_query_counts_stay_flat_as_members_grow(client, partnership, diamond, member):
    force_field = start_exercise(partnership, member, "force_field")
    swot = start_exercise(partnership, member, "swot")
    sign_in_verified(client, member)
    urls = [
        reverse("toolkit:partnership", args=[partnership.pk]),
        *(reverse("toolkit:exercise", args=[e.pk]) for e in (diamond, force_field, swot)),
        *(reverse("toolkit:result", args=[e.pk]) for e in (diamond, force_field, swot)),
    ]
    _contribute(diamond, force_field, swot, _add_members(partnership, 2))
    few = [count_queries(client, url) for url in urls]
    _contribute(diamond, force_field, swot, _add_members(partnership, 8))
    many = [count_queries(client, url) for url in urls]
    assert many == few


def test_the_toolkit_page_lists_my_partnerships_with_open_exercises(client, diamond, member):
    other = MembershipFactory(practitioner=PractitionerFactory()).partnership
    sign_in_verified(client, member)
    response = client.get(reverse("toolkit:index"))
    page = response.content.decode()
    assert diamond.partnership.name in page
    assert other.name not in page
    assert response.context["partnerships"][0].open_exercise_count == 1
    home = client.get(reverse("home")).content.decode()
    assert reverse("toolkit:index") in home  # in the service navigation
