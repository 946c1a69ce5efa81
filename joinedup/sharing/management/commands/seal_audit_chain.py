"""Seal into the audit hash chain every audit record not yet in it (docs/security.md,
"Tamper-evident audit"). The app seals after each write; run this every few minutes from
cron to pick up anything a failed or skipped seal left (docs/operations.md). Example::

    manage.py seal_audit_chain
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from joinedup.sharing.chain import seal_pending


class Command(BaseCommand):
    help = "Seal every audit record not yet in the tamper-evident audit chain."

    def handle(self, *args: Any, **options: Any) -> None:
        result = seal_pending()
        detail = ", ".join(f"{name} {count}" for name, count in sorted(result.sealed.items()))
        self.stdout.write(
            self.style.SUCCESS(
                f"Sealed {result.total} record(s)" + (f" ({detail})" if detail else "") + "."
            )
        )
        if result.pending:
            self.stdout.write(
                f"{result.pending} skipped id(s) are waiting for their transactions to commit."
            )
        if result.given_up:
            self.stdout.write(
                f"Gave up waiting for {result.given_up} id(s): their transactions rolled back."
            )
        self.stdout.write(f"Head of the chain: link {result.sequence}, hash {result.head_hash}")
