"""Forms for the partnership toolkit. The diamond is entered with one set of radio
buttons per statement (row 1 to 5, or set aside), so it works without dragging and with a
keyboard or screen reader."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from joinedup.accounts.models import Practitioner
from joinedup.forms import GovukDateField, ModelChoiceField
from joinedup.partnerships.models import Membership
from joinedup.toolkit.content import ChecklistItem, checklists
from joinedup.toolkit.models import (
    DIAMOND_ROWS,
    DiamondStatement,
    ExerciseKind,
    ForceDirection,
    ForceFieldForce,
    MeetingStatus,
    Rating,
    SwotQuadrant,
)
from joinedup.toolkit.services import check_diamond_shape

SET_ASIDE = "set_aside"
ROW_CHOICES = [
    *((str(row), f"Row {row}") for row in DIAMOND_ROWS),
    (SET_ASIDE, "Set aside"),
]


class ExerciseForm(forms.Form):
    kind = forms.ChoiceField(
        label="Which exercise?",
        choices=ExerciseKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose which exercise to run"},
    )
    title = forms.CharField(
        label="Title",
        max_length=200,
        error_messages={"required": "Enter a title for the exercise"},
    )
    question = forms.CharField(
        label="Question or change being considered",
        required=False,
        widget=forms.Textarea,
        help_text="For a force-field analysis, describe the change the partnership is considering.",
    )
    held_on = GovukDateField(label="Date held", what="the date the exercise is held")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("kind") == ExerciseKind.FORCE_FIELD and not cleaned.get("question"):
            self.add_error("question", "Describe the change the partnership is considering")
        return cleaned


class DiamondRankingForm(forms.Form):
    def __init__(
        self,
        *args: Any,
        statements: list[DiamondStatement],
        current: dict[int, int | None] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.statements = statements
        for statement in statements:
            initial = None
            if current and statement.pk in current:
                row = current[statement.pk]
                initial = SET_ASIDE if row is None else str(row)
            self.fields[f"statement_{statement.pk}"] = forms.ChoiceField(
                label=f"{statement.order}. {statement.text}",
                choices=ROW_CHOICES,
                widget=forms.RadioSelect,
                initial=initial,
                error_messages={"required": "Choose a row for this statement, or set it aside"},
            )

    def statement_fields(self) -> list[tuple[DiamondStatement, forms.BoundField]]:
        return [(statement, self[f"statement_{statement.pk}"]) for statement in self.statements]

    def placements(self) -> dict[int, int | None]:
        return {
            statement.pk: (
                None
                if self.cleaned_data[f"statement_{statement.pk}"] == SET_ASIDE
                else int(self.cleaned_data[f"statement_{statement.pk}"])
            )
            for statement in self.statements
        }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors:
            try:
                check_diamond_shape({s.pk for s in self.statements}, self.placements())
            except ValidationError as problem:
                raise ValidationError(problem.messages) from problem
        return cleaned


class StatementForm(forms.Form):
    text = forms.CharField(
        label="Statement", max_length=300, error_messages={"required": "Enter the statement"}
    )


class ForceForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "force_%s")
        super().__init__(*args, **kwargs)

    direction = forms.ChoiceField(
        label="Is this force for or against the change?",
        choices=ForceDirection.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the force is for or against the change"},
    )
    description = forms.CharField(
        label="Describe the force",
        max_length=300,
        error_messages={"required": "Describe the force"},
    )
    strength = forms.TypedChoiceField(
        label="How strong is it?",
        choices=[
            (str(n), f"{n}{' (weak)' if n == 1 else ' (strong)' if n == 5 else ''}")
            for n in range(1, 6)
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": "Give the force a strength from 1 to 5"},
    )


class StrategyForm(forms.Form):
    description = forms.CharField(
        label="Describe the strategy",
        max_length=300,
        error_messages={"required": "Describe the strategy"},
    )
    addresses = ModelChoiceField(
        label="Which force does it address? (optional)",
        queryset=ForceFieldForce.objects.none(),
        required=False,
        empty_label="None in particular",
    )

    def __init__(self, *args: Any, exercise: Any, **kwargs: Any) -> None:
        # Its own ids: the force form on the same page also has a "description".
        kwargs.setdefault("auto_id", "strategy_%s")
        super().__init__(*args, **kwargs)
        self.fields["addresses"].queryset = ForceFieldForce.objects.filter(  # type: ignore[attr-defined]
            exercise=exercise
        ).order_by("direction", "-strength", "pk")


class SwotItemForm(forms.Form):
    quadrant = forms.ChoiceField(
        label="Which part of the SWOT?",
        choices=SwotQuadrant.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose strengths, weaknesses, opportunities or threats"},
    )
    text = forms.CharField(
        label="What would you add?", max_length=300, error_messages={"required": "Enter your point"}
    )


# Meetings ------------------------------------------------------------------------------


class TermDateForm(forms.Form):
    name = forms.CharField(
        label="Term",
        max_length=100,
        help_text="For example, Autumn 2026",
        error_messages={"required": "Enter the term's name"},
    )
    starts_on = GovukDateField(label="First day of term", what="the first day of term")
    ends_on = GovukDateField(label="Last day of term", what="the last day of term")
    half_term_starts_on = GovukDateField(
        label="First day of the half-term holiday (optional)",
        what="the first day of the half-term holiday",
        required=False,
    )
    half_term_ends_on = GovukDateField(
        label="Last day of the half-term holiday (optional)",
        what="the last day of the half-term holiday",
        required=False,
    )


class MeetingForm(forms.Form):
    held_on = GovukDateField(label="Date", what="the date of the meeting")
    starts_at = forms.TimeField(
        label="Start time (optional)",
        required=False,
        help_text="For example, 14:00",
        error_messages={"invalid": "Enter the start time as hours and minutes, like 14:00"},
    )
    location = forms.CharField(label="Where (optional)", max_length=200, required=False)
    agenda = forms.CharField(label="Agenda (optional)", required=False, widget=forms.Textarea)


class MeetingRecordForm(MeetingForm):
    """The meeting's details with its minutes and status, for whoever manages it."""

    status = forms.ChoiceField(
        label="Status",
        choices=MeetingStatus.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say whether the meeting is planned, held or cancelled"},
    )
    minutes = forms.CharField(label="Minutes", required=False, widget=forms.Textarea)


class MeetingActionForm(forms.Form):
    description = forms.CharField(
        label="Action", max_length=300, error_messages={"required": "Describe the action"}
    )
    owner = ModelChoiceField(
        label="Who will do it?",
        queryset=Practitioner.objects.none(),
        error_messages={"required": "Choose who will do it"},
    )
    due_on = GovukDateField(label="Due by (optional)", what="the date it is due", required=False)

    def __init__(self, *args: Any, partnership: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "action_%s")
        super().__init__(*args, **kwargs)
        members = Membership.objects.current().filter(partnership=partnership)
        self.fields["owner"].queryset = Practitioner.objects.filter(  # type: ignore[attr-defined]
            pk__in=members.values("practitioner")
        ).order_by("last_name", "first_name", "pk")


# Self-evaluation -----------------------------------------------------------------------


class SelfEvaluationForm(forms.Form):
    checklist = forms.ChoiceField(
        label="Which checklist?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose a checklist"},
    )
    held_on = GovukDateField(label="Date held", what="the date of the self-evaluation")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["checklist"].choices = [  # type: ignore[attr-defined]
            (key, checklist.name) for key, checklist in checklists().items()
        ]


class SelfEvaluationAnswersForm(forms.Form):
    """One rating (radio buttons, 1 to 4) and an optional note of evidence per item."""

    def __init__(
        self,
        *args: Any,
        items: tuple[ChecklistItem, ...],
        current: dict[str, tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for number, item in enumerate(items, start=1):
            rating, evidence = (current or {}).get(item.key, (None, ""))
            self.fields[f"rating_{item.key}"] = forms.TypedChoiceField(
                label=f"{number}. {item.text}",
                choices=[(str(value), label) for value, label in Rating.choices],
                coerce=int,
                widget=forms.RadioSelect,
                initial=None if rating is None else str(rating),
                error_messages={"required": "Choose a rating for this item"},
            )
            self.fields[f"evidence_{item.key}"] = forms.CharField(
                label="What shows this? (optional)",
                required=False,
                widget=forms.Textarea,
                initial=evidence,
            )

    def item_fields(self) -> list[tuple[ChecklistItem, forms.BoundField, forms.BoundField]]:
        return [
            (item, self[f"rating_{item.key}"], self[f"evidence_{item.key}"]) for item in self.items
        ]

    def answers(self) -> dict[str, tuple[int, str]]:
        return {
            item.key: (
                self.cleaned_data[f"rating_{item.key}"],
                self.cleaned_data[f"evidence_{item.key}"],
            )
            for item in self.items
        }
