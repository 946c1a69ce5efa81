"""manage.py import_feed for the four demo agencies' own files, and demo_feeds."""

from __future__ import annotations

import datetime
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from joinedup.children.models import Feed, FeedStatus, RejectedRow, SourceRecord
from joinedup.demo.feeds import SPECS
from joinedup.demo.load import load_demo_area
from tests.children.feeds.conftest import CORPUS
from tests.factories import PractitionerFactory


@pytest.fixture
def demo_feeds(db, tmp_path):
    load_demo_area(seed=11, children=200, today=datetime.date(2026, 1, 15))
    out = StringIO()
    call_command("demo_feeds", "--out", str(tmp_path), stdout=out)
    return tmp_path, out.getvalue()


@pytest.mark.django_db
def test_four_demo_agencies_send_their_own_layouts(demo_feeds):
    folder, printed = demo_feeds
    assert printed.count("manage.py import_feed") == 4
    kinds = set()
    for spec in SPECS:
        path = folder / f"{spec.key}.{spec.kind}"
        kinds.add(spec.kind)
        out = StringIO()
        call_command(
            "import_feed",
            "--agency",
            spec.agency,
            "--file",
            str(path),
            "--mapping",
            str(folder / f"{spec.key}.mapping.json"),
            stdout=out,
        )
        feed = Feed.objects.get(agency__name=spec.agency)
        assert feed.status == FeedStatus.DONE, feed.refusal_message
        assert feed.rows_rejected == 3
        assert feed.rows_with_invalid_fields >= 2
        assert feed.rows_created == feed.rows_total - 3
        assert "Rows rejected:               3" in out.getvalue()
        assert "Rejected line" in out.getvalue() and "There is no record ID." in out.getvalue()
        # The second time, nothing changes.
        call_command(
            "import_feed",
            "--agency",
            spec.agency,
            "--file",
            str(path),
            "--mapping",
            str(folder / f"{spec.key}.mapping.json"),
            stdout=StringIO(),
        )
        again = Feed.objects.filter(agency__name=spec.agency).first()
        assert (again.rows_created, again.rows_updated) == (0, 0)
    assert kinds == {"csv", "xlsx"}
    assert SourceRecord.objects.values("agency").distinct().count() == 4


@pytest.mark.django_db
def test_a_refused_file_exits_non_zero(agency):
    with pytest.raises(CommandError, match="not in UTF-8"):
        call_command("import_feed", "--agency", agency.name, "--file", str(CORPUS / "latin1.csv"))
    assert SourceRecord.objects.count() == 0


@pytest.mark.django_db
def test_the_agency_may_be_named_by_id_and_a_bad_mapping_is_refused(agency, tmp_path):
    mapping = tmp_path / "m.json"
    mapping.write_text(json.dumps({"Forename": "not_a_field"}))
    with pytest.raises(CommandError, match="not a field of the format"):
        call_command(
            "import_feed",
            "--agency",
            str(agency.pk),
            "--file",
            str(CORPUS / "duplicate_ids.csv"),
            "--mapping",
            str(mapping),
        )
    with pytest.raises(CommandError, match="no agency called"):
        call_command(
            "import_feed", "--agency", "Nowhere", "--file", str(CORPUS / "duplicate_ids.csv")
        )


@pytest.mark.django_db
def test_as_names_a_data_manager_of_the_agency(agency, data_manager):
    other = PractitionerFactory(username="not.a.manager", home_agency=agency)
    with pytest.raises(CommandError, match="data managers"):
        call_command(
            "import_feed",
            "--agency",
            agency.name,
            "--file",
            str(CORPUS / "duplicate_ids.csv"),
            "--as",
            other.username,
        )
    assert not Feed.objects.exists()
    call_command(
        "import_feed",
        "--agency",
        agency.name,
        "--file",
        str(CORPUS / "duplicate_ids.csv"),
        "--as",
        data_manager.username,
        stdout=StringIO(),
    )
    feed = Feed.objects.get()
    assert feed.submitted_by == data_manager
    assert RejectedRow.objects.filter(feed=feed).count() == 1


@pytest.mark.django_db
def test_the_demo_has_a_data_manager_at_the_school_with_two_factor(settings):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from joinedup.accounts.models import Practitioner
    from joinedup.sharing import policy

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    out = StringIO()
    call_command("load_demo", children=50, verbosity=0, stdout=out)
    manager = Practitioner.objects.get(username="datamanager")
    assert manager.is_data_manager and manager.home_agency.name == SPECS[0].agency
    assert policy.requires_two_factor(manager)
    assert TOTPDevice.objects.get(user=manager).confirmed
    assert "datamanager" in out.getvalue()
    assert "manage.py demo_totp datamanager" in out.getvalue()
