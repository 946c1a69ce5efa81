"""Tell people about consents that need attention (issue 6; sharing.consent_reviews):

- the practitioner who recorded a consent, when its review date has come (once for each
  version);
- the members of the team around the child who lost access because a consent expired
  (today or yesterday; once each).

Access itself narrows on the expiry date without this command (sharing.policy reads the
consent's dates). Run it daily (docs/operations.md). Example::

    manage.py review_consents --dry-run
"""

from __future__ import annotations

from typing import Any

from joinedup.commands import DailyNoticeCommand
from joinedup.sharing.consent_reviews import expiry_notices, review_notices, tell


class Command(DailyNoticeCommand):
    today_help = "Judge the dates as on this day."
    dry_run_help = "Say who would be told; tell nobody."
    help = (
        "Notify the recorder of each consent due for review, and the team members who lost "
        "access because a consent expired (once each)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        today = self.today(options)
        reviews = review_notices(today)
        expiries = expiry_notices(today)
        if options["dry_run"]:
            people = 0
            for notice in [*reviews, *expiries]:
                for person in notice.recipients:
                    name = person.get_full_name() or person.username
                    self.stdout.write(f"Would tell {name} ({person.username}): {notice.subject}")
                    people += 1
            self.stdout.write(
                self.style.SUCCESS(
                    f"Would send {people} notifications: {len(reviews)} consents due for "
                    f"review, {len(expiries)} expired."
                )
            )
            return
        made = tell(reviews) + tell(expiries)
        self.stdout.write(
            self.style.SUCCESS(
                f"Sent {made} notifications: {len(reviews)} consents due for review, "
                f"{len(expiries)} expired."
            )
        )
