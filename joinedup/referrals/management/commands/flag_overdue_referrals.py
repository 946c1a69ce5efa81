"""Tell people about referrals that have become overdue: the service has not acknowledged
or decided on a referral by the date it promises (docs/referrals.md, "Timeliness").

The service's staff and the referrer are told once per referral for each of the two
(in the app, and by email as each chooses); later runs do not repeat it. Run it daily
(docs/operations.md). Example::

    manage.py flag_overdue_referrals --dry-run
"""

from __future__ import annotations

from typing import Any

from joinedup.commands import DailyNoticeCommand
from joinedup.referrals.timeliness import overdue_notices, tell_overdue


class Command(DailyNoticeCommand):
    today_help = "Judge lateness as on this day."
    dry_run_help = "Say who would be told; tell nobody."
    help = (
        "Notify the service's staff and the referrer of each referral that has become "
        "overdue to acknowledge or to decide (once per referral for each)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        today = self.today(options)
        notices = overdue_notices(today)
        if options["dry_run"]:
            people = 0
            for notice in notices:
                urgent = "Urgent: " if notice.referral.is_urgent else ""
                for message in notice.messages:
                    for person in message.recipients:
                        name = person.get_full_name() or person.username
                        self.stdout.write(
                            f"Would tell {name} ({person.username}): {urgent}{message.subject}"
                        )
                        people += 1
            self.stdout.write(
                self.style.SUCCESS(
                    f"Would send {people} notifications about {len(notices)} overdue referrals."
                )
            )
            return
        made = tell_overdue(notices)
        self.stdout.write(
            self.style.SUCCESS(f"Sent {made} notifications about {len(notices)} overdue referrals.")
        )
