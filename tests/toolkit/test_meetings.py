"""Partnership meetings: term dates, the proposed schedule, minutes and actions, the
calendar file, and who may see and change them."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from joinedup.partnerships.models import MembershipRole
from joinedup.toolkit import services
from joinedup.toolkit.ics import schedule_calendar
from joinedup.toolkit.models import MeetingAction, MeetingStatus, PartnershipMeeting, TermDate
from tests.factories import MembershipFactory, PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator_membership():
    return MembershipFactory(role=MembershipRole.COORDINATOR)


@pytest.fixture
def partnership(coordinator_membership):
    return coordinator_membership.partnership


@pytest.fixture
def coordinator(coordinator_membership):
    return coordinator_membership.practitioner


@pytest.fixture
def member(partnership):
    return MembershipFactory(partnership=partnership).practitioner


def enter_year(partnership, first_year: int) -> list[TermDate]:
    """Three terms of a school year starting in September ``first_year``."""
    y = first_year
    return [
        services.add_term_date(
            partnership=partnership,
            name=f"Autumn {y}",
            starts_on=datetime.date(y, 9, 2),
            ends_on=datetime.date(y, 12, 18),
            half_term_starts_on=datetime.date(y, 10, 26),
            half_term_ends_on=datetime.date(y, 10, 30),
        ),
        services.add_term_date(
            partnership=partnership,
            name=f"Spring {y + 1}",
            starts_on=datetime.date(y + 1, 1, 5),
            ends_on=datetime.date(y + 1, 3, 26),
            half_term_starts_on=datetime.date(y + 1, 2, 15),
            half_term_ends_on=datetime.date(y + 1, 2, 19),
        ),
        services.add_term_date(
            partnership=partnership,
            name=f"Summer {y + 1}",
            starts_on=datetime.date(y + 1, 4, 12),
            ends_on=datetime.date(y + 1, 7, 21),
            half_term_starts_on=datetime.date(y + 1, 5, 31),
            half_term_ends_on=datetime.date(y + 1, 6, 4),
        ),
    ]


def test_propose_schedule_skips_half_terms_already_booked(partnership, coordinator):
    enter_year(partnership, 2026)
    start = datetime.date(2026, 9, 1)
    assert len(services.propose_schedule(partnership, start)) == 6
    services.add_meeting(
        partnership=partnership, held_on=datetime.date(2026, 9, 16), created_by=coordinator
    )
    cancelled = services.add_meeting(
        partnership=partnership, held_on=datetime.date(2027, 1, 13), created_by=coordinator
    )
    cancelled.status = MeetingStatus.CANCELLED
    cancelled.save()
    proposed = services.propose_schedule(partnership, start)
    assert len(proposed) == 5  # a cancelled meeting does not count
    planned = services.add_proposed_meetings(
        partnership=partnership, start=start, created_by=coordinator
    )
    assert [meeting.held_on for meeting in planned] == proposed
    assert services.propose_schedule(partnership, start) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"ends_on": datetime.date(2026, 8, 1)}, "on or after its first day"),
        ({"half_term_starts_on": datetime.date(2026, 10, 26)}, "both days"),
        (
            {
                "half_term_starts_on": datetime.date(2027, 1, 1),
                "half_term_ends_on": datetime.date(2027, 1, 5),
            },
            "inside the term",
        ),
    ],
)
def test_term_dates_are_checked(partnership, fields, message):
    values = {
        "name": "Autumn 2026",
        "starts_on": datetime.date(2026, 9, 2),
        "ends_on": datetime.date(2026, 12, 18),
        **fields,
    }
    with pytest.raises(ValidationError, match=message):
        services.add_term_date(partnership=partnership, **values)


def test_terms_may_not_overlap(partnership):
    enter_year(partnership, 2026)
    with pytest.raises(ValidationError, match="overlaps"):
        services.add_term_date(
            partnership=partnership,
            name="Extra",
            starts_on=datetime.date(2026, 12, 1),
            ends_on=datetime.date(2026, 12, 20),
        )


def test_an_action_belongs_to_a_current_member(partnership, coordinator):
    meeting = services.add_meeting(
        partnership=partnership, held_on=datetime.date(2026, 9, 16), created_by=coordinator
    )
    with pytest.raises(ValidationError, match="current member"):
        services.add_meeting_action(
            meeting=meeting, description="Share the protocol", owner=PractitionerFactory()
        )


def test_the_calendar_file_has_one_event_per_meeting_not_cancelled(partnership, coordinator):
    timed = services.add_meeting(
        partnership=partnership,
        held_on=datetime.date(2026, 9, 16),
        starts_at=datetime.time(14, 0),
        location="Room 2; Town Hall, Hillside",
        agenda="Welcome\nOur purpose, again",
        created_by=coordinator,
    )
    services.add_meeting(
        partnership=partnership, held_on=datetime.date(2026, 11, 11), created_by=coordinator
    )
    cancelled = services.add_meeting(
        partnership=partnership, held_on=datetime.date(2027, 1, 13), created_by=coordinator
    )
    cancelled.status = MeetingStatus.CANCELLED
    cancelled.save()

    body = schedule_calendar(partnership, PartnershipMeeting.objects.all())
    assert body.startswith(b"BEGIN:VCALENDAR\r\n")
    assert b"\r\nEND:VCALENDAR\r\n" in body
    assert b"Room 2\\; Town Hall\\, Hillside" in body  # RFC 5545 escaping
    events = Calendar.from_ical(body).walk("VEVENT")
    assert len(events) == 2
    first, second = events
    assert str(first["uid"]) == f"partnership-meeting-{timed.pk}@joinedup"
    assert first.decoded("dtstart") == timezone.make_aware(datetime.datetime(2026, 9, 16, 14, 0))
    assert str(first["description"]) == "Welcome\nOur purpose, again"
    assert second.decoded("dtstart") == datetime.date(2026, 11, 11)  # all day


# Pages ----------------------------------------------------------------------------------


def test_members_see_the_schedule_and_others_are_refused(client, partnership, member):
    enter_year(partnership, timezone.localdate().year)
    url = reverse("toolkit:meetings", args=[partnership.pk])
    sign_in_verified(client, member)
    response = client.get(url)
    assert response.status_code == 200
    assert b"Proposed dates for the next twelve months" in response.content
    assert b"Plan meetings on these dates" not in response.content  # not a coordinator
    client.logout()
    sign_in_verified(client, PractitionerFactory())
    assert client.get(url).status_code == 403
    assert client.get(reverse("toolkit:term-dates", args=[partnership.pk])).status_code == 403
    assert client.get(reverse("toolkit:meetings-ics", args=[partnership.pk])).status_code == 403


def test_a_member_cannot_plan_meetings(client, partnership, member):
    sign_in_verified(client, member)
    assert client.get(reverse("toolkit:add-meeting", args=[partnership.pk])).status_code == 403
    assert client.get(reverse("toolkit:add-term-date", args=[partnership.pk])).status_code == 403


def test_the_coordinator_enters_a_term_and_plans_a_meeting(client, partnership, coordinator):
    sign_in_verified(client, coordinator)
    response = client.post(
        reverse("toolkit:add-term-date", args=[partnership.pk]),
        {"name": "Autumn 2026", "starts_on": "2026-09-02", "ends_on": "2026-12-18"},
    )
    assert response.status_code == 302
    assert TermDate.objects.get().name == "Autumn 2026"
    response = client.post(
        reverse("toolkit:add-meeting", args=[partnership.pk]),
        {"held_on": "2026-09-16", "starts_at": "14:00", "location": "Town Hall"},
    )
    meeting = PartnershipMeeting.objects.get()
    assert response.headers["Location"] == reverse("toolkit:meeting", args=[meeting.pk])
    assert meeting.created_by == coordinator and meeting.status == MeetingStatus.PLANNED


def test_the_term_form_shows_the_services_errors(client, partnership, coordinator):
    sign_in_verified(client, coordinator)
    response = client.post(
        reverse("toolkit:add-term-date", args=[partnership.pk]),
        {"name": "Autumn", "starts_on": "2026-09-02", "ends_on": "2026-08-18"},
    )
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert not TermDate.objects.exists()


def test_minutes_and_actions_are_recorded(client, partnership, coordinator, member):
    meeting = services.add_meeting(
        partnership=partnership, held_on=datetime.date(2026, 9, 16), created_by=coordinator
    )
    sign_in_verified(client, coordinator)
    meeting.starts_at = datetime.time(14, 0)
    meeting.save()
    page = client.get(reverse("toolkit:meeting", args=[meeting.pk])).content.decode()
    assert 'name="starts_at" type="text" value="14:00"' in page  # parses back as it shows
    response = client.post(
        reverse("toolkit:record-meeting", args=[meeting.pk]),
        {
            "held_on": "2026-09-16",
            "starts_at": "14:00",
            "status": "held",
            "minutes": "We agreed the protocol.",
        },
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.HELD and meeting.minutes == "We agreed the protocol."
    response = client.post(
        reverse("toolkit:add-meeting-action", args=[meeting.pk]),
        {"description": "Circulate the protocol", "owner": member.pk, "due_on": "2026-09-30"},
    )
    assert response.status_code == 302
    action = MeetingAction.objects.get()
    assert action.owner == member
    client.post(reverse("toolkit:complete-meeting-action", args=[action.pk]))
    action.refresh_from_db()
    assert action.done_on == timezone.localdate()


def test_a_meeting_cannot_be_held_in_the_future(client, partnership, coordinator):
    meeting = services.add_meeting(
        partnership=partnership,
        held_on=timezone.localdate() + datetime.timedelta(days=7),
        created_by=coordinator,
    )
    sign_in_verified(client, coordinator)
    response = client.post(
        reverse("toolkit:record-meeting", args=[meeting.pk]),
        {"held_on": meeting.held_on.isoformat(), "status": "held"},
    )
    assert response.status_code == 200
    assert b"cannot be recorded as held before its date" in response.content


def test_a_member_sees_a_meeting_but_does_not_change_it(client, partnership, coordinator, member):
    meeting = services.add_meeting(
        partnership=partnership, held_on=datetime.date(2026, 9, 16), created_by=coordinator
    )
    sign_in_verified(client, member)
    response = client.get(reverse("toolkit:meeting", args=[meeting.pk]))
    assert response.status_code == 200
    assert b"Record the meeting" not in response.content
    response = client.post(
        reverse("toolkit:record-meeting", args=[meeting.pk]),
        {"held_on": "2026-09-16", "status": "cancelled"},
    )
    assert response.status_code == 403


def test_the_calendar_download(client, partnership, member, coordinator):
    services.add_meeting(
        partnership=partnership, held_on=datetime.date(2026, 9, 16), created_by=coordinator
    )
    sign_in_verified(client, member)
    response = client.get(reverse("toolkit:meetings-ics", args=[partnership.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert len(Calendar.from_ical(response.content).walk("VEVENT")) == 1


def test_the_schedule_page_makes_the_same_queries_however_many_meetings(
    client, partnership, coordinator
):
    enter_year(partnership, timezone.localdate().year)
    sign_in_verified(client, coordinator)
    url = reverse("toolkit:meetings", args=[partnership.pk])

    def add(count: int) -> None:
        for _ in range(count):
            meeting = services.add_meeting(
                partnership=partnership, held_on=timezone.localdate(), created_by=coordinator
            )
            services.add_meeting_action(meeting=meeting, description="Do it", owner=coordinator)

    add(1)
    few = count_queries(client, url)
    add(5)
    assert count_queries(client, url) == few
