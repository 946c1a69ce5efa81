"""Form pieces shared by every app."""

from __future__ import annotations

import datetime
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

ISO_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


class GovukDateWidget(forms.MultiWidget):
    """The GOV.UK date input: separate day, month and year boxes, which people fill in
    more reliably than a browser date picker. Rendered by includes/field.html (its widget
    type is "govukdate")."""

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        numeric = {"inputmode": "numeric"}
        super().__init__(
            {
                "day": forms.TextInput(attrs=numeric),
                "month": forms.TextInput(attrs=numeric),
                "year": forms.TextInput(attrs=numeric),
            },
            attrs,
        )

    def decompress(self, value: Any) -> list[Any]:
        if isinstance(value, str) and ISO_DATE.match(value):
            year, month, day = value.split("-")
            return [day, month, year]
        if isinstance(value, datetime.date):
            return [value.day, value.month, value.year]
        return [None, None, None]

    # MultiWidget usually returns the parts; this one joins them into one ISO date so that
    # a plain DateField parses and validates it.
    def value_from_datadict(  # type: ignore[override]
        self, data: Any, files: Any, name: str
    ) -> str | None:
        day, month, year = (
            (part or "").strip() for part in super().value_from_datadict(data, files, name)
        )
        if not (day or month or year):
            # A single ISO date (YYYY-MM-DD) is accepted too, for scripts and tests.
            single = data.get(name)
            return single.strip() if isinstance(single, str) and single.strip() else None
        return f"{year}-{month}-{day}"


class GovukDateField(forms.DateField):
    """A date entered as day, month and year, with GOV.UK-style error messages."""

    widget = GovukDateWidget
    input_formats = ["%Y-%m-%d"]

    def __init__(self, *, what: str = "the date", **kwargs: Any) -> None:
        messages = {
            "required": f"Enter {what}",
            "invalid": f"Enter {what} as a real date, for example 27 3 2026",
        }
        messages.update(kwargs.pop("error_messages", {}))
        kwargs.setdefault("help_text", "For example, 27 3 2026")
        super().__init__(error_messages=messages, **kwargs)


# The largest id a database integer column holds. Django's model choice fields look a
# submitted id up as given; past this, SQLite's driver raises OverflowError (a server
# error) where PostgreSQL simply finds nothing. These fields answer "not one of the
# choices" instead, on every database (found by tests/security/test_hostile_inputs.py).
LARGEST_ID = 2**63 - 1


def _beyond_any_id(value: Any) -> bool:
    try:
        return abs(int(str(value).strip())) > LARGEST_ID
    except (TypeError, ValueError):
        return False


class ModelChoiceField(forms.ModelChoiceField):
    def to_python(self, value: Any) -> Any:
        if self.to_field_name is None and _beyond_any_id(value):
            raise forms.ValidationError(
                self.error_messages["invalid_choice"], code="invalid_choice"
            )
        return super().to_python(value)


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    def _check_values(self, value: Any) -> Any:
        if self.to_field_name is None:
            for pk in value:
                if _beyond_any_id(pk):
                    raise forms.ValidationError(
                        self.error_messages["invalid_pk_value"],
                        code="invalid_pk_value",
                        params={"pk": pk},
                    )
        return super()._check_values(value)  # type: ignore[misc]  # private in the stubs


def add_errors(form: forms.Form, problem: ValidationError) -> None:
    """Put a service's ValidationError on the form: each field's messages on that field
    (or at the top when the form has no such field), a message for no field at the top."""
    if hasattr(problem, "error_dict"):
        for name, errors in problem.error_dict.items():
            for error in errors:
                form.add_error(name if name in form.fields else None, error)
    else:
        for message in problem.messages:
            form.add_error(None, message)
