from django import forms


class EndInvolvementForm(forms.Form):
    reason = forms.CharField(
        label="Why has your involvement ended? (optional)",
        help_text="For example: support completed, child moved school.",
        required=False,
        max_length=200,
    )


class StatedReasonForm(forms.Form):
    reason = forms.CharField(
        label="Why do you need to open this record?",
        help_text=(
            "For example: a concern about the child was raised with me today. Your reason is "
            "recorded with every view, and the people responsible for data protection can see it."
        ),
        widget=forms.Textarea,
        max_length=1000,
        error_messages={"required": "Say why you need to open this record"},
    )
