"""Referrals as FHIR: downloading one as a Bundle, and receiving one made in another system
for a service (thin views over referrals.fhir; access decided in sharing.policy)."""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET

from joinedup.http import AuthenticatedRequest
from joinedup.referrals import fhir
from joinedup.referrals.models import Referral, Service
from joinedup.sharing import policy


class FhirImportForm(forms.Form):
    file = forms.FileField(
        label="Upload the referral",
        help_text="A FHIR R4 Bundle in JSON, holding the ServiceRequest and its Task. "
        "The file must be smaller than 1 MB.",
        error_messages={
            "required": "Select the referral file to upload",
            "empty": "The selected file is empty",
        },
    )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        if upload.size is not None and upload.size > fhir.MAX_IMPORT_BYTES:
            raise forms.ValidationError("The file must be smaller than 1 MB")
        return bytes(upload.read(fhir.MAX_IMPORT_BYTES + 1))


@require_GET
def fhir_export(request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
    referral = get_object_or_404(
        Referral.objects.select_related(
            "child",
            "service__agency",
            "referrer__home_agency",
            "referrer_agency",
            "suggested_service__agency",
        ),
        pk=referral_id,
    )
    decision = policy.can_export_referral_fhir(request.user, referral)
    policy.require(decision, "Only the referrer or the receiving service can download this.")
    bundle = fhir.disclose_referral(
        referral, practitioner=request.user, decision=decision, path=request.get_full_path()
    )
    response = HttpResponse(
        json.dumps(bundle, indent=2, ensure_ascii=False),
        content_type=f"{fhir.MEDIA_TYPE}; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{fhir.export_filename(referral)}"'
    # A copy of a child's referral must not be kept by browsers or proxies.
    add_never_cache_headers(response)
    return response


def fhir_import(request: AuthenticatedRequest, service_slug: str) -> HttpResponse:
    service = get_object_or_404(Service.objects.select_related("agency"), slug=service_slug)
    policy.require(
        policy.can_import_referral_fhir(request.user, service),
        f"Only staff of {service.name} can receive referrals for it.",
    )
    form = FhirImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            referral = fhir.import_referral(
                form.cleaned_data["file"], service=service, imported_by=request.user
            )
        except fhir.FhirImportError as refused:
            for problem in refused.problems:
                form.add_error("file", problem)
        else:
            messages.success(
                request, f"Referral received as {referral.reference} for {service.name}."
            )
            return redirect("referrals:referral", referral_id=referral.pk)
    return render(
        request,
        "referrals/fhir_import.html",
        {"form": form, "service": service, "fhir_version": fhir.FHIR_VERSION},
    )
