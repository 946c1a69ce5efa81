from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat

from joinedup.children.feeds.format import FIELDS, normalise_heading
from joinedup.children.feeds.reading import max_bytes
from joinedup.forms import ModelChoiceField
from joinedup.partnerships.models import Agency


class UploadFeedForm(forms.Form):
    agency = ModelChoiceField(
        queryset=Agency.objects.none(),
        label="Which agency's records are these?",
        empty_label=None,
        error_messages={"required": "Select the agency whose records these are"},
    )
    file = forms.FileField(
        label="Upload a file",
        help_text="A CSV file saved as UTF-8, or an Excel workbook (.xlsx).",
        error_messages={
            "required": "Select a CSV or Excel file to upload",
            "empty": "The selected file is empty",
        },
    )

    def __init__(self, *args: Any, agencies: QuerySet[Agency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        agency_field = self.fields["agency"]
        assert isinstance(agency_field, ModelChoiceField)  # noqa: S101
        agency_field.queryset = agencies

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = max_bytes()
        if upload.size > limit:
            raise forms.ValidationError(
                f"The selected file must be smaller than {filesizeformat(limit)}: split it into smaller files"
            )
        return upload


class FeedMappingForm(forms.Form):
    """One text box per field: the heading the agency's own system uses for it."""

    def __init__(self, *args: Any, mapping: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        by_field = {key: heading for heading, key in mapping.items()}
        for spec in FIELDS:
            self.fields[spec.key] = forms.CharField(
                label=spec.heading,
                required=False,
                max_length=200,
                initial=by_field.get(spec.key, ""),
                help_text=spec.description,
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        seen: dict[str, str] = {}
        for spec in FIELDS:
            heading = (cleaned.get(spec.key) or "").strip()
            if not heading:
                continue
            name = normalise_heading(heading)
            if name in seen:
                self.add_error(
                    spec.key,
                    f"“{heading}” is already used for {seen[name]}: each of your headings can fill only one field",
                )
            seen[name] = spec.heading
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {
            self.cleaned_data[spec.key].strip(): spec.key
            for spec in FIELDS
            if (self.cleaned_data.get(spec.key) or "").strip()
        }


class DealtWithForm(forms.Form):
    reason = forms.CharField(
        label="Why does this row not need to be sent again?",
        help_text="For example: the child left the school before the file was sent. "
        "Your name and today's date are kept with the reason.",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
        error_messages={"required": "Enter why this row does not need to be sent again"},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError("Enter why this row does not need to be sent again")
        return reason
