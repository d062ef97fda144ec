"""Masking of complainant identity for staff without the permission to see it."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

MASK = "＊＊"


def mask(value: str) -> str:
    # Nothing of the value survives: a first character, a domain or the ends of a credit code
    # already narrow down a small town's enterprises. The viewer only learns that it is on file.
    return MASK if value else ""


def identity_for_viewer(identity, *, can_see: bool) -> dict[str, str] | None:
    """The identity fields as this viewer may see them; None for an anonymous complaint."""
    if identity is None:
        return None
    if can_see:
        return {
            "enterprise_name": identity.enterprise_name,
            "credit_code": identity.credit_code,
            "contact_name": identity.contact_name,
            "phone": identity.phone,
            "email": identity.email,
            "masked": False,
        }
    return {
        "enterprise_name": mask(identity.enterprise_name),
        "credit_code": mask(identity.credit_code),
        "contact_name": mask(identity.contact_name),
        "phone": mask(identity.phone),
        "email": mask(identity.email),
        "masked": True,
    }


# Patterns of identifying numbers that may appear in free text whoever wrote it.
_PATTERNS = [
    # 18-digit resident ID numbers (last character may be X)
    (
        re.compile(
            r"(?<![0-9A-Za-z])[1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![0-9A-Za-z])"
        ),
        "〔身份证号〕",
    ),
    # unified social credit codes
    (
        re.compile(r"(?<![0-9A-Za-z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Za-z])"),
        "〔信用代码〕",
    ),
    # e-mail addresses
    (re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+"), "〔邮箱〕"),
    # mainland mobiles, optionally with +86 and separators
    (re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d[- ]?\d{4}[- ]?\d{4}(?!\d)"), "〔电话〕"),
    # landlines: area code and number
    (re.compile(r"(?<!\d)(?:\(?0\d{2,3}\)?[- ]?)\d{7,8}(?!\d)"), "〔电话〕"),
]
NAME_PLACEHOLDER = "〔投诉人〕"
ENTERPRISE_PLACEHOLDER = "〔企业〕"


def redact_text(text: str, identity=None) -> str:
    """Remove the complainant's identity from free text: their own names and numbers
    wherever they appear, then any phone, e-mail, ID-card or credit-code pattern.

    Staff still preview what is released; this is the automatic first pass.
    """
    if identity is not None:
        replacements = [
            (identity.enterprise_name, ENTERPRISE_PLACEHOLDER),
            (identity.contact_name, NAME_PLACEHOLDER),
            (identity.credit_code, "〔信用代码〕"),
            (identity.email, "〔邮箱〕"),
            (identity.phone, "〔电话〕"),
        ]
        # Longest first, so that a name inside the enterprise's name does not split it.
        for value, placeholder in sorted(replacements, key=lambda pair: -len(pair[0] or "")):
            if value and len(value.strip()) >= 2:
                text = re.sub(re.escape(value.strip()), placeholder, text, flags=re.IGNORECASE)
    for pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    return text


# --- The identity check on department-bound and public texts ---------------------------------
# API used by casework, reports and the API; the recognition behind it lives above.
# (Interim implementation: exact values only; being replaced by the full recogniser.)

IDENTITY_FIELDS = ("contact_name", "phone", "email", "enterprise_name", "credit_code")


def _as_identities(identity) -> list:
    if identity is None:
        return []
    if isinstance(identity, (list, tuple, set, frozenset)):
        return [one for one in identity if one is not None]
    return [identity]


def identity_findings(text: str, identity=None) -> list[str]:
    """What in ``text`` still identifies a complainant: translated labels, each once, in a fixed
    order (e.g. "the complainant's phone number", "an ID card number"). ``identity`` is one
    ComplainantIdentity, an iterable of them (a case with merged complaints) or None
    (anonymous: only the patterns any identity has are looked for). Empty means clean."""
    if not text:
        return []
    found = []
    for one in _as_identities(identity):
        for name in IDENTITY_FIELDS:
            value = (getattr(one, name, "") or "").strip()
            if len(value) >= 2 and value.casefold() in text.casefold():
                label = str(one._meta.get_field(name).verbose_name)
                if label not in found:
                    found.append(label)
    return found


def identity_validate(text: str, identity=None, *, field: str | None = None) -> None:
    """Raise ValidationError (code ``identity_in_text``) when ``text`` still identifies a
    complainant; ``field`` names the form field the error belongs to."""
    found = identity_findings(text, identity)
    if not found:
        return
    error = ValidationError(
        _("This text still identifies the complainant (%(found)s). Remove it before it is sent.")
        % {"found": "、".join(found)},
        code="identity_in_text",
    )
    raise ValidationError({field: [error]}) if field else error
