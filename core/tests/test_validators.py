"""Tests for core.validators: credit codes (GB 32100 / GB 11714) and phone numbers."""

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from core.validators import (
    CREDIT_CODE_CHARSET,
    CreditCodeValidator,
    credit_code_check_character,
    normalize_credit_code,
    normalize_phone,
    organization_code_check_character,
    validate_credit_code,
    validate_phone,
)


def build_credit_code(authority: str, organization_type: str, division: str, org_body: str) -> str:
    """Assemble a valid code from its parts using the module's own check-character functions."""
    first16 = authority + organization_type + division + org_body
    first17 = first16 + organization_code_check_character(org_body)
    return first17 + credit_code_check_character(first17)


# Real codes, independently hand-checked (charset values: 0-9 -> 0-9, A=10 B=11 ... H=17 J=18 K=19
# L=20 ... X=29 Y=30; final weights 1,3,9,27,19,26,16,17,20,29,25,13,8,24,10,30,28).
#
# 91110000802100433B (the widely cited example):
#   organisation code 80210043-3: 8*3 + 0*7 + 2*9 + 1*10 + 0*5 + 0*8 + 4*4 + 3*2 = 74;
#     74 mod 11 = 8; 11 - 8 = 3 -> "3" (position 17).
#   final: 9*1 + 1*3 + 1*9 + 1*27 + 8*20 + 2*25 + 1*13 + 4*10 + 3*30 + 3*28 = 485 (zero terms omitted);
#     485 mod 31 = 20; 31 - 20 = 11 -> "B" (position 18).
#
# 91110000600037341L (python-stdnum's documented cn.uscc example):
#   organisation code 60003734-1: 6*3 + 3*5 + 7*8 + 3*4 + 4*2 = 109; 109 mod 11 = 10; 11 - 10 = 1 -> "1".
#   final: 9*1 + 1*3 + 1*9 + 1*27 + 6*20 + 3*8 + 7*24 + 3*10 + 4*30 + 1*28 = 538;
#     538 mod 31 = 11; 31 - 11 = 20 -> "L".
#
# 9144030071526726XG (in python-stdnum's list of codes found online; exercises the "X" check):
#   organisation code 71526726-X: 7*3 + 1*7 + 5*9 + 2*10 + 6*5 + 7*8 + 2*4 + 6*2 = 199;
#     199 mod 11 = 1; 11 - 1 = 10 -> "X".
#   final: 9*1 + 1*3 + 4*9 + 4*27 + 3*26 + 7*20 + 1*29 + 5*25 + 2*13 + 6*8 + 7*24 + 2*10 + 6*30 + 29*28
#     = 1782; 1782 mod 31 = 15; 31 - 15 = 16 -> "G".
HAND_CHECKED_REAL_CODES = ["91110000802100433B", "91110000600037341L", "9144030071526726XG"]

# Further published codes (not hand-checked): a public institution (authority 1), a post-2015
# "MA" series enterprise, and an individual business (type 2).
OTHER_REAL_CODES = ["121200004013590816", "91340600MA2PBM9HXD", "92340602MA2PBMEM24"]

CONSTRUCTED_CODES = [
    build_credit_code("9", "1", "440300", "MA5F0R7K"),
    build_credit_code("9", "3", "330106", "09A12B4C"),
    build_credit_code("5", "3", "100000", "50000123"),
    build_credit_code("1", "2", "650102", "45820391"),
    build_credit_code("3", "1", "110000", "E0001234"),  # law firm: authority added by Amendment No. 1
    build_credit_code("N", "2", "371502", "MA3C8Y2W"),
    build_credit_code("Y", "1", "110105", "12345678"),
]

VALID_CODES = HAND_CHECKED_REAL_CODES + OTHER_REAL_CODES + CONSTRUCTED_CODES


def raised(value, validator=validate_credit_code) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        validator(value)
    return excinfo.value


# --- Credit code: check-character algorithms ----------------------------------------------------


@pytest.mark.parametrize(
    ("body", "check"),
    [
        ("80210043", "3"),
        ("60003734", "1"),
        ("71526726", "X"),  # 11 - (199 mod 11) = 10 -> X
        ("00000000", "0"),  # 11 - 0 = 11 -> 0
        ("Z0000000", "5"),  # Z = 35: 105 mod 11 = 6; 11 - 6 = 5
        ("I0000000", "1"),  # I = 18 is legal in a bare organisation code: 54 mod 11 = 10; 11 - 10 = 1
    ],
)
def test_gb11714_organization_code_check_character(body, check):
    assert organization_code_check_character(body) == check


@pytest.mark.parametrize("body", ["8021004", "802100433", "8021004-", "80210o43"])
def test_organization_code_check_character_rejects_malformed_body(body):
    with pytest.raises(ValueError):
        organization_code_check_character(body)


@pytest.mark.parametrize("code", HAND_CHECKED_REAL_CODES)
def test_gb32100_check_character_of_hand_checked_real_codes(code):
    assert credit_code_check_character(code[:17]) == code[17]


def test_gb32100_check_value_31_maps_to_zero():
    # Sum 0 gives 31 - 0 = 31, which the standard maps to "0".
    assert credit_code_check_character("0" * 17) == "0"


@pytest.mark.parametrize("first17", ["9111000080210043", "911100008021004333", "91110000802100I33"])
def test_credit_code_check_character_rejects_malformed_input(first17):
    with pytest.raises(ValueError):
        credit_code_check_character(first17)


def test_final_check_character_alone_detects_every_single_substitution():
    # Weights are powers of 3 modulo the prime 31, so no substitution can leave the sum unchanged.
    for code in VALID_CODES:
        for index in range(17):
            for char in CREDIT_CODE_CHARSET.replace(code[index], ""):
                mutated = code[:index] + char + code[index + 1 : 17]
                assert credit_code_check_character(mutated) != code[17], (code, index, char)


# --- Credit code: acceptance ----------------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_CODES)
def test_valid_credit_codes_are_accepted(code):
    validate_credit_code(code)


@pytest.mark.parametrize("code", VALID_CODES)
def test_lowercase_credit_code_is_accepted_after_normalisation(code):
    validate_credit_code(code.lower())
    assert normalize_credit_code(code.lower()) == code


def test_normalize_credit_code_strips_whitespace_and_uppercases():
    assert normalize_credit_code("  9111 0000\t8021 0043 3b \n") == "91110000802100433B"


def test_normalize_credit_code_folds_full_width_ime_input():
    assert normalize_credit_code("９１１１００００８０２１００４３３ｂ\u3000") == "91110000802100433B"


def test_spaced_credit_code_is_accepted():
    validate_credit_code(" 91 110000 802100433 b ")


# --- Credit code: rejection -----------------------------------------------------------------------


@pytest.mark.parametrize("code", VALID_CODES)
def test_every_single_character_mutation_is_rejected(code):
    for index in range(18):
        for char in CREDIT_CODE_CHARSET.replace(code[index], ""):
            mutated = code[:index] + char + code[index + 1 :]
            error = raised(mutated)
            if index == 17:
                assert error.code == "invalid_check_character", mutated
            elif 8 <= index <= 16:
                assert error.code in {"invalid_organization_check", "invalid_check_character"}, mutated


@pytest.mark.parametrize("code", HAND_CHECKED_REAL_CODES)
def test_organisation_code_check_failure_is_reported_before_final_check(code):
    # Changing position 17 breaks both checks; the more specific organisation code error wins.
    wrong = "0" if code[16] != "0" else "1"
    assert raised(code[:16] + wrong + code[17]).code == "invalid_organization_check"


@pytest.mark.parametrize(
    "value", ["", "9111000080210043", "91110000802100433", "91110000802100433BB", "9" * 30]
)
def test_wrong_length_is_rejected(value):
    error = raised(value)
    assert error.code == "invalid_length"
    assert error.params == {"length": len(value)}


@pytest.mark.parametrize("letter", ["I", "O", "Z", "S", "V"])
@pytest.mark.parametrize("position", [1, 2, 5, 9, 16, 17, 18])
def test_excluded_letters_are_rejected_with_their_position(letter, position):
    code = "91110000802100433B"
    error = raised(code[: position - 1] + letter + code[position:])
    assert error.code == "invalid_character"
    assert error.params == {"char": letter, "position": position}


def test_first_disallowed_character_is_the_one_reported():
    error = raised("91110000802100O3SB")
    assert error.params == {"char": "O", "position": 15}


def test_punctuation_is_rejected_as_a_disallowed_character():
    error = raised("91110000-80210043B")
    assert error.code == "invalid_character"
    assert error.params == {"char": "-", "position": 9}


def test_disallowed_character_message_names_character_and_position():
    with translation.override("en"):
        assert raised("9111000080210043IB").messages == [
            "Character I at position 17 is not allowed in a credit code."
        ]


@pytest.mark.parametrize("authority", ["0", "B", "M", "X"])
def test_unknown_registration_authority_is_rejected(authority):
    error = raised(authority + "1110000802100433B")
    assert error.code == "invalid_authority"
    assert error.params == {"char": authority}


@pytest.mark.parametrize(
    ("authority", "organization_type"),
    [("9", "4"), ("9", "9"), ("5", "4"), ("1", "5"), ("Y", "2"), ("2", "2")],
)
def test_organisation_type_not_allowed_for_authority_is_rejected(authority, organization_type):
    error = raised(authority + organization_type + "110000802100433B")
    assert error.code == "invalid_organization_type"
    assert error.params == {"char": organization_type, "authority": authority}


@pytest.mark.parametrize(
    ("authority", "organization_type"),
    [("1", "1"), ("1", "3"), ("1", "9"), ("5", "1"), ("5", "2"), ("5", "9"), ("9", "2"), ("9", "3")],
)
def test_organisation_types_listed_in_the_standard_are_accepted(authority, organization_type):
    validate_credit_code(build_credit_code(authority, organization_type, "110000", "80210043"))


@pytest.mark.parametrize("position", [3, 5, 8])
def test_letter_in_administrative_division_code_is_rejected(position):
    code = "91110000802100433B"
    error = raised(code[: position - 1] + "A" + code[position:])
    assert error.code == "invalid_division"
    assert error.params == {"char": "A", "position": position}


@pytest.mark.parametrize("value", [None, 91110000802100433])
def test_non_string_input_is_rejected_not_crashing(value):
    assert raised(value).code == "invalid_length"


def test_every_credit_code_message_is_english_source_text():
    cases = [
        ("9111", "A unified social credit code must be exactly 18 characters long (got 4)."),
        (
            "0111000080210043BB",
            "0 is not a valid registration authority code (position 1) in a credit code.",
        ),
        (
            "Y2110000802100433B",
            "2 is not a valid organisation type code (position 2) for registration authority Y.",
        ),
        (
            "9111A000802100433B",
            "Character A at position 5 is not allowed: positions 3 to 8 are the "
            "administrative division code and must be digits.",
        ),
        (
            "91110000802100434B",
            "The organisation code in positions 9 to 17 does not match its check character. "
            "Please check the code for typing errors.",
        ),
        (
            "91110000802100433C",
            "The check character at position 18 does not match the rest of the code. "
            "Please check the code for typing errors.",
        ),
    ]
    with translation.override("en"):
        for value, message in cases:
            assert raised(value).messages == [message], value


# --- Credit code: Django integration --------------------------------------------------------------


def test_credit_code_validator_works_in_a_form_field():
    field = forms.CharField(validators=[CreditCodeValidator()])
    assert field.clean("91110000802100433B") == "91110000802100433B"
    with pytest.raises(ValidationError) as excinfo:
        field.clean("91110000802100433C")
    assert excinfo.value.error_list[0].code == "invalid_check_character"


def test_validate_credit_code_function_works_in_a_form_field():
    field = forms.CharField(validators=[validate_credit_code])
    field.clean("9144030071526726XG")
    with pytest.raises(ValidationError):
        field.clean("9144030071526726XH")


def test_credit_code_validator_is_deconstructible_and_comparable():
    path, args, kwargs = CreditCodeValidator().deconstruct()
    assert path == "core.validators.CreditCodeValidator"
    assert (args, kwargs) == ((), {})
    assert CreditCodeValidator() == CreditCodeValidator()


# --- Phone numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13812345678", "13812345678"),
        ("19912345678", "19912345678"),
        ("138 1234 5678", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("86 13812345678", "13812345678"),
        ("0086-138-1234-5678", "13812345678"),
        ("(+86) 13812345678", "13812345678"),
        ("  15012345678  ", "15012345678"),
        ("１３８１２３４５６７８", "13812345678"),  # full-width digits from an IME
    ],
)
def test_mobile_numbers_normalise_to_11_digits(value, expected):
    assert normalize_phone(value) == expected
    validate_phone(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("010-12345678", "010-12345678"),
        ("01012345678", "010-12345678"),  # 010 and 02X are the only three-digit area codes
        ("075512345678", "0755-12345678"),
        ("0571 8765 4321", "0571-87654321"),
        ("0571-8765-4321", "0571-87654321"),
        ("(0755)12345678", "0755-12345678"),
        ("(0755) 1234 5678", "0755-12345678"),
        ("（0755）12345678", "0755-12345678"),  # full-width parentheses
        ("0931-1234567", "0931-1234567"),  # seven-digit local number
        ("021 1234 5678", "021-12345678"),
        ("0571\u201487654321", "0571-87654321"),  # em dash pasted from a document
        ("+86 10 12345678", "010-12345678"),
        ("+86-571-8765-4321", "0571-87654321"),
        ("0086 (0)21 1234 5678", "021-12345678"),
    ],
)
def test_landline_numbers_normalise_to_area_dash_number(value, expected):
    assert normalize_phone(value) == expected
    validate_phone(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("010-12345678转123", "010-12345678-123"),
        ("010-12345678 转 123", "010-12345678-123"),
        ("010-12345678-123", "010-12345678-123"),
        ("0755 1234 5678 ext 99", "0755-12345678-99"),
        ("021-12345678 EXT.5", "021-12345678-5"),
        ("(0571)87654321分机8001", "0571-87654321-8001"),
    ],
)
def test_landline_extension_is_kept_after_a_dash(value, expected):
    assert normalize_phone(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        "12812345678",  # 12x is not a mobile prefix
        "11012345678",
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "+86 1381234567",
    ],
)
def test_invalid_mobile_numbers_are_rejected(value):
    assert raised(value, validate_phone).code == "invalid_mobile"


@pytest.mark.parametrize(
    "value",
    [
        "010-123456",  # local number too short
        "010-123456789",  # local number too long
        "0101-2345678",  # 010 is Beijing, so 0101 is not an area code
        "010-02345678",  # local numbers never start with 0
        "010 12345678 ext",  # extension marker without digits
        "0571-87654321-1234567",  # extension too long
        "(0755 12345678",
    ],
)
def test_invalid_landline_numbers_are_rejected(value):
    assert raised(value, validate_phone).code == "invalid_landline"


@pytest.mark.parametrize(
    "value", ["", "   ", "abc", "+1 202 555 0123", "+86 10 1234", "800-820-8820", "0086", None]
)
def test_other_non_phone_values_are_rejected(value):
    assert raised(value, validate_phone).code == "invalid_phone"


def test_phone_messages_are_english_source_text():
    with translation.override("en"):
        assert raised("12812345678", validate_phone).messages == [
            "A mobile number must have 11 digits and start with 13 to 19, for example 13812345678."
        ]
        assert raised("010-123456", validate_phone).messages == [
            "A landline number needs a valid area code (0 followed by 2 or 3 digits) and a 7- or 8-digit "
            "number, for example 010-12345678 or 0571-87654321."
        ]
        assert raised("hello", validate_phone).messages == [
            "Enter a valid mainland China mobile or landline number, for example 13812345678 or 010-12345678."
        ]


def test_validate_phone_works_in_a_form_field():
    field = forms.CharField(validators=[validate_phone])
    assert field.clean("0571 8765 4321") == "0571 8765 4321"
    with pytest.raises(ValidationError):
        field.clean("12345")
