"""Searching the child index: matching, recording, access and query counts."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from joinedup.children.models import Child, Shielding
from joinedup.children.search import SearchForm, SearchQuery, find_children, search_children
from joinedup.children.search_keys import search_keys_for
from joinedup.sharing.models import AppendOnlyError, SearchRecord
from tests.factories import (
    AdministratorFactory,
    ChildFactory,
    InvolvementFactory,
    PractitionerFactory,
    valid_nhs_number,
)
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

BORN = datetime.date(2015, 3, 4)


def child(given: str, family: str, born: datetime.date = BORN, **extra) -> Child:
    return ChildFactory(given_name=given, family_name=family, date_of_birth=born, **extra)


def found(name: str = "", **criteria) -> list[int]:
    outcome = find_children(SearchQuery.build(name=name, **criteria))
    return [result.child_id for result in outcome.results]


def search_url(**params: str) -> str:
    from urllib.parse import urlencode

    return f"{reverse('children:search')}?{urlencode(params)}"


@pytest.fixture
def practitioner():
    return PractitionerFactory()


# Keys ---------------------------------------------------------------------------------


def test_keys_are_computed_on_save_and_follow_changes():
    amy = child("Billy-Joe", "Smith-Jones", postcode="ex12ab")
    assert amy.search_given == "BILLY JOE"
    assert amy.search_given_canonical == "WILLIAM"
    assert amy.search_family == "SMITH JONES"
    assert amy.search_family_phonetic_last
    assert amy.search_postcode == "EX1 2AB"
    amy.family_name = "Brown"
    amy.save(update_fields=["family_name"])
    amy.refresh_from_db()
    assert amy.search_family == "BROWN"
    assert amy.search_family_phonetic_last == ""


def test_rebuild_search_keys_fixes_stale_keys():
    amy = child("Amy", "Smith")
    Child.objects.filter(pk=amy.pk).update(search_given="", search_family_phonetic="")
    call_command("rebuild_search_keys", "--no-progress")
    amy.refresh_from_db()
    expected = search_keys_for(
        {"given_name": "Amy", "family_name": "Smith", "postcode": amy.postcode}
    )
    assert {name: getattr(amy, name) for name in expected} == expected


# Matching -----------------------------------------------------------------------------


def test_a_nickname_finds_the_formal_name():
    william = child("William", "Turner")
    child("Wilma", "Tanner", datetime.date(2012, 1, 1))
    assert found("Bill Turner")[0] == william.pk
    assert found("Bill Turner", date_of_birth=BORN)[0] == william.pk


def test_the_formal_name_finds_a_nickname():
    billy = child("Billy", "Turner")
    assert found("William Turner")[0] == billy.pk


@pytest.mark.parametrize(
    ("entered", "recorded"),
    [
        ("Steven Hughes", ("Stephen", "Hughes")),
        ("Amy Smyth", ("Amy", "Smith")),
        ("Jonathon Price", ("Jonathan", "Price")),
        ("Mohammed Khan", ("Muhammad", "Khan")),
    ],
)
def test_sound_alike_names_and_typing_errors_are_found(entered, recorded):
    target = child(*recorded)
    child("Zara", "Quinn")
    assert found(entered) and found(entered)[0] == target.pk
    assert found(entered, date_of_birth=BORN)[0] == target.pk


def test_a_typing_error_in_both_names_with_a_date_of_birth():
    target = child("Jonathan", "Robertson")
    assert found("Jonathon Robinson", date_of_birth=BORN)[0] == target.pk


def test_day_and_month_swapped_in_the_date_of_birth():
    target = child("Amy", "Smith", datetime.date(2015, 4, 3))
    outcome = find_children(SearchQuery.build(name="Amy Smith", date_of_birth=BORN))
    assert outcome.results[0].child_id == target.pk
    assert "Date of birth with day and month swapped" in outcome.results[0].notes
    exact = child("Amy", "Smith", BORN)
    assert found("Amy Smith", date_of_birth=BORN)[:2] == [exact.pk, target.pk]


def test_a_month_over_twelve_is_read_as_swapped():
    form = SearchForm({"name": "Amy Smith", "date_of_birth": "2015-13-04"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["date_of_birth"] == datetime.date(2015, 4, 13)


@pytest.mark.parametrize(
    "entered", ["Amy Smith", "Amy Jones", "Amy Smith-Jones", "Amy Smith Jones"]
)
def test_double_barrelled_family_names(entered):
    target = child("Amy", "Smith-Jones")
    assert found(entered)[0] == target.pk
    assert found(entered, date_of_birth=BORN)[0] == target.pk


def test_family_name_first_with_a_comma():
    target = child("Amy", "Smith")
    assert found("Smith, Amy")[0] == target.pk


def test_a_postcode_narrows_a_search_without_a_date_of_birth():
    here = child("Amy", "Smith", postcode="EX1 2AB")
    there = child("Amy", "Smith", datetime.date(2016, 1, 1), postcode="LS6 3QT")
    assert set(found("Amy Smith")) == {here.pk, there.pk}
    assert found("Amy Smith", postcode="EX1 2AB") == [here.pk]
    assert found("Amy Smith", postcode="LS6") == [there.pk]


def test_a_postcode_ranks_a_search_with_a_date_of_birth():
    child("Amy", "Smith", postcode="LS6 3QT")
    here = child("Amy", "Smith", postcode="EX1 2AB")
    assert found("Amy Smith", date_of_birth=BORN, postcode="EX1 2AB")[0] == here.pk


def test_nhs_number_with_spaces_is_looked_up_exactly():
    number = valid_nhs_number(4321)
    target = child("Amy", "Smith", nhs_number=number)
    child("Amy", "Smith")
    form = SearchForm({"nhs_number": f"{number[:3]} {number[3:6]} {number[6:]}"})
    assert form.is_valid(), form.errors
    outcome = find_children(form.to_query())
    assert [result.child_id for result in outcome.results] == [target.pk]
    assert outcome.strategy == "identifier"


def test_upn_is_looked_up_exactly():
    target = child("Amy", "Smith")
    form = SearchForm({"upn": target.upn.lower()})
    assert form.is_valid(), form.errors
    assert [result.child_id for result in find_children(form.to_query()).results] == [target.pk]


def test_an_invalid_nhs_number_gives_a_clear_error(client, practitioner):
    sign_in_verified(client, practitioner)
    response = client.get(search_url(nhs_number="123 456 7890"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in page
    assert "This NHS number is not valid" in page
    assert not SearchRecord.objects.exists()


def test_an_empty_search_asks_for_something_to_search_with(client, practitioner):
    sign_in_verified(client, practitioner)
    response = client.get(search_url(name="", postcode=""))
    page = response.content.decode()
    assert "There is a problem" in page
    assert SearchForm.EMPTY_MESSAGE in page


def test_one_name_alone_is_not_enough():
    form = SearchForm({"name": "Smith"})
    assert not form.is_valid()
    assert "one name alone" in str(form.errors["name"])
    assert SearchForm({"name": "Smith", "date_of_birth": "2015-03-04"}).is_valid()


def test_archived_children_are_not_found():
    target = child("Amy", "Smith")
    Child.objects.filter(pk=target.pk).update(archived_on=timezone.localdate())
    assert found("Amy Smith") == []


# Results ------------------------------------------------------------------------------


def test_at_most_ten_results_and_no_address(client, practitioner):
    for number in range(14):
        child("Amy", "Smith", address_line_1=f"{number + 1} Secret Lane", postcode="LS6 3QT")
    sign_in_verified(client, practitioner)
    response = client.get(search_url(name="Amy Smith"))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("/children/") >= 10
    assert len(response.context["outcome"].results) == 10
    assert "Secret Lane" not in page
    assert "LS6 3QT" not in page
    assert "LS6" in page
    assert "Only the ten best matches are shown" in page


def test_results_say_whether_the_searcher_is_involved(practitioner):
    mine = InvolvementFactory(practitioner=practitioner, child=child("Amy", "Smith")).child
    other = child("Amy", "Smith", datetime.date(2015, 3, 5))
    outcome = search_children(practitioner=practitioner, query=SearchQuery.build(name="Amy Smith"))
    related = {result.child_id: result.has_relationship for result in outcome.results}
    assert related == {mine.pk: True, other.pk: False}


def test_a_shielded_childs_postcode_district_is_not_shown(client, practitioner):
    shielded = child("Amy", "Smith", postcode="LS6 3QT")
    Shielding.objects.create(
        child=shielded,
        reason="Whereabouts must be hidden",
        review_on=timezone.localdate() + datetime.timedelta(days=90),
        shielded_by=PractitionerFactory(),
    )
    sign_in_verified(client, practitioner)
    response = client.get(search_url(name="Amy Smith"))
    (result,) = response.context["outcome"].results
    assert result.whereabouts_hidden and result.postcode_district == ""
    assert "LS6" not in response.content.decode()


def test_a_result_links_to_the_record_which_asks_for_a_reason(client, practitioner):
    target = child("Amy", "Smith")
    sign_in_verified(client, practitioner)
    page = client.get(search_url(name="Amy Smith")).content.decode()
    detail = reverse("children:detail", args=[target.pk])
    assert f'href="{detail}"' in page
    response = client.get(detail)
    assert response.status_code == 403
    assert "Why do you need to open this record?" in response.content.decode()


def test_htmx_gets_only_the_results_part(client, practitioner):
    child("Amy", "Smith")
    sign_in_verified(client, practitioner)
    response = client.get(search_url(name="Amy Smith"), headers={"HX-Request": "true"})
    page = response.content.decode()
    assert 'id="child-search"' in page
    assert "<html" not in page


# Recording ----------------------------------------------------------------------------


def test_every_search_is_recorded_with_its_parameters_and_results(client, practitioner):
    first = child("Amy", "Smith")
    second = child("Amy", "Smith", datetime.date(2015, 4, 3))
    number = valid_nhs_number(77)
    sign_in_verified(client, practitioner)
    client.get(search_url(name="Amy Smith", date_of_birth="2015-03-04"))
    client.get(search_url(name="Zebedee Quartermaine", postcode="ex1 2ab"))
    client.get(search_url(nhs_number=f"{number[:3]} {number[3:6]} {number[6:]}"))

    with_results, zero_results, by_number = SearchRecord.objects.order_by("pk")
    assert with_results.practitioner == practitioner
    assert with_results.parameters["name"] == "Amy Smith"
    assert with_results.parameters["date_of_birth"] == "2015-03-04"
    assert with_results.result_child_ids == [first.pk, second.pk]
    assert with_results.result_count == 2
    assert zero_results.result_child_ids == [] and zero_results.result_count == 0
    assert zero_results.parameters["postcode"] == "ex1 2ab"
    assert by_number.parameters["nhs_number"] == f"{number[:3]} {number[3:6]} {number[6:]}"


def test_search_records_are_append_only(practitioner):
    search_children(practitioner=practitioner, query=SearchQuery.build(name="Amy Smith"))
    record = SearchRecord.objects.get()
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()


# Access and queries -------------------------------------------------------------------


def test_administrators_are_refused(client):
    administrator = AdministratorFactory()
    sign_in_verified(client, administrator)
    response = client.get(search_url(name="Amy Smith"))
    assert response.status_code == 403
    assert not SearchRecord.objects.exists()


def test_the_children_page_offers_search(client, practitioner):
    sign_in_verified(client, practitioner)
    page = client.get(reverse("children:list")).content.decode()
    assert "Search for a child" in page


def test_query_count_does_not_grow_with_the_results(client, practitioner):
    sign_in_verified(client, practitioner)
    child("Amy", "Smith")
    one = count_queries(client, search_url(name="Amy Smith"))
    for number in range(12):
        mine = child("Amy", "Smith", datetime.date(2014, 1, 1) + datetime.timedelta(days=number))
        if number % 2:
            InvolvementFactory(practitioner=practitioner, child=mine)
    many = count_queries(client, search_url(name="Amy Smith"))
    assert one == many
