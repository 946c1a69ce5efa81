from django import forms


class EndInvolvementForm(forms.Form):
    reason = forms.CharField(
        label="Why has your involvement ended? (optional)",
        help_text="For example: support completed, child moved school.",
        required=False,
        max_length=200,
    )
