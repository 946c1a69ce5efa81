"""Referrals as HL7 FHIR, to and from other systems (issue 5, "Swift and easy referral").

FHIR version: **R4B (4.3.0)**, the R4 release line, through the ``fhir.resources.R4B``
models of fhir.resources 8 (whose default models are R5, which we do not use). ServiceRequest
and Task in R4B are structurally the R4 resources, so systems speaking R4 (such as the NHS
UK Core profiles) read what we write.

A referral travels as a Bundle of type "collection":

- **ServiceRequest**: the referral (identifier, status, priority, reason, who is referred,
  by whom and to which service, when it was sent, what is shared and on what basis);
- **Task**: where the referral has got to (focus the ServiceRequest, owner the service),
  with the reason for a decline and the outcome of completed work;
- **Patient**: the child (NHS number when valid, name, date of birth, gender) — nothing
  else of the child's record, whatever parts the referral shares;
- **Practitioner**, **PractitionerRole** and **Organization**: the referrer and their agency;
- **HealthcareService** and **Organization**: the service and its agency.

Joined Up's own vocabulary (shared sections, decline reasons, outcomes, the basis for
sharing, the referral's steps with their times) travels as codings and extensions under
``JOINED_UP_FHIR``; each also has words (notes, texts) for systems that ignore them.

``export_referral`` builds the bundle and validates it by constructing the fhir.resources
models; ``import_referral`` validates a received bundle, finds the child by NHS number and
records the referral for one service in one transaction. Who may do either is decided in
sharing.policy (``can_export_referral_fhir``, ``can_import_referral_fhir``).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import pairwise
from typing import TYPE_CHECKING, Any

import fhir.resources.R4B as fhir_r4b
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from joinedup.children.identifiers import (
    format_nhs_number,
    is_valid_nhs_number,
    normalise_nhs_number,
)
from joinedup.children.models import Child, Involvement, Sex
from joinedup.referrals import notify
from joinedup.referrals.disclosure import recipient_of, record_referral_disclosure
from joinedup.referrals.lifecycle import TRANSITIONS
from joinedup.referrals.models import (
    ConsentGivenBy,
    DeclineReason,
    LawfulBasis,
    Referral,
    ReferralEvent,
    ReferralOutcome,
    ReferralSection,
    ReferralStatus,
    Service,
    SharingBasis,
    Urgency,
)
from joinedup.referrals.working_days import add_working_days
from joinedup.sharing import audit, policy
from joinedup.sharing.models import AccessAction, DisclosureKind

if TYPE_CHECKING:
    from joinedup.accounts.models import Practitioner
    from joinedup.sharing.policy import Decision

S = ReferralStatus

FHIR_VERSION = "4.3.0"
# The FHIR media type, naming the version (https://hl7.org/fhir/R4B/http.html#version-parameter).
MEDIA_TYPE = "application/fhir+json; fhirVersion=4.3"
# The largest bundle accepted: a referral is a few kilobytes.
MAX_IMPORT_BYTES = 1024 * 1024

NHS_NUMBER_SYSTEM = "https://fhir.nhs.uk/Id/nhs-number"
SNOMED = "http://snomed.info/sct"
TASK_CODE_SYSTEM = "http://hl7.org/fhir/CodeSystem/task-code"

# Joined Up's own code systems and extensions: the product's vocabulary, the same in every
# installation (unlike the referral identifier system, settings.FHIR_IDENTIFIER_SYSTEM).
JOINED_UP_FHIR = "https://joinedup.example/fhir"
SECTION_SYSTEM = f"{JOINED_UP_FHIR}/CodeSystem/referral-section"
DECLINE_REASON_SYSTEM = f"{JOINED_UP_FHIR}/CodeSystem/decline-reason"
OUTCOME_SYSTEM = f"{JOINED_UP_FHIR}/CodeSystem/referral-outcome"
STATUS_SYSTEM = f"{JOINED_UP_FHIR}/CodeSystem/referral-status"
TASK_OUTPUT_SYSTEM = f"{JOINED_UP_FHIR}/CodeSystem/task-output"
SHARING_BASIS_SYSTEM = f"{JOINED_UP_FHIR}/CodeSystem/sharing-basis"
LAWFUL_BASIS_SYSTEM = f"{JOINED_UP_FHIR}/CodeSystem/lawful-basis"
CONSENT_GIVEN_BY_SYSTEM = f"{JOINED_UP_FHIR}/CodeSystem/consent-given-by"
SERVICE_IDENTIFIER_SYSTEM = f"{JOINED_UP_FHIR}/Id/service"
SHARING_BASIS_EXTENSION = f"{JOINED_UP_FHIR}/StructureDefinition/sharing-basis"
STEP_EXTENSION = f"{JOINED_UP_FHIR}/StructureDefinition/referral-step"

SERVICE_REQUEST_STATUS: dict[str, str] = {
    S.DRAFT: "draft",
    S.SENT: "active",
    S.ACKNOWLEDGED: "active",
    S.ACCEPTED: "active",
    S.STARTED: "active",
    S.COMPLETED: "completed",
    S.DECLINED: "revoked",
    S.WITHDRAWN: "revoked",
}

TASK_STATUS: dict[str, str] = {
    S.DRAFT: "draft",
    S.SENT: "requested",
    S.ACKNOWLEDGED: "received",
    S.ACCEPTED: "accepted",
    S.DECLINED: "rejected",
    S.STARTED: "in-progress",
    S.COMPLETED: "completed",
    S.WITHDRAWN: "cancelled",
}
STATUS_FROM_TASK = {task: status for status, task in TASK_STATUS.items()}
# Without a Task, the ServiceRequest's status is all there is to go on.
STATUS_FROM_SERVICE_REQUEST = {
    "draft": S.DRAFT,
    "active": S.SENT,
    "on-hold": S.SENT,
    "completed": S.COMPLETED,
    "revoked": S.WITHDRAWN,
}

PRIORITY_FROM_FHIR = {
    "routine": Urgency.ROUTINE,
    "urgent": Urgency.URGENT,
    "asap": Urgency.URGENT,
    "stat": Urgency.URGENT,
}

GENDER: dict[str, str] = {
    Sex.FEMALE: "female",
    Sex.MALE: "male",
    Sex.INDETERMINATE: "other",
    Sex.NOT_KNOWN: "unknown",
}

# The steps of a referral's life in order, and the field holding when each was taken.
_STEP_TIMES: list[tuple[str, str]] = [
    (S.SENT, "sent_at"),
    (S.ACKNOWLEDGED, "acknowledged_at"),
    (S.ACCEPTED, "accepted_at"),
    (S.DECLINED, "declined_at"),
    (S.STARTED, "started_at"),
    (S.COMPLETED, "completed_at"),
    (S.WITHDRAWN, "withdrawn_at"),
]
# The steps that lead to each state, for a received referral that does not list its steps.
_PATH_TO: dict[str, list[str]] = {
    S.SENT: [S.SENT],
    S.ACKNOWLEDGED: [S.SENT, S.ACKNOWLEDGED],
    S.ACCEPTED: [S.SENT, S.ACKNOWLEDGED, S.ACCEPTED],
    S.DECLINED: [S.SENT, S.ACKNOWLEDGED, S.DECLINED],
    S.STARTED: [S.SENT, S.ACKNOWLEDGED, S.ACCEPTED, S.STARTED],
    S.COMPLETED: [S.SENT, S.ACKNOWLEDGED, S.ACCEPTED, S.STARTED, S.COMPLETED],
    S.WITHDRAWN: [S.SENT, S.WITHDRAWN],
}


def identifier_system() -> str:
    """The system of Joined Up's referral identifiers (R000123) in this installation."""
    return str(getattr(settings, "FHIR_IDENTIFIER_SYSTEM", "https://joinedup.example/referral"))


# Export ----------------------------------------------------------------------------------


def _urn(referral: Referral, part: str) -> str:
    """A stable identifier for one resource of a referral's bundle, so exporting twice gives
    the same references."""
    name = f"{identifier_system()}/{referral.reference}/{part}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def _moment(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _coding(system: str, code: str, display: str) -> dict[str, str]:
    return {"system": system, "code": code, "display": display}


def _patient(child: Child) -> dict[str, Any]:
    patient: dict[str, Any] = {
        "resourceType": "Patient",
        "name": [{"use": "official", "family": child.family_name, "given": [child.given_name]}],
        "gender": GENDER.get(child.sex, "unknown"),
        "birthDate": child.date_of_birth.isoformat(),
    }
    if is_valid_nhs_number(child.nhs_number):
        patient["identifier"] = [
            {"system": NHS_NUMBER_SYSTEM, "value": normalise_nhs_number(child.nhs_number)}
        ]
    return patient


def _organization(agency: Any) -> dict[str, Any]:
    organization: dict[str, Any] = {"resourceType": "Organization", "name": agency.name}
    telecom = [
        {"system": system, "value": value, "use": "work"}
        for system, value in (("phone", agency.phone), ("email", agency.email))
        if value
    ]
    if telecom:
        organization["telecom"] = telecom
    return organization


def _referrer_entries(referral: Referral) -> tuple[list[tuple[str, dict[str, Any]]], dict]:
    """The referrer as Practitioner, PractitionerRole and Organization, and the reference
    to use as requester. A referral received from another system names its referrer in
    words only (the person in Joined Up is the one who received it)."""
    if referral.external_referrer:
        return [], {"display": referral.external_referrer}
    referrer = referral.referrer
    name = referrer.get_full_name() or referrer.username
    practitioner: dict[str, Any] = {
        "resourceType": "Practitioner",
        "name": [{"text": name, "family": referrer.last_name, "given": [referrer.first_name]}],
    }
    telecom = [
        {"system": system, "value": value, "use": "work"}
        for system, value in (("phone", referrer.phone), ("email", referrer.email))
        if value
    ]
    if telecom:
        practitioner["telecom"] = telecom
    role: dict[str, Any] = {
        "resourceType": "PractitionerRole",
        "practitioner": {"reference": _urn(referral, "practitioner"), "display": name},
    }
    entries = [(_urn(referral, "practitioner"), practitioner)]
    agency = referral.referrer_agency or referrer.home_agency
    if agency is not None:
        role["organization"] = {
            "reference": _urn(referral, "referrer-organization"),
            "display": agency.name,
        }
        entries.append((_urn(referral, "referrer-organization"), _organization(agency)))
    if referrer.job_title:
        role["code"] = [{"text": referrer.job_title}]
    entries.append((_urn(referral, "practitioner-role"), role))
    return entries, {"reference": _urn(referral, "practitioner-role"), "display": name}


def _service_entries(referral: Referral) -> list[tuple[str, dict[str, Any]]]:
    service = referral.service
    healthcare_service: dict[str, Any] = {
        "resourceType": "HealthcareService",
        "identifier": [{"system": SERVICE_IDENTIFIER_SYSTEM, "value": service.slug}],
        "active": service.is_published,
        "providedBy": {
            "reference": _urn(referral, "service-organization"),
            "display": service.agency.name,
        },
        "name": service.name,
    }
    return [
        (_urn(referral, "service-organization"), _organization(service.agency)),
        (_urn(referral, "service"), healthcare_service),
    ]


def _basis_extension(referral: Referral) -> list[dict[str, Any]]:
    if not referral.sharing_basis:
        return []
    parts: list[dict[str, Any]] = [
        {
            "url": "basis",
            "valueCoding": _coding(
                SHARING_BASIS_SYSTEM,
                referral.sharing_basis,
                referral.get_sharing_basis_display(),
            ),
        }
    ]
    if referral.sharing_basis == SharingBasis.CONSENT:
        if referral.consent_given_by:
            parts.append(
                {
                    "url": "consentGivenBy",
                    "valueCoding": _coding(
                        CONSENT_GIVEN_BY_SYSTEM,
                        referral.consent_given_by,
                        referral.get_consent_given_by_display(),
                    ),
                }
            )
        if referral.consent_given_by_name:
            parts.append(
                {"url": "consentGivenByName", "valueString": referral.consent_given_by_name}
            )
        if referral.consent_given_on:
            parts.append(
                {"url": "consentGivenOn", "valueDate": referral.consent_given_on.isoformat()}
            )
        if referral.consent_competence_note:
            parts.append({"url": "competence", "valueString": referral.consent_competence_note})
    else:
        if referral.lawful_basis:
            parts.append(
                {
                    "url": "lawfulBasis",
                    "valueCoding": _coding(
                        LAWFUL_BASIS_SYSTEM,
                        referral.lawful_basis,
                        referral.get_lawful_basis_display(),
                    ),
                }
            )
        if referral.lawful_reason:
            parts.append({"url": "lawfulReason", "valueString": referral.lawful_reason})
    return [{"url": SHARING_BASIS_EXTENSION, "extension": parts}]


def basis_in_words(referral: Referral) -> str:
    """The basis for sharing as a sentence, for the note beside the extension."""
    if referral.sharing_basis == SharingBasis.CONSENT:
        who = referral.get_consent_given_by_display().lower() or "someone"
        given_on = f" on {referral.consent_given_on:%-d %B %Y}" if referral.consent_given_on else ""
        return (
            f"Information is shared with the consent of {referral.consent_given_by_name} "
            f"({who}){given_on}."
        )
    if referral.sharing_basis == SharingBasis.LAWFUL_REASON:
        return (
            "Information is shared without consent, for a lawful reason: "
            f"{referral.get_lawful_basis_display()}. {referral.lawful_reason}"
        )
    return "The basis for sharing has not been given yet (a draft)."


def _shared_in_words(referral: Referral) -> str:
    parts = ["the referral and the child's name and date of birth", *referral.section_labels()]
    return "Shared with this referral: " + "; ".join(parts) + "."


def _service_request(
    referral: Referral, requester: dict[str, Any], patient: str, performer: str
) -> dict[str, Any]:
    identifiers = [{"system": identifier_system(), "value": referral.reference}]
    if referral.external_identifier:
        system, _, value = referral.external_identifier.rpartition("|")
        external: dict[str, str] = {"value": value}
        if system:
            external["system"] = system
        identifiers.append(external)
    notes = [{"text": _shared_in_words(referral)}, {"text": basis_in_words(referral)}]
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "identifier": identifiers,
        "status": SERVICE_REQUEST_STATUS[referral.status],
        "intent": "order",
        "category": [{"coding": [_coding(SNOMED, "3457005", "Patient referral")]}],
        "priority": referral.urgency,
        "code": {"text": referral.service.name},
        "subject": {"reference": patient, "display": referral.child.full_name},
        "requester": requester,
        "performer": [{"reference": performer, "display": referral.service.name}],
        "reasonCode": [{"text": referral.reason}],
        "supportingInfo": [
            {
                "identifier": {"system": SECTION_SYSTEM, "value": code},
                "display": label,
            }
            for code, label in zip(referral.shared_sections, referral.section_labels(), strict=True)
        ],
        "note": notes,
        "extension": _basis_extension(referral),
    }
    if referral.sent_at:
        request["authoredOn"] = _moment(referral.sent_at)
    return {key: value for key, value in request.items() if value not in ([], None)}


def _steps_extension(referral: Referral) -> list[dict[str, Any]]:
    return [
        {
            "url": STEP_EXTENSION,
            "extension": [
                {"url": "status", "valueCoding": _coding(STATUS_SYSTEM, step, S(step).label)},
                {"url": "at", "valueDateTime": _moment(getattr(referral, name))},
            ],
        }
        for step, name in _STEP_TIMES
        if getattr(referral, name) is not None
    ]


def _last_moment(referral: Referral) -> datetime:
    moments = [getattr(referral, name) for _, name in _STEP_TIMES]
    return max([moment for moment in moments if moment is not None] or [referral.created_at])


def _task(
    referral: Referral,
    requester: dict[str, Any],
    *,
    request: str,
    patient: str,
    owner: str,
) -> dict[str, Any]:
    task: dict[str, Any] = {
        "resourceType": "Task",
        "identifier": [{"system": identifier_system(), "value": f"{referral.reference}-task"}],
        "extension": _steps_extension(referral),
        "basedOn": [{"reference": request}],
        "status": TASK_STATUS[referral.status],
        "businessStatus": {
            "coding": [_coding(STATUS_SYSTEM, referral.status, referral.get_status_display())]
        },
        "intent": "order",
        "priority": referral.urgency,
        "code": {"coding": [_coding(TASK_CODE_SYSTEM, "fulfill", "Fulfill the focal request")]},
        "focus": {"reference": request},
        "for": {"reference": patient, "display": referral.child.full_name},
        "authoredOn": _moment(referral.sent_at or referral.created_at),
        "lastModified": _moment(_last_moment(referral)),
        "requester": requester,
        "owner": {"reference": owner, "display": referral.service.name},
    }
    notes: list[dict[str, str]] = []
    if referral.status == S.DECLINED:
        label = referral.get_decline_reason_display()
        task["statusReason"] = {
            "coding": [_coding(DECLINE_REASON_SYSTEM, referral.decline_reason, label)],
            "text": referral.decline_note or label,
        }
        if referral.suggested_service is not None:
            suggested = referral.suggested_service
            notes.append(
                {"text": f"Suggested instead: {suggested.name} ({suggested.agency.name})."}
            )
    elif referral.status == S.WITHDRAWN and referral.withdrawal_reason:
        task["statusReason"] = {"text": referral.withdrawal_reason}
    if referral.started_at:
        period = {"start": _moment(referral.started_at)}
        if referral.completed_at:
            period["end"] = _moment(referral.completed_at)
        task["executionPeriod"] = period
    if referral.status == S.COMPLETED and referral.outcome:
        label = referral.get_outcome_display()
        task["output"] = [
            {
                "type": {"coding": [_coding(TASK_OUTPUT_SYSTEM, "outcome", "Outcome")]},
                "valueCodeableConcept": {
                    "coding": [_coding(OUTCOME_SYSTEM, referral.outcome, label)],
                    "text": referral.outcome_note or label,
                },
            }
        ]
    if notes:
        task["note"] = notes
    return {key: value for key, value in task.items() if value not in ([], None)}


def export_referral(referral: Referral) -> dict[str, Any]:
    """The referral as a FHIR R4B Bundle (type "collection"): ServiceRequest, Task,
    Patient, the referrer and the service. Validated by constructing the fhir.resources
    models; returned as JSON-ready data. Reads only: the caller records the disclosure
    (see ``disclose_referral``)."""
    patient_urn = _urn(referral, "patient")
    request_urn = _urn(referral, "service-request")
    service_urn = _urn(referral, "service")
    referrer_entries, requester = _referrer_entries(referral)
    entries: list[tuple[str, dict[str, Any]]] = [
        (request_urn, _service_request(referral, requester, patient_urn, service_urn)),
        (
            _urn(referral, "task"),
            _task(referral, requester, request=request_urn, patient=patient_urn, owner=service_urn),
        ),
        (patient_urn, _patient(referral.child)),
        *referrer_entries,
        *_service_entries(referral),
    ]
    bundle = {
        "resourceType": "Bundle",
        "identifier": {"system": identifier_system(), "value": f"{referral.reference}-bundle"},
        "type": "collection",
        "timestamp": timezone.now().isoformat(),
        "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries],
    }
    return dict(Bundle.model_validate(bundle).model_dump(mode="json"))


def disclose_referral(
    referral: Referral, *, practitioner: Practitioner, decision: Decision, path: str = ""
) -> dict[str, Any]:
    """Export the referral and record the disclosure (an access record with the decision),
    in one transaction. Ask sharing.policy.can_export_referral_fhir first."""
    with transaction.atomic():
        bundle = export_referral(referral)
        audit.record_access(
            practitioner=practitioner,
            children=[referral.child],
            decision=decision,
            what=f"FHIR export of referral {referral.reference}",
            path=path,
        )
        # The disclosure log (issue 6): the file leaves Joined Up for another system.
        record_referral_disclosure(
            referral,
            by=practitioner,
            kind=DisclosureKind.FHIR_EXPORT,
            what=f"FHIR export of referral {referral.reference}",
            recipient=f"Another system, as a FHIR file, for {recipient_of(referral)}",
            path=path,
        )
    return bundle


def export_filename(referral: Referral) -> str:
    # No child's name: file names show up in download lists and email attachments.
    return f"referral-{referral.reference}.fhir.json"


# Import ----------------------------------------------------------------------------------


class FhirImportError(Exception):
    """A bundle that cannot be received; ``problems`` says why, in plain English."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass
class ReceivedReferral:
    """What a received bundle says, once checked."""

    identifier: str
    nhs_number: str
    status: str
    reason: str
    urgency: str
    external_referrer: str
    shared_sections: list[str] = field(default_factory=list)
    basis: dict[str, Any] = field(default_factory=dict)
    steps: dict[str, datetime] = field(default_factory=dict)
    decline_reason: str = ""
    decline_note: str = ""
    outcome: str = ""
    outcome_note: str = ""
    withdrawal_reason: str = ""


def _load(bundle_json: bytes | str | dict[str, Any]) -> dict[str, Any]:
    if isinstance(bundle_json, dict):
        data: Any = bundle_json
    else:
        raw = bundle_json.encode() if isinstance(bundle_json, str) else bundle_json
        if len(raw) > MAX_IMPORT_BYTES:
            raise FhirImportError(["The file is larger than 1 MB: a referral is much smaller."])
        if not raw.strip():
            raise FhirImportError(["The file is empty."])
        try:
            data = json.loads(raw.decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise FhirImportError(["The file is not text saved as UTF-8."]) from None
        except json.JSONDecodeError as problem:
            raise FhirImportError(
                [
                    f"The file is not valid JSON: {problem.msg} "
                    f"(line {problem.lineno}, column {problem.colno})."
                ]
            ) from None
        except RecursionError:
            # Arrays or objects nested thousands deep (a hostile file) exhaust the parser's
            # recursion limit: refuse the file rather than fail with a server error.
            raise FhirImportError(
                ["The file is not valid JSON: it is nested too deeply."]
            ) from None
    if not isinstance(data, dict):
        raise FhirImportError(["The file is not a FHIR resource: expected a JSON object."])
    kind = data.get("resourceType")
    if kind != "Bundle":
        found = f"a {kind}" if isinstance(kind, str) and kind else "no resourceType"
        raise FhirImportError([f"The file must be a FHIR Bundle, but it has {found}."])
    return data


def _location(loc: tuple[Any, ...], entries: list[Any]) -> str:
    words: list[str] = []
    position = 0
    if len(loc) >= 2 and loc[0] == "entry" and isinstance(loc[1], int):
        index = loc[1]
        kind = ""
        if index < len(entries) and isinstance(entries[index], dict):
            resource = entries[index].get("resource")
            if isinstance(resource, dict):
                kind = str(resource.get("resourceType") or "")
        words.append(f"Entry {index + 1}" + (f" ({kind})" if kind else ""))
        position = 3 if len(loc) > 2 and loc[2] == "resource" else 2
    path = ""
    for part in loc[position:]:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if path:
        words.append(path)
    return ", ".join(words) or "The bundle"


def _problem(error: Any, entries: list[Any]) -> str:
    where = _location(tuple(error.get("loc", ())), entries)
    kind = str(error.get("type", ""))
    if kind.endswith("missing"):
        return f"{where}: a value is required."
    if kind == "extra_forbidden":
        return f"{where}: this is not a FHIR R4 element here."
    message = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"{where}: {' '.join(message.split())}"


def _validate(data: dict[str, Any]) -> dict[str, Any]:
    """The bundle checked against the fhir.resources R4B models; returned normalised."""
    entries = data.get("entry") or []
    problems: list[str] = []
    if isinstance(entries, list):
        for index, entry in enumerate(entries):
            resource = entry.get("resource") if isinstance(entry, dict) else None
            kind = resource.get("resourceType") if isinstance(resource, dict) else None
            if not isinstance(kind, str) or not kind:
                problems.append(f"Entry {index + 1} has no resource with a resourceType.")
                continue
            try:
                fhir_r4b.get_fhir_model_class(kind)
            except (ValueError, KeyError):
                problems.append(f"Entry {index + 1}: {kind!r} is not a FHIR R4 resource type.")
    if problems:
        raise FhirImportError(problems)
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as invalid:
        raise FhirImportError(
            [
                _problem(error, entries if isinstance(entries, list) else [])
                for error in invalid.errors()
            ]
        ) from None
    except (ValueError, KeyError, TypeError) as invalid:
        raise FhirImportError([f"The bundle is not valid FHIR R4: {invalid}"]) from None
    return dict(bundle.model_dump(mode="json"))


class _Resources:
    """The bundle's resources, found by the references that point at them."""

    def __init__(self, bundle: dict[str, Any]):
        self.resources: list[dict[str, Any]] = []
        self.by_reference: dict[str, dict[str, Any]] = {}
        for entry in bundle.get("entry") or []:
            resource = entry.get("resource")
            if not isinstance(resource, dict):
                continue
            self.resources.append(resource)
            if entry.get("fullUrl"):
                self.by_reference[entry["fullUrl"]] = resource
            if resource.get("id"):
                self.by_reference[f"{resource['resourceType']}/{resource['id']}"] = resource
            for contained in resource.get("contained") or []:
                if contained.get("id"):
                    self.by_reference[f"#{contained['id']}"] = contained

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [resource for resource in self.resources if resource.get("resourceType") == kind]

    def resolve(self, reference: dict[str, Any] | None) -> dict[str, Any] | None:
        if not reference or not reference.get("reference"):
            return None
        target = reference["reference"]
        if target in self.by_reference:
            return self.by_reference[target]
        # An absolute URL ending in Type/id.
        tail = "/".join(target.rstrip("/").split("/")[-2:])
        return self.by_reference.get(tail)


def _codes(concept: dict[str, Any] | None, system: str) -> list[str]:
    if not concept:
        return []
    return [
        coding["code"]
        for coding in concept.get("coding") or []
        if coding.get("system") == system and coding.get("code")
    ]


def _parse_moment(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        try:
            # FHIR allows a year or a year and month alone.
            moment = datetime.combine(date.fromisoformat(value.ljust(10, "-01")[:10]), time())
        except ValueError:
            return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _human_name(resource: dict[str, Any]) -> str:
    """A person's name (a list of HumanName) or an organisation's or service's (a string)."""
    names = resource.get("name")
    if isinstance(names, str):
        return names
    for name in names or []:
        if name.get("text"):
            return str(name["text"])
        words = [*(name.get("prefix") or []), *(name.get("given") or []), name.get("family")]
        text = " ".join(word for word in words if word)
        if text:
            return text
    return ""


def _referrer_words(resources: _Resources, requester: dict[str, Any] | None) -> str:
    if not requester:
        return ""
    target = resources.resolve(requester)
    if target is None:
        return str(requester.get("display") or "")
    kind = target.get("resourceType")
    if kind == "PractitionerRole":
        person = resources.resolve(target.get("practitioner"))
        organisation = resources.resolve(target.get("organization"))
        words = [
            _human_name(person) if person else (target.get("practitioner") or {}).get("display"),
            *[code.get("text") for code in target.get("code") or [] if code.get("text")][:1],
            _human_name(organisation)
            if organisation
            else (target.get("organization") or {}).get("display"),
        ]
        return ", ".join(word for word in words if word)
    return _human_name(target) or str(requester.get("display") or "")


def _extension(resource: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [ext for ext in resource.get("extension") or [] if ext.get("url") == url]


def _parts(extension: dict[str, Any]) -> dict[str, Any]:
    parts: dict[str, Any] = {}
    for part in extension.get("extension") or []:
        value = next((v for k, v in part.items() if k.startswith("value")), None)
        if isinstance(value, dict) and "code" in value:
            value = value["code"]
        parts[part.get("url", "")] = value
    return parts


def _basis(request: dict[str, Any], problems: list[str]) -> dict[str, Any]:
    found = _extension(request, SHARING_BASIS_EXTENSION)
    if not found:
        problems.append(
            "The ServiceRequest does not say on what basis the child's information is shared "
            f"(consent or a lawful reason): it needs the extension {SHARING_BASIS_EXTENSION}."
        )
        return {}
    parts = _parts(found[0])
    basis = parts.get("basis")
    details: dict[str, Any] = {"sharing_basis": basis}
    if basis == SharingBasis.CONSENT:
        given_on = parts.get("consentGivenOn")
        details.update(
            consent_given_by=parts.get("consentGivenBy") or "",
            consent_given_by_name=str(parts.get("consentGivenByName") or "").strip(),
            consent_competence_note=str(parts.get("competence") or "").strip(),
            consent_given_on=date.fromisoformat(given_on[:10]) if given_on else None,
        )
        if details["consent_given_by"] not in ConsentGivenBy.values:
            problems.append("The basis for sharing is consent, but it does not say who gave it.")
        if not details["consent_given_by_name"]:
            problems.append("The basis for sharing is consent, but it does not name who gave it.")
    elif basis == SharingBasis.LAWFUL_REASON:
        details.update(
            lawful_basis=parts.get("lawfulBasis") or "",
            lawful_reason=str(parts.get("lawfulReason") or "").strip(),
        )
        if details["lawful_basis"] not in LawfulBasis.values:
            problems.append("The basis for sharing is a lawful reason, but it does not say which.")
        if not details["lawful_reason"]:
            problems.append(
                "The basis for sharing is a lawful reason, but it does not say why information "
                "is shared without consent."
            )
    else:
        problems.append(
            f"The basis for sharing {basis!r} is not one Joined Up knows: use "
            + " or ".join(repr(code) for code in SharingBasis.values)
            + "."
        )
    return details


def _steps(
    task: dict[str, Any] | None, request: dict[str, Any], status: str
) -> dict[str, datetime]:
    """When each step was taken, in order: from the Task's step extensions when they make
    a path the lifecycle allows to ``status``; else the usual path to it, dated from what
    the resources give (sent when authored, the current state when last modified)."""
    listed: dict[str, datetime] = {}
    for extension in _extension(task or {}, STEP_EXTENSION):
        parts = _parts(extension)
        moment = _parse_moment(parts.get("at"))
        if parts.get("status") in S.values and moment is not None:
            listed[parts["status"]] = moment
    path = [step for step, _ in _STEP_TIMES if step in listed]
    if (
        path
        and path[0] == S.SENT
        and path[-1] == status
        and all(later in TRANSITIONS[earlier] for earlier, later in pairwise(path))
    ):
        return {step: listed[step] for step in path}
    task = task or {}
    sent = _parse_moment(request.get("authoredOn")) or _parse_moment(task.get("authoredOn"))
    latest = _parse_moment(task.get("lastModified")) or sent or timezone.now()
    sent = sent or latest
    period = task.get("executionPeriod") or {}
    steps: dict[str, datetime] = {}
    for step in _PATH_TO[status]:
        if step == S.SENT:
            steps[step] = sent
        elif step == S.STARTED:
            steps[step] = _parse_moment(period.get("start")) or latest
        elif step == S.COMPLETED:
            steps[step] = _parse_moment(period.get("end")) or latest
        else:
            steps[step] = latest if step == status else sent
    return steps


def _read(bundle: dict[str, Any]) -> ReceivedReferral:
    resources = _Resources(bundle)
    problems: list[str] = []
    requests = resources.of_type("ServiceRequest")
    if len(requests) != 1:
        raise FhirImportError(
            [
                f"The bundle must hold exactly one ServiceRequest (the referral); it holds {len(requests)}."
            ]
        )
    request = requests[0]
    tasks = resources.of_type("Task")
    task = None
    if tasks:
        focused = [t for t in tasks if resources.resolve(t.get("focus")) is request]
        if len(focused) > 1 or (not focused and len(tasks) > 1):
            raise FhirImportError(["The bundle holds more than one Task for the referral."])
        task = focused[0] if focused else tasks[0]

    identifiers = [i for i in request.get("identifier") or [] if i.get("value")]
    identifier = ""
    if not identifiers:
        problems.append(
            "The ServiceRequest has no identifier, so it cannot be told apart from others."
        )
    else:
        first = identifiers[0]
        identifier = (
            f"{first['system']}|{first['value']}" if first.get("system") else first["value"]
        )[:200]

    nhs_number = ""
    patient = resources.resolve(request.get("subject"))
    if patient is None or patient.get("resourceType") != "Patient":
        problems.append("The ServiceRequest's subject must be a Patient in the bundle (the child).")
    else:
        numbers = [
            normalise_nhs_number(i.get("value") or "")
            for i in patient.get("identifier") or []
            if i.get("system") == NHS_NUMBER_SYSTEM
        ]
        if not numbers:
            problems.append(
                f"The child (Patient) has no NHS number (identifier system {NHS_NUMBER_SYSTEM})."
            )
        elif not is_valid_nhs_number(numbers[0]):
            problems.append(f"The child's NHS number {numbers[0]} is not a valid NHS number.")
        else:
            nhs_number = numbers[0]

    if task is not None:
        status = STATUS_FROM_TASK.get(task.get("status", ""), "")
        if not status:
            problems.append(
                f"The Task's status {task.get('status')!r} does not match a step of a referral."
            )
    else:
        status = STATUS_FROM_SERVICE_REQUEST.get(request.get("status", ""), "")
        if not status:
            problems.append(
                f"The ServiceRequest's status {request.get('status')!r} does not match a step of a referral."
            )
    if status == S.DRAFT:
        problems.append(
            "The referral is a draft in the system it came from: only sent ones can be received."
        )
    listed = {_parts(step).get("status") for step in _extension(task or {}, STEP_EXTENSION)}
    if status == S.WITHDRAWN and listed and S.SENT not in listed:
        problems.append(
            "The referral was withdrawn before it was sent: there is nothing to receive."
        )

    reasons = [
        concept.get("text")
        or next((c.get("display") for c in concept.get("coding") or [] if c.get("display")), None)
        for concept in request.get("reasonCode") or []
    ]
    reason = "\n".join(r for r in reasons if r).strip()
    if not reason:
        problems.append("The ServiceRequest does not say why the child is referred (reasonCode).")

    priority = request.get("priority") or "routine"
    urgency = PRIORITY_FROM_FHIR.get(priority, "")
    if not urgency:
        problems.append(f"The ServiceRequest's priority {priority!r} is not a FHIR priority.")

    sections = [
        info["identifier"]["value"]
        for info in request.get("supportingInfo") or []
        if (info.get("identifier") or {}).get("system") == SECTION_SYSTEM
    ]
    unknown = [code for code in sections if code not in ReferralSection.values]
    if unknown:
        problems.append(f"Shared parts Joined Up does not know: {', '.join(unknown)}.")

    basis = _basis(request, problems)
    received = ReceivedReferral(
        identifier=identifier,
        nhs_number=nhs_number,
        status=status,
        reason=reason,
        urgency=urgency,
        external_referrer=_referrer_words(resources, request.get("requester"))[:300],
        shared_sections=[code for code in ReferralSection.values if code in set(sections)],
        basis=basis,
    )
    if status == S.DECLINED:
        why = (task or {}).get("statusReason") or {}
        codes = [c for c in _codes(why, DECLINE_REASON_SYSTEM) if c in DeclineReason.values]
        text = str(why.get("text") or "").strip()
        if codes:
            received.decline_reason = codes[0]
            label = DeclineReason(codes[0]).label
            received.decline_note = "" if text == label else text
        elif text:
            received.decline_reason, received.decline_note = DeclineReason.OTHER, text
        else:
            problems.append(
                "The referral was declined, but the Task does not say why (statusReason)."
            )
    if status == S.COMPLETED:
        outputs = [
            output.get("valueCodeableConcept")
            for output in (task or {}).get("output") or []
            if output.get("valueCodeableConcept")
        ]
        codes = [
            c for o in outputs for c in _codes(o, OUTCOME_SYSTEM) if c in ReferralOutcome.values
        ]
        if codes:
            received.outcome = codes[0]
            text = str(
                next(o for o in outputs if codes[0] in _codes(o, OUTCOME_SYSTEM)).get("text") or ""
            )
            label = ReferralOutcome(codes[0]).label
            received.outcome_note = "" if text.strip() == label else text.strip()
        else:
            problems.append(
                "The referral was completed, but the Task gives no outcome Joined Up knows "
                f"(an output coded from {OUTCOME_SYSTEM})."
            )
    if status == S.WITHDRAWN:
        received.withdrawal_reason = str(((task or {}).get("statusReason") or {}).get("text") or "")
        received.withdrawal_reason = (
            received.withdrawal_reason.strip() or "Withdrawn in the system it came from"
        )
    if problems:
        raise FhirImportError(problems)
    received.steps = _steps(task, request, status)
    return received


def read_bundle(bundle_json: bytes | str | dict[str, Any]) -> ReceivedReferral:
    """Check a received bundle: JSON, FHIR R4 (fhir.resources R4B models) and what a
    referral needs. Raises FhirImportError listing every problem found."""
    return _read(_validate(_load(bundle_json)))


def _find_child(nhs_number: str) -> Child:
    children = list(
        Child.objects.filter(
            nhs_number=nhs_number, merged_into__isnull=True, archived_on__isnull=True
        )[:2]
    )
    shown = format_nhs_number(nhs_number)
    if not children:
        raise FhirImportError([f"No child in the index has NHS number {shown}."])
    if len(children) > 1:
        raise FhirImportError(
            [
                f"More than one child in the index has NHS number {shown}: ask a data manager "
                "to resolve the possible duplicate first."
            ]
        )
    return children[0]


def import_referral(
    bundle_json: bytes | str | dict[str, Any], *, service: Service, imported_by: Practitioner
) -> Referral:
    """Receive a referral made in another system (a FHIR R4 Bundle with a ServiceRequest,
    and its Task) for ``service``: the child is found by NHS number (never created), and
    the referral is recorded in the state the Task gives, with a ReferralEvent for each
    step, all in one transaction. A referral's referrer must be someone in Joined Up, so
    it is ``imported_by`` (staff of the service who received it); the referrer named in
    the bundle is kept in ``external_referrer``. Raises FhirImportError (nothing saved)
    when the bundle is refused, PermissionDenied unless policy.can_import_referral_fhir."""
    decision = policy.can_import_referral_fhir(imported_by, service)
    if not decision:
        raise PermissionDenied(f"Only staff of {service.name} can receive referrals for it.")
    received = read_bundle(bundle_json)
    with transaction.atomic():
        # Locking the service: two uploads of one referral at once cannot both pass.
        Service.objects.select_for_update().filter(pk=service.pk).first()
        earlier = (
            Referral.objects.filter(service=service, external_identifier=received.identifier)
            .order_by("pk")
            .first()
        )
        if earlier is not None:
            raise FhirImportError(
                [
                    f"This referral ({received.identifier}) was already imported as "
                    f"{earlier.reference}."
                ]
            )
        child = _find_child(received.nhs_number)
        referral = _record(received, child=child, service=service, imported_by=imported_by)
        audit.record_access(
            practitioner=imported_by,
            children=[child],
            decision=decision,
            action=AccessAction.CHANGED,
            what=f"Referral {referral.reference} received from another system (FHIR)"[:200],
        )
    return referral


def _record(
    received: ReceivedReferral, *, child: Child, service: Service, imported_by: Practitioner
) -> Referral:
    steps = list(received.steps)
    sent_at = received.steps[S.SENT]
    sent_on = timezone.localdate(sent_at)
    referral = Referral(
        child=child,
        service=service,
        referrer=imported_by,
        referrer_agency=None,
        reason=received.reason,
        urgency=received.urgency,
        shared_sections=received.shared_sections,
        handled_outside=False,
        status=received.status,
        created_at=sent_at,
        acknowledge_by=add_working_days(sent_on, service.acknowledge_within_working_days),
        decide_by=add_working_days(sent_on, service.decide_within_working_days),
        expected_wait_weeks=service.waiting_weeks,
        decline_reason=received.decline_reason,
        decline_note=received.decline_note,
        outcome=received.outcome,
        outcome_note=received.outcome_note,
        withdrawal_reason=received.withdrawal_reason,
        external_identifier=received.identifier,
        external_referrer=received.external_referrer,
        **received.basis,
    )
    for step, name in _STEP_TIMES:
        if step in received.steps:
            setattr(referral, name, received.steps[step])
    referral.sent_at = sent_at
    referral.save()
    who = imported_by.get_full_name() or imported_by.username
    referrer = received.external_referrer or "someone not named in it"
    first_note = (
        f"Received from another system as FHIR ServiceRequest {received.identifier}, "
        f"referred there by {referrer}. {who}, of {service.name}, received it into Joined Up "
        "and is recorded as its referrer, because a referral's referrer must be someone in "
        "Joined Up."
    )
    events = []
    previous = ""
    for step in steps:
        note = first_note if not previous else "Recorded in the system the referral came from."
        if step == S.DECLINED:
            note = f"{note} {received.decline_note}".strip()
        elif step == S.COMPLETED:
            note = f"{note} {received.outcome_note}".strip()
        elif step == S.WITHDRAWN:
            note = f"{note} {received.withdrawal_reason}".strip()
        events.append(
            ReferralEvent(
                referral=referral,
                from_status=previous,
                to_status=step,
                by=imported_by,
                at=received.steps.get(step, sent_at),
                note=note,
            )
        )
        previous = step
    ReferralEvent.objects.bulk_create(events)
    if S.STARTED in received.steps:
        # As lifecycle.start and complete do: the service is involved while it works.
        started_on = timezone.localdate(received.steps[S.STARTED])
        ended = received.steps.get(S.COMPLETED) or received.steps.get(S.WITHDRAWN)
        Involvement.objects.create(
            child=child,
            agency=service.agency,
            practitioner=None,
            role=f"{service.name} (referral {referral.reference})"[:200],
            started_on=started_on,
            ended_on=max(started_on, timezone.localdate(ended)) if ended else None,
            ended_reason=(
                f"Referral {ReferralStatus(received.status).label.lower()}" if ended else ""
            ),
        )
    if referral.is_live:
        notify.referral_changed(referral, events[-1])
    return referral
