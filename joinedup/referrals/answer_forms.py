"""Forms for answering a referral (the receiving service's staff, or the referrer recording
the reply of a service outside Joined Up) and for a service's current waiting time.

The lifecycle (referrals.lifecycle) checks the rules again and its ValidationErrors are keyed
by these fields' names, so its messages land beside the right field."""

from __future__ import annotations

from typing import Any

from django import forms

from joinedup.forms import GovukDateField, ModelChoiceField
from joinedup.referrals.models import (
    Capacity,
    DeclineReason,
    Referral,
    ReferralOutcome,
    Service,
)


class AnswerForm(forms.Form):
    """A step with an optional note. When the referrer records the reply of a service
    outside Joined Up, it also asks who replied and how."""

    note_label = "Note (optional)"
    note_hint = ""

    reply_from = forms.CharField(
        label="Who replied, and how?",
        help_text="For example, Sam Patel, service manager, by email on 3 March.",
        max_length=300,
        error_messages={
            "required": "Say who at the service replied, and how",
            "max_length": "Who replied must be 300 characters or fewer",
        },
    )
    note = forms.CharField(widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, referral: Referral, by_hand: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.referral = referral
        if not by_hand:
            del self.fields["reply_from"]
        self.fields["note"].label = self.note_label
        self.fields["note"].help_text = self.note_hint


class AcknowledgeForm(AnswerForm):
    pass


class AcceptForm(AnswerForm):
    expected_start_on = GovukDateField(
        label="When do you expect to start? (optional)",
        what="the date you expect to start",
        required=False,
    )

    field_order = ["reply_from", "expected_start_on", "note"]


class ServiceChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} ({obj.agency.name})"


class DeclineForm(AnswerForm):
    note_label = "More about why"
    note_hint = "Required if you choose another reason."

    reason = forms.ChoiceField(
        label="Why is the referral declined?",
        choices=DeclineReason.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose why the referral is declined",
            "invalid_choice": "Choose why the referral is declined",
        },
    )
    suggested_service = ServiceChoiceField(
        label="A service that might meet the needs better (optional)",
        queryset=Service.objects.none(),
        required=False,
        empty_label="No suggestion",
        error_messages={"invalid_choice": "Choose a service from the directory"},
    )

    field_order = ["reply_from", "reason", "note", "suggested_service"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["suggested_service"].queryset = (  # type: ignore[attr-defined]
            Service.objects.filter(is_published=True)
            .exclude(pk=self.referral.service_id)
            .select_related("agency")
            .order_by("name", "pk")
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("reason") == DeclineReason.OTHER and not cleaned.get("note", "").strip():
            self.add_error("note", "Say why the referral is declined")
        return cleaned


class StartForm(AnswerForm):
    pass


class CompleteForm(AnswerForm):
    note_label = "About the outcome (optional)"

    outcome = forms.ChoiceField(
        label="What was the outcome?",
        choices=ReferralOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose the outcome",
            "invalid_choice": "Choose the outcome",
        },
    )

    field_order = ["reply_from", "outcome", "note"]


class WaitingTimeForm(forms.Form):
    """The service's current waiting time and capacity, shown to referrers before they
    send a referral."""

    waiting_weeks = forms.IntegerField(
        label="Current waiting time in weeks",
        help_text="How long a child referred today can expect to wait. Leave empty if not known.",
        min_value=0,
        max_value=104,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": "Enter the waiting time as a whole number of weeks",
            "min_value": "The waiting time cannot be less than 0 weeks",
            "max_value": "The waiting time must be 104 weeks or fewer",
        },
    )
    capacity = forms.ChoiceField(
        label="Capacity",
        choices=Capacity.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose whether the service is taking referrals",
            "invalid_choice": "Choose whether the service is taking referrals",
        },
    )
