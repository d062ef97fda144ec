"""Tracking codes: the complainant's only key to their complaint (GlobaLeaks' receipt).

20 characters from a 31-symbol alphabet without look-alikes (no 0/O, 1/I/L) carry 99
bits from the operating system's CSPRNG. Only an HMAC-SHA256 of the normalised code is
stored: a leaked database gives no way in, and a keyed hash (not a slow password hash)
keeps look-ups to one indexed query, which the public form's throughput depends on.
"""

import hashlib
import hmac
import math
import secrets

from django.conf import settings

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS = 4
GROUP_SIZE = 5
LENGTH = GROUPS * GROUP_SIZE
BITS = LENGTH * math.log2(len(ALPHABET))


def tracking_code_generate() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i : i + GROUP_SIZE] for i in range(0, LENGTH, GROUP_SIZE))


def tracking_code_normalize(code: str) -> str | None:
    """Upper-case, drop spaces and dashes; None if it cannot be a tracking code."""
    cleaned = "".join(ch for ch in code.upper() if ch not in " -\t\u3000—–")
    if len(cleaned) != LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned


def tracking_code_hash(code: str) -> str | None:
    normalized = tracking_code_normalize(code)
    if normalized is None:
        return None
    key = settings.TRACKING_CODE_KEY.encode()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()
