"""The toolkit's services and selectors: the diamond's shape, the group ranking and how
much members agree, force-field totals and the SWOT grid."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from joinedup.toolkit import selectors, services
from joinedup.toolkit.exports import result_csv
from joinedup.toolkit.models import DiamondRanking, ExerciseStatus
from tests.factories import MembershipFactory, PractitionerFactory
from tests.toolkit.factories import placements_in_order, start_exercise

pytestmark = pytest.mark.django_db

IN_ORDER = list(range(1, 13))


@pytest.fixture
def members():
    first = MembershipFactory()
    others = [MembershipFactory(partnership=first.partnership) for _ in range(3)]
    return [first.practitioner, *(m.practitioner for m in others)]


@pytest.fixture
def diamond(members):
    partnership = members[0].memberships.get().partnership
    return start_exercise(partnership, members[0])


def test_a_diamond_ranking_copies_the_toolkit_statements_with_their_sources(diamond):
    statements = list(diamond.statements.all())
    assert len(statements) == 12
    assert all(s.source for s in statements)
    assert [s.order for s in statements] == IN_ORDER


def test_rewording_a_statement_changes_this_exercise_only(diamond, members):
    other = start_exercise(diamond.partnership, members[0])
    statement = diamond.statements.get(order=1)
    services.reword_statement(statement=statement, text="Families get help sooner.")
    assert diamond.statements.get(order=1).text == "Families get help sooner."
    assert other.statements.get(order=1).text != "Families get help sooner."


def test_a_valid_diamond_is_saved_and_replaced_on_resubmission(diamond, members):
    services.submit_diamond_ranking(
        exercise=diamond, practitioner=members[0], placements=placements_in_order(diamond, IN_ORDER)
    )
    services.submit_diamond_ranking(
        exercise=diamond,
        practitioner=members[0],
        placements=placements_in_order(diamond, IN_ORDER[::-1]),
    )
    assert DiamondRanking.objects.filter(exercise=diamond).count() == 1
    mine = selectors.placements_by(diamond, members[0])
    assert mine[diamond.statements.get(order=12).pk] == 1
    assert mine[diamond.statements.get(order=1).pk] is None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("two_at_top", "Row 1 needs 1 statement"),
        ("keep_ten", "Keep exactly 9 statements"),
        ("missing", "Place every statement"),
        ("row_six", "row 1 to 5"),
    ],
)
def test_the_diamond_shape_is_checked_exactly(diamond, members, change, message):
    placements = placements_in_order(diamond, IN_ORDER)
    ids = [s.pk for s in diamond.statements.all()]
    if change == "two_at_top":
        placements[ids[1]] = 1  # row 2 now has one, row 1 two
    elif change == "keep_ten":
        placements[ids[11]] = 3
    elif change == "missing":
        del placements[ids[0]]
    elif change == "row_six":
        placements[ids[11]] = 6
    with pytest.raises(ValidationError, match=message):
        services.submit_diamond_ranking(
            exercise=diamond, practitioner=members[0], placements=placements
        )
    assert not DiamondRanking.objects.exists()


def test_a_closed_exercise_takes_no_more_diamonds(diamond, members):
    services.set_exercise_status(exercise=diamond, status=ExerciseStatus.CLOSED)
    with pytest.raises(ValidationError, match="closed"):
        services.submit_diamond_ranking(
            exercise=diamond,
            practitioner=members[0],
            placements=placements_in_order(diamond, IN_ORDER),
        )


def test_identical_diamonds_agree_completely(diamond, members):
    for member in members:
        services.submit_diamond_ranking(
            exercise=diamond, practitioner=member, placements=placements_in_order(diamond, IN_ORDER)
        )
    result = selectors.diamond_result(diamond)
    assert result.member_count == 4
    assert result.kendalls_w == pytest.approx(1.0)
    assert result.agreement == "Strong agreement"
    assert [s.order for s in result.statements] == IN_ORDER
    assert [s.order for s in result.row(1)] == [1]
    assert [s.order for s in result.row(3)] == [4, 5, 6]
    assert [s.order for s in result.set_aside] == [10, 11, 12]
    assert all(s.spread == 0 for s in result.statements)


def test_opposite_diamonds_show_little_agreement_and_a_wide_spread(diamond, members):
    services.submit_diamond_ranking(
        exercise=diamond, practitioner=members[0], placements=placements_in_order(diamond, IN_ORDER)
    )
    services.submit_diamond_ranking(
        exercise=diamond,
        practitioner=members[1],
        placements=placements_in_order(diamond, IN_ORDER[::-1]),
    )
    result = selectors.diamond_result(diamond)
    # Not exactly 0: the diamond's ties (rows of 2 and 3, three set aside) are not
    # symmetrical, so reversing an order is not its exact opposite.
    assert result.kendalls_w < 0.05
    assert result.agreement == "Little agreement"
    first = next(s for s in result.statements if s.order == 1)
    assert first.mean_position == 3.5  # row 1 and set aside (6)
    assert first.spread == 2.5
    assert first.kept_by == 1 and first.set_aside_by == 1


def test_the_group_ranking_follows_the_mean_row(diamond, members):
    # Two members agree exactly; a third swaps the top and bottom kept statements.
    for member in members[:2]:
        services.submit_diamond_ranking(
            exercise=diamond, practitioner=member, placements=placements_in_order(diamond, IN_ORDER)
        )
    swapped = [9, 2, 3, 4, 5, 6, 7, 8, 1, 10, 11, 12]
    services.submit_diamond_ranking(
        exercise=diamond, practitioner=members[2], placements=placements_in_order(diamond, swapped)
    )
    result = selectors.diamond_result(diamond)
    assert result.row(1)[0].order == 2  # row 2 twice and row 2 once: mean 2, no spread
    by_order = {s.order: s for s in result.statements}
    assert by_order[1].mean_position == pytest.approx((1 + 1 + 5) / 3, abs=0.01)
    assert by_order[9].mean_position == pytest.approx((5 + 5 + 1) / 3, abs=0.01)
    assert 0.6 < result.kendalls_w < 1.0


def test_kendalls_w_matches_a_worked_example_without_ties():
    # Three members, four statements: rank sums 4, 6, 9 and 11 around a mean of 7.5, so
    # S = 29 and W = 12 × 29 / (3² × (4³ − 4)) = 0.644.
    judgements = [
        {1: 1, 2: 2, 3: 3, 4: 4},
        {1: 1, 2: 3, 3: 2, 4: 4},
        {1: 2, 2: 1, 3: 4, 4: 3},
    ]
    assert selectors.kendalls_w(judgements) == pytest.approx(12 * 29 / (9 * 60))


def test_kendalls_w_is_corrected_for_ties():
    # Identical judgements with a tie agree completely only once ties are allowed for.
    assert selectors.kendalls_w([{1: 1, 2: 2, 3: 2}, {1: 1, 2: 2, 3: 2}]) == pytest.approx(1.0)


def test_kendalls_w_needs_two_members():
    assert selectors.kendalls_w([{1: 1, 2: 2}]) is None
    assert "Not enough" in selectors.agreement_label(None)


def test_force_field_totals_and_balance(members):
    exercise = start_exercise(members[0].memberships.get().partnership, members[0], "force_field")
    services.add_force(
        exercise=exercise, direction="for", description="Funding", strength=4, added_by=members[0]
    )
    services.add_force(
        exercise=exercise, direction="for", description="Leaders", strength=2, added_by=members[1]
    )
    against = services.add_force(
        exercise=exercise, direction="against", description="Time", strength=5, added_by=members[2]
    )
    services.add_strategy(
        exercise=exercise,
        description="Protect meeting time",
        addresses=against,
        added_by=members[1],
    )
    result = selectors.force_field_result(exercise)
    assert (result.total_for, result.total_against, result.balance) == (6, 5, 1)
    assert [f.description for f in result.forces_for] == ["Funding", "Leaders"]
    assert "for the change are stronger, by 1" in result.balance_words
    assert result.strategies[0].addresses == against
    with pytest.raises(ValidationError):
        services.add_force(
            exercise=exercise, direction="for", description="X", strength=6, added_by=members[0]
        )


def test_a_strategy_must_address_a_force_of_the_same_exercise(members):
    partnership = members[0].memberships.get().partnership
    one = start_exercise(partnership, members[0], "force_field")
    other = start_exercise(partnership, members[0], "force_field")
    force = services.add_force(
        exercise=other, direction="for", description="Funding", strength=3, added_by=members[0]
    )
    with pytest.raises(ValidationError, match="this exercise"):
        services.add_strategy(
            exercise=one, description="Bid for funds", addresses=force, added_by=members[0]
        )


def test_swot_items_are_grouped_by_quadrant(members):
    exercise = start_exercise(members[0].memberships.get().partnership, members[0], "swot")
    services.add_swot_item(
        exercise=exercise, quadrant="threats", text="Budget cuts", added_by=members[0]
    )
    services.add_swot_item(
        exercise=exercise, quadrant="strengths", text="Trust", added_by=members[1]
    )
    grid = selectors.swot_result(exercise)
    assert [q.quadrant for q in grid] == ["strengths", "weaknesses", "opportunities", "threats"]
    assert [i.text for i in grid[0].items] == ["Trust"]
    assert [i.text for i in grid[3].items] == ["Budget cuts"]


def test_contributions_must_match_the_kind_of_exercise(diamond, members):
    with pytest.raises(ValidationError, match="not a force-field"):
        services.add_force(
            exercise=diamond, direction="for", description="X", strength=1, added_by=members[0]
        )


def test_the_csv_export_is_safe_against_formulas(members):
    exercise = start_exercise(members[0].memberships.get().partnership, members[0], "swot")
    services.add_swot_item(
        exercise=exercise, quadrant="threats", text="=HYPERLINK(1)", added_by=members[0]
    )
    content = result_csv(exercise).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in content
    assert "Threats" in content


def test_exercises_are_listed_newest_first(members):
    import datetime

    partnership = members[0].memberships.get().partnership
    older = start_exercise(partnership, members[0], held_on=datetime.date(2025, 1, 6))
    newer = start_exercise(partnership, members[0], "swot", held_on=datetime.date(2026, 1, 5))
    PractitionerFactory()  # someone else, not a member
    assert list(selectors.exercises_for_partnership(partnership)) == [newer, older]
