"""Receive a referral made in another system (a FHIR R4 Bundle in JSON) for a service.

    manage.py import_fhir_referral referral.json --service brook-lane-nurture-group --as jsmith

The person named by --as must be staff of the service (one of its maintainers): they are
recorded as the referral's referrer in Joined Up. Exits with status 1, saving nothing,
when the bundle is refused, printing each problem.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser

from joinedup.accounts.models import Practitioner
from joinedup.referrals import fhir
from joinedup.referrals.models import Service


class Command(BaseCommand):
    help = "Receive a referral from another system (a FHIR R4 Bundle in JSON) for a service."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The FHIR Bundle (JSON).")
        parser.add_argument("--service", required=True, help="The service's slug.")
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The service's staff member receiving the referral.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"There is no file at {path}.")
        service = Service.objects.select_related("agency").filter(slug=options["service"]).first()
        if service is None:
            raise CommandError(f"There is no service with the slug {options['service']!r}.")
        person = Practitioner.objects.filter(username=options["username"], is_active=True).first()
        if person is None:
            raise CommandError(f"There is no active account {options['username']!r}.")
        if path.stat().st_size > fhir.MAX_IMPORT_BYTES:
            raise CommandError("The file is larger than 1 MB: a referral is much smaller.")
        try:
            referral = fhir.import_referral(path.read_bytes(), service=service, imported_by=person)
        except PermissionDenied as refused:
            raise CommandError(str(refused)) from None
        except fhir.FhirImportError as refused:
            raise CommandError(
                "The referral was not received:\n"
                + "\n".join(f"- {problem}" for problem in refused.problems)
            ) from None
        self.stdout.write(
            f"Received as referral {referral.reference} for {service.name}: "
            f"{referral.get_status_display().lower()}, for the child with NHS number "
            f"{referral.child.nhs_number_display}."
        )
