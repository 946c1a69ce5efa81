import pytest
from django.core.exceptions import ValidationError

from joinedup.children import identifiers


@pytest.mark.parametrize("number", ["9434765919", "943 476 5919", "943-476-5919", "4010232137"])
def test_valid_nhs_numbers_pass_the_modulus_11_check(number):
    assert identifiers.is_valid_nhs_number(number)
    identifiers.validate_nhs_number(number)


@pytest.mark.parametrize("number", ["9434765918", "1234567890", "94347659", "abcdefghij", ""])
def test_invalid_nhs_numbers_are_refused(number):
    assert not identifiers.is_valid_nhs_number(number)
    with pytest.raises(ValidationError):
        identifiers.validate_nhs_number(number)


def test_a_number_whose_check_digit_would_be_ten_is_never_valid():
    # 1000000010: weights give a remainder of 1, so 11 - 1 = 10, which no digit can carry.
    first_nine = next(
        f"{n:09d}" for n in range(10**8, 10**9) if identifiers.nhs_check_digit(f"{n:09d}") is None
    )
    for last in range(10):
        assert not identifiers.is_valid_nhs_number(first_nine + str(last))


def test_999_numbers_are_flagged_as_test_numbers():
    assert identifiers.is_test_nhs_number("999 000 0018")
    assert not identifiers.is_test_nhs_number("9434765919")


def test_nhs_numbers_display_as_three_three_four():
    assert identifiers.format_nhs_number("9434765919") == "943 476 5919"


def test_upn_check_letter_round_trip():
    tail = "201234524001"
    upn = identifiers.upn_check_letter(tail) + tail
    assert identifiers.is_valid_upn(upn)
    assert identifiers.is_valid_upn(upn.lower())


def test_upn_with_wrong_check_letter_is_refused():
    tail = "201234524001"
    right = identifiers.upn_check_letter(tail)
    wrong = next(letter for letter in identifiers.UPN_CHECK_ALPHABET if letter != right)
    with pytest.raises(ValidationError, match="check letter"):
        identifiers.validate_upn(wrong + tail)


def test_temporary_upn_ending_in_a_letter_is_accepted():
    tail = "20123452400A"
    assert identifiers.is_valid_upn(identifiers.upn_check_letter(tail) + tail)


def test_upn_check_letters_never_use_i_o_or_s():
    assert not set("IOS") & set(identifiers.UPN_CHECK_ALPHABET)
    assert len(identifiers.UPN_CHECK_ALPHABET) == 23


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("sw1a1aa", "SW1A 1AA"), (" m1  1ae ", "M1 1AE"), ("EC1A 1BB", "EC1A 1BB")],
)
def test_postcodes_are_normalised(raw, expected):
    assert identifiers.normalise_postcode(raw) == expected
    identifiers.validate_postcode(raw)


@pytest.mark.parametrize("raw", ["12345", "SW1A", "ZZ", "SW1A 1A"])
def test_malformed_postcodes_are_refused(raw):
    with pytest.raises(ValidationError):
        identifiers.validate_postcode(raw)
