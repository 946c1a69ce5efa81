"""Throttling of child-index searches (joinedup/children/search_throttle.py)."""

from __future__ import annotations

import datetime
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from joinedup.children import linkage
from joinedup.sharing.models import SearchRecord
from tests.children.test_linkage import StubLibrary, _two_children
from tests.factories import AgencyFactory, ChildFactory, PractitionerFactory
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

LIMIT = 3


@pytest.fixture(autouse=True)
def small_limit(settings) -> None:
    settings.SEARCH_RATE_LIMIT = LIMIT
    settings.SEARCH_RATE_WINDOW = datetime.timedelta(minutes=10)


def search_url(**params: str) -> str:
    return f"{reverse('children:search')}?{urlencode(params)}"


@pytest.fixture
def searcher(client):
    ChildFactory(given_name="Amy", family_name="Smith")
    practitioner = PractitionerFactory()
    sign_in_verified(client, practitioner)
    return practitioner


def test_searches_beyond_the_limit_are_refused_and_not_run(client, searcher):
    for _ in range(LIMIT):
        response = client.get(search_url(name="Amy Smith"))
        assert response.status_code == 200
        assert response.context["outcome"].results
    assert SearchRecord.objects.filter(practitioner=searcher).count() == LIMIT

    response = client.get(search_url(name="Amy Smith"))
    assert response.status_code == 429
    page = response.content.decode()
    assert "You cannot search at the moment" in page
    assert f"more than {LIMIT} times in 10 minutes" in page
    assert "Amy" not in page
    assert 0 < int(response.headers["Retry-After"]) <= 600
    # Nothing was searched, so nothing more was recorded.
    assert SearchRecord.objects.filter(practitioner=searcher).count() == LIMIT


def test_the_empty_search_form_is_still_shown(client, searcher):
    for _ in range(LIMIT):
        client.get(search_url(name="Amy Smith"))
    assert client.get(reverse("children:search")).status_code == 200


def test_searches_older_than_the_window_no_longer_count(client, searcher):
    for _ in range(LIMIT):
        client.get(search_url(name="Amy Smith"))
    # Queryset update: search records cannot be changed through the model, on purpose.
    SearchRecord.objects.filter(practitioner=searcher).update(
        searched_at=timezone.now() - datetime.timedelta(minutes=11)
    )
    assert client.get(search_url(name="Amy Smith")).status_code == 200


def test_the_limit_is_per_practitioner(client, searcher):
    for _ in range(LIMIT):
        client.get(search_url(name="Amy Smith"))
    sign_in_verified(client, PractitionerFactory())
    assert client.get(search_url(name="Amy Smith")).status_code == 200


def test_htmx_searches_load_the_whole_page_to_explain(client, searcher):
    for _ in range(LIMIT):
        client.get(search_url(name="Amy Smith"), headers={"HX-Request": "true"})
    url = search_url(name="Amy Smith")
    response = client.get(url, headers={"HX-Request": "true"})
    assert response.headers["HX-Redirect"] == url
    assert client.get(url).status_code == 429


def test_finding_a_record_to_merge_is_throttled_too(client, monkeypatch):
    monkeypatch.setattr(linkage, "_library", StubLibrary)
    school = AgencyFactory(name="Brook Lane Primary School")
    health = AgencyFactory(name="Exampleton Health Visiting")
    manager = PractitionerFactory(home_agency=school, is_data_manager=True)
    keep, _other, _teacher, _nurse = _two_children(school, health)
    sign_in_verified(client, manager)
    url = reverse("children:merge", kwargs={"child_id": keep.pk})
    find = {
        "name": "Amie Smyth",
        "date_of_birth_day": "14",
        "date_of_birth_month": "3",
        "date_of_birth_year": "2015",
    }
    for _ in range(LIMIT):
        assert client.get(url, find).status_code == 200
    searches = SearchRecord.objects.count()
    assert client.get(url, find).status_code == 429
    assert SearchRecord.objects.count() == searches
    # Choosing a record by its ID is not a search, so it still works.
    assert client.get(url).status_code == 200
