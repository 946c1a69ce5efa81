"""Forms of the identity-matching pages (review queue, merge, split, undo)."""

from __future__ import annotations

from typing import Any

from django import forms

from joinedup.children.search import SearchForm

REASON_HELP = "Recorded with the change, with your name, and shown in the child's link history."


class DecideReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label="Are these records about the same child?",
        choices=[
            ("link", "Yes — link them: they are one child"),
            ("kept_apart", "No — keep them apart: they are two children"),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether these records are about the same child"},
    )
    reason = forms.CharField(
        label="Why?",
        help_text=REASON_HELP,
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Say why you decided this"},
    )


class ChooseChildForm(forms.Form):
    other = forms.IntegerField(
        label="Joined Up ID of the other record",
        help_text="The number at the end of the other record's address, for example 1234 in "
        "/children/1234/. Or find the child below by name and date of birth.",
        min_value=1,
        error_messages={
            "required": "Enter the Joined Up ID of the other record",
            "invalid": "Enter the Joined Up ID as a number, like 1234",
        },
    )


class FindOtherChildForm(SearchForm):
    """The merge page's search for the other record: a name and a date of birth (the
    search's own rules and messages; the search is recorded like any other)."""

    postcode = None  # type: ignore[assignment]
    nhs_number = None  # type: ignore[assignment]
    upn = None  # type: ignore[assignment]

    EMPTY_MESSAGE = "Enter a name and a date of birth to find the other record"

    FIELDS = ("name", "date_of_birth_day", "date_of_birth_month", "date_of_birth_year")


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why?",
        help_text=REASON_HELP,
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Say why"},
    )


class SplitForm(forms.Form):
    records = forms.MultipleChoiceField(
        label="Which records are about a different child?",
        help_text="They move to a new child record, made from what those records say.",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the records that are about a different child"},
    )
    involvements = forms.MultipleChoiceField(
        label="Which involvements go with them? (optional)",
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reason = forms.CharField(
        label="Why are they a different child?",
        help_text=REASON_HELP,
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Say why these records are about a different child"},
    )

    def __init__(
        self,
        *args: Any,
        record_choices: list[tuple[str, str]],
        involvement_choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["records"].choices = record_choices  # type: ignore[attr-defined]
        self.fields["involvements"].choices = involvement_choices  # type: ignore[attr-defined]
        if not involvement_choices:
            del self.fields["involvements"]
