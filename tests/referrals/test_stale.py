"""Stale entries are flagged to their owners: maintainers, or the agency's data managers
when an entry has none."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command

from joinedup.referrals.selectors import stale_services_by_owner, stale_services_for
from tests.factories import AgencyFactory, PractitionerFactory
from tests.referrals.factories import ServiceFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 9, 1)
LONG_AGO = TODAY - datetime.timedelta(days=181)
RECENTLY = TODAY - datetime.timedelta(days=180)


@pytest.fixture
def area():
    agency = AgencyFactory()
    alex = PractitionerFactory(home_agency=agency, email="alex@example.org")
    bea = PractitionerFactory(home_agency=agency, email="bea@example.org")
    dana = PractitionerFactory(home_agency=agency, is_data_manager=True, email="dana@example.org")
    gone = PractitionerFactory(home_agency=agency, is_active=False, email="gone@example.org")
    ServiceFactory(
        agency=agency, name="Old one", last_checked_on=LONG_AGO, maintainers=[alex, gone]
    )
    ServiceFactory(agency=agency, name="Old two", last_checked_on=LONG_AGO, maintainers=[alex, bea])
    ServiceFactory(agency=agency, name="Fresh", last_checked_on=RECENTLY, maintainers=[bea])
    ServiceFactory(agency=agency, name="Orphan", last_checked_on=LONG_AGO)
    return {"alex": alex, "bea": bea, "dana": dana, "gone": gone}


def test_stale_means_checked_more_than_the_set_number_of_days_ago(area, settings):
    assert [s.name for s in stale_services_for(area["bea"], TODAY)] == ["Old two"]
    settings.DIRECTORY_STALE_AFTER_DAYS = 365
    assert list(stale_services_for(area["alex"], TODAY)) == []


def test_owners_are_active_maintainers_or_else_the_agency_data_managers(area):
    owners = {
        person.email: sorted(s.name for s in entries)
        for person, entries in stale_services_by_owner(TODAY).items()
    }
    assert owners == {
        "alex@example.org": ["Old one", "Old two"],
        "bea@example.org": ["Old two"],
        "dana@example.org": ["Orphan"],
    }


def test_the_command_emails_each_owner_their_stale_entries(area):
    out = StringIO()
    call_command(
        "flag_stale_services",
        today=TODAY.isoformat(),
        site_url="https://joinedup.example.org/",
        stdout=out,
    )

    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert set(by_recipient) == {"alex@example.org", "bea@example.org", "dana@example.org"}
    alex = by_recipient["alex@example.org"]
    assert alex.subject == "2 directory entries need checking"
    assert "Old one" in alex.body and "Old two" in alex.body and "Fresh" not in alex.body
    assert "https://joinedup.example.org/services/mine/" in alex.body
    assert by_recipient["bea@example.org"].subject == "A directory entry needs checking"
    assert "Emailed 3 people about 3 stale directory entries." in out.getvalue()


def test_a_dry_run_sends_nothing(area):
    out = StringIO()
    call_command("flag_stale_services", today=TODAY.isoformat(), dry_run=True, stdout=out)
    assert mail.outbox == []
    assert "Would email alex@example.org: 2 stale entries" in out.getvalue()
