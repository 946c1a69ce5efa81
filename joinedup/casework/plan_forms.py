"""Forms for the action plan."""

from __future__ import annotations

from typing import Any

from django import forms

from joinedup.accounts.models import Practitioner
from joinedup.casework.models import ActionStatus, Episode, Outcome, current_team_member_q
from joinedup.forms import GovukDateField, ModelChoiceField, ModelMultipleChoiceField
from joinedup.partnerships.models import Agency


class NeedForm(forms.Form):
    description = forms.CharField(
        label="What is the need?",
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": "Describe the need"},
    )


class OutcomeChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class DesiredOutcomeForm(forms.Form):
    description = forms.CharField(
        label="What outcome do you want for the child?",
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": "Describe the outcome you want"},
    )
    outcomes = OutcomeChoiceField(
        label="Which Every Child Matters outcomes does it serve?",
        help_text="Choose at least one.",
        queryset=Outcome.objects.all(),
        to_field_name="code",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one Every Child Matters outcome"},
    )


class ActionForm(forms.Form):
    description = forms.CharField(
        label="What will be done?",
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": "Describe the action"},
    )
    responsible_practitioner = ModelChoiceField(
        label="Practitioner responsible",
        queryset=Practitioner.objects.none(),
        to_field_name="username",
        required=False,
        empty_label="Not a practitioner on the team (name them below)",
    )
    responsible_name = forms.CharField(
        label="Or: the family member or agency responsible", max_length=200, required=False
    )
    responsible_agency = ModelChoiceField(
        label="Agency (optional)",
        help_text="Left empty for a practitioner, their home agency is used.",
        queryset=Agency.objects.order_by("name"),
        required=False,
    )
    due_on = GovukDateField(label="Due by", what="the date the action is due")

    def __init__(self, *args: Any, episode: Episode, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["responsible_practitioner"]
        assert isinstance(field, ModelChoiceField)  # noqa: S101
        field.queryset = (
            Practitioner.objects.filter(
                current_team_member_q(prefix="team_memberships__"),
                team_memberships__episode=episode,
            )
            .distinct()
            .order_by("last_name", "first_name")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not data.get("responsible_practitioner")
            and not (data.get("responsible_name") or "").strip()
            and not data.get("responsible_agency")
        ):
            self.add_error(
                "responsible_practitioner",
                "Say who is responsible: a practitioner on the team, or a family member or agency",
            )
        return data


class EditActionForm(ActionForm):
    status = forms.ChoiceField(
        label="Status",
        choices=ActionStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a status"},
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=ActionStatus.choices, error_messages={"required": "Choose a status"}
    )
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
