"""The invitations' one-time secrets: 128 bits from the CSPRNG, only their HMAC-SHA256 stored
(under a key of their own, derived from SECRET_KEY or APPRAISAL_INVITATION_KEY), as for the
supervision codes (inspections/services/codes.py): a leaked database opens no invitation and
a look-up is one query on a unique index."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from django.conf import settings

SECRET_BYTES = 16
_SHAPE = re.compile(r"^[A-Za-z0-9_-]{22}$")


def _key() -> bytes:
    configured = getattr(settings, "APPRAISAL_INVITATION_KEY", "")
    return (configured or f"appraisal-invitation:{settings.SECRET_KEY}").encode()


def token_new() -> str:
    return secrets.token_urlsafe(SECRET_BYTES)


def token_hash(token: str) -> str | None:
    """The stored form of a token; None if the text cannot be one (no query is then made)."""
    if not isinstance(token, str) or not _SHAPE.match(token):
        return None
    return hmac.new(_key(), token.encode(), hashlib.sha256).hexdigest()
