"""The receiving service's side of a referral: answering it (acknowledge, accept or
decline, start, complete), its referrals page with the waiting list, and its current
waiting time. For a service outside Joined Up the referrer records the service's replies
on the same pages. Thin views over referrals.lifecycle and referrals.service_queue; who
may act is decided in sharing.policy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from joinedup.accounts.models import Practitioner
from joinedup.forms import add_errors
from joinedup.http import AuthenticatedRequest
from joinedup.referrals import lifecycle, service_queue, services
from joinedup.referrals.answer_forms import (
    AcceptForm,
    AcknowledgeForm,
    AnswerForm,
    CompleteForm,
    DeclineForm,
    StartForm,
    WaitingTimeForm,
)
from joinedup.referrals.models import Referral, ReferralStatus, Service
from joinedup.sharing import policy
from joinedup.sharing.models import AccessAction

S = ReferralStatus

Take = Callable[[Referral, Practitioner, dict[str, Any], "lifecycle.ByHand | None"], Referral]


@dataclass(frozen=True)
class Step:
    """One answer page: the state it moves the referral to, its form, its words, and the
    lifecycle call that takes the step."""

    to_status: str
    form_class: type[AnswerForm]
    title: str
    by_hand_title: str
    button: str
    take: Take


STEPS: dict[str, Step] = {
    "acknowledge": Step(
        S.ACKNOWLEDGED,
        AcknowledgeForm,
        title="Acknowledge the referral",
        by_hand_title="Record that the service acknowledged the referral",
        button="Acknowledge",
        take=lambda referral, by, data, by_hand: lifecycle.acknowledge(
            referral, by=by, note=data["note"], by_hand=by_hand
        ),
    ),
    "accept": Step(
        S.ACCEPTED,
        AcceptForm,
        title="Accept the referral",
        by_hand_title="Record that the service accepted the referral",
        button="Accept",
        take=lambda referral, by, data, by_hand: lifecycle.accept(
            referral,
            by=by,
            expected_start_on=data["expected_start_on"],
            note=data["note"],
            by_hand=by_hand,
        ),
    ),
    "decline": Step(
        S.DECLINED,
        DeclineForm,
        title="Decline the referral",
        by_hand_title="Record that the service declined the referral",
        button="Decline",
        take=lambda referral, by, data, by_hand: lifecycle.decline(
            referral,
            by=by,
            reason=data["reason"],
            note=data["note"],
            suggested_service=data["suggested_service"],
            by_hand=by_hand,
        ),
    ),
    "start": Step(
        S.STARTED,
        StartForm,
        title="Start working with the child",
        by_hand_title="Record that the service started working with the child",
        button="Start",
        take=lambda referral, by, data, by_hand: lifecycle.start(
            referral, by=by, note=data["note"], by_hand=by_hand
        ),
    ),
    "complete": Step(
        S.COMPLETED,
        CompleteForm,
        title="Complete the referral",
        by_hand_title="Record that the service completed its work",
        button="Complete",
        take=lambda referral, by, data, by_hand: lifecycle.complete(
            referral, by=by, outcome=data["outcome"], note=data["note"], by_hand=by_hand
        ),
    ),
}


def _done_message(referral: Referral, *, by_hand: bool) -> str:
    what = f"referral {referral.reference} {referral.get_status_display().lower()}"
    if by_hand:
        return f"{referral.service.name}'s reply is recorded: {what}."
    return f"{what[:1].upper()}{what[1:]}. The referrer is told."


def _after_answer(request: AuthenticatedRequest, referral: Referral) -> HttpResponse:
    """Back to the referral while the person may still see it; a service that declined
    or completed a referral no longer does, so it goes back to its referrals page."""
    if policy.can_view_referral(request.user, referral):
        return redirect("referrals:referral", referral_id=referral.pk)
    if policy.can_view_service_referrals(request.user, referral.service):
        return redirect("referrals:service-referrals", service_slug=referral.service.slug)
    return redirect("home")


def _answer(request: AuthenticatedRequest, referral_id: int, step: Step) -> HttpResponse:
    page = service_queue.answer_page(
        practitioner=request.user,
        referral_id=referral_id,
        action=AccessAction.CHANGED if request.method == "POST" else AccessAction.VIEWED,
        path=request.get_full_path(),
    )
    referral = page.referral
    posted = request.method == "POST"
    form = step.form_class(
        request.POST if posted else None, referral=referral, by_hand=page.by_hand
    )
    refusal = (
        ""
        if lifecycle.can_move(referral, step.to_status)
        else lifecycle.refusal(referral, step.to_status)
    )
    if posted and not refusal and form.is_valid():
        data = form.cleaned_data
        by_hand = lifecycle.ByHand(data["reply_from"]) if page.by_hand else None
        try:
            answered = step.take(referral, request.user, data, by_hand)
        except lifecycle.InvalidTransition as refused:
            refusal = str(refused)
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, _done_message(answered, by_hand=page.by_hand))
            return _after_answer(request, answered)
    return render(
        request,
        "referrals/answer.html",
        {
            "referral": referral,
            "step": step,
            "by_hand": page.by_hand,
            "title": step.by_hand_title if page.by_hand else step.title,
            "form": form,
            "refusal": refusal,
        },
        status=400 if posted and (refusal or form.errors) else 200,
    )


@require_http_methods(["GET", "POST"])
def acknowledge(request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
    return _answer(request, referral_id, STEPS["acknowledge"])


@require_http_methods(["GET", "POST"])
def accept(request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
    return _answer(request, referral_id, STEPS["accept"])


@require_http_methods(["GET", "POST"])
def decline(request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
    return _answer(request, referral_id, STEPS["decline"])


@require_http_methods(["GET", "POST"])
def start(request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
    return _answer(request, referral_id, STEPS["start"])


@require_http_methods(["GET", "POST"])
def complete(request: AuthenticatedRequest, referral_id: int) -> HttpResponse:
    return _answer(request, referral_id, STEPS["complete"])


# The service's referrals page and its waiting time --------------------------------------


def _service(slug: str) -> Service:
    service = Service.objects.select_related("agency").filter(slug=slug).first()
    if service is None:
        raise Http404("No such service")
    return service


def _waiting_time_form(service: Service, data: Any = None) -> WaitingTimeForm:
    return WaitingTimeForm(
        data, initial={"waiting_weeks": service.waiting_weeks, "capacity": service.capacity}
    )


QUEUE_LIST_KEYS = ("new", "deciding", "waiting", "working")


def _page_number(value: str | None) -> int:
    try:
        return max(1, int(value or 1))
    except ValueError:
        return 1


@require_GET
def service_referrals(request: AuthenticatedRequest, service_slug: str) -> HttpResponse:
    """The referrals sent to a service, and its waiting list: its own staff."""
    service = _service(service_slug)
    decision = policy.can_view_service_referrals(request.user, service)
    policy.require(decision, "Only the service's own staff see the referrals sent to it.")
    queue = service_queue.service_queue(
        practitioner=request.user,
        service=service,
        decision=decision,
        path=request.get_full_path(),
        pages={key: _page_number(request.GET.get(f"{key}_page")) for key in QUEUE_LIST_KEYS},
    )
    may_update_waiting = policy.can_update_service_waiting(request.user, service)
    return render(
        request,
        "referrals/service_referrals.html",
        {
            "service": service,
            "queue": queue,
            "waiting_form": _waiting_time_form(service) if may_update_waiting else None,
        },
    )


@require_http_methods(["GET", "POST"])
def update_waiting_time(request: AuthenticatedRequest, service_slug: str) -> HttpResponse:
    """The service's current waiting time and capacity, which referrers see before they
    send a referral."""
    service = _service(service_slug)
    policy.require(
        policy.can_update_service_waiting(request.user, service),
        "Only the service's own staff and whoever keeps its entry can change its waiting time.",
    )
    posted = request.method == "POST"
    form = _waiting_time_form(service, request.POST if posted else None)
    if posted and form.is_valid():
        try:
            services.update_service(
                service=service,
                details=services.ServiceDetails(
                    fields={
                        "waiting_weeks": form.cleaned_data["waiting_weeks"],
                        "capacity": form.cleaned_data["capacity"],
                    }
                ),
                updated_by=request.user,
            )
        except ValidationError as problem:
            add_errors(form, problem)
        else:
            messages.success(request, f"The waiting time of {service.name} is updated.")
            if policy.can_view_service_referrals(request.user, service):
                return redirect("referrals:service-referrals", service_slug=service.slug)
            return redirect("referrals:service", service_slug=service.slug)
    return render(
        request,
        "referrals/service_waiting_time.html",
        {"service": service, "form": form},
        status=400 if form.errors else 200,
    )
