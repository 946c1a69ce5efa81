"""Forms for reviews (team around the child meetings)."""

from __future__ import annotations

from typing import Any

from django import forms

from joinedup.accounts.models import Practitioner
from joinedup.casework.models import (
    RAG,
    Action,
    ActionStatus,
    DesiredOutcome,
    Episode,
    TeamMember,
    current_team_member_q,
)
from joinedup.forms import GovukDateField, ModelChoiceField, ModelMultipleChoiceField


class ScheduleReviewForm(forms.Form):
    date = GovukDateField(label="Date of the meeting", what="the date of the meeting")
    time = forms.TimeField(
        label="Time", help_text="For example, 14:30", error_messages={"required": "Enter a time"}
    )
    location = forms.CharField(label="Where", max_length=200, required=False)


class RecordReviewForm(forms.Form):
    """Built for one episode: a red/amber/green rating, a note and an optional status
    change per current action; attendance; one optional new action (a decision)."""

    held_on = GovukDateField(label="Date the review was held", what="the date it was held")
    minutes = forms.CharField(
        label="Minutes",
        widget=forms.Textarea,
        max_length=20000,
        error_messages={"required": "Enter the minutes of the review"},
    )
    attended = ModelMultipleChoiceField(
        label="Who attended?",
        queryset=TeamMember.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    others = forms.CharField(
        label="Others who attended (one per line)", widget=forms.Textarea, required=False
    )
    next_review_due = GovukDateField(
        label="Next review due",
        what="the next review date",
        required=False,
        help_text="Leave blank for the usual interval.",
    )
    new_desired_outcome = ModelChoiceField(
        label="Decision: a new action towards",
        queryset=DesiredOutcome.objects.none(),
        required=False,
        empty_label="No new action",
    )
    new_description = forms.CharField(
        label="What will be done?", widget=forms.Textarea, required=False, max_length=4000
    )
    new_due_on = GovukDateField(label="New action due", what="the due date", required=False)
    new_responsible = ModelChoiceField(
        label="Practitioner responsible for the new action",
        queryset=Practitioner.objects.none(),
        to_field_name="username",
        required=False,
    )

    def __init__(self, *args: Any, episode: Episode, actions: list[Action], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.actions = actions
        self.fields["attended"].queryset = TeamMember.objects.filter(  # type: ignore[attr-defined]
            current_team_member_q(), episode=episode
        ).select_related("practitioner")
        self.fields["attended"].label_from_instance = lambda m: f"{m.name} ({m.role})"  # type: ignore[attr-defined]
        self.fields["new_desired_outcome"].queryset = DesiredOutcome.objects.filter(  # type: ignore[attr-defined]
            need__episode=episode
        )
        self.fields["new_responsible"].queryset = Practitioner.objects.filter(  # type: ignore[attr-defined]
            team_memberships__in=TeamMember.objects.filter(current_team_member_q(), episode=episode)
        ).distinct()
        statuses = [("", "No change")] + [(value, label) for value, label in ActionStatus.choices]
        for action in actions:
            self.fields[f"rag_{action.pk}"] = forms.ChoiceField(
                label=f"Progress: {action.description}",
                choices=RAG.choices,
                widget=forms.RadioSelect,
                error_messages={"required": f"Rate progress on: {action.description[:60]}"},
            )
            self.fields[f"note_{action.pk}"] = forms.CharField(
                label="Note", required=False, max_length=4000
            )
            self.fields[f"status_{action.pk}"] = forms.ChoiceField(
                label="Decision: change its status", choices=statuses, required=False
            )

    def action_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "action": action,
                "rag": self[f"rag_{action.pk}"],
                "note": self[f"note_{action.pk}"],
                "status": self[f"status_{action.pk}"],
            }
            for action in self.actions
        ]

    def general_fields(self) -> list[forms.BoundField]:
        names = ["held_on", "minutes", "attended", "others", "next_review_due"]
        return [self[name] for name in names]

    def decision_fields(self) -> list[forms.BoundField]:
        names = ["new_desired_outcome", "new_description", "new_due_on", "new_responsible"]
        return [self[name] for name in names]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_desired_outcome"):
            if not data.get("new_description"):
                self.add_error("new_description", "Describe the new action")
            if not data.get("new_due_on"):
                self.add_error("new_due_on", "Enter the date the new action is due")
        return data
