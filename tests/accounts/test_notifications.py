"""Notifications in the app (the list, opening one, marking all read, the header's unread
count, choosing emails) and the daily digest email (manage.py send_notification_digest)."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from joinedup.accounts.models import Notification, NotificationEmails
from joinedup.accounts.notifications import notify
from tests.factories import PractitionerFactory
from tests.queries import count_queries
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db


def note(
    person, subject: str, *, url: str = "/referrals/1/", ago: datetime.timedelta | None = None, **kw
):
    (notification,) = notify([person], subject=subject, url=url, **kw)
    if ago is not None:
        notification.created_at = timezone.now() - ago
        notification.save(update_fields=["created_at"])
    return notification


@pytest.fixture
def person(client):
    practitioner = PractitionerFactory(
        first_name="Nia", notification_emails=NotificationEmails.NONE
    )
    sign_in_verified(client, practitioner)
    return practitioner


# The list ------------------------------------------------------------------------------


def test_the_list_shows_unread_first_then_newest_with_urgent_tagged(client, person):
    read = note(person, "Old and read", ago=datetime.timedelta(hours=3))
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    note(person, "Older unread", ago=datetime.timedelta(hours=2))
    note(person, "Newest unread", is_urgent=True, ago=datetime.timedelta(hours=1))
    note(PractitionerFactory(), "Someone else's")
    page = client.get(reverse("accounts:notifications")).content.decode()
    assert "Someone else" not in page
    positions = [
        page.index(subject) for subject in ("Newest unread", "Older unread", "Old and read")
    ]
    assert positions == sorted(positions)
    assert '<strong class="govuk-tag govuk-tag--red">Urgent</strong>' in page
    assert "Urgent: Newest unread" in page
    # Unread ones are bold buttons that open (and mark read); read ones are plain links.
    assert 'govuk-!-font-weight-bold">Older unread</button>' in page
    assert '<a class="govuk-link" href="/referrals/1/">Old and read</a>' in page


def test_the_list_has_25_to_a_page(client, person):
    for number in range(30):
        note(person, f"Notification number {number:02d}")
    first = client.get(reverse("accounts:notifications")).content.decode()
    second = client.get(reverse("accounts:notifications") + "?page=2").content.decode()
    assert first.count('class="govuk-table__row" id="notification-') == 25
    assert second.count('class="govuk-table__row" id="notification-') == 5
    assert "Page 2 of 2" in second


def test_the_list_queries_stay_flat_as_notifications_grow(client, person):
    note(person, "First")
    url = reverse("accounts:notifications")
    before = count_queries(client, url)
    for number in range(10):
        note(person, f"More {number}", is_urgent=number % 2 == 0)
    assert count_queries(client, url) == before


def test_someone_with_none_is_told_so(client, person):
    assert b"You have no notifications." in client.get(reverse("accounts:notifications")).content


# Opening one, and marking all read -----------------------------------------------------


def test_opening_a_notification_marks_it_read_and_goes_to_what_it_is_about(client, person):
    notification = note(person, "Referral acknowledged", url="/referrals/42/")
    response = client.post(reverse("accounts:notification-read", args=[notification.pk]))
    assert response.status_code == 302
    assert response.headers["Location"] == "/referrals/42/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_reading_again_keeps_the_first_time_it_was_read(client, person):
    notification = note(person, "Referral acknowledged")
    url = reverse("accounts:notification-read", args=[notification.pk])
    client.post(url)
    notification.refresh_from_db()
    first = notification.read_at
    client.post(url)
    notification.refresh_from_db()
    assert notification.read_at == first


def test_a_notification_without_an_address_goes_back_to_the_list(client, person):
    notification = note(person, "Something happened", url="")
    response = client.post(reverse("accounts:notification-read", args=[notification.pk]))
    assert response.headers["Location"] == reverse("accounts:notifications")


def test_an_address_off_this_site_is_not_followed(client, person):
    notification = note(person, "Odd", url="https://elsewhere.example/phish")
    response = client.post(reverse("accounts:notification-read", args=[notification.pk]))
    assert response.headers["Location"] == reverse("accounts:notifications")


def test_nobody_else_may_open_or_mark_a_notification(client, person):
    theirs = note(PractitionerFactory(), "Not yours")
    response = client.post(reverse("accounts:notification-read", args=[theirs.pk]))
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.post(reverse("accounts:notification-read", args=[999999])).status_code == 404


def test_opening_needs_a_post(client, person):
    notification = note(person, "Referral acknowledged")
    url = reverse("accounts:notification-read", args=[notification.pk])
    assert client.get(url).status_code == 405


def test_marking_all_read_marks_only_the_person_s_own(client, person):
    note(person, "One")
    note(person, "Two")
    theirs = note(PractitionerFactory(), "Not yours")
    response = client.post(reverse("accounts:notifications-read-all"), follow=True)
    assert b"2 notifications marked as read." in response.content
    assert not Notification.objects.filter(recipient=person, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


# The header's unread count --------------------------------------------------------------


def test_the_header_shows_how_many_are_unread(client, person):
    note(person, "One")
    note(person, "Two")
    read = note(person, "Three")
    client.post(reverse("accounts:notification-read", args=[read.pk]))
    page = client.get(reverse("home")).content.decode()
    assert (
        'id="header-notifications">Notifications (2<span class="govuk-visually-hidden"> unread'
        in page
    )


def test_the_header_shows_no_count_when_all_are_read(client, person):
    page = client.get(reverse("home")).content.decode()
    assert 'id="header-notifications">Notifications</a>' in page


def test_the_unread_count_costs_one_query(client, person):
    url = reverse("accounts:security")
    before = count_queries(client, url)
    for number in range(5):
        note(person, f"More {number}")
    assert count_queries(client, url) == before


# Choosing emails -----------------------------------------------------------------------


def test_choosing_a_daily_digest(client, person):
    url = reverse("accounts:notification-settings")
    page = client.get(url).content.decode()
    assert 'value="none" checked' in page
    assert page.count('class="govuk-radios__input"') == 3
    response = client.post(url, {"notification_emails": "daily_digest"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.notification_emails == NotificationEmails.DAILY_DIGEST


def test_choosing_nothing_shows_an_error(client, person):
    response = client.post(reverse("accounts:notification-settings"), {})
    assert response.status_code == 200
    assert b"There is a problem" in response.content
    assert b"Choose how you want to get emails about notifications" in response.content


def test_an_unknown_choice_is_refused(client, person):
    response = client.post(reverse("accounts:notification-settings"), {"notification_emails": "x"})
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.notification_emails == NotificationEmails.NONE


# The daily digest -----------------------------------------------------------------------


def digest(*args: str) -> str:
    out = StringIO()
    call_command("send_notification_digest", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def reader(settings):
    settings.SITE_URL = "https://joinedup.example.org"
    return PractitionerFactory(
        first_name="Dee", email="dee@example.org", notification_emails="daily_digest"
    )


def test_the_digest_lists_the_day_s_notifications_with_links_once(reader):
    note(
        reader,
        "Referral acknowledged: R000001",
        url="/referrals/1/",
        ago=datetime.timedelta(hours=5),
    )
    note(reader, "Referral declined: R000002", url="/referrals/2/", is_urgent=True)
    mail.outbox.clear()
    assert "Emailed a digest to 1 people." in digest()
    (email,) = mail.outbox
    assert email.to == ["dee@example.org"]
    assert email.subject == "Joined Up: 2 new notifications"
    assert "Hello Dee," in email.body
    assert "- Urgent: Referral declined: R000002" in email.body
    assert "https://joinedup.example.org/referrals/2/" in email.body
    assert "https://joinedup.example.org/referrals/1/" in email.body
    assert "https://joinedup.example.org/accounts/notifications/" in email.body
    assert email.body.index("R000002") < email.body.index("R000001")
    assert not Notification.objects.filter(recipient=reader, emailed_at__isnull=True).exists()
    mail.outbox.clear()
    digest()
    assert mail.outbox == []


def test_the_next_digest_has_only_what_came_since(reader):
    note(reader, "First day")
    digest()
    note(reader, "Second day")
    mail.outbox.clear()
    digest()
    (email,) = mail.outbox
    assert email.subject == "Joined Up: 1 new notification"
    assert "Second day" in email.body
    assert "First day" not in email.body


def test_nothing_is_sent_when_there_is_nothing_new(reader):
    mail.outbox.clear()
    assert "Emailed a digest to 0 people." in digest()
    assert mail.outbox == []


def test_only_people_who_chose_a_digest_get_one(reader):
    each = PractitionerFactory(notification_emails="each")
    none = PractitionerFactory(notification_emails="none")
    inactive = PractitionerFactory(notification_emails="daily_digest", is_active=False)
    no_address = PractitionerFactory(notification_emails="daily_digest", email="")
    for person in (each, none, no_address):
        note(person, "Something")
    Notification.objects.create(recipient=inactive, subject="Something")
    mail.outbox.clear()
    digest()
    assert mail.outbox == []


def test_a_first_digest_leaves_out_old_news(reader):
    note(reader, "A fortnight ago", ago=datetime.timedelta(days=14))
    note(reader, "Yesterday", ago=datetime.timedelta(days=1))
    mail.outbox.clear()
    digest()
    (email,) = mail.outbox
    assert "Yesterday" in email.body
    assert "A fortnight ago" not in email.body


def test_switching_from_each_to_digest_starts_after_the_last_email(
    reader, django_capture_on_commit_callbacks
):
    reader.notification_emails = "each"
    reader.save()
    with django_capture_on_commit_callbacks(execute=True):
        note(reader, "Emailed on its own")
    reader.notification_emails = "daily_digest"
    reader.save()
    note(reader, "Since switching")
    mail.outbox.clear()
    digest()
    (email,) = mail.outbox
    assert "Since switching" in email.body
    assert "Emailed on its own" not in email.body


def test_a_dry_run_says_who_would_be_emailed_and_sends_nothing(reader):
    note(reader, "Something")
    mail.outbox.clear()
    out = digest("--dry-run")
    assert f"Would email {reader.username} <dee@example.org>: 1 notifications" in out
    assert mail.outbox == []
    assert Notification.objects.filter(recipient=reader, emailed_at__isnull=True).exists()
