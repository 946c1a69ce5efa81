"""Timeliness: which referrals are overdue, the home page's referral flags, and the daily
flag_overdue_referrals command that tells the service's staff and the referrer once."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from joinedup.accounts.models import Notification, NotificationEmails
from joinedup.referrals import lifecycle, timeliness
from joinedup.referrals.models import Referral
from tests.factories import AdministratorFactory, PractitionerFactory
from tests.queries import count_queries
from tests.referrals.factories import ServiceFactory, make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 6, 10)
YESTERDAY = TODAY - datetime.timedelta(days=1)
TOMORROW = TODAY + datetime.timedelta(days=1)


def referral(status: str, *, acknowledge_by=None, decide_by=None, **options) -> Referral:
    """A referral moved on to ``status`` whose due dates are set as given."""
    made = make_referral(status=status, **options)
    Referral.objects.filter(pk=made.pk).update(
        acknowledge_by=acknowledge_by or TOMORROW, decide_by=decide_by or TOMORROW
    )
    made.refresh_from_db()
    return made


# Overdue -------------------------------------------------------------------------------


def test_a_sent_referral_is_overdue_to_acknowledge_the_day_after_its_date():
    late = referral("sent", acknowledge_by=YESTERDAY)
    on_the_day = referral("sent", acknowledge_by=TODAY)
    assert timeliness.is_overdue_to_acknowledge(late, TODAY)
    assert not timeliness.is_overdue_to_acknowledge(on_the_day, TODAY)
    assert timeliness.is_overdue_to_acknowledge(on_the_day, TOMORROW)


def test_an_acknowledged_referral_is_no_longer_late_to_acknowledge_but_can_be_late_to_decide():
    answered = referral("acknowledged", acknowledge_by=YESTERDAY, decide_by=YESTERDAY)
    assert not timeliness.is_overdue_to_acknowledge(answered, TODAY)
    assert timeliness.is_overdue_to_decide(answered, TODAY)
    assert timeliness.is_overdue(answered, TODAY)


@pytest.mark.parametrize("status", ["draft", "accepted", "declined", "started", "withdrawn"])
def test_a_referral_decided_or_never_sent_is_never_overdue(status):
    made = referral(status, acknowledge_by=YESTERDAY, decide_by=YESTERDAY)
    assert not timeliness.is_overdue(made, TODAY)


def test_the_queryset_filters_agree_with_the_rules_for_one_referral():
    made = [
        referral(status, acknowledge_by=ack, decide_by=decide)
        for status in ("sent", "acknowledged", "accepted", "declined")
        for ack, decide in ((YESTERDAY, TOMORROW), (TODAY, YESTERDAY), (TOMORROW, TOMORROW))
    ]
    acknowledge = set(
        Referral.objects.filter(timeliness.overdue_to_acknowledge_q(TODAY)).values_list(
            "pk", flat=True
        )
    )
    decide = set(
        Referral.objects.filter(timeliness.overdue_to_decide_q(TODAY)).values_list("pk", flat=True)
    )
    assert acknowledge == {r.pk for r in made if timeliness.is_overdue_to_acknowledge(r, TODAY)}
    assert decide == {r.pk for r in made if timeliness.is_overdue_to_decide(r, TODAY)}
    assert len(acknowledge) == 1
    assert len(decide) == 2
    assert set(timeliness.overdue_referrals(TODAY)) == {
        r for r in made if timeliness.is_overdue(r, TODAY)
    }


# The home page -------------------------------------------------------------------------


@pytest.fixture
def people():
    referrer = PractitionerFactory(first_name="Rita")
    staff = PractitionerFactory(first_name="Sam")
    service = ServiceFactory(
        accepts_referrals_in_app=True, name="Speech Therapy", slug="speech-therapy"
    )
    service.maintainers.add(staff)
    return {"referrer": referrer, "staff": staff, "service": service}


def test_the_referrer_sees_their_overdue_referrals_counted(people):
    mine = {"referrer": people["referrer"], "service": people["service"]}
    referral("sent", acknowledge_by=YESTERDAY, urgency="urgent", **mine)
    referral("acknowledged", decide_by=YESTERDAY, **mine)
    referral("sent", **mine)  # not yet due
    referral("sent", acknowledge_by=YESTERDAY)  # someone else's
    flags = timeliness.referral_flags(people["referrer"], TODAY)
    assert flags is not None
    assert (flags.made_late_to_acknowledge, flags.made_late_to_decide) == (1, 1)
    assert flags.made_overdue == 2
    assert flags.made_overdue_urgent == 1


def test_the_service_s_staff_see_new_overdue_and_urgent_referrals(people):
    to_service = {"service": people["service"]}
    referral("sent", **to_service)  # new
    referral("sent", acknowledge_by=YESTERDAY, **to_service)  # new and overdue
    referral("acknowledged", urgency="urgent", **to_service)  # urgent, waiting for a decision
    referral("acknowledged", **to_service)  # nothing to flag
    referral("declined", urgency="urgent", **to_service)  # ended
    flags = timeliness.referral_flags(people["staff"], TODAY)
    assert flags is not None
    (service,) = flags.services
    assert (service.service_name, service.new, service.overdue, service.urgent) == (
        "Speech Therapy",
        2,
        1,
        1,
    )
    assert service.url == "/services/speech-therapy/referrals/"
    assert flags.made_overdue == 0


def test_referrals_to_a_service_outside_joined_up_are_flagged_to_the_referrer_only(people):
    outside = ServiceFactory(
        accepts_referrals_in_app=False,
        how_to_refer_outside="email",
        referral_address="referrals@outside.example",
    )
    outside.maintainers.add(people["staff"])
    referral("sent", acknowledge_by=YESTERDAY, service=outside, referrer=people["referrer"])
    assert timeliness.referral_flags(people["staff"], TODAY).services == ()
    assert timeliness.referral_flags(people["referrer"], TODAY).made_late_to_acknowledge == 1


def test_administrators_have_no_referral_flags():
    assert timeliness.referral_flags(AdministratorFactory(), TODAY) is None


def test_the_flags_take_two_queries_however_many_referrals(people, django_assert_num_queries):
    for _ in range(3):
        referral("sent", acknowledge_by=YESTERDAY, service=people["service"])
        ServiceFactory(accepts_referrals_in_app=True).maintainers.add(people["staff"])
    with django_assert_num_queries(2):
        timeliness.referral_flags(people["staff"], TODAY)


def test_the_home_page_shows_the_flags_with_links_and_urgent_highlighted(client, people):
    referral(
        "sent",
        acknowledge_by=YESTERDAY,
        urgency="urgent",
        referrer=people["referrer"],
        service=people["service"],
    )
    sign_in_verified(client, people["staff"])
    page = client.get(reverse("home")).content.decode()
    assert "Referrals to Speech Therapy" in page
    assert 'href="/services/speech-therapy/referrals/"' in page
    assert '<strong class="govuk-tag govuk-tag--red">Urgent</strong>' in page
    client.logout()
    sign_in_verified(client, people["referrer"])
    page = client.get(reverse("home")).content.decode()
    assert "Referrals you made that are overdue" in page
    assert 'href="/referrals/"' in page
    assert '<strong class="govuk-tag govuk-tag--red">Urgent</strong>' in page


def test_the_home_page_says_nothing_about_referrals_when_none_need_attention(client, people):
    sign_in_verified(client, people["referrer"])
    assert b"Your referrals" not in client.get(reverse("home")).content


def test_the_home_page_queries_stay_flat_as_referrals_grow(client, people):
    sign_in_verified(client, people["staff"])
    referral("sent", acknowledge_by=YESTERDAY, service=people["service"])
    before = count_queries(client, reverse("home"))
    for _ in range(4):
        referral("acknowledged", decide_by=YESTERDAY, service=people["service"])
        other = ServiceFactory(accepts_referrals_in_app=True)
        other.maintainers.add(people["staff"])
        referral("sent", urgency="urgent", service=other)
    assert count_queries(client, reverse("home")) == before


# Telling people: manage.py flag_overdue_referrals --------------------------------------


def run(*args: str) -> str:
    out = StringIO()
    call_command("flag_overdue_referrals", *args, stdout=out)
    return out.getvalue()


def overdue_notifications(kind: str = "") -> list[Notification]:
    kinds = [kind] if kind else [timeliness.OVERDUE_TO_ACKNOWLEDGE, timeliness.OVERDUE_TO_DECIDE]
    return list(Notification.objects.filter(kind__in=kinds).order_by("pk"))


def test_the_staff_and_the_referrer_are_told_once_when_a_referral_is_late_to_acknowledge(
    people,
):
    late = referral(
        "sent", acknowledge_by=YESTERDAY, referrer=people["referrer"], service=people["service"]
    )
    assert "Sent 2 notifications about 1 overdue referrals" in run("--today", TODAY.isoformat())
    told = overdue_notifications(timeliness.OVERDUE_TO_ACKNOWLEDGE)
    assert {n.recipient for n in told} == {people["staff"], people["referrer"]}
    assert all(n.url == reverse("referrals:referral", args=[late.pk]) for n in told)
    by_person = {n.recipient: n for n in told}
    assert by_person[people["staff"]].subject.startswith(
        f"Overdue: acknowledge referral {late.reference} for "
    )
    assert by_person[people["referrer"]].subject.startswith(
        f"Overdue: Speech Therapy has not acknowledged referral {late.reference}"
    )
    assert "Tuesday 9 June 2026" in by_person[people["referrer"]].body
    # The next day's run tells nobody again.
    run("--today", TOMORROW.isoformat())
    assert len(overdue_notifications()) == 2


def test_a_late_decision_is_told_separately_after_a_late_acknowledgement(people):
    late = referral(
        "sent",
        acknowledge_by=YESTERDAY,
        decide_by=TOMORROW,
        referrer=people["referrer"],
        service=people["service"],
    )
    run("--today", TODAY.isoformat())
    lifecycle.acknowledge(late, by=people["staff"])
    run("--today", TOMORROW.isoformat())
    assert overdue_notifications(timeliness.OVERDUE_TO_DECIDE) == []
    run("--today", (TOMORROW + datetime.timedelta(days=1)).isoformat())
    decided = overdue_notifications(timeliness.OVERDUE_TO_DECIDE)
    assert {n.recipient for n in decided} == {people["staff"], people["referrer"]}
    assert (
        "Overdue: decide on referral" in {n.recipient: n for n in decided}[people["staff"]].subject
    )
    run("--today", (TOMORROW + datetime.timedelta(days=2)).isoformat())
    assert len(overdue_notifications()) == 4


def test_urgent_referrals_are_told_as_urgent(people):
    referral("sent", acknowledge_by=YESTERDAY, urgency="urgent", service=people["service"])
    run("--today", TODAY.isoformat())
    told = overdue_notifications()
    assert told and all(n.is_urgent and n.subject.startswith("Urgent: Overdue") for n in told)


def test_for_a_service_outside_joined_up_only_the_referrer_is_told(people):
    outside = ServiceFactory(
        accepts_referrals_in_app=False,
        how_to_refer_outside="email",
        referral_address="referrals@outside.example",
    )
    outside.maintainers.add(people["staff"])
    referral("sent", acknowledge_by=YESTERDAY, service=outside, referrer=people["referrer"])
    run("--today", TODAY.isoformat())
    (told,) = overdue_notifications()
    assert told.recipient == people["referrer"]
    assert "record its reply" in told.body


def test_deactivated_staff_are_not_told(people):
    gone = PractitionerFactory(is_active=False)
    people["service"].maintainers.add(gone)
    referral("sent", acknowledge_by=YESTERDAY, service=people["service"])
    run("--today", TODAY.isoformat())
    assert gone not in {n.recipient for n in overdue_notifications()}


def test_people_who_want_an_email_for_each_are_emailed(people, django_capture_on_commit_callbacks):
    people["staff"].notification_emails = NotificationEmails.EACH
    people["staff"].save()
    people["referrer"].notification_emails = NotificationEmails.NONE
    people["referrer"].save()
    referral(
        "sent", acknowledge_by=YESTERDAY, referrer=people["referrer"], service=people["service"]
    )
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        run("--today", TODAY.isoformat())
    assert [message.to for message in mail.outbox] == [[people["staff"].email]]
    assert mail.outbox[0].subject.startswith("Overdue: acknowledge referral")


def test_a_dry_run_says_who_would_be_told_and_tells_nobody(people):
    referral(
        "sent", acknowledge_by=YESTERDAY, referrer=people["referrer"], service=people["service"]
    )
    out = run("--today", TODAY.isoformat(), "--dry-run")
    assert f"Would tell {people['staff'].get_full_name()} ({people['staff'].username})" in out
    assert f"({people['referrer'].username}): Overdue: Speech Therapy has not" in out
    assert "Would send 2 notifications about 1 overdue referrals" in out
    assert overdue_notifications() == []


def test_nothing_overdue_tells_nobody(people):
    referral("sent", referrer=people["referrer"], service=people["service"])
    assert "Sent 0 notifications about 0 overdue referrals" in run("--today", TODAY.isoformat())
    assert overdue_notifications() == []


def test_a_bad_date_is_refused():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--today must be a date"):
        run("--today", "10/06/2026")
