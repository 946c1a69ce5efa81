"""A child's consent records (issue 6): the list of every consent about the child with its
versions, recording a consent, changing one (a new version) and withdrawing one. Thin
views over sharing.consent_selectors and sharing.consents; access in sharing.policy."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from joinedup.http import AuthenticatedRequest
from joinedup.sharing import consent_selectors, consents
from joinedup.sharing.consent_forms import ChangeConsentForm, ConsentForm, WithdrawConsentForm


@require_GET
def child_consents(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    records = consent_selectors.consent_records(
        practitioner=request.user, child_id=child_id, path=request.get_full_path()
    )
    return render(
        request,
        "sharing/child_consents.html",
        {"child": records.child, "records": records},
    )


@require_http_methods(["GET", "POST"])
def new_consent(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    child, decision = consent_selectors.child_for_consent_form(
        practitioner=request.user,
        child_id=child_id,
        path=request.get_full_path(),
        what="Recording a consent",
    )
    form = ConsentForm(
        request.POST or None,
        agencies=consent_selectors.agency_choices(request.user),
        services=consent_selectors.service_choices(),
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                consents.record_consent(form.terms(), recorded_by=request.user, child=child)
                consent_selectors.record_change(
                    practitioner=request.user,
                    child=child,
                    decision=decision,
                    what="Consent recorded",
                    path=request.get_full_path(),
                )
        except ValidationError as problem:
            form.add_problem(problem)
        else:
            messages.success(
                request, f"Consent from {form.cleaned_data['given_by_name']} recorded."
            )
            return redirect("children:consents", child_id=child.pk)
    return render(
        request,
        "sharing/consent_form.html",
        {"child": child, "form": form, "consent": None},
    )


@require_http_methods(["GET", "POST"])
def change_consent(request: AuthenticatedRequest, child_id: int, consent_id: int) -> HttpResponse:
    child, consent, decision = consent_selectors.consent_for_form(
        practitioner=request.user,
        child_id=child_id,
        consent_id=consent_id,
        path=request.get_full_path(),
        what="Changing a consent",
    )
    agencies = consent_selectors.agency_choices(request.user, consent)
    services = consent_selectors.service_choices(consent)
    if request.method == "POST":
        form = ChangeConsentForm(request.POST, agencies=agencies, services=services)
        if form.is_valid():
            try:
                with transaction.atomic():
                    new = consents.change_consent(
                        consent=consent,
                        terms=form.terms(),
                        changed_by=request.user,
                        change_note=form.cleaned_data["change_note"],
                    )
                    consent_selectors.record_change(
                        practitioner=request.user,
                        child=child,
                        decision=decision,
                        what="Consent changed",
                        path=request.get_full_path(),
                    )
            except ValidationError as problem:
                form.add_problem(problem)
            else:
                messages.success(
                    request,
                    f"Consent from {new.given_by_name} changed: version {new.version} recorded.",
                )
                return redirect("children:consents", child_id=child.pk)
    else:
        form = ChangeConsentForm(
            initial=ConsentForm.initial_from(consent), agencies=agencies, services=services
        )
    return render(
        request,
        "sharing/consent_form.html",
        {"child": child, "form": form, "consent": consent},
    )


@require_http_methods(["GET", "POST"])
def withdraw_consent(request: AuthenticatedRequest, child_id: int, consent_id: int) -> HttpResponse:
    child, consent, decision = consent_selectors.consent_for_form(
        practitioner=request.user,
        child_id=child_id,
        consent_id=consent_id,
        path=request.get_full_path(),
        what="Withdrawing a consent",
    )
    form = WithdrawConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                consents.withdraw_consent(
                    consent=consent, withdrawn_by=request.user, reason=form.cleaned_data["reason"]
                )
                consent_selectors.record_change(
                    practitioner=request.user,
                    child=child,
                    decision=decision,
                    what="Consent withdrawn",
                    path=request.get_full_path(),
                )
        except ValidationError as problem:
            if hasattr(problem, "error_dict"):
                for name, errors in problem.message_dict.items():
                    form.add_error(name if name in form.fields else None, errors)
            else:
                form.add_error(None, problem.messages)
        else:
            messages.success(
                request,
                f"Consent from {consent.given_by_name} withdrawn. It no longer counts from today.",
            )
            return redirect("children:consents", child_id=child.pk)
    return render(
        request,
        "sharing/consent_withdraw.html",
        {
            "child": child,
            "form": form,
            "consent": consent,
            "scope_labels": consent_selectors.scope_labels(consent),
            "recipients": consent_selectors.recipients(consent),
        },
    )
