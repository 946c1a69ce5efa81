"""Forms for signing in, two-factor authentication, passwords and account administration.

Error messages follow the GOV.UK Design System: say what went wrong and how to fix it.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError

from joinedup.accounts import selectors
from joinedup.accounts.models import NotificationEmails, Practitioner, ProfessionalBackground
from joinedup.accounts.services import AccountDetails
from joinedup.forms import ModelChoiceField
from joinedup.partnerships.models import Agency

THREE_RANDOM_WORDS_HINT = (
    "Use at least 12 characters. A good way to make a strong password that you can remember "
    "is to put 3 random words together. Do not use the name of this service or a password "
    "you use anywhere else."
)
WRONG_CREDENTIALS = "Enter a correct username and password. Both are case-sensitive."


class SignInForm(AuthenticationForm):
    """Django's sign-in form, checked through authenticate(request, ...) so django-axes
    counts failures. One message for every failure: it never says whether the username
    exists or the account is deactivated."""

    error_messages = {"invalid_login": WRONG_CREDENTIALS, "inactive": WRONG_CREDENTIALS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username"
        self.fields["username"].error_messages["required"] = "Enter your username"
        self.fields["password"].label = "Password"
        self.fields["password"].error_messages["required"] = "Enter your password"


CODE_PATTERN = re.compile(r"^\d{6}$")


class TwoFactorCodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        help_text="Enter the 6-digit code your app shows now. It changes every 30 seconds.",
        max_length=20,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def clean_code(self) -> str:
        code = re.sub(r"[\s-]", "", self.cleaned_data["code"])
        if not CODE_PATTERN.match(code):
            raise ValidationError("The code must be 6 numbers, like 123456", code="format")
        return code


class _PasswordRulesMixin:
    """Show password-rule failures against the new password box (Django puts them on the
    confirmation box) and use plain-English labels."""

    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    user: Any

    def _set_up_new_password_fields(self, label: str) -> None:
        self.fields["new_password1"].label = label
        self.fields["new_password1"].help_text = THREE_RANDOM_WORDS_HINT
        self.fields["new_password1"].error_messages["required"] = f"Enter your {label.lower()}"
        self.fields["new_password2"].label = f"Confirm {label.lower()}"
        self.fields["new_password2"].help_text = ""
        self.fields["new_password2"].error_messages["required"] = (
            f"Enter your {label.lower()} again"
        )

    def clean(self) -> dict[str, Any]:
        self.validate_passwords("new_password1", "new_password2")  # type: ignore[attr-defined]
        self.validate_password_for_user(self.user, "new_password1")  # type: ignore[attr-defined]
        return self.cleaned_data


class ChangePasswordForm(_PasswordRulesMixin, PasswordChangeForm):
    error_messages = {
        "password_mismatch": "The new passwords do not match",
        "password_incorrect": "Your current password is not correct",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self._set_up_new_password_fields("New password")


class SetPasswordFromLinkForm(_PasswordRulesMixin, SetPasswordForm):
    error_messages = {"password_mismatch": "The passwords do not match"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._set_up_new_password_fields("Password")


class PractitionerChoiceField(ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        agency = f", {obj.home_agency.name}" if obj.home_agency else ""
        return f"{obj.get_full_name() or obj.username} ({obj.username}{agency})"


class AccountForm(forms.ModelForm):
    """An administrator's form for creating or changing a practitioner's account."""

    home_agency = ModelChoiceField(
        queryset=Agency.objects.order_by("name"),
        required=False,
        label="Home agency (optional)",
        help_text="The organisation that employs them. Leave empty for system administrators.",
        empty_label="No home agency",
    )
    line_manager = PractitionerChoiceField(
        queryset=Practitioner.objects.none(),
        required=False,
        label="Line manager (optional)",
        empty_label="No line manager",
    )

    class Meta:
        model = Practitioner
        fields = [
            "first_name",
            "last_name",
            "username",
            "email",
            "home_agency",
            "job_title",
            "professional_background",
            "phone",
            "line_manager",
        ]
        labels = {
            "first_name": "First name",
            "last_name": "Last name",
            "username": "Username",
            "email": "Email address",
            "job_title": "Job title (optional)",
            "professional_background": "Professional background (optional)",
            "phone": "Telephone (optional)",
        }
        help_texts = {
            "username": "They use this to sign in. Letters, numbers and @ . + - _ only.",
            "email": "We send the link to set a password to this address.",
        }
        error_messages = {
            "first_name": {"required": "Enter their first name"},
            "last_name": {"required": "Enter their last name"},
            "username": {"required": "Enter a username"},
            "email": {
                "required": "Enter their email address",
                "invalid": "Enter an email address in the correct format, like name@example.org",
            },
        }
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "phone": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "tel"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["first_name"].required = True
        self.fields["last_name"].required = True
        line_manager = self.fields["line_manager"]
        if isinstance(line_manager, ModelChoiceField):
            line_manager.queryset = selectors.line_manager_choices(exclude=self.instance)
        background = self.fields["professional_background"]
        if isinstance(background, forms.ChoiceField):
            background.choices = [("", "Not given"), *ProfessionalBackground.choices]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        clash = Practitioner.objects.filter(username__iexact=username).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError("There is already an account with this username", code="unique")
        return username

    def clean_email(self) -> str:
        email = Practitioner.objects.normalize_email(self.cleaned_data["email"].strip())
        clash = Practitioner.objects.filter(email__iexact=email).exclude(pk=self.instance.pk)
        if clash.exists():
            raise ValidationError(
                "There is already an account with this email address", code="unique"
            )
        return email

    def validate_unique(self) -> None:
        # clean_username and clean_email already refuse clashes, ignoring case, with
        # clearer messages; the database constraints still stand behind them.
        pass

    def details(self) -> AccountDetails:
        data = self.cleaned_data
        return AccountDetails(
            first_name=data["first_name"],
            last_name=data["last_name"],
            username=data["username"],
            email=data["email"],
            home_agency=data["home_agency"],
            job_title=data["job_title"],
            professional_background=data["professional_background"],
            phone=data["phone"],
            line_manager=data["line_manager"],
        )


class NotificationSettingsForm(forms.Form):
    notification_emails = forms.ChoiceField(
        label="How do you want to hear about notifications by email?",
        choices=NotificationEmails.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Choose how you want to get emails about notifications"},
    )
