from django import forms

from joinedup.forms import GovukDateField


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


class ShieldForm(forms.Form):
    reason = forms.CharField(
        label="Why must this child's whereabouts be hidden?",
        help_text="Recorded with the shielding and seen by the data managers who review it.",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Say why the child's whereabouts must be hidden"},
    )
    review_on = GovukDateField(label="Review the shielding by", what="the review date")


class LiftShieldingForm(forms.Form):
    lift_reason = forms.CharField(
        label="Why can the shielding be lifted?",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Say why the shielding can be lifted"},
    )


class ReviewAccessForm(forms.Form):
    note = forms.CharField(label="Note (optional)", required=False, max_length=500)
