"""Validators for identifiers entered by complainants.

* Unified social credit codes (统一社会信用代码), GB 32100-2015, whose positions 9-17 are a
  GB 11714 organisation code with its own check character.
* Mainland China mobile and landline phone numbers.

Each ``validate_*`` function normalises its input first, so lowercase or full-width input typed
through a Chinese IME is accepted; callers should store the ``normalize_*`` result.
"""

from __future__ import annotations

import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CREDIT_CODE_CHARSET",
    "CreditCodeValidator",
    "credit_code_check_character",
    "normalize_credit_code",
    "normalize_phone",
    "organization_code_check_character",
    "validate_credit_code",
    "validate_phone",
]

# --- Unified social credit code (GB 32100-2015) ---------------------------------------------------

CREDIT_CODE_LENGTH = 18
# I, O, Z, S and V are excluded because they are easily confused with 1, 0, 2, 5 and U.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_VALUES = {char: index for index, char in enumerate(CREDIT_CODE_CHARSET)}
# 3**i mod 31 for i = 0..16.
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

# Registration authority -> allowed organisation type codes. The 2015 text listed only 1, 5, 9 and
# Y; Amendment No. 1 to GB 32100-2015 added 2 (foreign affairs), 3 (justice: law firms, notaries,
# arbitration), 4 (culture), 6 (tourism), 7 (religion), 8 (trade unions), A (military) and
# N (agricultural collectives). Real codes such as law firms' "31..." would be rejected without them.
CREDIT_CODE_ORGANIZATION_TYPES = {
    "1": "1239",
    "2": "19",
    "3": "123459",
    "4": "19",
    "5": "1239",
    "6": "129",
    "7": "129",
    "8": "19",
    "9": "123",
    "A": "19",
    "N": "1239",
    "Y": "1",
}

# GB 11714 organisation code: 8 body characters from 0-9A-Z (A=10 ... Z=35), then a check character.
ORGANIZATION_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_ORGANIZATION_CODE_BODY_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def normalize_credit_code(value: str) -> str:
    """Strip surrounding and inner whitespace and uppercase; no validation is done."""
    # NFKC folds full-width letters, digits and the ideographic space produced by Chinese IMEs.
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return "".join(text.split()).upper()


def credit_code_check_character(first17: str) -> str:
    """Return the GB 32100 check character (position 18) for the first 17 characters."""
    if len(first17) != CREDIT_CODE_LENGTH - 1:
        raise ValueError(f"expected 17 characters, got {len(first17)}")
    try:
        total = sum(
            _CREDIT_CODE_VALUES[char] * weight
            for char, weight in zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
        )
    except KeyError as exc:
        raise ValueError(f"character {exc.args[0]!r} is not in the credit code character set") from None
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def _organization_code_value(char: str) -> int:
    return ord(char) - ord("0") if char.isdigit() else ord(char) - ord("A") + 10


def organization_code_check_character(body8: str) -> str:
    """Return the GB 11714 check character for an 8-character organisation code body."""
    if len(body8) != 8 or not set(body8) <= _ORGANIZATION_CODE_BODY_CHARS:
        raise ValueError(f"expected 8 characters from 0-9A-Z, got {body8!r}")
    total = sum(
        _organization_code_value(char) * weight
        for char, weight in zip(body8, ORGANIZATION_CODE_WEIGHTS, strict=True)
    )
    check = 11 - total % 11
    if check == 10:
        return "X"
    if check == 11:
        return "0"
    return str(check)


def validate_credit_code(value: str) -> None:
    """Raise ValidationError naming the first rule the (normalised) credit code breaks."""
    code = normalize_credit_code(value)

    if len(code) != CREDIT_CODE_LENGTH:
        raise ValidationError(
            _("A unified social credit code must be exactly 18 characters long (got %(length)s)."),
            code="invalid_length",
            params={"length": len(code)},
        )

    for position, char in enumerate(code, start=1):
        if char not in _CREDIT_CODE_VALUES:
            raise ValidationError(
                _("Character %(char)s at position %(position)s is not allowed in a credit code."),
                code="invalid_character",
                params={"char": char, "position": position},
            )

    authority, organization_type = code[0], code[1]
    if authority not in CREDIT_CODE_ORGANIZATION_TYPES:
        raise ValidationError(
            _("%(char)s is not a valid registration authority code (position 1) in a credit code."),
            code="invalid_authority",
            params={"char": authority},
        )
    if organization_type not in CREDIT_CODE_ORGANIZATION_TYPES[authority]:
        raise ValidationError(
            _(
                "%(char)s is not a valid organisation type code (position 2) for registration "
                "authority %(authority)s."
            ),
            code="invalid_organization_type",
            params={"char": organization_type, "authority": authority},
        )

    for position in range(3, 9):
        char = code[position - 1]
        if not char.isdigit():
            raise ValidationError(
                _(
                    "Character %(char)s at position %(position)s is not allowed: positions 3 to 8 are "
                    "the administrative division code and must be digits."
                ),
                code="invalid_division",
                params={"char": char, "position": position},
            )

    # Deliberately do not reveal the expected check characters: "fixing" the check character would
    # hide a typo elsewhere in the code.
    if organization_code_check_character(code[8:16]) != code[16]:
        raise ValidationError(
            _(
                "The organisation code in positions 9 to 17 does not match its check character. "
                "Please check the code for typing errors."
            ),
            code="invalid_organization_check",
        )

    if credit_code_check_character(code[:17]) != code[17]:
        raise ValidationError(
            _(
                "The check character at position 18 does not match the rest of the code. "
                "Please check the code for typing errors."
            ),
            code="invalid_check_character",
        )


@deconstructible
class CreditCodeValidator:
    """Validator object for ``validators=[...]`` on form and model fields (migration-serialisable)."""

    def __call__(self, value: str) -> None:
        validate_credit_code(value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CreditCodeValidator)

    def __hash__(self) -> int:
        return hash(CreditCodeValidator)


# --- Mainland China phone numbers -----------------------------------------------------------------

# Dashes that word processors and IMEs substitute for "-"; NFKC leaves these alone.
_DASHES = str.maketrans(dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212", "-"))

_SEP = r"\s*-?\s*"  # at most one hyphen, optionally surrounded by spaces

_MOBILE_RE = re.compile(
    rf"""
    ^(?:\(?(?:\+|00)?86\)?{_SEP})?          # +86 / 86 / 0086, optionally in parentheses
    (?P<number>1{_SEP}[3-9](?:{_SEP}[0-9]){{9}})$
    """,
    re.VERBOSE | re.ASCII,
)

# The numbering plan makes unseparated input unambiguous: 010 and 02X are the only three-digit
# area codes; every other area code has four digits (0 + 3).
_AREA = r"(?:10|2[0-9]|[3-9][0-9]{2})"  # without the trunk prefix 0
_LANDLINE_RE = re.compile(
    rf"""
    ^(?:
        \(0(?P<paren_area>{_AREA})\)
        | 0(?P<area>{_AREA})
        | \(?(?:\+|00)86\)?{_SEP}(?:\(0\))?(?P<intl_area>{_AREA})  # international form drops the 0
    ){_SEP}
    (?P<local>[1-9][0-9]{{6,7}}|[1-9][0-9]{{2,3}}[\s-][0-9]{{4}})
    (?:\s*(?:转|分机|ext\.?|x|-)\s*(?P<extension>[0-9]{{1,6}}))?$
    """,
    re.VERBOSE | re.ASCII | re.IGNORECASE,
)
_MOBILE_PREFIX_RE = re.compile(r"^\(?(?:\+|00)?86\)?", re.ASCII)

_INVALID_PHONE = _(
    "Enter a valid mainland China mobile or landline number, for example 13812345678 or 010-12345678."
)
_INVALID_MOBILE = _("A mobile number must have 11 digits and start with 13 to 19, for example 13812345678.")
_INVALID_LANDLINE = _(
    "A landline number needs a valid area code (0 followed by 2 or 3 digits) and a 7- or 8-digit "
    "number, for example 010-12345678 or 0571-87654321."
)


def _clean_phone_text(value: str) -> str:
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return text.translate(_DASHES).strip()


def _phone_error(text: str) -> ValidationError:
    # Pick the most helpful message for what the user seems to have been typing.
    compact = re.sub(r"[\s-]", "", text)
    if text.startswith(("0", "(")) and not compact.startswith(("00", "(00", "(+")):
        return ValidationError(_INVALID_LANDLINE, code="invalid_landline")
    compact = _MOBILE_PREFIX_RE.sub("", compact)
    # "10..." after +86 is a Beijing landline, never a mobile.
    if compact.isascii() and compact.isdigit() and compact.startswith("1") and not compact.startswith("10"):
        return ValidationError(_INVALID_MOBILE, code="invalid_mobile")
    return ValidationError(_INVALID_PHONE, code="invalid_phone")


def normalize_phone(value: str) -> str:
    """Return mobiles as 11 digits and landlines as "0XX-XXXXXXXX" (plus "-ext" if any).

    Raises ValidationError when the value is not a mainland China phone number.
    """
    text = _clean_phone_text(value)

    match = _MOBILE_RE.match(text)
    if match:
        return re.sub(r"[\s-]", "", match["number"])

    match = _LANDLINE_RE.match(text)
    if match:
        area = "0" + (match["paren_area"] or match["area"] or match["intl_area"])
        local = re.sub(r"[\s-]", "", match["local"])
        normalized = f"{area}-{local}"
        if match["extension"]:
            normalized += f"-{match['extension']}"
        return normalized

    raise _phone_error(text)


def validate_phone(value: str) -> None:
    """Raise ValidationError unless the value is a mainland China mobile or landline number."""
    normalize_phone(value)
