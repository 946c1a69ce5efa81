"""Forms for a child's consent records (issue 6): recording a consent, changing it (a new
version, with a note of why) and withdrawing it. The rules live in sharing.consents; a
form asks them (consents.check_terms) so every problem shows at once."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone

from joinedup.forms import GovukDateField, ModelMultipleChoiceField
from joinedup.partnerships.models import Agency
from joinedup.referrals.models import Service
from joinedup.sharing import consents
from joinedup.sharing.models import Consent, ConsentGiver, InformationKind

PURPOSES = [
    ("assessment", "An assessment of the child's needs"),
    ("sharing", "Sharing information with the people named below"),
    ("referral", "A referral to a service"),
    ("reporting", "De-identified reporting on outcomes"),
]

# Where each of consents._validate's problems shows on the form.
PROBLEM_FIELDS = {"recipients": "to_team"}


class ServiceChoiceField(ModelMultipleChoiceField):
    def label_from_instance(self, obj: Service) -> str:
        return f"{obj.name} ({obj.agency.name})"


class ConsentForm(forms.Form):
    given_by_kind = forms.ChoiceField(
        label="Who gave consent?",
        choices=ConsentGiver.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say who gave consent"},
    )
    given_by_name = forms.CharField(
        label="Their name",
        max_length=200,
        error_messages={"required": "Enter the name of who gave consent"},
    )
    giver_reason = forms.CharField(
        label="Why them?",
        help_text=(
            "For a young person, why they are competent to decide (you must say). For a "
            "parent or carer, why they decide for the child (optional)."
        ),
        widget=forms.Textarea,
        required=False,
    )
    purposes = forms.MultipleChoiceField(
        label="What is the consent for?",
        choices=PURPOSES,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one purpose the consent is for"},
    )
    scope = forms.MultipleChoiceField(
        label="Which information does it cover?",
        choices=InformationKind.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose the kinds of information the consent covers"},
    )
    to_team = forms.BooleanField(
        label="The agencies of the team around the child",
        required=False,
        help_text="Who may the information be shared with? Choose at least one for sharing or "
        "a referral.",
    )
    agencies = ModelMultipleChoiceField(
        label="Agencies",
        queryset=Agency.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="Agencies of your partnerships.",
    )
    services = ServiceChoiceField(
        label="Services",
        queryset=Service.objects.none(),
        required=False,
        help_text="Services in the directory. Hold Ctrl (or Cmd) to choose more than one.",
    )
    given_on = GovukDateField(label="When was consent given?", what="the date consent was given")
    review_on = GovukDateField(
        label="When should it be reviewed? (optional)",
        what="the review date",
        required=False,
    )
    expires_on = GovukDateField(
        label="When does it expire? (optional)",
        what="the expiry date",
        required=False,
        help_text="Leave empty if it lasts until it is withdrawn. For example, 27 3 2027",
    )

    def __init__(
        self,
        *args: Any,
        agencies: QuerySet[Agency],
        services: QuerySet[Service],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["agencies"].queryset = agencies  # type: ignore[attr-defined]
        self.fields["services"].queryset = services  # type: ignore[attr-defined]

    @staticmethod
    def initial_from(consent: Consent) -> dict[str, Any]:
        terms = consents.terms_of(consent)
        purposes = [
            name
            for name, flag in (
                ("assessment", terms.for_assessment),
                ("sharing", terms.for_sharing),
                ("referral", terms.for_referral),
                ("reporting", terms.for_reporting),
            )
            if flag
        ]
        return {
            "given_by_kind": terms.given_by_kind,
            "given_by_name": terms.given_by_name,
            "giver_reason": terms.giver_reason,
            "purposes": purposes,
            "scope": list(terms.scope),
            "to_team": terms.to_team,
            "agencies": [agency.pk for agency in terms.agencies],
            "services": [service.pk for service in terms.services],
            "given_on": terms.given_on,
            "review_on": terms.review_on,
            "expires_on": terms.expires_on,
        }

    def terms(self) -> consents.ConsentTerms:
        data = self.cleaned_data
        purposes = set(data.get("purposes") or [])
        return consents.ConsentTerms(
            given_by_kind=data.get("given_by_kind") or "",
            given_by_name=data.get("given_by_name") or "",
            given_on=data.get("given_on") or timezone.localdate(),
            giver_reason=data.get("giver_reason") or "",
            for_assessment="assessment" in purposes,
            for_sharing="sharing" in purposes,
            for_referral="referral" in purposes,
            for_reporting="reporting" in purposes,
            scope=list(data.get("scope") or []),
            to_team=bool(data.get("to_team")),
            agencies=list(data.get("agencies") or []),
            services=list(data.get("services") or []),
            review_on=data.get("review_on"),
            expires_on=data.get("expires_on"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # Ask the rules even when a field is missing, so every problem shows at once; the
        # date checks need the date consent was given, so they wait for it.
        try:
            consents.check_terms(self.terms())
        except ValidationError as problem:
            if hasattr(problem, "error_dict") and data.get("given_on") is None:
                for name in ("given_on", "expires_on", "review_on"):
                    problem.error_dict.pop(name, None)
            self.add_problem(problem)
        return data

    def add_problem(self, problem: ValidationError) -> None:
        """Put a ValidationError from sharing.consents on the field it names (once)."""
        if not hasattr(problem, "error_dict"):
            self.add_error(None, problem.messages)
            return
        for name, messages in problem.message_dict.items():
            named = PROBLEM_FIELDS.get(name, name)
            field = named if named in self.fields else None
            for message in messages:
                if field is not None and message in self.errors.get(field, []):
                    continue
                self.add_error(field, message)


class ChangeConsentForm(ConsentForm):
    change_note = forms.CharField(
        label="Why did the consent change?",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Say why the consent changed"},
    )


class WithdrawConsentForm(forms.Form):
    reason = forms.CharField(
        label="Why was consent withdrawn?",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Say why consent was withdrawn"},
    )
