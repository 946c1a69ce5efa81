"""The directory as CSV: export, import (upsert by slug), rejected rows kept with line,
column and reason for correcting, and cells made safe for spreadsheets."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.urls import reverse

from joinedup.referrals import directory_csv, services
from joinedup.referrals.models import LevelOfNeed, Offer, RejectedServiceRow, Service
from tests.factories import AgencyFactory, PractitionerFactory
from tests.referrals.factories import ServiceFactory
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def read_csv(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def write_csv(rows: list[dict[str, str]], headings=None) -> bytes:
    headings = headings or list(dict.fromkeys(key for r in rows for key in r))
    out = io.StringIO()
    writer = csv.DictWriter(out, headings, lineterminator="\r\n", restval="")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def snapshot(service: Service) -> dict:
    service.refresh_from_db()
    return {
        **{name: getattr(service, name) for name in services.EDITABLE_FIELDS},
        "agency": service.agency_id,
        "last_checked_on": service.last_checked_on,
        "needs": sorted(n.code for n in service.needs.all()),
        "offers": service.offer_codes(),
        "levels": service.level_codes(),
        "districts": service.districts(),
        "opening": [str(slot) + slot.note for slot in service.opening_times.all()],
        "maintainers": sorted(p.pk for p in service.maintainers.all()),
    }


@pytest.fixture
def agency():
    return AgencyFactory(name="Bright Start Family Support")


@pytest.fixture
def data_manager(agency):
    return PractitionerFactory(home_agency=agency, is_data_manager=True)


def row(**values) -> dict[str, str]:
    base = {
        "slug": "",
        "name": "Homework club",
        "agency": "Bright Start Family Support",
        "description": "After-school help with homework.",
        "age_from": "7",
        "age_to": "11",
        "needs": "learning",
        "areas": "AW1",
    }
    base.update(values)
    return base


def test_export_then_import_gives_the_same_services(agency, data_manager):
    staff = PractitionerFactory(home_agency=agency, email="sam.staff@example.org")
    first = ServiceFactory(
        agency=agency,
        name="Dads' group",
        description="=Fathers meet weekly; bring the children",
        needs=["parenting-support", "family-relationships"],
        offers=[Offer.GROUP_WORK, Offer.PARTICULAR_GENDER],
        levels=[LevelOfNeed.UNIVERSAL, LevelOfNeed.ADDITIONAL],
        districts=["AW1", "AW12"],
        opening=[(1, "18:00", "20:00"), (5, "10:00", "12:30")],
        languages=["Urdu", "Polish"],
        how_to_refer_outside="web_form",
        referral_address="https://bright.example/refer",
        cost="charge",
        cost_note="£2 a session",
        waiting_weeks=3,
        capacity="limited",
        postcode="AW1 2AB",
        last_checked_on=datetime.date(2025, 11, 3),
        maintainers=[staff],
    )
    first.opening_times.filter(weekday=5).update(note="Saturday drop-in")
    second = ServiceFactory(
        agency=agency, serves_all_districts=True, districts=[], opening=[], is_published=False
    )
    before = [snapshot(first), snapshot(second)]

    exported = directory_csv.services_csv(
        Service.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")
    )
    Service.objects.filter(pk=first.pk).update(name="Changed", waiting_weeks=None)
    first.opening_times.all().delete()
    result = services.import_services(
        content=exported, filename="directory.csv", imported_by=data_manager
    )

    assert (result.rows_created, result.rows_updated, result.rows_rejected) == (0, 2, 0)
    assert Service.objects.count() == 2
    assert [snapshot(first), snapshot(second)] == before


def test_importing_the_export_into_an_empty_directory_creates_the_services(agency, data_manager):
    ServiceFactory(agency=agency, name="Toy library", needs=["early-development"])
    exported = directory_csv.services_csv(Service.objects.all())
    before = snapshot(Service.objects.get())
    Service.objects.all().delete()

    result = services.import_services(content=exported, filename="d.csv", imported_by=data_manager)

    assert result.rows_created == 1
    after = snapshot(Service.objects.get())
    assert after == before


def test_rejected_rows_are_kept_with_line_column_and_reason_and_valid_rows_imported(
    agency, data_manager
):
    other = AgencyFactory(name="Someone Else's Agency")
    content = write_csv(
        [
            row(name="Good row"),
            row(name="Bad ages", age_from="12", age_to="4"),
            row(name="Bad area and need", areas="AW1; Narnia", needs="learning; flying"),
            row(name="Bad email", contact_email="not-an-email", postcode="ZZ"),
            row(name="Not mine", agency=other.name),
            row(name="", description=""),
        ]
    )

    result = services.import_services(content=content, filename="x.csv", imported_by=data_manager)

    assert (result.rows_created, result.rows_rejected) == (1, 5)
    assert Service.objects.get().name == "Good row"
    problems = {
        r.line_number: {(p["column"], p["reason"]) for p in r.problems}
        for r in RejectedServiceRow.objects.filter(service_import=result)
    }
    assert problems[3] == {("age_to", "The age range must end at or after the age it starts")}
    assert (
        "areas",
        "NARNIA is not a postcode district: Enter postcode districts (the first part of a postcode), like AW1, or ALL for every district",
    ) in problems[4]
    assert any(column == "needs" and "flying" in reason for column, reason in problems[4])
    assert ("contact_email", "Enter a valid email address.") in problems[5]
    assert ("postcode", "Enter a real postcode, like AW1 2AB") in problems[5]
    assert problems[6] == {("agency", "You do not manage the services of Someone Else's Agency")}
    assert {column for column, _ in problems[7]} == {"name", "description"}
    # Rejected rows keep the cells as received.
    assert RejectedServiceRow.objects.get(line_number=4).values["areas"] == "AW1; Narnia"


def test_a_file_without_required_columns_or_with_unknown_ones_is_refused(data_manager):
    with pytest.raises(services.ImportRefused, match="no age_from, age_to"):
        services.import_services(
            content=b"slug,name,agency,description\r\n,a,b,c\r\n",
            filename="x.csv",
            imported_by=data_manager,
        )
    with pytest.raises(services.ImportRefused, match="favourite_colour"):
        services.import_services(
            content=write_csv([row(favourite_colour="blue")]),
            filename="x.csv",
            imported_by=data_manager,
        )


def test_an_entry_of_an_agency_the_importer_does_not_manage_cannot_be_overwritten(
    agency, data_manager
):
    theirs = ServiceFactory(name="Their service", slug="their-service")
    content = write_csv([row(slug="their-service", name="Hijacked")])

    result = services.import_services(content=content, filename="x.csv", imported_by=data_manager)

    assert result.rows_rejected == 1
    theirs.refresh_from_db()
    assert theirs.name == "Their service"


def test_the_same_slug_twice_in_a_file_is_rejected_the_second_time(agency, data_manager):
    content = write_csv([row(slug="homework"), row(slug="homework", name="Copy")])
    result = services.import_services(content=content, filename="x.csv", imported_by=data_manager)
    assert (result.rows_created, result.rows_rejected) == (1, 1)
    reject = RejectedServiceRow.objects.get()
    assert reject.problems[0]["reason"] == "homework is also on line 2: give each entry once"


def test_formula_cells_are_escaped_on_export_and_restored_on_import(agency, data_manager):
    ServiceFactory(
        agency=agency,
        name="+44 helpline",
        description='=HYPERLINK("http://evil.example","click")',
        contact_name="@admin",
        cost_note="-5 off",
        contact_times="\tTabbed",
    )
    exported = directory_csv.services_csv(Service.objects.all())
    cells = read_csv(exported)[0]

    assert cells["name"] == "'+44 helpline"
    assert cells["description"].startswith("'=HYPERLINK")
    assert cells["contact_name"] == "'@admin"
    assert cells["cost_note"] == "'-5 off"
    assert cells["contact_times"] == "'\tTabbed"

    services.import_services(content=exported, filename="x.csv", imported_by=data_manager)
    service = Service.objects.get()
    assert service.name == "+44 helpline"
    assert service.description.startswith("=HYPERLINK")


def test_the_export_page_gives_the_filtered_directory_to_practitioners(client, agency):
    ServiceFactory(agency=agency, name="Speech group", needs=["speech-language-communication"])
    ServiceFactory(agency=agency, name="Housing advice", needs=["housing"])
    url = reverse("referrals:export-csv") + "?need=housing"

    assert client.get(url).status_code == 302  # anonymous: sign in first
    sign_in_verified(client, PractitionerFactory())
    response = client.get(url)

    assert response["Content-Type"].startswith("text/csv")
    assert [r["name"] for r in read_csv(response.content)] == ["Housing advice"]


def test_a_rejected_row_is_corrected_on_its_page_and_imported(client, agency, data_manager):
    content = write_csv([row(name="Homework club", age_from="seven")])
    record = services.import_services(content=content, filename="x.csv", imported_by=data_manager)
    reject = RejectedServiceRow.objects.get()
    sign_in_verified(client, data_manager)
    url = reverse(
        "referrals:fix-rejected-row",
        kwargs={"service_import_id": record.pk, "rejected_service_row_id": reject.pk},
    )

    page = client.get(url).content.decode()
    assert "Enter an age in whole years, from 0 to 25" in page

    still_wrong = client.post(url, {**reject.values, "age_from": "70"})
    assert still_wrong.status_code == 200
    assert Service.objects.count() == 0

    fixed = client.post(url, {**reject.values, "age_from": "7"})
    assert fixed.status_code == 302
    assert Service.objects.get().age_from == 7
    reject.refresh_from_db()
    assert reject.is_resolved


def test_rejected_rows_download_as_csv_for_correcting_and_import_again(
    client, agency, data_manager
):
    content = write_csv([row(name="Homework club", areas="Narnia")])
    record = services.import_services(content=content, filename="x.csv", imported_by=data_manager)
    sign_in_verified(client, data_manager)

    rejects = client.get(
        reverse("referrals:import-rejects-csv", kwargs={"service_import_id": record.pk})
    )
    rows = read_csv(rejects.content)
    assert rows[0]["line"] == "2"
    assert rows[0]["problems"].startswith("areas: NARNIA is not a postcode district")

    rows[0]["areas"] = "AW1"
    again = services.import_services(
        content=write_csv(rows), filename="rejects.csv", imported_by=data_manager
    )
    assert (again.rows_created, again.rows_rejected) == (1, 0)


def test_the_import_page_imports_and_shows_the_result(client, agency, data_manager):
    sign_in_verified(client, data_manager)
    upload = io.BytesIO(write_csv([row(), row(name="No ages", age_from="")]))
    upload.name = "directory.csv"

    response = client.post(reverse("referrals:import"), {"file": upload}, follow=True)

    content = response.content.decode()
    assert "1 entries added and 0 updated; 1 rows need correcting." in content
    assert "Enter an age in years" in content


def test_import_results_are_for_the_importer_only(client, agency, data_manager):
    record = services.import_services(
        content=write_csv([row(age_from="x")]), filename="x.csv", imported_by=data_manager
    )
    other_data_manager = PractitionerFactory(home_agency=agency, is_data_manager=True)
    sign_in_verified(client, other_data_manager)
    url = reverse("referrals:import-result", kwargs={"service_import_id": record.pk})
    assert client.get(url).status_code == 403
