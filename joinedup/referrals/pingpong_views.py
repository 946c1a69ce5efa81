"""The coordinator's ping-pong list and taking ownership of a child on it (thin views over
referrals.pingpong; access decided in sharing.policy)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from joinedup.accounts.models import Practitioner
from joinedup.forms import ModelChoiceField
from joinedup.http import AuthenticatedRequest
from joinedup.partnerships.models import Partnership
from joinedup.referrals import pingpong
from joinedup.sharing import policy


class OwnerChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        person: Practitioner = obj
        return f"{person} ({person.job_title})" if person.job_title else str(person)


class TakeOwnershipForm(forms.Form):
    owner = OwnerChoiceField(
        label="Who takes ownership",
        queryset=Practitioner.objects.none(),
        empty_label=None,
        help_text="You, or a current member of the partnership. They are told in Joined Up.",
        error_messages={
            "required": "Choose who takes ownership",
            "invalid_choice": "Choose yourself or a current member of the partnership",
        },
    )
    note = forms.CharField(
        label="What they will do next",
        widget=forms.Textarea,
        help_text="The owner is sent this. Keep it to the next step: no sensitive details.",
        error_messages={"required": "Say what the owner will do next"},
    )

    def __init__(self, *args: Any, partnership: Partnership, coordinator: Practitioner, **kwargs):
        super().__init__(*args, **kwargs)
        owner = cast(ModelChoiceField, self.fields["owner"])
        owner.queryset = pingpong.possible_owners(partnership, coordinator)
        owner.initial = coordinator.pk


@require_GET
def pingpong_list(request: AuthenticatedRequest, partnership_id: int) -> HttpResponse:
    partnership = get_object_or_404(Partnership, pk=partnership_id)
    policy.require(policy.can_view_pingpong(request.user, partnership))
    children = pingpong.list_pingpong(
        practitioner=request.user, partnership=partnership, path=request.get_full_path()
    )
    return render(
        request,
        "referrals/pingpong.html",
        {
            "partnership": partnership,
            "children": children,
            "window_days": settings.PINGPONG_WINDOW_DAYS,
            "declines": settings.PINGPONG_DECLINES,
            "chain_agencies": settings.PINGPONG_CHAIN_AGENCIES,
        },
    )


@require_http_methods(["GET", "POST"])
def take_ownership(
    request: AuthenticatedRequest, partnership_id: int, child_id: int
) -> HttpResponse:
    partnership = get_object_or_404(Partnership, pk=partnership_id)
    policy.require(policy.can_take_pingpong_ownership(request.user, partnership))
    child = get_object_or_404(pingpong.referred_children(partnership), pk=child_id)
    form = TakeOwnershipForm(
        request.POST if request.method == "POST" else None,
        partnership=partnership,
        coordinator=request.user,
    )
    if request.method == "POST" and form.is_valid():
        try:
            ownership = pingpong.take_ownership(
                partnership=partnership,
                child=child,
                owner=form.cleaned_data["owner"],
                note=form.cleaned_data["note"],
                recorded_by=request.user,
            )
        except ValidationError as problem:
            for field, errors in problem.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, f"{ownership.owner} has ownership of {child.full_name}.")
            return redirect("referrals:pingpong", partnership_id=partnership.pk)
    entry = pingpong.pingpong_child(
        practitioner=request.user,
        partnership=partnership,
        child=child,
        path=request.get_full_path(),
    )
    return render(
        request,
        "referrals/pingpong_own.html",
        {
            "partnership": partnership,
            "entry": entry,
            "form": form,
            "window_days": settings.PINGPONG_WINDOW_DAYS,
        },
        status=400 if form.errors else 200,
    )
