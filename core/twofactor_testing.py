"""For tests and the bench, which log in with Django's test client ``force_login``: a session
that has passed the second factor exactly as a real login leaves it (django-otp's session key
naming a confirmed device of the user), and the code an authenticator app would show now."""

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.twofactor import TOTP_DEVICE_NAME, totp_device_confirmed


def totp_device_for_tests(user) -> TOTPDevice:
    """The user's confirmed authenticator, enrolled now if they have none."""
    return totp_device_confirmed(user) or TOTPDevice.objects.create(
        user=user, name=TOTP_DEVICE_NAME, confirmed=True
    )


def client_session_verify(client, user) -> TOTPDevice:
    """Mark a test client's logged-in session as verified with the user's authenticator."""
    device = totp_device_for_tests(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def totp_code_now(device: TOTPDevice) -> str:
    """What the authenticator app shows at this moment for this device's secret."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{code:0{device.digits}d}"
