"""Forms for outcome ratings, closing an episode and reopening it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django import forms

from joinedup.casework import outcome_ratings
from joinedup.casework.models import ClosureReason, Outcome
from joinedup.casework.outcome_ratings import ScalePoint

NOT_GIVEN = ""


@dataclass(frozen=True)
class OutcomeFields:
    """The two score fields for one outcome, for the template."""

    outcome: Outcome
    practitioner: forms.BoundField
    family: forms.BoundField
    descriptors: dict[str, str]

    @property
    def practitioner_options(self) -> list[tuple[Any, str]]:
        """Each radio of the practitioner's score with the scale's descriptor as its hint."""
        return [
            (option, self.descriptors.get(str(option.data["value"]), ""))
            for option in self.practitioner
        ]


def _field_name(rater: str, outcome: Outcome) -> str:
    return f"{rater}_{outcome.code.replace('-', '_')}"


class OutcomeRatingsForm(forms.Form):
    """One child's scores on the five outcomes: the practitioner's (required) and the
    child's or family's own (optional, "Not given"), who gave the family's rating and
    notes. Use a prefix when a page has one form per child."""

    family_rater = forms.CharField(
        label="Who gave the family's rating?",
        help_text="For example: Sam (mother) and Jo, the young person. Needed when the "
        "family gave scores.",
        max_length=200,
        required=False,
    )
    notes = forms.CharField(
        label="Notes on the ratings", widget=forms.Textarea, max_length=4000, required=False
    )

    def __init__(
        self, *args: Any, outcomes: Sequence[Outcome] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.outcomes = list(outcomes) if outcomes is not None else outcome_ratings.outcomes()
        self.scale: list[ScalePoint] = outcome_ratings.outcome_scale()
        practitioner_choices = [(str(p.score), f"{p.score} {p.label}") for p in self.scale]
        family_choices = [*practitioner_choices, (NOT_GIVEN, "Not given")]
        for outcome in self.outcomes:
            self.fields[_field_name("practitioner", outcome)] = forms.TypedChoiceField(
                label=f"{outcome.name}: the practitioner's score",
                choices=practitioner_choices,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={
                    "required": f"Choose the practitioner's score for {outcome.name}",
                    "invalid_choice": f"Choose a score from 1 to 5 for {outcome.name}",
                },
            )
            self.fields[_field_name("family", outcome)] = forms.TypedChoiceField(
                label=f"{outcome.name}: the child's or family's own score",
                choices=family_choices,
                coerce=int,
                empty_value=None,
                required=False,
                initial=NOT_GIVEN,
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": f"Choose the family's score for {outcome.name}, or Not given"
                },
            )
        # The rating fields first, then who rated and notes.
        self.order_fields([name for name in self.fields if name not in {"family_rater", "notes"}])

    def outcome_fields(self) -> list[OutcomeFields]:
        descriptors = {str(point.score): point.descriptor for point in self.scale}
        return [
            OutcomeFields(
                outcome,
                self[_field_name("practitioner", outcome)],
                self[_field_name("family", outcome)],
                descriptors,
            )
            for outcome in self.outcomes
        ]

    def other_fields(self) -> list[forms.BoundField]:
        return [self["family_rater"], self["notes"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        family_given = any(
            data.get(_field_name("family", outcome)) is not None for outcome in self.outcomes
        )
        if family_given and not (data.get("family_rater") or "").strip():
            self.add_error("family_rater", "Say who gave the family's rating")
        return data

    def scores(self) -> dict[str, tuple[int, int | None]]:
        """Outcome code → (practitioner's score, family's score or None), for
        casework.outcome_ratings.record_rating_round. Call after is_valid()."""
        return {
            outcome.code: (
                self.cleaned_data[_field_name("practitioner", outcome)],
                self.cleaned_data.get(_field_name("family", outcome)),
            )
            for outcome in self.outcomes
        }

    def round_details(self) -> dict[str, Any]:
        """Keyword arguments for record_rating_round (and close_episode's final_ratings)."""
        return {
            "scores": self.scores(),
            "family_rater": self.cleaned_data.get("family_rater", ""),
            "notes": self.cleaned_data.get("notes", ""),
        }


class ClosureForm(forms.Form):
    reason = forms.ChoiceField(
        label="Why is the episode closing?",
        choices=ClosureReason.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose why the episode is closing"},
    )
    notes = forms.CharField(
        label="Notes on the closure",
        help_text="Needed when the reason is Other.",
        widget=forms.Textarea,
        max_length=4000,
        required=False,
    )
    family_feedback = forms.CharField(
        label="The family's feedback",
        help_text="What the child and family said about the support, in their own words.",
        widget=forms.Textarea,
        max_length=4000,
        required=False,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reason") == ClosureReason.OTHER and not (data.get("notes") or "").strip():
            self.add_error("notes", "Say why the episode is closing")
        return data


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Why is the episode being reopened?",
        widget=forms.Textarea,
        max_length=4000,
        error_messages={"required": "Say why the episode is being reopened"},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Say why the episode is being reopened")
        return reason
