"""The assessment form: the text fields, and per element a rating and notes."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms

from joinedup.casework.assessment import TEXT_FIELD_LABELS, Snapshot, by_domain
from joinedup.casework.models import Assessment, AssessmentElement, Rating

TEXT_FIELD_HINTS = {
    "child_views": "In their own words.",
    "parent_carer_views": "In their own words.",
}


def rating_name(element: AssessmentElement) -> str:
    return f"rating-{element.pk}"


def notes_name(element: AssessmentElement) -> str:
    return f"notes-{element.pk}"


class AssessmentForm(forms.Form):
    revision = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, elements: Iterable[AssessmentElement], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.elements = list(elements)
        for name in Assessment.TEXT_FIELDS:
            self.fields[name] = forms.CharField(
                label=TEXT_FIELD_LABELS[name],
                help_text=TEXT_FIELD_HINTS.get(name, ""),
                widget=forms.Textarea,
                required=False,
            )
        for element in self.elements:
            self.fields[rating_name(element)] = forms.ChoiceField(
                label=element.title,
                help_text=element.hint,
                choices=Rating.choices,
                widget=forms.RadioSelect,
                required=False,
            )
            self.fields[notes_name(element)] = forms.CharField(
                label="Notes and evidence", widget=forms.Textarea, required=False
            )

    @classmethod
    def initial_for(cls, assessment: Assessment, elements: Iterable[AssessmentElement]) -> dict:
        answers = {answer.element_id: answer for answer in assessment.answers.all()}
        initial: dict[str, Any] = {"revision": assessment.revision}
        initial.update({name: getattr(assessment, name) for name in Assessment.TEXT_FIELDS})
        for element in elements:
            answer = answers.get(element.pk)
            initial[rating_name(element)] = answer.rating if answer else Rating.NOT_ASSESSED
            initial[notes_name(element)] = answer.notes if answer else ""
        return initial

    def text_fields(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in Assessment.TEXT_FIELDS}

    def answers(self) -> dict[int, tuple[str, str]]:
        return {
            element.pk: (
                self.cleaned_data.get(rating_name(element)) or Rating.NOT_ASSESSED,
                self.cleaned_data.get(notes_name(element), ""),
            )
            for element in self.elements
        }

    def snapshot(self) -> Snapshot:
        return Snapshot(
            {k: v.strip() for k, v in self.text_fields().items()},
            {pk: (rating, notes.strip()) for pk, (rating, notes) in self.answers().items()},
        )

    def text_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in Assessment.TEXT_FIELDS]

    def domains(self) -> list[tuple[Any, list[tuple[AssessmentElement, Any, Any]]]]:
        """Per domain, each element with its rating and notes fields (for the template)."""
        return [
            (domain, [(e, self[rating_name(e)], self[notes_name(e)]) for e in elements])
            for domain, elements in by_domain(self.elements)
        ]
