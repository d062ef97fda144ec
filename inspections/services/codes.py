"""Supervision codes (监管码): the enterprise's private link, printed as a QR code.

The secret is 128 bits from the operating system's CSPRNG (``secrets.token_urlsafe(16)``, 22
URL-safe characters). Only an HMAC-SHA256 of it is stored, keyed apart from the tracking codes'
key: a leaked database opens no enterprise's page, and a keyed hash (not a slow password hash)
keeps the look-up to one query on the unique index. The secret itself is returned once, to the
staff member who issued or rotated it, and is never stored in the clear nor written to a log.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import segno
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from inspections.models import SupervisionCode
from liaison.models import Enterprise

SECRET_BYTES = 16  # 128 bits; the issue asks for at least 80
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def _key() -> bytes:
    # A deployment may set its own key; by default one derived from SECRET_KEY, apart from the
    # tracking codes' key so that one hash can never be tried as the other.
    configured = settings.SUPERVISION_CODE_KEY
    return (configured or f"supervision-code:{settings.SECRET_KEY}").encode()


def code_hash(secret: str) -> str | None:
    """The stored form of a secret; None if the text cannot be one (no query is then made)."""
    if not isinstance(secret, str) or not _SECRET_SHAPE.match(secret):
        return None
    return hmac.new(_key(), secret.encode(), hashlib.sha256).hexdigest()


def code_issue(*, enterprise: Enterprise, actor=None) -> str:
    """Give the enterprise a supervision code, replacing any it had; return the secret (once)."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    with transaction.atomic():
        SupervisionCode.objects.update_or_create(
            enterprise=enterprise, defaults={"secret_hash": code_hash(secret)}
        )
    return secret


def code_rotate(*, enterprise: Enterprise, actor) -> str:
    """A new secret: the printed code and the link the enterprise kept stop working at once."""
    return code_issue(enterprise=enterprise, actor=actor)


def enterprise_by_code(secret: str) -> Enterprise | None:
    """The enterprise whose code this is: one query on the unique index of the hash."""
    digest = code_hash(secret)
    if digest is None:
        return None
    code = SupervisionCode.objects.select_related("enterprise").filter(secret_hash=digest).first()
    if code is None or not code.enterprise.is_active:
        return None
    return code.enterprise


def code_link(secret: str) -> str:
    """The private link the QR code carries: SITE_URL + /e/<secret>/."""
    return settings.SITE_URL + reverse("inspection_entry:open", args=[secret])


def code_svg_data_uri(secret: str) -> str:
    """The QR code of the private link, drawn here as SVG (no external service)."""
    return segno.make(code_link(secret), error="m").svg_data_uri(scale=8, border=4, dark="#000", light="#fff")
