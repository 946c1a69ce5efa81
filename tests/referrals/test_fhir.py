"""Referrals as FHIR R4 (R4B models): export, import, the round trip and refusals."""

from __future__ import annotations

import copy
import json
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir.resources.R4B.task import Task

from joinedup.children.models import Involvement
from joinedup.referrals import fhir, lifecycle
from joinedup.referrals.models import Referral, ReferralEvent
from joinedup.sharing.models import AccessRecord
from tests.factories import ChildFactory, PractitionerFactory
from tests.referrals.factories import ServiceFactory, make_referral
from tests.two_factor import sign_in_verified

pytestmark = pytest.mark.django_db

STATES = ["sent", "acknowledged", "accepted", "declined", "started", "completed", "withdrawn"]


def resources(bundle: dict, kind: str) -> list[dict]:
    return [
        entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind
    ]


def resource(bundle: dict, kind: str) -> dict:
    (found,) = resources(bundle, kind)
    return found


def withdrawn_after_sending() -> Referral:
    referral = make_referral(status="accepted")
    return lifecycle.withdraw(referral, by=referral.referrer, reason="The family moved away")


def referral_in(status: str, **details) -> Referral:
    if status == "withdrawn":
        return withdrawn_after_sending()
    return make_referral(status=status, **details)


def receiving_service():
    staff = PractitionerFactory()
    service = ServiceFactory(accepts_referrals_in_app=True)
    service.maintainers.add(staff)
    return service, staff


def counts() -> tuple[int, int, int, int]:
    return (
        Referral.objects.count(),
        ReferralEvent.objects.count(),
        AccessRecord.objects.count(),
        Involvement.objects.count(),
    )


# Export ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "request_status", "task_status"),
    [
        ("draft", "draft", "draft"),
        ("sent", "active", "requested"),
        ("acknowledged", "active", "received"),
        ("accepted", "active", "accepted"),
        ("declined", "revoked", "rejected"),
        ("started", "active", "in-progress"),
        ("completed", "completed", "completed"),
        ("withdrawn", "revoked", "cancelled"),
    ],
)
def test_a_referral_in_each_state_exports_as_a_valid_fhir_r4_bundle(
    status, request_status, task_status
):
    referral = referral_in(status) if status != "draft" else make_referral()
    bundle = fhir.export_referral(referral)

    Bundle.model_validate(bundle)
    assert bundle["type"] == "collection"
    request = resource(bundle, "ServiceRequest")
    task = resource(bundle, "Task")
    ServiceRequest.model_validate(request)
    Task.model_validate(task)
    assert request["status"] == request_status
    assert request["intent"] == "order"
    assert task["status"] == task_status
    assert task["intent"] == "order"
    request_url = next(
        entry["fullUrl"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "ServiceRequest"
    )
    assert task["focus"]["reference"] == request_url
    assert request["identifier"][0] == {
        "system": "https://joinedup.example/referral",
        "value": referral.reference,
    }


def test_the_export_names_the_child_referrer_and_service():
    referral = make_referral(status="sent", urgency="urgent")
    bundle = fhir.export_referral(referral)
    by_url = {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}
    request = resource(bundle, "ServiceRequest")

    patient = by_url[request["subject"]["reference"]]
    assert patient["identifier"] == [
        {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": referral.child.nhs_number}
    ]
    assert patient["birthDate"] == referral.child.date_of_birth.isoformat()
    assert patient["gender"] == "female"
    assert patient["name"][0]["family"] == referral.child.family_name
    assert "address" not in patient

    role = by_url[request["requester"]["reference"]]
    assert role["resourceType"] == "PractitionerRole"
    assert by_url[role["practitioner"]["reference"]]["resourceType"] == "Practitioner"
    assert by_url[role["organization"]["reference"]]["name"] == referral.referrer_agency.name

    service = by_url[request["performer"][0]["reference"]]
    assert service["resourceType"] == "HealthcareService"
    assert service["name"] == referral.service.name
    assert by_url[service["providedBy"]["reference"]]["name"] == referral.service.agency.name

    assert request["priority"] == "urgent"
    assert request["reasonCode"] == [{"text": referral.reason}]
    assert request["authoredOn"].startswith(referral.sent_at.date().isoformat())
    notes = " ".join(note["text"] for note in request["note"])
    assert "Address and parent or carer contact details" in notes
    assert "consent of Sam Parent" in notes


def test_an_invalid_nhs_number_is_left_out_of_the_export():
    referral = make_referral(status="sent", child=ChildFactory(nhs_number=""))
    patient = resource(fhir.export_referral(referral), "Patient")
    assert "identifier" not in patient


def test_the_identifier_system_comes_from_settings(settings):
    settings.FHIR_IDENTIFIER_SYSTEM = "https://referrals.brookshire.example/id"
    referral = make_referral(status="sent")
    request = resource(fhir.export_referral(referral), "ServiceRequest")
    assert request["identifier"][0]["system"] == "https://referrals.brookshire.example/id"


# The round trip ----------------------------------------------------------------------------


def comparable(referral: Referral) -> dict:
    return {
        "child": referral.child_id,
        "reason": referral.reason,
        "urgency": referral.urgency,
        "status": referral.status,
        "shared_sections": referral.shared_sections,
        "sharing_basis": referral.sharing_basis,
        "consent_given_by": referral.consent_given_by,
        "consent_given_by_name": referral.consent_given_by_name,
        "consent_competence_note": referral.consent_competence_note,
        "consent_given_on": referral.consent_given_on,
        "lawful_basis": referral.lawful_basis,
        "lawful_reason": referral.lawful_reason,
        "decline_reason": referral.decline_reason,
        "decline_note": referral.decline_note,
        "outcome": referral.outcome,
        "outcome_note": referral.outcome_note,
        "withdrawal_reason": referral.withdrawal_reason,
        "sent_at": referral.sent_at,
        "acknowledged_at": referral.acknowledged_at,
        "accepted_at": referral.accepted_at,
        "declined_at": referral.declined_at,
        "started_at": referral.started_at,
        "completed_at": referral.completed_at,
        "withdrawn_at": referral.withdrawn_at,
    }


@pytest.mark.parametrize("status", STATES)
def test_an_exported_referral_imports_back_the_same_into_an_empty_database(status):
    original = referral_in(
        status, urgency="urgent", shared_sections=("contact", "setting", "involvements")
    )
    expected = comparable(original)
    service = original.service
    staff = service.maintainers.first()
    reference = original.reference
    payload = json.dumps(fhir.export_referral(original)).encode()
    Involvement.objects.filter(role__endswith=f"(referral {reference})").delete()
    original.delete()

    received = fhir.import_referral(payload, service=service, imported_by=staff)

    assert received.service == service
    assert comparable(received) == expected
    assert received.referrer == staff
    assert received.external_identifier == f"https://joinedup.example/referral|{reference}"
    steps = list(received.events.values_list("from_status", "to_status"))
    assert steps[0] == ("", "sent")
    assert steps[-1][1] == status
    assert "is recorded as its referrer" in received.events.first().note
    assert AccessRecord.objects.filter(
        practitioner=staff, what__contains="received from another system"
    ).exists()


def test_importing_for_another_service_keeps_the_referrer_named_in_the_bundle():
    original = make_referral(
        status="declined",
        sharing_basis="lawful_reason",
        lawful_basis="safeguarding",
        lawful_reason="Signs of neglect at school",
        consent_given_by="",
        consent_given_by_name="",
        consent_given_on=None,
    )
    service, staff = receiving_service()

    received = fhir.import_referral(
        fhir.export_referral(original), service=service, imported_by=staff
    )

    assert received.child == original.child
    assert received.service == service
    assert received.status == "declined"
    assert received.decline_reason == "criteria_not_met"
    assert received.sharing_basis == "lawful_reason"
    assert received.lawful_basis == "safeguarding"
    assert received.lawful_reason == "Signs of neglect at school"
    referrer = original.referrer
    assert received.external_referrer.startswith(referrer.get_full_name())
    assert original.referrer_agency.name in received.external_referrer
    assert received.external_identifier.endswith(f"|{original.reference}")
    assert received.referrer == staff
    original.refresh_from_db()
    assert original.status == "declined"


def test_a_decline_note_a_suggestion_and_a_young_persons_consent_travel():
    referral = make_referral(
        status="acknowledged",
        consent_given_by="young_person",
        consent_given_by_name="Alex Young",
        consent_competence_note="Aged 15 and understands what is shared",
    )
    staff = referral.service.maintainers.first()
    elsewhere = ServiceFactory(name="Speech and language therapy")
    lifecycle.decline(
        referral,
        by=staff,
        reason="better_elsewhere",
        note="Speech therapy would suit better",
        suggested_service=elsewhere,
    )
    referral.refresh_from_db()
    bundle = fhir.export_referral(referral)
    task = resource(bundle, "Task")
    assert task["statusReason"]["text"] == "Speech therapy would suit better"
    assert "Speech and language therapy" in task["note"][0]["text"]

    service, other_staff = receiving_service()
    received = fhir.import_referral(bundle, service=service, imported_by=other_staff)
    assert received.decline_reason == "better_elsewhere"
    assert received.decline_note == "Speech therapy would suit better"
    assert received.consent_given_by == "young_person"
    assert received.consent_competence_note == "Aged 15 and understands what is shared"


def test_a_completed_referral_brings_its_outcome_and_the_services_ended_involvement():
    original = make_referral(status="completed")
    service, staff = receiving_service()
    received = fhir.import_referral(
        fhir.export_referral(original), service=service, imported_by=staff
    )
    assert received.outcome == "needs_met"
    involvement = Involvement.objects.get(role__endswith=f"(referral {received.reference})")
    assert involvement.agency == service.agency
    assert involvement.ended_on is not None


def test_a_received_live_referral_tells_the_other_staff_of_the_service():
    original = make_referral(status="sent")
    service, staff = receiving_service()
    colleague = PractitionerFactory()
    service.maintainers.add(colleague)
    fhir.import_referral(fhir.export_referral(original), service=service, imported_by=staff)
    (notification,) = colleague.notifications.all()
    assert notification.subject.startswith("New referral: ")
    assert not staff.notifications.exists()


def test_a_bundle_without_step_times_takes_them_from_the_resources():
    original = make_referral(status="accepted")
    bundle = fhir.export_referral(original)
    task = resource(bundle, "Task")
    del task["extension"]
    service, staff = receiving_service()
    received = fhir.import_referral(bundle, service=service, imported_by=staff)
    assert received.status == "accepted"
    assert received.sent_at == original.sent_at
    assert list(received.events.values_list("to_status", flat=True)) == [
        "sent",
        "acknowledged",
        "accepted",
    ]


# Refusals ----------------------------------------------------------------------------------


def test_importing_the_same_referral_twice_for_a_service_is_refused():
    original = make_referral(status="sent")
    service, staff = receiving_service()
    bundle = fhir.export_referral(original)
    first = fhir.import_referral(bundle, service=service, imported_by=staff)
    before = counts()
    with pytest.raises(fhir.FhirImportError) as refused:
        fhir.import_referral(bundle, service=service, imported_by=staff)
    assert f"already imported as {first.reference}" in refused.value.problems[0]
    assert counts() == before


def test_a_draft_cannot_be_received():
    draft = make_referral()
    service, staff = receiving_service()
    with pytest.raises(fhir.FhirImportError, match="draft"):
        fhir.import_referral(fhir.export_referral(draft), service=service, imported_by=staff)


def test_a_referral_withdrawn_before_it_was_sent_cannot_be_received():
    never_sent = make_referral(status="withdrawn")
    service, staff = receiving_service()
    with pytest.raises(fhir.FhirImportError, match="withdrawn before it was sent"):
        fhir.import_referral(fhir.export_referral(never_sent), service=service, imported_by=staff)


def test_only_the_services_staff_may_import():
    original = make_referral(status="sent")
    service, _ = receiving_service()
    with pytest.raises(PermissionDenied):
        fhir.import_referral(
            fhir.export_referral(original), service=service, imported_by=PractitionerFactory()
        )


def spoil(bundle: dict, how: str) -> dict | bytes:
    spoilt = copy.deepcopy(bundle)
    request = resource(spoilt, "ServiceRequest")
    patient = resource(spoilt, "Patient")
    if how == "missing subject":
        del request["subject"]
    elif how == "unknown NHS number":
        patient["identifier"][0]["value"] = "9434765919"
    elif how == "wrong resourceType":
        return {**spoilt, "resourceType": "Patient"}
    elif how == "unknown resource type":
        spoilt["entry"].append({"resource": {"resourceType": "Spaceship"}})
    elif how == "malformed JSON":
        return json.dumps(spoilt).encode()[:-3]
    elif how == "oversized":
        spoilt["entry"][0]["resource"]["note"].append({"text": "x" * (1024 * 1024)})
        return json.dumps(spoilt).encode()
    elif how == "no NHS number":
        del patient["identifier"]
    elif how == "not a date":
        request["authoredOn"] = "last Tuesday"
    elif how == "no basis":
        del request["extension"]
    return spoilt


@pytest.mark.parametrize(
    ("how", "message"),
    [
        ("missing subject", "Entry 1 (ServiceRequest), subject: a value is required."),
        ("unknown NHS number", "No child in the index has NHS number 943 476 5919."),
        ("wrong resourceType", "The file must be a FHIR Bundle, but it has a Patient."),
        ("unknown resource type", "'Spaceship' is not a FHIR R4 resource type."),
        ("malformed JSON", "The file is not valid JSON"),
        ("oversized", "The file is larger than 1 MB"),
        ("no NHS number", "The child (Patient) has no NHS number"),
        ("not a date", "Entry 1 (ServiceRequest), authoredOn: DateTime value string"),
        ("no basis", "does not say on what basis the child's information is shared"),
    ],
)
def test_a_bad_bundle_is_refused_with_a_message_and_nothing_saved(how, message):
    original = make_referral(status="sent")
    service, staff = receiving_service()
    bundle = spoil(fhir.export_referral(original), how)
    before = counts()

    with pytest.raises(fhir.FhirImportError) as refused:
        fhir.import_referral(bundle, service=service, imported_by=staff)

    assert any(message in problem for problem in refused.value.problems), refused.value.problems
    assert counts() == before


def test_every_problem_is_listed_at_once():
    original = make_referral(status="sent")
    service, staff = receiving_service()
    bundle = fhir.export_referral(original)
    request = resource(bundle, "ServiceRequest")
    del request["reasonCode"]
    del request["extension"]
    with pytest.raises(fhir.FhirImportError) as refused:
        fhir.import_referral(bundle, service=service, imported_by=staff)
    assert len(refused.value.problems) == 2


def test_a_merged_childs_nhs_number_does_not_find_them():
    original = make_referral(status="sent")
    service, staff = receiving_service()
    bundle = fhir.export_referral(original)
    original.child.merged_into = ChildFactory()
    original.child.save()
    with pytest.raises(fhir.FhirImportError, match="No child in the index has NHS number"):
        fhir.import_referral(bundle, service=service, imported_by=staff)


# Pages and the command ---------------------------------------------------------------------


def test_the_referrer_downloads_the_referral_as_fhir_and_the_disclosure_is_recorded(client):
    referral = make_referral(status="sent")
    sign_in_verified(client, referral.referrer)
    response = client.get(reverse("referrals:fhir-export", kwargs={"referral_id": referral.pk}))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert response["Content-Disposition"] == (
        f'attachment; filename="referral-{referral.reference}.fhir.json"'
    )
    assert "no-store" in response["Cache-Control"]
    Bundle.model_validate(json.loads(response.content))
    record = AccessRecord.objects.get(what=f"FHIR export of referral {referral.reference}")
    assert record.practitioner == referral.referrer
    assert "a disclosure outside Joined Up" in record.reason


def test_someone_else_cannot_download_the_referral_as_fhir(client):
    referral = make_referral(status="sent")
    sign_in_verified(client, PractitionerFactory())
    response = client.get(reverse("referrals:fhir-export", kwargs={"referral_id": referral.pk}))
    assert response.status_code == 403
    assert not AccessRecord.objects.filter(what__startswith="FHIR export").exists()


def upload(content: bytes, name: str = "referral.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/fhir+json")


def test_the_services_staff_receive_a_referral_through_the_upload_page(client):
    original = make_referral(status="sent")
    service, staff = receiving_service()
    url = reverse("referrals:fhir-import", kwargs={"service_slug": service.slug})
    sign_in_verified(client, staff)
    assert client.get(url).status_code == 200

    payload = json.dumps(fhir.export_referral(original)).encode()
    response = client.post(url, {"file": upload(payload)})

    received = Referral.objects.get(service=service)
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "referrals:referral", kwargs={"referral_id": received.pk}
    )


def test_a_refused_upload_shows_the_problems_in_an_error_summary(client):
    service, staff = receiving_service()
    sign_in_verified(client, staff)
    url = reverse("referrals:fhir-import", kwargs={"service_slug": service.slug})
    response = client.post(url, {"file": upload(b"{not json")})
    assert response.status_code == 200
    page = response.content.decode()
    assert "govuk-error-summary" in page
    assert "The file is not valid JSON" in page
    assert not Referral.objects.filter(service=service).exists()


def test_an_upload_over_1_mb_is_refused(client):
    service, staff = receiving_service()
    sign_in_verified(client, staff)
    url = reverse("referrals:fhir-import", kwargs={"service_slug": service.slug})
    response = client.post(url, {"file": upload(b" " * (1024 * 1024 + 1))})
    assert "The file must be smaller than 1 MB" in response.content.decode()


def test_the_command_receives_a_referral_and_reports_problems(tmp_path):
    original = make_referral(status="acknowledged")
    service, staff = receiving_service()
    path = tmp_path / "referral.json"
    path.write_text(json.dumps(fhir.export_referral(original)))
    out = StringIO()
    call_command(
        "import_fhir_referral",
        str(path),
        "--service",
        service.slug,
        "--as",
        staff.username,
        stdout=out,
    )
    received = Referral.objects.get(service=service)
    assert f"Received as referral {received.reference}" in out.getvalue()
    assert received.status == "acknowledged"

    with pytest.raises(CommandError, match="already imported as"):
        call_command(
            "import_fhir_referral", str(path), "--service", service.slug, "--as", staff.username
        )
