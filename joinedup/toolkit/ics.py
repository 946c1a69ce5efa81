"""A partnership's meeting schedule as an RFC 5545 calendar file, through icalendar (the
same library as casework review invitations)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.utils import timezone
from icalendar import Calendar, Event

from joinedup.partnerships.models import Partnership
from joinedup.toolkit.models import MeetingStatus, PartnershipMeeting

# How long a timed meeting is shown to last in the calendar: a usual partnership meeting.
MEETING_LENGTH = timedelta(hours=2)


def schedule_calendar(partnership: Partnership, meetings: Iterable[PartnershipMeeting]) -> bytes:
    """One VEVENT per meeting that is not cancelled: timed when a start time is known,
    otherwise an all-day event on the meeting's date."""
    calendar = Calendar()
    calendar.add("prodid", "-//Joined Up//Partnership meetings//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"{partnership.name} meetings")
    stamp = timezone.now()
    for meeting in meetings:
        if meeting.status == MeetingStatus.CANCELLED:
            continue
        event = Event()
        event.add("uid", f"partnership-meeting-{meeting.pk}@joinedup")
        event.add("dtstamp", stamp)
        if meeting.starts_at is not None:
            starts = timezone.make_aware(datetime.combine(meeting.held_on, meeting.starts_at))
            event.add("dtstart", starts)
            event.add("dtend", starts + MEETING_LENGTH)
        else:
            event.add("dtstart", meeting.held_on)
            event.add("dtend", meeting.held_on + timedelta(days=1))
        event.add("summary", f"{partnership.name}: partnership meeting")
        if meeting.location:
            event.add("location", meeting.location)
        if meeting.agenda:
            event.add("description", meeting.agenda)
        calendar.add_component(event)
    return calendar.to_ical()
