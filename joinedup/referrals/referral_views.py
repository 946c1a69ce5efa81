"""Referral pages, the referrer's side: the referrals I made, making and changing a draft,
checking and sending it, withdrawing it, referring again after a decline, and a referral's
own page. Thin views over referrals.lifecycle and referrals.referral_selectors; access
decided in sharing.policy. (The service's answers are in referrals.answer_views.)

Route arguments are named after the world objects of the permission matrix
(``draft_referral_id``, ``declined_referral_id``) where a page is only for a referral in
that state."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from joinedup.http import AuthenticatedRequest
from joinedup.referrals import lifecycle, referral_selectors
from joinedup.referrals.lifecycle import InvalidTransition
from joinedup.referrals.referral_forms import ReferAgainForm, ReferralForm, WithdrawForm
from joinedup.sharing import policy
from joinedup.sharing.models import ConsentPosition


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _add_problem(form: ReferralForm | ReferAgainForm, problem: ValidationError) -> None:
    """Put a lifecycle ValidationError on the form: on its field when it names one the
    form has, otherwise at the top."""
    if hasattr(problem, "error_dict"):
        for name, errors in problem.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, problem.messages)


# The referrals I made ----------------------------------------------------------------------


@require_GET
def my_referrals(request: AuthenticatedRequest) -> HttpResponse:
    listing = referral_selectors.my_referrals(
        practitioner=request.user,
        page_number=request.GET.get("page"),
        path=request.get_full_path(),
    )
    return render(request, "referrals/my_referrals.html", {"listing": listing})


# Making and changing a draft ----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def new_referral(request: AuthenticatedRequest, child_id: int) -> HttpResponse:
    start = referral_selectors.referral_start(
        practitioner=request.user,
        child_id=child_id,
        action_id=_int_or_none(request.GET.get("action")),
        path=request.get_full_path(),
    )
    services = referral_selectors.published_services()
    allowed = start.episode_sections_allowed
    if request.method == "POST":
        form = ReferralForm(request.POST, services=services, episode_sections_allowed=allowed)
        if form.is_valid():
            try:
                referral = lifecycle.create_draft(
                    referrer=request.user,
                    child=start.child,
                    service=form.cleaned_data["service"],
                    details=form.details(),
                    episode=start.episode,
                    action=start.action,
                )
            except ValidationError as problem:
                _add_problem(form, problem)
            else:
                return redirect("referrals:send", draft_referral_id=referral.pk)
    else:
        initial: dict[str, object] = {}
        slug = request.GET.get("service")
        if slug:
            chosen = services.filter(slug=slug).first()
            if chosen is not None:
                initial["service"] = chosen.pk
        if start.action is not None:
            initial["reason"] = start.action.description
        form = ReferralForm(initial=initial, services=services, episode_sections_allowed=allowed)
    return render(request, "referrals/referral_form.html", {"form": form, "start": start})


@require_http_methods(["GET", "POST"])
def edit_referral(request: AuthenticatedRequest, draft_referral_id: int) -> HttpResponse:
    referral, _decision = referral_selectors.referral_for(
        practitioner=request.user,
        referral_id=draft_referral_id,
        decide=policy.can_send_referral,
        path=request.get_full_path(),
        what="Changing referral",
    )
    services = referral_selectors.published_services()
    allowed = referral.episode_id is not None
    if request.method == "POST":
        form = ReferralForm(request.POST, services=services, episode_sections_allowed=allowed)
        if form.is_valid():
            try:
                lifecycle.update_draft(
                    referral,
                    by=request.user,
                    details=form.details(),
                    service=form.cleaned_data["service"],
                )
            except InvalidTransition as refused:
                form.add_error(None, str(refused))
            except ValidationError as problem:
                _add_problem(form, problem)
            else:
                return redirect("referrals:send", draft_referral_id=referral.pk)
    else:
        form = ReferralForm(
            initial=ReferralForm.initial_from(referral),
            services=services,
            episode_sections_allowed=allowed,
        )
    return render(
        request,
        "referrals/referral_form.html",
        {"form": form, "referral": referral, "child": referral.child},
    )


# Checking and sending -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def send_referral(request: AuthenticatedRequest, draft_referral_id: int) -> HttpResponse:
    check = referral_selectors.send_check(
        practitioner=request.user, referral_id=draft_referral_id, path=request.get_full_path()
    )
    problems: list[str] = []
    # Sharing without consent (issue 6): on a lawful reason the referrer says here why
    # consent was not sought or was overridden; it goes to their supervisor to confirm.
    consent_position = request.POST.get("consent_position", "")
    consent_position_error = ""
    if request.method == "POST":
        decision = policy.can_send_referral(request.user, check.referral)
        policy.require(decision)
        try:
            referral = lifecycle.send_referral(
                check.referral,
                by=request.user,
                decision=decision,
                consent_position=consent_position,
            )
        except InvalidTransition as refused:
            problems = [str(refused)]
        except ValidationError as problem:
            errors = dict(getattr(problem, "error_dict", {}))
            if "consent_position" in errors:
                consent_position_error = errors.pop("consent_position")[0].messages[0]
                problems = [
                    message for group in errors.values() for e in group for message in e.messages
                ]
            else:
                problems = problem.messages
        else:
            where = (
                "Download the referral pack and send it to the service."
                if referral.handled_outside
                else "The service has been told."
            )
            messages.success(
                request, f"Referral {referral.reference} sent to {referral.service.name}. {where}"
            )
            return redirect("referrals:referral", referral_id=referral.pk)
    return render(
        request,
        "referrals/send_referral.html",
        {
            "check": check,
            "problems": problems,
            "consent_positions": ConsentPosition.choices,
            "consent_position": consent_position,
            "consent_position_error": consent_position_error,
        },
        # A refused send shows its problems as before (200); a missing answer on this
        # page is a form error (400).
        status=400 if consent_position_error else 200,
    )


# Withdrawing -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def withdraw_referral(request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
    referral, _decision = referral_selectors.referral_for(
        practitioner=request.user,
        referral_id=referral_id,
        decide=policy.can_withdraw_referral,
        path=request.get_full_path(),
        what="Withdrawing referral",
    )
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            lifecycle.withdraw(referral, by=request.user, reason=form.cleaned_data["reason"])
        except InvalidTransition as refused:
            form.add_error(None, str(refused))
        except ValidationError as problem:
            form.add_error("reason", problem.messages)
        else:
            messages.success(request, f"Referral {referral.reference} withdrawn.")
            return redirect("referrals:referral", referral_id=referral.pk)
    return render(request, "referrals/withdraw.html", {"form": form, "referral": referral})


# Referring again after a decline -----------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def refer_again(request: AuthenticatedRequest, declined_referral_id: int) -> HttpResponse:
    declined, _decision = referral_selectors.referral_for(
        practitioner=request.user,
        referral_id=declined_referral_id,
        decide=policy.can_re_refer,
        path=request.get_full_path(),
        what="Referring again after referral",
    )
    services = referral_selectors.published_services().exclude(pk=declined.service_id)
    if request.method == "POST":
        form = ReferAgainForm(request.POST, services=services)
        if form.is_valid():
            try:
                referral = lifecycle.re_refer(
                    declined, by=request.user, service=form.cleaned_data["service"]
                )
            except InvalidTransition as refused:
                form.add_error(None, str(refused))
            except ValidationError as problem:
                _add_problem(form, problem)
            else:
                messages.success(
                    request,
                    f"Draft referral {referral.reference} made. Confirm the basis for sharing, "
                    "then check and send it.",
                )
                return redirect("referrals:edit-referral", draft_referral_id=referral.pk)
    else:
        suggested = declined.suggested_service
        initial: dict[str, object] = {}
        if suggested is not None and services.filter(pk=suggested.pk).exists():
            initial["service"] = suggested.pk
        form = ReferAgainForm(initial=initial, services=services)
    return render(request, "referrals/refer_again.html", {"form": form, "declined": declined})


# A referral's page -----------------------------------------------------------------------------


@require_GET
def referral_detail(request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
    page = referral_selectors.referral_page(
        practitioner=request.user, referral_id=referral_id, path=request.get_full_path()
    )
    return render(
        request,
        "referrals/referral.html",
        {
            "page": page,
            "referral": page.referral,
            # For referrals/_answer_actions.html (the service's answers, replies by hand,
            # the referral pack and the FHIR export).
            "may_respond": page.may_respond,
            "may_record_reply": page.may_record_reply,
            "may_download_pack": page.may_download_pack,
            "may_export_fhir": page.may_export_fhir,
        },
    )
