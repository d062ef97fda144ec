"""The second factor for staff logins, on django-otp: one TOTP device per person (an authenticator
app) and a set of single-use backup codes (django-otp's static device) for a lost phone.

Who needs it: every staff account, and department users when TWO_FACTOR_DEPARTMENTS is on.
A session passes the second factor once (``django_otp.login`` stores the device in the session);
``TwoFactorRequiredMiddleware`` keeps an unverified session away from everything else.
"""

from base64 import b32encode

import django_otp
import segno
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_otp.models import VerifyNotAllowed
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

# Department users are those who may open the department portal (the liaison app's permission).
DEPARTMENT_PORTAL_PERMISSION = "liaison.access_department_portal"
TOTP_DEVICE_NAME = "authenticator"
BACKUP_DEVICE_NAME = "backup codes"
BACKUP_CODE_COUNT = 10


def two_factor_required(user) -> bool:
    """Whether this account must pass a second factor before it may use the portal."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return settings.TWO_FACTOR_DEPARTMENTS and user.has_perm(DEPARTMENT_PORTAL_PERMISSION)


def two_factor_verified(user) -> bool:
    """True once this session has passed a second factor (set by django-otp's OTPMiddleware).
    A request that never went through that middleware counts as unverified."""
    is_verified = getattr(user, "is_verified", None)
    return bool(is_verified and is_verified())


def two_factor_satisfied(user) -> bool:
    return not two_factor_required(user) or two_factor_verified(user)


def totp_device_confirmed(user) -> TOTPDevice | None:
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).order_by("-pk").first()


def totp_enrolment_device(*, user) -> TOTPDevice:
    """The unconfirmed device this person is enrolling: the same secret on every reload of the
    page, so a code from an app that scanned it a minute ago still matches."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("-pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def totp_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps ask for it when typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as a QR code, drawn here as SVG (no image service, nothing leaves the
    server) and handed to an <img> as a data: URI, which the CSP's img-src allows."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2, dark="#000", light="#fff")


def _code_normalise(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def totp_enrolment_confirm(*, user, device: TOTPDevice, code: str) -> list[str] | None:
    """Confirm the device with a code from the app; replace any earlier authenticator and issue
    fresh backup codes. Returns the backup codes (to be shown once), or None if the code is wrong."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=user, confirmed=False)
        if not device.verify_token(_code_normalise(code)):
            return None
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        # One authenticator per person: enrolling a new phone retires the old one.
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        return backup_codes_issue(user=user)


def backup_codes_issue(*, user) -> list[str]:
    """A new set of single-use backup codes; earlier codes stop working."""
    with transaction.atomic():
        device, _created = StaticDevice.objects.get_or_create(
            user=user, name=BACKUP_DEVICE_NAME, defaults={"confirmed": True}
        )
        device.token_set.all().delete()
        codes = []
        while len(codes) < BACKUP_CODE_COUNT:
            code = StaticToken.random_token()
            # A code of digits only would be read as an authenticator code: draw again.
            if not code.isdigit() and code not in codes:
                codes.append(code)
        StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
        return codes


def backup_codes_remaining(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def second_factor_verify(*, user, code: str):
    """Check a code: six digits against the authenticator, anything else against the backup codes
    (a used backup code is deleted). Returns the device that accepted it, or None."""
    code = _code_normalise(code)
    if not code:
        return None
    model = TOTPDevice if code.isdigit() else StaticDevice
    for device in model.objects.devices_for_user(user, confirmed=True):
        # django_otp.verify_token locks the device row: one code, one use, even when two
        # requests race with it.
        verified = django_otp.verify_token(user, device.persistent_id, code)
        if verified is not None:
            return verified
    return None


def second_factor_locked_until(user):
    """When django-otp's own back-off (1, 2, 4 … seconds after each wrong code) lets this person
    try again, or None if they may try now."""
    until = None
    for model in (TOTPDevice, StaticDevice):
        for device in model.objects.devices_for_user(user, confirmed=True):
            allowed, data = device.verify_is_allowed()
            if not allowed and data and data.get("reason") == VerifyNotAllowed.N_FAILED_ATTEMPTS:
                locked = data.get("locked_until")
                if locked and locked > timezone.now() and (until is None or locked > until):
                    until = locked
    return until


def session_verify(request, device) -> None:
    """Mark the session as having passed the second factor with this device, under a new
    session key (the privilege changed, so an earlier key must not carry it)."""
    request.session.cycle_key()
    django_otp.login(request, device)
