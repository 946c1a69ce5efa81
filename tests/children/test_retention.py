"""Retention: archived at 18 (data managers only), purged after the configured period."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from joinedup.children import retention, selectors
from joinedup.children.models import (
    Child,
    Involvement,
    PurgeRecord,
    RetentionRun,
    Shielding,
    SourceRecord,
    SourceRecordVersion,
)
from joinedup.sharing import policy
from joinedup.sharing.models import AccessBasis, AccessRecord, StatedReason
from joinedup.sharing.services import state_reason_for_access
from tests.children.index_support import link_records
from tests.factories import AgencyFactory, ChildFactory, InvolvementFactory, PractitionerFactory
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2031, 9, 1)


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue()


def test_children_who_have_turned_18_are_archived_and_the_run_is_logged():
    turned_today = ChildFactory(date_of_birth=datetime.date(2013, 9, 1))
    tomorrow = ChildFactory(date_of_birth=datetime.date(2013, 9, 2))
    older = ChildFactory(date_of_birth=datetime.date(2010, 1, 5))

    output = run("--today", TODAY.isoformat())

    archived = set(Child.objects.filter(archived_on=TODAY).values_list("pk", flat=True))
    assert archived == {turned_today.pk, older.pk}
    tomorrow.refresh_from_db()
    assert tomorrow.archived_on is None
    logged = RetentionRun.objects.get()
    assert (logged.run_for, logged.archived, logged.purged, logged.dry_run) == (TODAY, 2, 0, False)
    assert logged.finished_at is not None
    assert "Archived 2 record(s)" in output
    assert "Done: archived 2, purged 0" in output


def test_a_dry_run_counts_and_changes_nothing():
    child = ChildFactory(date_of_birth=datetime.date(2000, 1, 1))

    output = run("--dry-run", "--today", TODAY.isoformat())

    assert "Dry run: would archive 1 record(s)" in output
    child.refresh_from_db()
    assert child.archived_on is None
    assert not RetentionRun.objects.exists()


def test_an_archived_record_is_for_data_managers_only(client):
    involvement = InvolvementFactory()
    child = involvement.child
    manager = PractitionerFactory(home_agency=involvement.agency, is_data_manager=True)
    elsewhere = PractitionerFactory(is_data_manager=True)
    Child.objects.filter(pk=child.pk).update(archived_on=TODAY)
    child.refresh_from_db()

    sign_in_verified(client, involvement.practitioner)
    assert client.get(reverse("children:detail", args=[child.pk])).status_code == 403
    assert child.full_name not in client.get(reverse("children:list")).content.decode()
    assert not policy.can_state_reason(involvement.practitioner, child)
    assert not selectors.children_visible_to(involvement.practitioner).exists()
    assert not policy.can_view_child(elsewhere, child)

    sign_in_verified(client, manager)
    response = client.get(reverse("children:detail", args=[child.pk]))
    assert response.status_code == 200
    assert "This record was archived" in response.content.decode()
    access = AccessRecord.objects.get(child=child, practitioner=manager)
    assert access.basis == AccessBasis.DATA_MANAGER


def test_records_archived_longer_than_the_period_are_purged_and_the_audit_kept():
    involvement = InvolvementFactory()
    child = involvement.child
    agency = AgencyFactory()
    link_records(child, agency, {"Record ID": "R1", "Given name": "Amy"})
    manager = PractitionerFactory(home_agency=agency, is_data_manager=True)
    Shielding.objects.create(child=child, reason="Risk", review_on=TODAY, shielded_by=manager)
    stranger = PractitionerFactory()
    state_reason_for_access(
        practitioner=stranger, child=child, reason="Concern raised about Amy today"
    )
    selectors.child_record(practitioner=stranger, child_id=child.pk, path="/")
    selectors.child_record(practitioner=involvement.practitioner, child_id=child.pk, path="/")
    Child.objects.filter(pk=child.pk).update(archived_on=datetime.date(2025, 9, 1))
    kept = ChildFactory(date_of_birth=datetime.date(2012, 1, 1))
    Child.objects.filter(pk=kept.pk).update(archived_on=datetime.date(2025, 9, 2))

    output = run("--today", TODAY.isoformat())

    assert not Child.objects.filter(pk=child.pk).exists()
    assert Child.objects.filter(pk=kept.pk).exists()  # six years not yet up
    assert not Involvement.objects.filter(pk=involvement.pk).exists()
    assert not SourceRecord.objects.filter(source_id="R1").exists()
    assert not SourceRecordVersion.objects.exists()
    assert not StatedReason.objects.exists()
    assert not Shielding.objects.exists()
    purge = PurgeRecord.objects.get()
    assert purge.child_reference == retention.child_reference(child.pk)
    assert (purge.involvements, purge.source_records, purge.shieldings, purge.stated_reasons) == (
        1,
        1,
        1,
        1,
    )
    assert purge.access_records_kept == 2
    detached = AccessRecord.objects.filter(purged_child_reference=purge.child_reference)
    assert detached.count() == 2
    assert all(access.child_id is None for access in detached)
    assert "Amy" not in " ".join(detached.values_list("reason", flat=True))
    assert "Purged 1 record(s)" in output
    assert RetentionRun.objects.get().purged == 1


def test_purging_works_in_batches(settings):
    settings.RETENTION_PURGE_AFTER_YEARS = 2
    for _ in range(5):
        child = InvolvementFactory().child
        Child.objects.filter(pk=child.pk).update(archived_on=datetime.date(2029, 1, 1))

    output = run("--today", TODAY.isoformat(), "--batch-size", "2")

    assert not Child.objects.exists()
    assert PurgeRecord.objects.count() == 5
    assert "Purged 2 record(s) (2 of 5)" in output
    assert "Purged 1 record(s) (5 of 5)" in output


def test_a_record_archived_today_is_not_purged_the_same_day(settings):
    settings.RETENTION_PURGE_AFTER_YEARS = 0
    ChildFactory(date_of_birth=datetime.date(2000, 1, 1))

    run("--today", TODAY.isoformat())

    assert Child.objects.get().archived_on == TODAY


def test_leap_day_birthdays_and_bad_dates():
    assert retention.years_before(datetime.date(2044, 2, 29), 18) == datetime.date(2026, 2, 28)
    leapling = ChildFactory(date_of_birth=datetime.date(2008, 2, 29))
    run("--today", "2026-02-28")
    leapling.refresh_from_db()
    assert leapling.archived_on is None
    run("--today", "2026-03-01")
    leapling.refresh_from_db()
    assert leapling.archived_on == datetime.date(2026, 3, 1)

    with pytest.raises(CommandError):
        run("--today", "1/9/2031")
