"""Children's identifiers: NHS number, unique pupil number (UPN) and postcode.

The check-digit rules are the national ones (see docs/identifiers.md). Validators raise
``ValidationError`` with a message a practitioner can act on; ``normalise_*`` functions
turn what people type into the stored form without guessing at errors.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

UPN_CHECK_ALPHABET = "ABCDEFGHJKLMNPQRTUVWXYZ"  # 23 letters: no I, O or S
NHS_TEST_RANGE_PREFIX = "999"
POSTCODE_PATTERN = re.compile(r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$")


def normalise_nhs_number(raw: str) -> str:
    """Remove the spaces and hyphens people type in NHS numbers."""
    return re.sub(r"[\s-]", "", raw or "")


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when no valid number can end them."""
    total = sum(
        int(digit) * weight for digit, weight in zip(first_nine, range(10, 1, -1), strict=True)
    )
    check = 11 - (total % 11)
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def is_valid_nhs_number(value: str) -> bool:
    number = normalise_nhs_number(value)
    if not re.fullmatch(r"\d{10}", number):
        return False
    return nhs_check_digit(number[:9]) == int(number[9])


def is_test_nhs_number(value: str) -> bool:
    """Numbers starting 999 are issued for testing and never belong to a real person."""
    return normalise_nhs_number(value).startswith(NHS_TEST_RANGE_PREFIX)


def validate_nhs_number(value: str) -> None:
    number = normalise_nhs_number(value)
    if not re.fullmatch(r"\d{10}", number):
        raise ValidationError(
            "Enter an NHS number of 10 digits, like 485 777 3456", code="nhs_format"
        )
    if not is_valid_nhs_number(number):
        raise ValidationError(
            "This NHS number is not valid: check each digit against the child's records",
            code="nhs_check_digit",
        )


def format_nhs_number(value: str) -> str:
    """Show an NHS number as 3-3-4 digits, the way it is printed on NHS documents."""
    number = normalise_nhs_number(value)
    if len(number) != 10:
        return value
    return f"{number[:3]} {number[3:6]} {number[6:]}"


def normalise_upn(raw: str) -> str:
    return re.sub(r"\s", "", raw or "").upper()


def upn_check_letter(last_twelve: str) -> str:
    """The check letter for characters 2–13 of a UPN (weights 2–13, modulus 23)."""
    total = 0
    for weight, character in enumerate(last_twelve, start=2):
        value = int(character) if character.isdigit() else UPN_CHECK_ALPHABET.index(character)
        total += value * weight
    return UPN_CHECK_ALPHABET[total % 23]


def is_valid_upn(value: str) -> bool:
    upn = normalise_upn(value)
    # Permanent UPNs end in a digit; temporary ones end in a letter from the check alphabet.
    if not re.fullmatch(rf"[{UPN_CHECK_ALPHABET}]\d{{11}}[0-9{UPN_CHECK_ALPHABET}]", upn):
        return False
    return upn_check_letter(upn[1:]) == upn[0]


def validate_upn(value: str) -> None:
    upn = normalise_upn(value)
    if len(upn) != 13:
        raise ValidationError(
            "Enter a unique pupil number of 13 characters, like A123456789012", code="upn_format"
        )
    if not is_valid_upn(upn):
        raise ValidationError(
            "This unique pupil number is not valid: its check letter does not match",
            code="upn_check_letter",
        )


def normalise_postcode(raw: str) -> str:
    """Upper case with one space before the three-character inward code."""
    squashed = re.sub(r"\s", "", raw or "").upper()
    if len(squashed) < 5:
        return squashed
    return f"{squashed[:-3]} {squashed[-3:]}"


def validate_postcode(value: str) -> None:
    if not POSTCODE_PATTERN.fullmatch(normalise_postcode(value)):
        raise ValidationError("Enter a real postcode, like SW1A 1AA", code="postcode_format")
