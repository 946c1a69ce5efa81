"""Check the tamper-evident audit (docs/security.md, "Tamper-evident audit"): every link of
the hash chain, and every audit record it seals. Exits with an error if anything was
changed, deleted, reordered or inserted outside the chain. Example::

    manage.py verify_audit_chain --seal
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from joinedup.sharing.chain import PROBLEM_KINDS, seal_pending, verify_chain


class Command(BaseCommand):
    help = "Verify the tamper-evident audit chain and every record it seals."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--seal",
            action="store_true",
            help="Seal records not yet in the chain first (otherwise nothing is written).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["seal"]:
            sealed = seal_pending()
            self.stdout.write(f"Sealed {sealed.total} record(s) not yet in the chain.")
        result = verify_chain()
        for _kind, message in result.problems:
            self.stdout.write(self.style.ERROR(message))
        for kind, count in result.problem_counts.items():
            shown = sum(1 for problem_kind, _ in result.problems if problem_kind == kind)
            if count > shown:
                self.stdout.write(f"… and {count - shown} more {PROBLEM_KINDS[kind]}.")
        for message in result.redacted:
            self.stdout.write(message)
        if result.redacted_count > len(result.redacted):
            self.stdout.write(
                f"… and {result.redacted_count - len(result.redacted)} more redacted by retention."
            )
        streams = ", ".join(
            f"{name} {count:,}" for name, count in sorted(result.per_stream.items())
        )
        self.stdout.write(
            f"Checked {result.links:,} link(s) in {len(result.per_stream)} kind(s) of record"
            + (f" ({streams})" if streams else "")
            + f" in {result.seconds:.1f} seconds."
        )
        if result.redacted_count:
            self.stdout.write(
                f"{result.redacted_count} record(s) redacted by retention (expected, not changes)."
            )
        awaiting = sum(result.awaiting.values())
        if awaiting:
            self.stdout.write(
                f"{awaiting} record(s) are not sealed yet; seal_audit_chain (or --seal) will "
                "seal them."
            )
        self.stdout.write(
            f"Head of the chain: link {result.head_sequence}, hash {result.head_hash}. "
            "Record this hash outside Joined Up: a later check can then prove the chain up "
            "to here was not rewritten."
        )
        if not result.ok:
            summary = "; ".join(
                f"{count} {PROBLEM_KINDS[kind]}" for kind, count in result.problem_counts.items()
            )
            raise CommandError(f"The audit has been tampered with: {summary}.")
        self.stdout.write(self.style.SUCCESS("The audit is intact: nothing was changed."))
