"""Referral reports: counts, rates and times by month for a service and a partnership, their
charts with tables, the CSV file, and a flat number of queries."""

from __future__ import annotations

import csv
import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from joinedup.referrals import charts, lifecycle, reports
from joinedup.referrals.models import Referral
from tests.factories import (
    AgencyFactory,
    MembershipFactory,
    PartnershipFactory,
    PractitionerFactory,
)
from tests.queries import count_queries
from tests.referrals.factories import ServiceFactory, make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

LONDON = ZoneInfo("Europe/London")
TODAY = datetime.date(2025, 6, 15)


def at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    """A moment on ``day``, UK time."""
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def dated(referral: Referral, **moments: object) -> Referral:
    """Move a referral's dates into the past (the lifecycle stamps them now)."""
    Referral.objects.filter(pk=referral.pk).update(**moments)
    referral.refresh_from_db()
    return referral


@pytest.fixture
def service():
    staff = PractitionerFactory(username="staff")
    return ServiceFactory(
        name="Speech and language", accepts_referrals_in_app=True, maintainers=[staff]
    )


def sent_on(day: datetime.date, service, status: str = "sent", **details) -> Referral:
    referral = make_referral(service=service, status=status, **details)
    return dated(referral, sent_at=at(day))


def row_for(report: reports.ReferralReport, month: int) -> reports.ReportRow:
    return next(row for row in report.rows if row.month and row.month.month == month)


# The figures --------------------------------------------------------------------------


def test_a_service_report_counts_each_referral_in_the_month_it_was_sent(service):
    march = datetime.date(2025, 3, 10)
    sent_on(march, service, status="started", urgency="urgent")
    sent_on(march, service, status="declined")
    no_room = sent_on(march, service, status="declined")
    dated(no_room, decline_reason="no_capacity")
    sent_on(march, service, status="acknowledged")
    withdrawn = sent_on(datetime.date(2025, 4, 2), service)
    lifecycle.withdraw(withdrawn, by=withdrawn.referrer, reason="The family moved away")
    # Made by the service's own staff, to another service.
    staff = service.maintainers.get()
    made = make_referral(referrer=staff, status="sent")
    dated(made, sent_at=at(datetime.date(2025, 4, 20)))
    # Not counted: a draft, one sent before the period, one to another service.
    make_referral(service=service)
    sent_on(datetime.date(2024, 12, 31), service)
    other = ServiceFactory(accepts_referrals_in_app=True)
    sent_on(march, other, status="declined", staff=PractitionerFactory())

    report = reports.service_report(service, months=6, today=TODAY)

    assert [row.label for row in report.rows] == [
        "January 2025",
        "February 2025",
        "March 2025",
        "April 2025",
        "May 2025",
        "June 2025",
    ]
    march_row = row_for(report, 3)
    assert (march_row.received, march_row.accepted, march_row.declined) == (4, 1, 2)
    assert (march_row.acceptance_rate, march_row.decline_rate) == (33, 67)
    assert march_row.urgent == 1
    assert march_row.decline_reasons == {"criteria_not_met": 1, "no_capacity": 1}
    april_row = row_for(report, 4)
    assert (april_row.received, april_row.withdrawn, april_row.made) == (1, 1, 1)
    assert april_row.acceptance_rate is None
    assert report.total.received == 5
    assert report.total.made == 1
    assert report.period == "January 2025 to June 2025"
    assert [(row.reason, row.count, row.share) for row in report.decline_reasons][:2] == [
        ("criteria_not_met", 1, 50),
        ("outside_area", 0, 0),
    ]


def test_the_month_is_the_month_in_uk_time(service):
    # 11.30pm on 31 March 2025 in UTC is already 1 April in British Summer Time.
    referral = make_referral(service=service, status="sent")
    dated(referral, sent_at=datetime.datetime(2025, 3, 31, 23, 30, tzinfo=datetime.UTC))
    report = reports.service_report(service, months=6, today=TODAY)
    assert row_for(report, 3).received == 0
    assert row_for(report, 4).received == 1


def test_time_to_acknowledge_is_in_working_days_skipping_bank_holidays(service):
    # Easter 2025: Good Friday 18 April and Easter Monday 21 April are bank holidays.
    easter = sent_on(datetime.date(2025, 4, 17), service, status="started")
    dated(
        easter,
        acknowledged_at=at(datetime.date(2025, 4, 22)),  # Thursday → Tuesday: 1 working day
        started_at=at(datetime.date(2025, 5, 1)),  # 14 calendar days
    )
    weekday = sent_on(datetime.date(2025, 4, 7), service, status="acknowledged")
    dated(weekday, acknowledged_at=at(datetime.date(2025, 4, 9)))  # Monday → Wednesday: 2
    same_day = sent_on(datetime.date(2025, 4, 8), service, status="started")
    dated(
        same_day,
        acknowledged_at=at(datetime.date(2025, 4, 8), hour=15),  # the same day: 0
        started_at=at(datetime.date(2025, 4, 12)),  # 4 calendar days
    )

    april = row_for(reports.service_report(service, months=6, today=TODAY), 4)

    assert sorted(april.acknowledge_days) == [0, 1, 2]
    assert (april.median_acknowledge, april.p90_acknowledge) == (1, 2)
    assert sorted(april.start_days) == [4, 14]
    assert (april.median_start, april.p90_start) == (9, 14)
    assert (april.acknowledged, april.started) == (3, 2)


def test_acknowledged_late_counts_those_acknowledged_after_the_date_due_or_still_waiting(
    service,
):
    late = sent_on(datetime.date(2025, 5, 5), service, status="acknowledged")
    dated(
        late,
        acknowledge_by=datetime.date(2025, 5, 7),
        acknowledged_at=at(datetime.date(2025, 5, 8)),
    )
    on_time = sent_on(datetime.date(2025, 5, 5), service, status="acknowledged")
    dated(
        on_time,
        acknowledge_by=datetime.date(2025, 5, 7),
        acknowledged_at=at(datetime.date(2025, 5, 7), hour=16),
    )
    waiting = sent_on(datetime.date(2025, 5, 6), service)
    dated(waiting, acknowledge_by=datetime.date(2025, 5, 8))
    not_due_yet = sent_on(datetime.date(2025, 5, 30), service)
    dated(not_due_yet, acknowledge_by=datetime.date(2025, 6, 20))

    report = reports.service_report(service, months=6, today=TODAY)

    assert row_for(report, 5).acknowledged_late == 2


def test_medians_and_percentiles():
    assert reports.median([]) is None
    assert reports.median([3, 1, 2]) == 2
    assert reports.median([1, 2]) == 1.5
    assert reports.median([2, 2]) == 2
    assert reports.percentile([], 0.9) is None
    assert reports.percentile([5], 0.9) == 5
    assert reports.percentile(list(range(1, 11)), 0.9) == 9
    assert reports.percentile(list(range(1, 12)), 0.9) == 10


def test_the_period_is_6_12_or_24_months():
    assert reports.report_months("6") == 6
    assert reports.report_months("24") == 24
    assert reports.report_months("7") == 12
    assert reports.report_months("many") == 12
    assert reports.report_months(None) == 12
    assert reports.month_starts(datetime.date(2025, 2, 28), 3) == [
        datetime.date(2024, 12, 1),
        datetime.date(2025, 1, 1),
        datetime.date(2025, 2, 1),
    ]


def test_a_partnership_report_counts_referrals_in_and_out_and_each_once_in_all():
    school = AgencyFactory(name="Brook Lane School")
    partnership = PartnershipFactory()
    partnership.member_agencies.add(school)
    member = PractitionerFactory()
    MembershipFactory(partnership=partnership, practitioner=member)
    former = PractitionerFactory()
    MembershipFactory(
        partnership=partnership, practitioner=former, ended_on=datetime.date(2025, 1, 1)
    )
    ours = ServiceFactory(agency=school, accepts_referrals_in_app=True)
    ours.maintainers.add(PractitionerFactory())
    elsewhere = ServiceFactory(accepts_referrals_in_app=True)
    elsewhere.maintainers.add(PractitionerFactory())
    may = datetime.date(2025, 5, 12)

    sent_on(may, ours, status="declined")  # in
    out = make_referral(referrer=member, service=elsewhere, status="accepted")  # out
    both = make_referral(referrer=member, service=ours, status="accepted")  # in and out
    by_former = make_referral(referrer=former, service=elsewhere)  # neither
    for referral in (out, both, by_former):
        dated(referral, sent_at=at(may))
    sent_on(may, elsewhere)  # neither

    row = row_for(reports.partnership_report(partnership, months=6, today=TODAY), 5)

    assert (row.received, row.made, row.in_scope) == (2, 2, 3)
    assert (row.accepted, row.declined, row.acceptance_rate) == (2, 1, 67)


# The CSV file ---------------------------------------------------------------------------


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_csv_has_a_row_a_month_and_the_total_and_is_safe_in_a_spreadsheet(service):
    service.name = "=cmd|' /C calc'!A0"
    service.save(update_fields=["name"])
    sent_on(datetime.date(2025, 3, 10), service, status="declined")

    rows = csv_rows(reports.report_csv(reports.service_report(service, months=6, today=TODAY)))

    heading, *months, total = rows
    assert heading[:4] == ["Service", "Month", "Referrals received", "Referrals made by its staff"]
    assert "Declined: Does not meet the service's criteria" in heading
    assert [row[1] for row in months] == [f"2025-0{month}" for month in range(1, 7)]
    assert total[1] == "All 6 months"
    assert all(row[0] == "'=cmd|' /C calc'!A0" for row in [*months, total])
    march = dict(zip(heading, months[2], strict=True))
    assert march["Referrals received"] == "1"
    assert march["Decline rate (% of those decided)"] == "100"
    assert march["Declined: Does not meet the service's criteria"] == "1"
    assert march["Median days to start"] == ""


def test_the_csv_download_is_a_file_for_the_period_chosen(client, service):
    sign_in_verified(client, service.maintainers.get())
    url = reverse("referrals:service-report-csv", args=[service.slug])
    response = client.get(url, {"months": "24"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == (
        f'attachment; filename="referrals-{service.slug}-24-months.csv"'
    )
    assert len(csv_rows(response.content)) == 1 + 24 + 1


# The pages --------------------------------------------------------------------------------


def test_the_report_page_shows_each_chart_with_a_table_of_the_same_numbers(client, service):
    sent_on(datetime.date.today().replace(day=1), service, status="declined")
    sign_in_verified(client, service.maintainers.get())
    response = client.get(reverse("referrals:service-report", args=[service.slug]))
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('role="img"') == 2
    assert 'aria-labelledby="volume-chart-title volume-chart-desc"' in page
    assert '<desc id="times-chart-desc">' in page
    assert "url(#volume-chart-declined)" in page  # a pattern, not colour alone
    assert "1 referral, 0 accepted and 1 declined" in page
    for table in ("volume-table", "times-table", "decline-reasons-table"):
        assert f'id="{table}"' in page
    assert page.index('id="volume-chart-title"') < page.index('id="volume-table"')
    assert page.index('id="times-chart-title"') < page.index('id="times-table"')
    assert "All 12 months" in page
    assert "<script" not in page.split("<main", 1)[1].split("</main>", 1)[0]


def test_the_period_filter_changes_the_months_shown(client, service):
    sign_in_verified(client, service.maintainers.get())
    url = reverse("referrals:service-report", args=[service.slug])
    page = client.get(url, {"months": "6"}).content.decode()
    assert '<option value="6" selected>' in page
    assert "All 6 months" in page
    assert "All 12 months" in client.get(url, {"months": "1000"}).content.decode()


def test_the_partnership_report_is_linked_from_the_partnership_page_for_its_coordinator(
    client,
):
    partnership = PartnershipFactory(name="Brook Lane Team")
    coordinator = PractitionerFactory()
    MembershipFactory(partnership=partnership, practitioner=coordinator, role="coordinator")
    member = PractitionerFactory()
    MembershipFactory(partnership=partnership, practitioner=member)
    report_url = reverse("referrals:partnership-report", args=[partnership.pk])
    detail_url = reverse("partnerships:detail", args=[partnership.pk])

    sign_in_verified(client, coordinator)
    assert report_url in client.get(detail_url).content.decode()
    page = client.get(report_url).content.decode()
    assert "Referral report: Brook Lane Team" in page
    assert "Referrals (each once)" in page

    sign_in_verified(client, member)
    assert report_url not in client.get(detail_url).content.decode()
    assert client.get(report_url).status_code == 403


def test_the_service_report_is_linked_for_those_who_may_read_it(client, service):
    report_url = reverse("referrals:service-report", args=[service.slug])
    sign_in_verified(client, service.maintainers.get())
    assert (
        report_url in client.get(reverse("referrals:service", args=[service.slug])).content.decode()
    )
    assert report_url in client.get(reverse("referrals:my-services")).content.decode()

    sign_in_verified(client, PractitionerFactory())
    assert (
        report_url
        not in client.get(reverse("referrals:service", args=[service.slug])).content.decode()
    )
    assert client.get(report_url).status_code == 403


def test_an_unpublished_service_s_report_is_not_admitted_to_exist(client, service):
    service.is_published = False
    service.save(update_fields=["is_published"])
    sign_in_verified(client, PractitionerFactory())
    response = client.get(reverse("referrals:service-report", args=[service.slug]))
    assert response.status_code == 404


def test_the_report_pages_make_the_same_number_of_queries_however_many_referrals(client, service):
    partnership = PartnershipFactory()
    partnership.member_agencies.add(service.agency)
    coordinator = PractitionerFactory()
    MembershipFactory(partnership=partnership, practitioner=coordinator, role="coordinator")
    service.maintainers.add(coordinator)
    service_url = reverse("referrals:service-report", args=[service.slug])
    partnership_url = reverse("referrals:partnership-report", args=[partnership.pk])
    today = datetime.date.today()
    sign_in_verified(client, coordinator)

    sent_on(today, service, status="started")
    before = (count_queries(client, service_url), count_queries(client, partnership_url))
    for month in range(1, 6):
        day = (today.replace(day=1) - datetime.timedelta(days=28 * month)).replace(day=3)
        sent_on(day, service, status="started")
        sent_on(day, service, status="declined")
        sent_on(day, service, status="acknowledged", urgency="urgent")
    after = (count_queries(client, service_url), count_queries(client, partnership_url))

    assert after == before


# The charts -------------------------------------------------------------------------------


def test_the_y_axis_has_a_round_top_and_at_most_five_steps():
    assert charts.axis_top(0) == (5, 1)
    assert charts.axis_top(3) == (3, 1)
    assert charts.axis_top(7) == (8, 2)
    assert charts.axis_top(23) == (25, 5)
    assert charts.axis_top(1.5) == (2, 1)
    assert charts.axis_top(480) == (500, 100)


def test_a_month_with_no_times_leaves_a_gap_in_the_line(service):
    first = sent_on(datetime.date(2025, 2, 3), service, status="acknowledged")
    dated(first, acknowledged_at=at(datetime.date(2025, 2, 4)))
    later = sent_on(datetime.date(2025, 4, 7), service, status="acknowledged")
    dated(later, acknowledged_at=at(datetime.date(2025, 4, 9)))

    chart = charts.times_chart(reports.service_report(service, months=6, today=TODAY))

    acknowledge = next(line for line in chart.lines if line.series == "acknowledge")
    assert [point.value for point in acknowledge.points] == [1, 2]
    assert acknowledge.path.count("M") == 2  # two separate pieces, not joined across March
    assert "1.5 working days to acknowledge" in chart.description
