from __future__ import annotations

from typing import Any

from django import forms

from joinedup.accounts.models import Practitioner
from joinedup.casework.models import ConsentScope, Episode, current_team_member_q
from joinedup.children.models import Child
from joinedup.forms import GovukDateField, ModelChoiceField, ModelMultipleChoiceField
from joinedup.sharing.models import ConsentGiver


class OpenEpisodeForm(forms.Form):
    siblings = ModelMultipleChoiceField(
        label="Brothers and sisters to include (a team around the family)",
        help_text="Only children whose records you can see are listed.",
        queryset=Child.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, siblings: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["siblings"]
        assert isinstance(field, ModelMultipleChoiceField)  # noqa: S101
        field.queryset = siblings
        if not siblings.exists():
            del self.fields["siblings"]


class PreAssessmentCheckForm(forms.Form):
    needs_more_than_universal = forms.TypedChoiceField(
        label="Does the child need more support than universal services can give?",
        choices=[("yes", "Yes"), ("no", "No")],
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the child needs more than universal services"},
    )
    notes = forms.CharField(label="Notes (optional)", widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The episode page shows this form beside the lead professional form, which has a
        # "notes" field too: distinct ids keep each label tied to its own box.
        kwargs.setdefault("auto_id", "check-%s")
        super().__init__(*args, **kwargs)


class ConsentForm(forms.Form):
    given_by_kind = forms.ChoiceField(
        label="Who gave consent?",
        choices=ConsentGiver.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say who gave consent"},
    )
    given_by_name = forms.CharField(
        label="Their name", max_length=200, error_messages={"required": "Enter their name"}
    )
    competence_note = forms.CharField(
        label="If the young person gave consent: why they are competent to decide",
        widget=forms.Textarea,
        required=False,
    )
    given_on = GovukDateField(label="When consent was given", what="the date consent was given")
    scope = forms.ChoiceField(
        label="What does the consent cover?",
        choices=ConsentScope.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say what the consent covers"},
    )
    review_on = GovukDateField(
        label="When to review it with the family (optional)",
        what="the review date",
        required=False,
    )
    expires_on = GovukDateField(
        label="When it expires, if the family set an end date (optional)",
        what="the expiry date",
        required=False,
    )


class WithdrawConsentForm(forms.Form):
    reason = forms.CharField(
        label="Why was consent withdrawn?",
        max_length=1000,
        error_messages={"required": "Say why consent was withdrawn"},
    )


class TeamMemberForm(forms.Form):
    kind = forms.ChoiceField(
        label="Who is joining the team?",
        choices=[("practitioner", "A practitioner"), ("family", "A family member")],
        widget=forms.RadioSelect,
        error_messages={"required": "Say who is joining the team"},
    )
    email = forms.EmailField(label="The practitioner's work email address", required=False)
    participant_name = forms.CharField(label="The family member's name", required=False)
    participant_relationship = forms.CharField(
        label="Their relationship to the child", required=False, max_length=100
    )
    role = forms.CharField(
        label="Role on the team",
        max_length=200,
        help_text="For example: school SENCo, family support worker, parent.",
        error_messages={"required": "Enter their role on the team"},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == "practitioner":
            email = data.get("email")
            if not email:
                self.add_error("email", "Enter the practitioner's work email address")
            else:
                found = Practitioner.objects.filter(
                    email__iexact=email, is_active=True, is_superuser=False
                ).first()
                if found is None:
                    self.add_error("email", "No practitioner has that email address")
                data["practitioner"] = found
        elif data.get("kind") == "family" and not data.get("participant_name"):
            self.add_error("participant_name", "Enter the family member's name")
        return data


class LeadProfessionalForm(forms.Form):
    practitioner = ModelChoiceField(
        label="Lead professional",
        queryset=Practitioner.objects.none(),
        to_field_name="username",
        error_messages={"required": "Choose the lead professional"},
    )
    family_agreement_recorded = forms.BooleanField(
        label="The family agreed to this lead professional at the team meeting",
        required=False,
    )
    family_agreed_by = forms.CharField(
        label="Who in the family agreed", max_length=200, required=False
    )
    notes = forms.CharField(label="Notes (optional)", widget=forms.Textarea, required=False)

    def __init__(self, *args: Any, episode: Episode, **kwargs: Any) -> None:
        # Distinct ids on the episode page (see PreAssessmentCheckForm).
        kwargs.setdefault("auto_id", "lead-%s")
        super().__init__(*args, **kwargs)
        field = self.fields["practitioner"]
        assert isinstance(field, ModelChoiceField)  # noqa: S101
        field.queryset = Practitioner.objects.filter(
            current_team_member_q(prefix="team_memberships__"),
            team_memberships__episode=episode,
        ).distinct()


class AddChildForm(forms.Form):
    """A brother or sister joining an open episode. The template draws the radios from the
    children it lists (casework.siblings.candidates_page); the field validates the choice
    against every child the practitioner may add, without listing them all."""

    child = ModelChoiceField(
        label="Which brother or sister is joining?",
        queryset=Child.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose the brother or sister who is joining the episode",
            "invalid_choice": "Choose a child from the list",
        },
    )
    family_agreed = forms.BooleanField(
        label="The family agreed that this child joins the team around the family, and that "
        "the team may share information about them",
        error_messages={"required": "Confirm that the family agreed"},
    )

    def __init__(self, *args: Any, children: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["child"]
        assert isinstance(field, ModelChoiceField)  # noqa: S101
        field.queryset = children
