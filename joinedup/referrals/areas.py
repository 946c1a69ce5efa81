"""Areas a service covers, as postcode districts (the outward code: "AW1" of "AW1 2AB").

A family or practitioner may type a full postcode or just its first part; either becomes a
district. Full postcodes are read by the child index's own standardiser
(:mod:`joinedup.children.standardise`), so the directory and the index agree on what a
real postcode looks like.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

from joinedup.children import standardise

# The outward code of a UK postcode: one or two letters, a digit, then a letter or digit.
DISTRICT_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]?$")
ALL_DISTRICTS = "ALL"

AREA_MESSAGE = "Enter a real postcode, like AW1 2AB, or its first part, like AW1"
DISTRICT_MESSAGE = "Enter postcode districts (the first part of a postcode), like AW1"


def squash(text: str) -> str:
    return re.sub(r"\s", "", text or "").upper()


def district_from_entry(text: str) -> str:
    """The district of a postcode or district as entered ("aw1 2ab" or "aw1" → "AW1");
    "" when nothing was entered. Raises ValidationError when it is neither."""
    squashed = squash(text)
    if not squashed:
        return ""
    if DISTRICT_PATTERN.fullmatch(squashed):
        return squashed
    district = standardise.postcode_district(text)
    if not district:
        raise ValidationError(AREA_MESSAGE, code="area")
    return district


def validate_district(value: str) -> None:
    if not DISTRICT_PATTERN.fullmatch(value or ""):
        raise ValidationError(
            "%(value)s is not a postcode district: " + DISTRICT_MESSAGE,
            code="district",
            params={"value": value},
        )


def parse_districts(text: str) -> tuple[bool, list[str]]:
    """Districts listed with commas, semicolons or spaces: (serves all districts, districts).
    "ALL" (or "all districts") means everywhere."""
    cleaned = (text or "").strip()
    if cleaned.upper() in {ALL_DISTRICTS, "ALL DISTRICTS"}:
        return True, []
    districts: list[str] = []
    problems: list[str] = []
    for part in re.split(r"[,;\s]+", cleaned.upper()):
        if not part:
            continue
        if DISTRICT_PATTERN.fullmatch(part):
            if part not in districts:
                districts.append(part)
        else:
            problems.append(part)
    if problems:
        raise ValidationError(
            f"{', '.join(problems)} {'is' if len(problems) == 1 else 'are'} not "
            f"{'a postcode district' if len(problems) == 1 else 'postcode districts'}: "
            f"{DISTRICT_MESSAGE}, or ALL for every district",
            code="district",
        )
    return False, districts


def standard_postcode(text: str) -> str:
    """A full postcode in standard form ("aw12ab" → "AW1 2AB"), "" for none; raises
    ValidationError when it is not a real postcode."""
    if not (text or "").strip():
        return ""
    value = standardise.standardise_postcode(text)
    if not value.is_valid:
        raise ValidationError("Enter a real postcode, like AW1 2AB", code="postcode")
    return value.value
