"""Forms of the referrer's side of a referral: making or changing it, withdrawing it, and
referring again after a decline. The rules of a complete referral are in
referrals.lifecycle; these forms ask for the same things in plain words."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from joinedup.forms import GovukDateField, ModelChoiceField
from joinedup.referrals.lifecycle import ReferralDetails
from joinedup.referrals.models import (
    EPISODE_SECTIONS,
    ConsentGivenBy,
    LawfulBasis,
    Referral,
    ReferralSection,
    Service,
    SharingBasis,
    Urgency,
)


class ServiceChoiceField(ModelChoiceField):
    """A published service, named with its agency; a service outside Joined Up says so."""

    def label_from_instance(self, obj: Any) -> str:
        service: Service = obj
        label = f"{service.name} ({service.agency.name})"
        if not service.accepts_referrals_in_app:
            label += " – outside Joined Up: you send a referral pack"
        if service.is_full:
            label += " – full"
        return label


def _service_field(services: QuerySet[Service], **kwargs: Any) -> ServiceChoiceField:
    return ServiceChoiceField(
        queryset=services,
        label="Service",
        empty_label="Choose a service",
        help_text="Services in the directory. Search the directory to find the right one.",
        error_messages={
            "required": "Choose the service to refer the child to",
            "invalid_choice": "Choose a service from the list",
        },
        **kwargs,
    )


class ReferralForm(forms.Form):
    """A new referral or a change to a draft. The assessment, plan and outcome ratings can
    be shared only when the referral is made within an early-help episode."""

    service = ModelChoiceField(queryset=Service.objects.none())
    reason = forms.CharField(
        label="Why are you referring the child?",
        help_text="What you are worried about, and what help you hope the service gives",
        widget=forms.Textarea,
        max_length=5000,
        error_messages={"required": "Say why you are referring the child"},
    )
    urgency = forms.ChoiceField(
        label="How urgent is it?",
        choices=Urgency.choices,
        initial=Urgency.ROUTINE,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose whether the referral is urgent"},
    )
    shared_sections = forms.MultipleChoiceField(
        label="What else will you share?",
        help_text=(
            "The child's name, other names, date of birth, sex and NHS number, and this "
            "referral, are always shared. Share only what the service needs."
        ),
        choices=ReferralSection.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sharing_basis = forms.ChoiceField(
        label="On what basis are you sharing the information?",
        choices=SharingBasis.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Say on what basis you are sharing the information"},
    )
    consent_given_by = forms.ChoiceField(
        label="Who gave consent?",
        choices=ConsentGivenBy.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    consent_given_by_name = forms.CharField(
        label="Name of the person who gave consent", max_length=200, required=False
    )
    consent_competence_note = forms.CharField(
        label="Why is the young person competent to decide for themselves?",
        help_text="Only when the young person gave consent",
        widget=forms.Textarea,
        required=False,
        max_length=2000,
    )
    consent_given_on = GovukDateField(
        label="When was consent given?", what="the date consent was given", required=False
    )
    lawful_basis = forms.ChoiceField(
        label="The lawful reason for sharing without consent",
        choices=LawfulBasis.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    lawful_reason = forms.CharField(
        label="Why are you sharing without consent?",
        widget=forms.Textarea,
        required=False,
        max_length=2000,
    )

    def __init__(
        self,
        *args: Any,
        services: QuerySet[Service],
        episode_sections_allowed: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"] = _service_field(services)
        self.order_fields(["service"])
        if not episode_sections_allowed:
            self.fields["shared_sections"].choices = [  # type: ignore[attr-defined]
                (code, label)
                for code, label in ReferralSection.choices
                if code not in EPISODE_SECTIONS
            ]

    @property
    def consent_fields(self) -> list[forms.BoundField]:
        names = (
            "consent_given_by",
            "consent_given_by_name",
            "consent_competence_note",
            "consent_given_on",
        )
        return [self[name] for name in names]

    @property
    def lawful_fields(self) -> list[forms.BoundField]:
        return [self["lawful_basis"], self["lawful_reason"]]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        basis = data.get("sharing_basis")
        if basis == SharingBasis.CONSENT:
            if not data.get("consent_given_by"):
                self.add_error("consent_given_by", "Say who gave consent")
            if not (data.get("consent_given_by_name") or "").strip():
                self.add_error(
                    "consent_given_by_name", "Enter the name of the person who gave consent"
                )
            if (
                data.get("consent_given_by") == ConsentGivenBy.YOUNG_PERSON
                and not (data.get("consent_competence_note") or "").strip()
            ):
                self.add_error(
                    "consent_competence_note",
                    "Say why the young person is competent to decide for themselves",
                )
            if not data.get("consent_given_on") and "consent_given_on" not in self.errors:
                self.add_error("consent_given_on", "Enter the date consent was given")
        elif basis == SharingBasis.LAWFUL_REASON:
            if not data.get("lawful_basis"):
                self.add_error(
                    "lawful_basis", "Choose the lawful reason for sharing without consent"
                )
            if not (data.get("lawful_reason") or "").strip():
                self.add_error("lawful_reason", "Say why the information is shared without consent")
        return data

    def details(self) -> ReferralDetails:
        data = self.cleaned_data
        return ReferralDetails(
            reason=data["reason"],
            urgency=data["urgency"],
            shared_sections=tuple(data.get("shared_sections") or ()),
            sharing_basis=data["sharing_basis"],
            consent_given_by=data.get("consent_given_by") or "",
            consent_given_by_name=data.get("consent_given_by_name") or "",
            consent_competence_note=data.get("consent_competence_note") or "",
            consent_given_on=data.get("consent_given_on"),
            lawful_basis=data.get("lawful_basis") or "",
            lawful_reason=data.get("lawful_reason") or "",
        )

    @staticmethod
    def initial_from(referral: Referral) -> dict[str, Any]:
        return {
            "service": referral.service_id,
            "reason": referral.reason,
            "urgency": referral.urgency,
            "shared_sections": list(referral.shared_sections),
            "sharing_basis": referral.sharing_basis,
            "consent_given_by": referral.consent_given_by,
            "consent_given_by_name": referral.consent_given_by_name,
            "consent_competence_note": referral.consent_competence_note,
            "consent_given_on": referral.consent_given_on,
            "lawful_basis": referral.lawful_basis,
            "lawful_reason": referral.lawful_reason,
        }


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label="Why are you withdrawing the referral?",
        help_text="The service is told, with your reason",
        widget=forms.Textarea,
        max_length=2000,
        error_messages={"required": "Say why you are withdrawing the referral"},
    )


class ReferAgainForm(forms.Form):
    """After a decline: another service, the one suggested by default."""

    service = ModelChoiceField(queryset=Service.objects.none())

    def __init__(self, *args: Any, services: QuerySet[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = _service_field(services)
        field.label = "Which service will you refer the child to now?"
        field.help_text = (
            "The reason and what is shared are carried over; you confirm the basis for "
            "sharing before you send it."
        )
        self.fields["service"] = field
