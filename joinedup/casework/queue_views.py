"""Work queues and handing over the lead role: thin views that ask the policy module, then
call casework.queues / casework.handover."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from joinedup.accounts.models import Practitioner
from joinedup.casework import handover, queues
from joinedup.casework.models import Episode, EpisodeStatus, LeadHandoverOffer
from joinedup.forms import ModelChoiceField
from joinedup.http import AuthenticatedRequest
from joinedup.partnerships.models import Partnership
from joinedup.sharing import policy


class OfferLeadForm(forms.Form):
    to_practitioner = ModelChoiceField(
        label="Offer the lead role to",
        queryset=Practitioner.objects.all(),
        to_field_name="username",
        error_messages={"required": "Choose who to offer the lead role to"},
    )
    family_agreed_by = forms.CharField(
        label="Who in the family agreed to the new lead professional", max_length=200
    )
    message = forms.CharField(label="Message (optional)", widget=forms.Textarea, required=False)


class AnswerOfferForm(forms.Form):
    decision = forms.ChoiceField(choices=[("accept", "Accept"), ("decline", "Decline")])
    reason = forms.CharField(
        label="Why you are declining (if you decline)", widget=forms.Textarea, required=False
    )


def _problem_text(problem: ValidationError) -> str:
    return " ".join(problem.messages)


@require_GET
def lead_queue(request: AuthenticatedRequest) -> HttpResponse:
    policy.require(policy.can_view_lead_queue(request.user))
    queue = queues.lead_queue(practitioner=request.user, path=request.get_full_path())
    return render(request, "casework/queue_lead.html", {"queue": queue})


@require_GET
def partnership_queue(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = get_object_or_404(Partnership, pk=partnership_id)
    policy.require(policy.can_view_partnership_casework(request.user, partnership))
    queue = queues.partnership_queue(
        practitioner=request.user,
        partnership=partnership,
        status=request.GET.get("status", ""),
        path=request.get_full_path(),
    )
    return render(
        request,
        "casework/queue_partnership.html",
        {"queue": queue, "statuses": EpisodeStatus.choices},
    )


@require_POST
def offer_lead(request: AuthenticatedRequest, episode_id: int) -> HttpResponse:
    episode = get_object_or_404(Episode, pk=episode_id)
    policy.require(policy.can_offer_lead_role(request.user, episode))
    form = OfferLeadForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("casework:episode", episode_id=episode.pk)
    try:
        offer = handover.offer_lead_role(
            lead=request.user,
            episode=episode,
            to=form.cleaned_data["to_practitioner"],
            family_agreed_by=form.cleaned_data["family_agreed_by"],
            message=form.cleaned_data["message"],
        )
    except ValidationError as problem:
        messages.error(request, _problem_text(problem))
    else:
        messages.success(request, f"The lead role is offered to {offer.to_practitioner}.")
    return redirect("casework:episode", episode_id=episode.pk)


def _offer(offer_id: int) -> LeadHandoverOffer:
    return get_object_or_404(
        LeadHandoverOffer.objects.select_related("episode", "from_lead", "to_practitioner"),
        pk=offer_id,
    )


@require_http_methods(["GET", "POST"])
def lead_offer(request: AuthenticatedRequest, offer_id: int) -> HttpResponse:
    """The offered practitioner's page: accept or decline."""
    offer = _offer(offer_id)
    policy.require(policy.can_answer_lead_offer(request.user, offer))
    form = AnswerOfferForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "accept":
                handover.accept_lead_offer(practitioner=request.user, offer=offer)
                messages.success(request, "You are now the lead professional.")
            else:
                handover.decline_lead_offer(
                    practitioner=request.user, offer=offer, reason=form.cleaned_data["reason"]
                )
                messages.success(request, "You have declined the lead role.")
        except ValidationError as problem:
            form.add_error(None, _problem_text(problem))
        else:
            return redirect("casework:episode", episode_id=offer.episode_id)
    if form.errors:
        status = 400
    return render(
        request, "casework/handover_offer.html", {"offer": offer, "form": form}, status=status
    )


@require_POST
def withdraw_lead_offer(request: AuthenticatedRequest, offer_id: int) -> HttpResponse:
    offer = _offer(offer_id)
    policy.require(policy.can_withdraw_lead_offer(request.user, offer))
    try:
        handover.withdraw_lead_offer(practitioner=request.user, offer=offer)
    except ValidationError as problem:
        messages.error(request, _problem_text(problem))
    else:
        messages.success(request, "The offer of the lead role is withdrawn.")
    return redirect("casework:episode", episode_id=offer.episode_id)
