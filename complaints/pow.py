"""Hashcash-style proof of work for the public complaint form.

Stands in for a CAPTCHA on intranets with no third-party service: the browser
(static/js/pow.js) searches for a decimal ``nonce`` such that
``SHA-256(f"{challenge}:{nonce}")`` starts with ``difficulty`` zero bits, which costs a
real browser a moment and a bulk sender real CPU per submission.

A challenge is ``signing.dumps({"s": <128-bit hex salt>, "d": <difficulty>})`` with a
timestamp: it is stateless until it is used, valid for ``POW_MAX_AGE`` seconds, and
single use through the cache (through the database while the cache is down).
"""

import hashlib
import re
import secrets

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.fallback import fallback_add, fallback_key, fallback_marked
from core.outage import OUTAGE_ERRORS

POW_SIGNING_SALT = "complaints.pow"
POW_MAX_AGE = 30 * 60
# Long enough for any difficulty the browser can reach, short enough to refuse junk cheaply.
POW_NONCE_MAX_DIGITS = 12
# A real challenge is ~110 characters; anything much longer is not worth verifying.
POW_CHALLENGE_MAX_LENGTH = 512
POW_USED_KEY_PREFIX = "complaints:pow:used:"
_NONCE_RE = re.compile(rf"[0-9]{{1,{POW_NONCE_MAX_DIGITS}}}")
_SALT_RE = re.compile(r"[0-9a-f]{32}")

MESSAGES = {
    "pow_missing": _(
        "The form's anti-spam check did not run. Please make sure JavaScript is enabled "
        "and submit the form again."
    ),
    "pow_invalid": _("The form's anti-spam check is not valid. Please submit the form again."),
    "pow_expired": _(
        "The form was open for more than 30 minutes and its anti-spam check has expired. "
        "Please submit it again; what you entered has been kept."
    ),
    "pow_nonce_invalid": _(
        "The form's anti-spam check sent a malformed answer. Please submit the form again."
    ),
    "pow_insufficient": _("The form's anti-spam check sent a wrong answer. Please submit the form again."),
    "pow_reused": _(
        "This form has already been submitted once. If you did not receive a confirmation, "
        "please submit it again."
    ),
}


def _fail(code: str):
    raise ValidationError(MESSAGES[code], code=code)


def pow_leading_zero_bits(digest: bytes) -> int:
    """Number of leading zero bits of ``digest`` (all of them for an all-zero digest)."""
    return len(digest) * 8 - int.from_bytes(digest, "big").bit_length()


def pow_challenge_issue() -> str:
    """A new signed challenge at the difficulty currently in force.

    The result uses only ``[A-Za-z0-9_:-]``, so it can go into an HTML attribute or a
    hidden input as is.
    """
    difficulty = int(settings.INTAKE_POW_DIFFICULTY)
    payload = {"s": secrets.token_hex(16), "d": difficulty}
    return signing.dumps(payload, salt=POW_SIGNING_SALT)


def _load(challenge: str, *, max_age: int | None) -> dict:
    """The signed payload, or ValidationError (pow_invalid / pow_expired)."""
    if not isinstance(challenge, str) or not challenge or len(challenge) > POW_CHALLENGE_MAX_LENGTH:
        _fail("pow_invalid")
    try:
        payload = signing.loads(challenge, salt=POW_SIGNING_SALT, max_age=max_age)
    except signing.SignatureExpired:
        _fail("pow_expired")
    except (signing.BadSignature, ValueError, UnicodeError):
        _fail("pow_invalid")
    # Signed by us, but keep a format change from ever turning into a bypass.
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("s"), str)
        or not _SALT_RE.fullmatch(payload["s"])
        or type(payload.get("d")) is not int
        or not 0 <= payload["d"] <= 256
    ):
        _fail("pow_invalid")
    return payload


def pow_challenge_difficulty(challenge: str) -> int:
    """The difficulty signed into ``challenge`` (for ``data-pow-difficulty``); age is not checked."""
    return _load(challenge, max_age=None)["d"]


def pow_verify(challenge: str, nonce: str) -> None:
    """Accept a solved challenge once, or raise ValidationError with one of MESSAGES' codes.

    Checks, in order: signature, age (POW_MAX_AGE), nonce format (1-12 ASCII digits), the
    work at the difficulty signed into the challenge (not the current setting, so changing
    it does not break forms already open), then single use. A failed attempt does not use
    the challenge up.

    When ``settings.INTAKE_POW_ENABLED`` is False this accepts anything, including empty
    values (used by benchmarks and deployments that turn the check off).
    """
    if not settings.INTAKE_POW_ENABLED:
        return
    if not challenge or not nonce:
        # Empty fields almost always mean the script never ran (JavaScript off or blocked).
        _fail("pow_missing")
    payload = _load(challenge, max_age=POW_MAX_AGE)
    if not isinstance(nonce, str) or not _NONCE_RE.fullmatch(nonce):
        _fail("pow_nonce_invalid")
    digest = hashlib.sha256(f"{challenge}:{nonce}".encode()).digest()
    if pow_leading_zero_bits(digest) < payload["d"]:
        _fail("pow_insufficient")
    # The key outlives the challenge's validity, so a replay is refused for as long as it could pass.
    if not pow_mark_used(payload["s"]):
        _fail("pow_reused")


def pow_mark_used(salt: str) -> bool:
    """Mark the challenge used; False if it was used before. In the cache, or in the database while
    the cache is down (core/fallback.py). A mark made in the database during an outage is checked
    after it too (one indexed look-up in a table that is empty but for outages); a challenge spent
    in the cache just before an outage could be spent once more during it, still within the
    rate limits."""
    key = fallback_key("pow-used", salt)
    try:
        added = cache.add(POW_USED_KEY_PREFIX + salt, 1, timeout=POW_MAX_AGE)
    except OUTAGE_ERRORS:
        return fallback_add(key, timeout=POW_MAX_AGE)
    return added and not fallback_marked(key)


def pow_solve(challenge: str, difficulty: int | None = None) -> str:
    """Brute-force a nonce in Python (tests, benchmarks, management commands).

    The difficulty defaults to the one signed into the challenge; the challenge's age is not
    checked. Returns the smallest decimal nonce that works, as the browser would find.
    """
    if difficulty is None:
        difficulty = pow_challenge_difficulty(challenge)
    if not 0 <= difficulty <= 256:
        raise ValueError("difficulty must be between 0 and 256 bits")
    bound = 1 << (256 - difficulty)
    prefix = hashlib.sha256(f"{challenge}:".encode())
    nonce = 0
    while True:
        h = prefix.copy()
        text = str(nonce)
        h.update(text.encode())
        if int.from_bytes(h.digest(), "big") < bound:
            return text
        nonce += 1
