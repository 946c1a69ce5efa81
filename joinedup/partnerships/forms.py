"""Forms for partnership pages. Rendered field by field through includes/field.html."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from joinedup.forms import GovukDateField, ModelChoiceField, ModelMultipleChoiceField
from joinedup.partnerships import selectors
from joinedup.partnerships.models import (
    ACTIVITY_MODEL_EXPLANATIONS,
    GOVERNMENT_MODEL_EXPLANATIONS,
    ActivityModel,
    GovernmentModel,
    MembershipRole,
    Partnership,
    Sector,
)


def _today_iso() -> str:
    # A string, not a date: templates would otherwise print it in the long display format,
    # which a date input cannot read.
    return timezone.localdate().isoformat()


def _explained(
    choices: list[tuple[str, str]], explanations: dict[str, str]
) -> list[tuple[str, str]]:
    return [(value, f"{label} – {explanations[value]}") for value, label in choices]


class PractitionerChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        details = ", ".join(
            part
            for part in (obj.job_title, obj.home_agency.name if obj.home_agency else "")
            if part
        )
        name = obj.get_full_name() or obj.username
        return f"{name} ({details})" if details else name


# Filters ----------------------------------------------------------------------------------


class GovernmentModelFilterForm(forms.Form):
    government_model = forms.ChoiceField(
        label="Model (government guidance)",
        choices=[("", "All models"), *GovernmentModel.choices],
        required=False,
    )


class SectorFilterForm(forms.Form):
    sector = forms.ChoiceField(
        label="Sector", choices=[("", "All sectors"), *Sector.choices], required=False
    )


# Partnership details ----------------------------------------------------------------------


class PartnershipForm(forms.ModelForm):
    government_model = forms.ChoiceField(
        label="Model (government guidance)",
        choices=_explained(GovernmentModel.choices, GOVERNMENT_MODEL_EXPLANATIONS),
        widget=forms.RadioSelect,
        error_messages={"required": "Select the model from government guidance"},
    )
    activity_model = forms.ChoiceField(
        label="Model of activity (research study)",
        choices=_explained(ActivityModel.choices, ACTIVITY_MODEL_EXPLANATIONS),
        widget=forms.RadioSelect,
        help_text="From agencies keeping distinct roles to roles merging.",
        error_messages={"required": "Select the model of activity"},
    )
    started_on = GovukDateField(
        label="Start date",
        what="the date the partnership started",
    )

    class Meta:
        model = Partnership
        fields = [
            "name",
            "description",
            "government_model",
            "activity_model",
            "base_setting",
            "started_on",
            "member_agencies",
        ]
        labels = {"name": "Name", "description": "Description (optional)"}
        widgets = {"member_agencies": forms.CheckboxSelectMultiple}
        # The project's choice fields: an absurd id is "not a choice", not a server error.
        field_classes = {
            "base_setting": ModelChoiceField,
            "member_agencies": ModelMultipleChoiceField,
        }
        error_messages = {"name": {"required": "Enter the partnership's name"}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agencies = selectors.agencies_to_choose()
        base_setting = self.fields["base_setting"]
        assert isinstance(base_setting, ModelChoiceField)  # noqa: S101
        base_setting.queryset = agencies
        base_setting.empty_label = "No base setting"
        base_setting.label = "Base setting (optional)"
        member_agencies = self.fields["member_agencies"]
        assert isinstance(member_agencies, ModelMultipleChoiceField)  # noqa: S101
        member_agencies.queryset = agencies
        member_agencies.label = "Member agencies"
        member_agencies.help_text = "Select all the agencies that belong to this partnership."
        if self.instance.pk and not self.is_bound:
            self.initial["started_on"] = self.instance.started_on.isoformat()


# Memberships ------------------------------------------------------------------------------


class AddMemberForm(forms.Form):
    practitioner = PractitionerChoiceField(
        label="Practitioner",
        queryset=selectors.practitioners_to_choose(),
        empty_label="Choose a practitioner",
        error_messages={"required": "Choose the practitioner to add"},
    )
    role = forms.ChoiceField(
        label="Role in the partnership",
        choices=MembershipRole.choices,
        initial=MembershipRole.MEMBER,
        widget=forms.RadioSelect,
        error_messages={"required": "Select their role in the partnership"},
    )
    partnership_line_manager = PractitionerChoiceField(
        label="Line manager in the partnership (optional)",
        queryset=selectors.practitioners_to_choose(),
        required=False,
        empty_label="None – line managed by their home agency only",
        help_text=(
            "Only if someone in the partnership line-manages them as well as their "
            "home agency (dual line management)."
        ),
    )
    started_on = GovukDateField(
        label="Start date",
        initial=_today_iso,
        what="the date they join the partnership",
    )


class ChangeMemberForm(forms.Form):
    role = forms.ChoiceField(
        label="Role in the partnership",
        choices=MembershipRole.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Select their role in the partnership"},
    )
    partnership_line_manager = PractitionerChoiceField(
        label="Line manager in the partnership (optional)",
        queryset=selectors.practitioners_to_choose(),
        required=False,
        empty_label="None – line managed by their home agency only",
        help_text=(
            "Only if someone in the partnership line-manages them as well as their "
            "home agency (dual line management)."
        ),
    )


class EndMembershipForm(forms.Form):
    ended_on = GovukDateField(
        label="End date",
        help_text="They stop being a member on this date.",
        initial=_today_iso,
        what="the date the membership ends",
    )
