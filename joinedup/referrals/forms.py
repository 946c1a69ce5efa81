"""Forms of the services directory: searching, printing, editing an entry, importing."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.template.defaultfilters import filesizeformat

from joinedup.accounts.models import Practitioner
from joinedup.children.feeds.reading import max_bytes
from joinedup.forms import ModelChoiceField, ModelMultipleChoiceField
from joinedup.partnerships.models import Agency
from joinedup.referrals.areas import AREA_MESSAGE, district_from_entry, parse_districts
from joinedup.referrals.models import (
    OLDEST_AGE,
    LevelOfNeed,
    Need,
    Offer,
    ReferralRoute,
    Service,
    Weekday,
)
from joinedup.referrals.selectors import DirectoryQuery
from joinedup.referrals.services import EDITABLE_FIELDS, OpeningTime, ServiceDetails

NUMERIC = {"inputmode": "numeric"}


def _need_choices() -> list[tuple[str, str]]:
    return [(need.code, need.name) for need in Need.objects.all()]


class AreaField(forms.CharField):
    """A postcode or a postcode district, cleaned to the district ("AW1 2AB" → "AW1")."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", "Postcode or area")
        kwargs.setdefault("help_text", "A full postcode, like AW1 2AB, or its first part, like AW1")
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("error_messages", {"max_length": AREA_MESSAGE})
        super().__init__(**kwargs)

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        try:
            return district_from_entry(text)
        except ValidationError:
            raise ValidationError(AREA_MESSAGE, code="area") from None


class DirectorySearchForm(forms.Form):
    q = forms.CharField(
        label="Search",
        help_text="Words from the service's name or description, or the agency's name",
        required=False,
        max_length=100,
    )
    need = forms.MultipleChoiceField(
        label="Needs", required=False, widget=forms.CheckboxSelectMultiple
    )
    age = forms.IntegerField(
        label="Child's age in years",
        required=False,
        min_value=0,
        max_value=OLDEST_AGE,
        widget=forms.TextInput(attrs=NUMERIC),
        error_messages={
            "invalid": "Enter the child's age in whole years, like 7",
            "min_value": "Enter an age of 0 or more",
            "max_value": f"The directory covers children and young people up to {OLDEST_AGE}",
        },
    )
    area = AreaField()
    open_now = forms.BooleanField(label="Open now", required=False)
    offer = forms.MultipleChoiceField(
        label="What it offers",
        required=False,
        choices=Offer.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    level = forms.MultipleChoiceField(
        label="Level of need",
        required=False,
        choices=LevelOfNeed.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    exclude_full = forms.BooleanField(label="Hide services that are full", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        need_field = self.fields["need"]
        assert isinstance(need_field, forms.MultipleChoiceField)  # noqa: S101
        need_field.choices = _need_choices()

    def to_query(self, *, now: datetime) -> DirectoryQuery:
        """The query for a valid form; ``now`` is the moment "open now" means."""
        data = self.cleaned_data
        return DirectoryQuery(
            text=data.get("q", "").strip(),
            needs=tuple(data.get("need") or ()),
            age=data.get("age"),
            district=data.get("area", ""),
            open_at=now if data.get("open_now") else None,
            offers=tuple(data.get("offer") or ()),
            levels=tuple(data.get("level") or ()),
            exclude_full=bool(data.get("exclude_full")),
        )


class PrintDirectoryForm(forms.Form):
    prepared_for = forms.CharField(
        label="Prepared for (optional)",
        help_text="The school, children's centre or setting the directory is for",
        required=False,
        max_length=120,
    )
    area = AreaField(help_text="Services covering this area: a postcode, like AW1 2AB, or AW1")
    need = forms.MultipleChoiceField(
        label="Needs", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        need_field = self.fields["need"]
        assert isinstance(need_field, forms.MultipleChoiceField)  # noqa: S101
        need_field.choices = _need_choices()


# Editing an entry ------------------------------------------------------------------------

_MODEL_FIELDS = [name for name in EDITABLE_FIELDS if name != "languages"]


class ServiceForm(forms.ModelForm):
    """An entry's details. On the add page it also asks which agency the service is of."""

    agency = ModelChoiceField(
        queryset=Agency.objects.none(),
        label="Agency",
        empty_label=None,
        error_messages={"required": "Select the agency the service belongs to"},
    )
    needs = ModelMultipleChoiceField(
        queryset=Need.objects.all(),
        label="Needs the service addresses",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    offers = forms.MultipleChoiceField(
        label="What the service offers",
        required=False,
        choices=Offer.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    levels = forms.MultipleChoiceField(
        label="Levels of need it works at",
        required=False,
        choices=LevelOfNeed.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    website = forms.URLField(
        label="Website",
        required=False,
        max_length=200,
        assume_scheme="https",
        error_messages={"invalid": "Enter a web address, like https://example.org"},
    )
    districts = forms.CharField(
        label="Postcode districts served",
        help_text="The first part of each postcode, separated by commas, like AW1, AW2",
        required=False,
        max_length=500,
    )
    languages = forms.CharField(
        label="Languages besides English",
        help_text="Separated by commas, like Urdu, Polish",
        required=False,
        max_length=500,
    )
    maintainers = ModelMultipleChoiceField(
        queryset=Practitioner.objects.none(),
        label="Staff who keep this entry up to date",
        help_text="They can change the entry and are told when it needs checking.",
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    details_confirmed = forms.BooleanField(
        label="I confirm the details are still correct",
        help_text="Ticking this records today as the day the entry was last checked.",
        required=False,
    )

    class Meta:
        model = Service
        fields = _MODEL_FIELDS
        widgets = {
            "description": forms.Textarea,
            "referral_criteria": forms.Textarea,
            "age_from": forms.TextInput(attrs=NUMERIC),
            "age_to": forms.TextInput(attrs=NUMERIC),
            "waiting_weeks": forms.TextInput(attrs=NUMERIC),
            "acknowledge_within_working_days": forms.TextInput(attrs=NUMERIC),
            "decide_within_working_days": forms.TextInput(attrs=NUMERIC),
            "how_to_refer_outside": forms.RadioSelect,
            "cost": forms.RadioSelect,
            "capacity": forms.RadioSelect,
        }
        error_messages = {
            "name": {"required": "Enter the service's name"},
            "description": {"required": "Enter what the service does"},
            "age_from": {
                "required": "Enter the youngest age served",
                "invalid": "Enter an age in whole years",
            },
            "age_to": {
                "required": "Enter the oldest age served",
                "invalid": "Enter an age in whole years",
            },
            "contact_email": {"invalid": "Enter an email address, like name@example.org"},
        }

    def __init__(
        self,
        *args: Any,
        agencies: QuerySet[Agency] | None = None,
        maintainer_choices: QuerySet[Practitioner],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        agency_field = self.fields["agency"]
        assert isinstance(agency_field, ModelChoiceField)  # noqa: S101
        if agencies is None:
            del self.fields["agency"]
        else:
            agency_field.queryset = agencies
        maintainer_field = self.fields["maintainers"]
        assert isinstance(maintainer_field, ModelMultipleChoiceField)  # noqa: S101
        maintainer_field.queryset = maintainer_choices
        route = self.fields["how_to_refer_outside"]
        assert isinstance(route, forms.ChoiceField)  # noqa: S101
        route.choices = [("", "Not outside Joined Up"), *ReferralRoute.choices]
        self.fields["sector"].required = False
        service = self.instance
        if service.pk:
            self.initial.update(
                needs=list(service.needs.all()),
                offers=service.offer_codes(),
                levels=service.level_codes(),
                districts=", ".join(service.districts()),
                languages=", ".join(service.languages),
                maintainers=list(service.maintainers.all()),
            )
        else:
            self.fields.pop("details_confirmed")

    def clean_districts(self) -> list[str]:
        text = re.sub(r"[,;\s]+", " ", self.cleaned_data.get("districts", "")).strip()
        if text.upper() in {"ALL"}:
            return []
        _, districts = parse_districts(text)
        return districts

    def clean_languages(self) -> list[str]:
        text = self.cleaned_data.get("languages", "")
        return list(dict.fromkeys(part.strip() for part in re.split(r"[,;]", text) if part.strip()))

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if str(self.data.get(self.add_prefix("districts"), "")).strip().upper() == "ALL":
            data["serves_all_districts"] = True
        if not data.get("serves_all_districts") and "districts" in data and not data["districts"]:
            self.add_error(
                "districts",
                "Enter the postcode districts the service covers, or tick that it serves every district",
            )
        return data

    def _post_clean(self) -> None:
        # The service validates the whole entry (services.apply_details); the model form's own
        # instance checks would report the same problems twice.
        pass

    def details(self, opening_times: list[OpeningTime]) -> ServiceDetails:
        data = self.cleaned_data
        fields = {name: data[name] for name in _MODEL_FIELDS if name in data}
        if not fields.get("sector"):
            fields.pop("sector", None)
        fields["languages"] = data["languages"]
        return ServiceDetails(
            fields=fields,
            needs=list(data["needs"]),
            offers=list(data["offers"]),
            levels=list(data["levels"]),
            districts=[] if data.get("serves_all_districts") else data["districts"],
            opening_times=opening_times,
            maintainers=list(data["maintainers"]),
        )


class OpeningTimeForm(forms.Form):
    """One opening time; a row left empty is ignored, a row emptied removes that time."""

    weekday = forms.TypedChoiceField(
        label="Day",
        choices=[("", "Choose a day"), *Weekday.choices],
        coerce=int,
        required=False,
    )
    opens = forms.TimeField(
        label="Opens",
        required=False,
        input_formats=["%H:%M", "%H.%M", "%H%M"],
        widget=forms.TimeInput(format="%H:%M", attrs=NUMERIC),
        error_messages={"invalid": "Enter the opening time as hours and minutes, like 09:00"},
    )
    closes = forms.TimeField(
        label="Closes",
        required=False,
        input_formats=["%H:%M", "%H.%M", "%H%M"],
        widget=forms.TimeInput(format="%H:%M", attrs=NUMERIC),
        error_messages={"invalid": "Enter the closing time as hours and minutes, like 17:00"},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=120,
        help_text="For example, drop-in session",
    )

    def clean_note(self) -> str:
        note = self.cleaned_data.get("note", "").strip()
        if re.search(r"[;()]", note):
            raise ValidationError("A note cannot contain semicolons or brackets")
        return note

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        weekday, opens, closes = data.get("weekday"), data.get("opens"), data.get("closes")
        if self.errors:
            return data
        if weekday in (None, "") and opens is None and closes is None and not data.get("note"):
            return data
        if weekday in (None, ""):
            self.add_error("weekday", "Choose the day this opening time is on")
        if opens is None:
            self.add_error("opens", "Enter when the service opens, like 09:00")
        if closes is None:
            self.add_error("closes", "Enter when the service closes, like 17:00")
        if opens is not None and closes is not None and closes <= opens:
            self.add_error("closes", "The closing time must be after the opening time")
        return data

    def slot(self) -> OpeningTime | None:
        data = self.cleaned_data
        if data.get("weekday") in (None, "") or data.get("opens") is None:
            return None
        return OpeningTime(
            int(data["weekday"]), data["opens"], data["closes"], data.get("note", "")
        )


OpeningTimeFormSet = forms.formset_factory(OpeningTimeForm, extra=3, max_num=28, absolute_max=40)


def opening_time_formset(data: Any, service: Service | None) -> Any:
    initial = []
    if service is not None and service.pk:
        initial = [
            {"weekday": slot.weekday, "opens": slot.opens, "closes": slot.closes, "note": slot.note}
            for slot in service.opening_times.all()
        ]
    return OpeningTimeFormSet(data, initial=initial, prefix="opening")


def opening_times_from(formset: Any) -> list[OpeningTime]:
    return [slot for form in formset.forms if (slot := form.slot()) is not None]


# Importing -------------------------------------------------------------------------------


class ImportServicesForm(forms.Form):
    file = forms.FileField(
        label="Upload a file",
        help_text="A CSV file saved as UTF-8, or an Excel workbook (.xlsx), with the directory's columns.",
        error_messages={
            "required": "Select a CSV file to upload",
            "empty": "The selected file is empty",
        },
    )

    def clean_file(self) -> Any:
        # Refuse an oversized file before its content is read into memory (the same limit as
        # agency feeds; the content is checked again when it is read as a table).
        upload = self.cleaned_data["file"]
        limit = max_bytes()
        if upload.size is not None and upload.size > limit:
            raise ValidationError(
                f"The selected file must be smaller than {filesizeformat(limit)}: split it into smaller files"
            )
        return upload


class FixRejectedRowForm(forms.Form):
    """Every cell of a rejected row, to correct and import again."""

    def __init__(self, *args: Any, columns: list[str], values: dict[str, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for column in columns:
            multiline = column in {"description", "referral_criteria"}
            self.fields[column] = forms.CharField(
                label=column,
                required=False,
                initial=values.get(column, ""),
                strip=False,
                max_length=5000,
                widget=forms.Textarea if multiline else forms.TextInput,
            )

    def values(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name, "") for name in self.fields}
