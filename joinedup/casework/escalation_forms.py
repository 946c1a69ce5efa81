"""Forms for stepping up to children's social care and stepping down into early help."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from joinedup.accounts.models import Practitioner
from joinedup.casework.escalation import SHARED_SECTIONS
from joinedup.casework.models import StepUpStatus
from joinedup.forms import GovukDateField, ModelChoiceField
from joinedup.partnerships.models import Agency, Sector
from joinedup.sharing.models import ConsentGiver, ConsentPosition, LawfulBasis


class StepUpForm(forms.Form):
    to_agency = ModelChoiceField(
        label="Children's social care agency",
        queryset=Agency.objects.filter(sector=Sector.SOCIAL_CARE),
        empty_label="Choose an agency",
        error_messages={
            "required": "Choose the children's social care agency",
            "invalid_choice": "Choose a children's social care agency from the list",
        },
    )
    reason = forms.CharField(
        label="Why the child's needs exceed early help",
        widget=forms.Textarea,
        error_messages={"required": "Say why the child's needs exceed early help"},
    )
    shared_sections = forms.MultipleChoiceField(
        label="Which parts of the record are shared with children's social care?",
        help_text="Share what they need to decide, and no more. Select all that apply.",
        choices=SHARED_SECTIONS,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "required": "Choose at least one part of the record to share",
            "invalid_choice": "Choose parts of the record from the list",
        },
    )
    shared_notes = forms.CharField(
        label="Anything else shared (optional)", widget=forms.Textarea, required=False
    )
    without_consent_reason = forms.CharField(
        label="Why is the information shared without consent?",
        help_text=(
            "Consent to sharing is not in force for this episode. Sharing without it must be "
            "necessary and proportionate: for example, the child is at risk of significant "
            "harm, or asking for consent would put them at greater risk."
        ),
        widget=forms.Textarea,
        required=False,
    )
    # Sharing without consent (issue 6): recorded for the lead's supervisor to confirm.
    lawful_basis = forms.ChoiceField(
        label="The lawful basis for sharing without consent",
        choices=LawfulBasis.choices,
        initial=LawfulBasis.SIGNIFICANT_HARM,
        widget=forms.RadioSelect,
        required=False,
    )
    consent_position = forms.ChoiceField(
        label="Why was consent not sought, or why was it overridden?",
        help_text="Your decision is sent to your supervisor to confirm.",
        choices=ConsentPosition.choices,
        widget=forms.RadioSelect,
        required=False,
    )

    def __init__(self, *args: Any, sharing_consent_in_force: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if sharing_consent_in_force:
            del self.fields["without_consent_reason"]
            del self.fields["lawful_basis"]
            del self.fields["consent_position"]
        else:
            self.fields["lawful_basis"].required = True
            self.fields["lawful_basis"].error_messages["required"] = (
                "Choose the lawful basis for sharing without consent"
            )
            self.fields["consent_position"].required = True
            self.fields["consent_position"].error_messages["required"] = (
                "Say why consent was not sought or was overridden"
            )
            self.fields["without_consent_reason"].required = True
            self.fields["without_consent_reason"].error_messages["required"] = (
                "Consent to sharing is not in force: say why the information is shared without it"
            )


class StepUpDecisionForm(forms.Form):
    status = forms.ChoiceField(
        label="What did children's social care decide?",
        choices=[
            (StepUpStatus.ACCEPTED.value, "They accepted it: the episode closes as stepped up"),
            (StepUpStatus.NOT_ACCEPTED.value, "They did not accept it: early help continues"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Say what children's social care decided"},
    )
    decided_on = GovukDateField(label="When they decided", what="the date of the decision")
    decision_note = forms.CharField(
        label="Their reasons, and what happens next",
        help_text="Required if they did not accept the step-up.",
        widget=forms.Textarea,
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"decided_on": timezone.localdate()})
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            data.get("status") == StepUpStatus.NOT_ACCEPTED
            and not data.get("decision_note", "").strip()
        ):
            self.add_error(
                "decision_note", "Say why children's social care did not accept the step-up"
            )
        return data


class StepDownForm(forms.Form):
    social_care_reference = forms.CharField(
        label="Children's social care reference (optional)", max_length=50, required=False
    )
    summary = forms.CharField(
        label="Why social care is ending and what has changed",
        widget=forms.Textarea,
        error_messages={"required": "Say why social care is ending and what has changed"},
    )
    needs_remaining = forms.CharField(
        label="Needs that early help should pick up",
        widget=forms.Textarea,
        error_messages={"required": "Say which needs early help should pick up"},
    )
    risks = forms.CharField(
        label="Risks the team should know about (optional)", widget=forms.Textarea, required=False
    )
    family_views = forms.CharField(
        label="What the family thinks (optional)", widget=forms.Textarea, required=False
    )
    receiving_email = forms.EmailField(
        label="The practitioner who will receive the case: their work email address (optional)",
        help_text=(
            "They join the team around the child with you. A practitioner joins the team only "
            "with the family's consent to sharing, so record who agreed below."
        ),
        required=False,
        error_messages={"invalid": "Enter an email address like name@example.org"},
    )
    receiving_role = forms.CharField(label="Their role on the team", max_length=200, required=False)
    consent_given_by_kind = forms.ChoiceField(
        label="Who agreed to the handover being shared with them?",
        choices=ConsentGiver.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    consent_given_by_name = forms.CharField(
        label="The name of who agreed", max_length=200, required=False
    )
    consent_competence_note = forms.CharField(
        label="If the young person agreed: why they are competent to decide",
        widget=forms.Textarea,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        data["receiving_practitioner"] = None
        email = data.get("receiving_email")
        if email:
            found = Practitioner.objects.filter(
                email__iexact=email, is_active=True, is_superuser=False
            ).first()
            if found is None:
                self.add_error("receiving_email", "No practitioner has that email address")
            data["receiving_practitioner"] = found
        return data
