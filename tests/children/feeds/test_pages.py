"""Upload, progress, result page, rejects file, mapping and the format pages."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from joinedup.children.feeds.importing import import_feed, receive_feed
from joinedup.children.models import (
    Feed,
    FeedColumnMapping,
    FeedStatus,
    RejectedRow,
    SourceRecord,
)
from joinedup.sharing.models import AccessRecord
from tests.children.feeds.conftest import CORPUS, HEAD, csv_file
from tests.factories import AgencyFactory, ChildFactory, PractitionerFactory
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def upload(client, agency, name, content):
    return client.post(
        reverse("children:feeds:upload"),
        {"agency": agency.pk, "file": SimpleUploadedFile(name, content)},
    )


def test_upload_imports_and_shows_the_result(client, agency, data_manager):
    sign_in_verified(client, data_manager)
    response = upload(client, agency, "pupils.csv", (CORPUS / "unusable_rows.csv").read_bytes())
    feed = Feed.objects.get()
    assert response.status_code == 302
    assert response.headers["Location"] == reverse("children:feeds:detail", args=[feed.pk])
    page = client.get(response.headers["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert feed.submitted_by == data_manager and feed.status == FeedStatus.DONE
    assert "There is no record ID." in html and "Given name and Family name" in html
    assert "Download the 3 rejected rows still to correct" in html
    assert html.count("<h1") == 1
    listing = client.get(reverse("children:feeds:index")).content.decode()
    assert "pupils.csv" in listing


def test_a_refused_upload_says_why(client, agency, data_manager):
    sign_in_verified(client, data_manager)
    response = upload(client, agency, "photo.csv", (CORPUS / "png_renamed.csv").read_bytes())
    page = client.get(response.headers["Location"]).content.decode()
    assert "The file was refused" in page and "is a PNG image" in page
    assert SourceRecord.objects.count() == 0


def test_the_form_refuses_a_missing_or_oversized_file(client, agency, data_manager, settings):
    sign_in_verified(client, data_manager)
    response = client.post(reverse("children:feeds:upload"), {"agency": agency.pk})
    assert "Select a CSV or Excel file to upload" in response.content.decode()
    settings.FEED_MAX_BYTES = 10
    response = upload(client, agency, "a.csv", csv_file(HEAD, "A1,Amy,Example,,,"))
    assert "must be smaller than" in response.content.decode()
    assert not Feed.objects.exists()


def test_a_data_manager_can_only_send_their_own_agencys_records(client, agency, data_manager):
    other = AgencyFactory(name="Other School")
    sign_in_verified(client, data_manager)
    response = upload(client, other, "a.csv", csv_file(HEAD, "A1,Amy,Example,,,"))
    assert response.status_code == 200  # not a choice on the form
    assert "Select a valid choice" in response.content.decode()
    assert not Feed.objects.exists()


def test_progress_polls_until_done_then_refreshes(client, agency, data_manager):
    sign_in_verified(client, data_manager)
    feed = receive_feed(agency=agency, file=csv_file(HEAD, "A1,Amy,Example,,,"), filename="a.csv")
    page = client.get(reverse("children:feeds:detail", args=[feed.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in page and "waiting to be imported" in page
    fragment = client.get(
        reverse("children:feeds:progress", args=[feed.pk]), HTTP_HX_REQUEST="true"
    )
    assert fragment.status_code == 200 and "<progress" in fragment.content.decode()
    Feed.objects.filter(pk=feed.pk).update(status=FeedStatus.RUNNING, rows_total=10, rows_checked=5)
    fragment = client.get(
        reverse("children:feeds:progress", args=[feed.pk]), HTTP_HX_REQUEST="true"
    )
    assert "Checked 5 of 10 rows" in fragment.content.decode()
    assert 'value="45"' in fragment.content.decode()
    Feed.objects.filter(pk=feed.pk).update(status=FeedStatus.DONE)
    done = client.get(reverse("children:feeds:progress", args=[feed.pk]), HTTP_HX_REQUEST="true")
    assert done.headers.get("HX-Refresh") == "true"


def test_rejects_download_is_safe_and_can_be_resubmitted(client, agency, data_manager):
    sign_in_verified(client, data_manager)
    feed = import_feed(
        agency=agency,
        file=(CORPUS / "formula_injection.csv").read_bytes(),
        filename="f.csv",
        submitted_by=data_manager,
    )
    response = client.get(reverse("children:feeds:rejects", args=[feed.pk]))
    assert response.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1][1] == "'+cmd|' /C calc'!A0"
    rows[1][0] = "A9"
    rows[1][1] = "Cal"
    fixed = io.StringIO()
    csv.writer(fixed).writerows(rows)
    upload(client, agency, "f-rejects.csv", fixed.getvalue().encode())
    again = Feed.objects.first()
    assert again.rejects_resolved == 1
    record = SourceRecord.objects.get(source_id="A9")
    assert record.values["Family name"] == "@SUM(1)"  # the quote the rejects file added is gone
    assert "Rejection reference" not in record.values


def test_mapping_is_saved_and_used_for_uploads(client, agency, data_manager):
    sign_in_verified(client, data_manager)
    url = reverse("children:feeds:mapping", args=[agency.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"source_id": "Adno", "given_name": "Forename", "family_name": "Forename"}
    )
    assert "already used for Given name" in response.content.decode()
    response = client.post(url, {"source_id": "Adno", "given_name": "Forename"})
    assert response.status_code == 302
    assert dict(FeedColumnMapping.objects.values_list("their_heading", "field")) == {
        "Adno": "source_id",
        "Forename": "given_name",
    }
    upload(client, agency, "sims.csv", csv_file("Adno,Forename", "12,Amy"))
    assert SourceRecord.objects.get(source_id="12").given_name == "AMY"


def test_format_page_and_templates(client, agency):
    sign_in_verified(client, PractitionerFactory())
    page = client.get(reverse("children:feeds:format")).content.decode()
    assert "Record ID" in page and "Also recognised" in page
    csv_response = client.get(reverse("children:feeds:template-csv"))
    assert csv_response.content.decode("utf-8-sig").startswith("Record ID,Given name")
    xlsx = client.get(reverse("children:feeds:template-xlsx"))
    assert xlsx.content.startswith(b"PK")


def test_only_the_agencys_data_managers_see_its_feeds(client, agency, data_manager):
    feed = import_feed(agency=agency, file=csv_file(HEAD, "A1,Amy,Example,,,"), filename="a.csv")
    other_manager = PractitionerFactory(
        home_agency=AgencyFactory(name="Other"), is_data_manager=True
    )
    colleague = PractitionerFactory(home_agency=agency)
    for person in (other_manager, colleague):
        sign_in_verified(client, person)
        assert client.get(reverse("children:feeds:detail", args=[feed.pk])).status_code == 403
        assert client.get(reverse("children:feeds:rejects", args=[feed.pk])).status_code == 403
    sign_in_verified(client, other_manager)
    assert "a.csv" not in client.get(reverse("children:feeds:index")).content.decode()


def test_showing_values_of_a_linked_child_is_recorded(client, agency, data_manager):
    feed = import_feed(
        agency=agency, file=(CORPUS / "invalid_fields.csv").read_bytes(), filename="a.csv"
    )
    child = ChildFactory()
    SourceRecord.objects.filter(source_id="A2").update(child=child)
    sign_in_verified(client, data_manager)
    response = client.get(reverse("children:feeds:detail", args=[feed.pk]))
    assert "31/02/2015" in response.content.decode()
    record = AccessRecord.objects.get(child=child)
    assert record.practitioner == data_manager
    assert record.basis == "agency_record"
    assert AccessRecord.objects.count() == 1


def test_a_reject_can_be_marked_as_dealt_with_with_a_reason(client, agency, data_manager):
    feed = import_feed(
        agency=agency,
        file=(CORPUS / "unusable_rows.csv").read_bytes(),
        filename="a.csv",
        submitted_by=data_manager,
    )
    reject = RejectedRow.objects.filter(feed=feed).order_by("line_number").first()
    sign_in_verified(client, data_manager)
    result = client.get(reverse("children:feeds:detail", args=[feed.pk])).content.decode()
    url = reverse("children:feeds:deal-with-reject", args=[reject.pk])
    assert url in result and "Mark as dealt with" in result
    page = client.get(url).content.decode()
    assert "There is no record ID." in page and page.count("<h1") == 1

    response = client.post(url, {"reason": "  "})
    assert "Enter why this row does not need to be sent again" in response.content.decode()
    reject.refresh_from_db()
    assert reject.resolved_at is None

    response = client.post(url, {"reason": "A test pupil added by mistake"})
    assert response.headers["Location"] == reverse("children:feeds:detail", args=[feed.pk])
    reject.refresh_from_db()
    assert reject.resolved_at is not None and reject.resolved_by is None
    assert reject.dealt_with_by == data_manager
    assert reject.dealt_with_reason == "A test pupil added by mistake"
    result = client.get(response.headers["Location"]).content.decode()
    assert "is marked as dealt with" in result
    assert "Dealt with by" in result and "A test pupil added by mistake" in result
    assert "Download the 2 rejected rows still to correct" in result
    rows = list(
        csv.reader(
            io.StringIO(
                client.get(reverse("children:feeds:rejects", args=[feed.pk])).content.decode(
                    "utf-8-sig"
                )
            )
        )
    )
    assert str(reject.pk) not in [row[-3] for row in rows[1:]] and len(rows) == 3

    # Done once: a second go changes nothing and says so.
    again = client.post(url, {"reason": "Something else"}).content.decode()
    reject.refresh_from_db()
    assert reject.dealt_with_reason == "A test pupil added by mistake"
    assert "marked this row as dealt with" in again and "<form" not in again.split("<main")[1]


def test_only_the_agencys_data_managers_deal_with_its_rejects(client, agency, data_manager):
    feed = import_feed(
        agency=agency, file=(CORPUS / "unusable_rows.csv").read_bytes(), filename="a.csv"
    )
    reject = RejectedRow.objects.filter(feed=feed).first()
    url = reverse("children:feeds:deal-with-reject", args=[reject.pk])
    other_manager = PractitionerFactory(
        home_agency=AgencyFactory(name="Other"), is_data_manager=True
    )
    for person in (other_manager, PractitionerFactory(home_agency=agency)):
        sign_in_verified(client, person)
        assert client.get(url).status_code == 403
        assert client.post(url, {"reason": "Not mine"}).status_code == 403
    reject.refresh_from_db()
    assert reject.resolved_at is None
