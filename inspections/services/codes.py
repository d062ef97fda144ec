"""Supervision codes (监管码): two secrets per enterprise, one for the wall and one for the
enterprise.

* The scan secret is in the QR code hung at the enterprise. Anyone on the premises can
  photograph it, so it opens nothing but the scan-to-enter page, and that only behind an
  inspector's login (/e/<scan secret>/).
* The private link's secret is given to the enterprise alone (its code letter) and opens its
  own page: every inspection of it and its anonymous ratings (/e/own/<private secret>/).

Each is 128 bits from the operating system's CSPRNG (``secrets.token_urlsafe(16)``, 22 URL-safe
characters). Only an HMAC-SHA256 of each is stored, each under its own key, both apart from the
tracking codes' key: a leaked database opens no page, one secret's hash can never be tried as
the other's, and a keyed hash (not a slow password hash) keeps each look-up to one query on a
unique index. A secret is returned once, to the staff member who issued or rotated it, and is
never stored in the clear nor written to a log. Staff rotate the two apart: a new QR code for
the wall does not change the enterprise's link, nor the other way round.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

import segno
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from inspections.models import SupervisionCode
from liaison.models import Enterprise

SECRET_BYTES = 16  # 128 bits; the issue asks for at least 80
_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22}$")

SCAN = "scan"
PRIVATE = "private"


@dataclass(frozen=True)
class CodeSecrets:
    """What an issue or a rotation hands back, once: the secrets just made (None: unchanged)."""

    scan: str | None = None
    private: str | None = None


def _key(purpose: str) -> bytes:
    # A deployment may set its own key; by default one derived from SECRET_KEY, apart from the
    # tracking codes' key. The scan secret keeps the key the single secret had, so that codes
    # already printed on walls keep working; the private link's key is derived from it.
    configured = settings.SUPERVISION_CODE_KEY
    key = (configured or f"supervision-code:{settings.SECRET_KEY}").encode()
    if purpose == SCAN:
        return key
    return hmac.new(key, b"supervision-code:private-link", hashlib.sha256).digest()


def _hash(secret: str, purpose: str) -> str | None:
    if not isinstance(secret, str) or not _SECRET_SHAPE.match(secret):
        return None
    return hmac.new(_key(purpose), secret.encode(), hashlib.sha256).hexdigest()


def scan_hash(secret: str) -> str | None:
    """The stored form of a scan secret; None if the text cannot be one (no query is then made)."""
    return _hash(secret, SCAN)


def private_hash(secret: str) -> str | None:
    """The stored form of a private link's secret; None if the text cannot be one."""
    return _hash(secret, PRIVATE)


def _new_secret() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def code_issue(*, enterprise: Enterprise, actor=None) -> CodeSecrets:
    """Give the enterprise a supervision code: both secrets new, replacing any it had."""
    scan, private = _new_secret(), _new_secret()
    now = timezone.now()
    with transaction.atomic():
        SupervisionCode.objects.update_or_create(
            enterprise=enterprise,
            defaults={
                "scan_hash": scan_hash(scan),
                "scan_issued_at": now,
                "private_hash": private_hash(private),
                "private_issued_at": now,
            },
        )
    return CodeSecrets(scan=scan, private=private)


def _rotate(*, enterprise: Enterprise, purpose: str) -> str:
    secret = _new_secret()
    with transaction.atomic():
        code = SupervisionCode.objects.select_for_update().get(enterprise=enterprise)
        if purpose == SCAN:
            code.scan_hash, code.scan_issued_at = scan_hash(secret), timezone.now()
            code.save(update_fields=["scan_hash", "scan_issued_at"])
        else:
            code.private_hash, code.private_issued_at = private_hash(secret), timezone.now()
            code.save(update_fields=["private_hash", "private_issued_at"])
    return secret


def code_scan_rotate(*, enterprise: Enterprise, actor) -> str:
    """A new QR code: the one on the wall stops working at once; the enterprise's link stays."""
    return _rotate(enterprise=enterprise, purpose=SCAN)


def code_private_rotate(*, enterprise: Enterprise, actor) -> str:
    """A new private link (or the first, for a code made before there were two): the link the
    enterprise kept stops working at once; the QR code on the wall stays."""
    return _rotate(enterprise=enterprise, purpose=PRIVATE)


def _enterprise_by(field: str, digest: str | None) -> Enterprise | None:
    if digest is None:
        return None
    code = SupervisionCode.objects.select_related("enterprise").filter(**{field: digest}).first()
    if code is None or not code.enterprise.is_active:
        return None
    return code.enterprise


def enterprise_by_scan_secret(secret: str) -> Enterprise | None:
    """The enterprise whose QR code this is: one query on the unique index of the hash."""
    return _enterprise_by("scan_hash", scan_hash(secret))


def enterprise_by_private_secret(secret: str) -> Enterprise | None:
    """The enterprise whose private link this is: one query on the unique index of the hash."""
    return _enterprise_by("private_hash", private_hash(secret))


def scan_link(secret: str) -> str:
    """What the QR code on the wall carries: SITE_URL + /e/<scan secret>/."""
    return settings.SITE_URL + reverse("inspection_entry:scan_open", args=[secret])


def private_link(secret: str) -> str:
    """The enterprise's private link: SITE_URL + /e/own/<private secret>/."""
    return settings.SITE_URL + reverse("inspection_entry:enterprise_open", args=[secret])


def qr_svg_data_uri(link: str) -> str:
    """A link as a QR code, drawn here as SVG (no external service)."""
    return segno.make(link, error="m").svg_data_uri(scale=8, border=4, dark="#000", light="#fff")
