"""What each agency said about a child, and when: the child's index page's provenance.

Pure functions over source records already read (and already narrowed by the policy): no
queries here. Each value is shown as the agency sent it (found through the column mapping
of the feed it last came in); agencies are compared on the standardised values, so
"f" and "Female", or "sw1a1aa" and "SW1A 1AA", do not count as a disagreement.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from joinedup.children.feeds.format import BUILTIN_HEADINGS, normalise_heading
from joinedup.children.models import Sex

if TYPE_CHECKING:
    from joinedup.children.models import SourceRecord


@dataclass(frozen=True)
class Said:
    """One agency's value for one field."""

    agency_name: str
    value: str
    received_at: datetime
    invalid: str = ""  # why the value is not valid, when it is not


@dataclass(frozen=True)
class IdentityField:
    key: str
    label: str
    said: list[Said]
    disagree: bool


@dataclass(frozen=True)
class ParentCarer:
    name: str
    relationship: str
    phone: str
    email: str
    agency_name: str
    received_at: datetime


@dataclass(frozen=True)
class ReportedInvolvement:
    """A practitioner or service named in an agency's record ('reported by <agency>')."""

    practitioner: str
    role: str
    service: str
    phone: str
    email: str
    involved_from: date | None
    involved_to: date | None
    agency_name: str
    received_at: datetime

    @property
    def is_current(self) -> bool:
        return self.involved_to is None or self.involved_to > timezone.localdate()


@dataclass(frozen=True)
class SourceSummary:
    agency_name: str
    source_id: str
    first_received_at: datetime
    last_received_at: datetime
    invalid_fields: Mapping[str, str]


@dataclass(frozen=True)
class Provenance:
    sources: list[SourceSummary] = field(default_factory=list)
    identity: list[IdentityField] = field(default_factory=list)
    parents_carers: list[ParentCarer] = field(default_factory=list)
    educational_settings: list[Said] = field(default_factory=list)
    gp_practices: list[Said] = field(default_factory=list)
    reported_involvements: list[ReportedInvolvement] = field(default_factory=list)

    @property
    def disagreements(self) -> list[IdentityField]:
        return [row for row in self.identity if row.disagree]


IDENTITY_FIELDS: tuple[tuple[str, str], ...] = (
    ("name", "Name"),
    ("date_of_birth", "Date of birth"),
    ("sex", "Sex"),
    ("nhs_number", "NHS number"),
    ("upn", "Unique pupil number"),
    ("address", "Address"),
    ("postcode", "Postcode"),
)
ADDRESS_PARTS = ("address_line_1", "address_line_2", "town")
NAME_PARTS = ("given_name", "other_names", "family_name")


def fields_as_received(record: SourceRecord) -> dict[str, str]:
    """The record's values keyed by field of the format (given_name, gp_practice…), as the
    agency sent them. The headings are matched as the import matched them: the agency's
    mapping (kept on the feed) first, then the format's headings and aliases."""
    feed = record.last_feed
    mapping = {
        normalise_heading(h): key for h, key in ((feed.mapping if feed else None) or {}).items()
    }
    found: dict[str, str] = {}
    for heading, raw in (record.values or {}).items():
        name = normalise_heading(str(heading))
        key = mapping.get(name) or BUILTIN_HEADINGS.get(name)
        if mapping and key and name not in mapping and key in mapping.values():
            key = None  # the agency mapped another of its columns to this field
        if key is None or key in found:
            continue
        found[key] = re.sub(r"\s+", " ", str(raw if raw is not None else "")).strip()
    return found


def _fold(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^0-9a-z]", "", ascii_text.casefold())


def _standard(record: SourceRecord, key: str, received: Mapping[str, str]) -> str:
    """The value to compare agencies on: the standardised form where there is one."""
    if key in (record.invalid_fields or {}):
        return ""
    columns = {
        "given_name": record.given_name,
        "family_name": record.family_name,
        "nhs_number": record.nhs_number,
        "upn": record.upn,
        "postcode": record.postcode,
        "date_of_birth": record.date_of_birth.isoformat() if record.date_of_birth else "",
    }
    if columns.get(key):
        return _fold(columns[key])
    standard = (record.standardised or {}).get(key)
    value = standard if isinstance(standard, str) and standard else received.get(key, "")
    if key == "sex" and value == Sex.NOT_KNOWN:
        return ""  # "not known" does not disagree with anything
    return _fold(value)


def _identity_value(key: str, received: Mapping[str, str]) -> str:
    if key == "name":
        return " ".join(received[part] for part in NAME_PARTS if received.get(part))
    if key == "address":
        return ", ".join(received[part] for part in ADDRESS_PARTS if received.get(part))
    return received.get(key, "")


def _identity_standard(key: str, record: SourceRecord, received: Mapping[str, str]) -> str:
    if key == "name":
        return " ".join(
            _standard(record, part, received) for part in ("given_name", "family_name")
        ).strip()
    if key == "address":
        return " ".join(_standard(record, part, received) for part in ADDRESS_PARTS).strip()
    return _standard(record, key, received)


def _invalid_reason(key: str, record: SourceRecord) -> str:
    invalid = record.invalid_fields or {}
    parts = {"name": NAME_PARTS, "address": ADDRESS_PARTS}.get(key, (key,))
    return "; ".join(invalid[part] for part in parts if part in invalid)


def _date(record: SourceRecord, key: str) -> date | None:
    value = (record.standardised or {}).get(key)
    if isinstance(value, str) and value and key not in (record.invalid_fields or {}):
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def build_provenance(records: Iterable[SourceRecord]) -> Provenance:
    """Who said what about the child, and when, from the source records the policy lets
    the reader see (each with ``agency`` and ``last_feed`` already read)."""
    provenance = Provenance()
    identity: dict[str, list[tuple[Said, str]]] = {key: [] for key, _ in IDENTITY_FIELDS}
    ordered = sorted(records, key=lambda r: (-r.last_received_at.timestamp(), r.agency.name))
    for record in ordered:
        agency = record.agency.name
        when = record.last_received_at
        received = fields_as_received(record)
        provenance.sources.append(
            SourceSummary(
                agency, record.source_id, record.first_received_at, when, record.invalid_fields
            )
        )
        for key, _label in IDENTITY_FIELDS:
            value = _identity_value(key, received)
            if value:
                said = Said(agency, value, when, _invalid_reason(key, record))
                identity[key].append((said, _identity_standard(key, record, received)))
        for n in (1, 2):
            name = received.get(f"parent_carer_{n}_name", "")
            phone = received.get(f"parent_carer_{n}_phone", "")
            email = received.get(f"parent_carer_{n}_email", "")
            if name or phone or email:
                provenance.parents_carers.append(
                    ParentCarer(
                        name,
                        received.get(f"parent_carer_{n}_relationship", ""),
                        phone,
                        email,
                        agency,
                        when,
                    )
                )
        for key, target in (
            ("educational_setting", provenance.educational_settings),
            ("gp_practice", provenance.gp_practices),
        ):
            if received.get(key):
                target.append(Said(agency, received[key], when))
        if received.get("practitioner_name") or received.get("service"):
            provenance.reported_involvements.append(
                ReportedInvolvement(
                    practitioner=received.get("practitioner_name", ""),
                    role=received.get("practitioner_role", ""),
                    service=received.get("service", ""),
                    phone=received.get("practitioner_phone", ""),
                    email=received.get("practitioner_email", ""),
                    involved_from=_date(record, "involved_from"),
                    involved_to=_date(record, "involved_to"),
                    agency_name=agency,
                    received_at=when,
                )
            )
    for key, label in IDENTITY_FIELDS:
        reports = identity[key]
        distinct = {standard for _, standard in reports if standard}
        provenance.identity.append(
            IdentityField(key, label, [s for s, _ in reports], disagree=len(distinct) > 1)
        )
    return provenance
