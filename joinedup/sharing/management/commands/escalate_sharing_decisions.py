"""Escalate decisions to share without consent that nobody confirmed in time
(docs/security.md, "Sharing without consent"): each is escalated once to the data
protection leads of the decider's partnerships, who may then confirm it. Run it hourly
(docs/operations.md): a decision is due SHARING_DECISION_CONFIRM_HOURS after it was made.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from joinedup.sharing.sharing_decisions import escalate_overdue_sharing_decisions


class Command(BaseCommand):
    help = (
        "Escalate each decision to share without consent not confirmed in time to the data "
        "protection leads (once per decision)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        escalated = escalate_overdue_sharing_decisions()
        self.stdout.write(
            self.style.SUCCESS(
                f"Escalated {escalated} decision{'' if escalated == 1 else 's'} to share "
                "without consent."
            )
        )
