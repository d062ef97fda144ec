"""Fixtures of the security battery: one set of data per module (rolled back at its end), users of
every role, clients logged in as them, and the battery's figures printed after the run."""

import itertools

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.test import Client

from envopt.setup.roles import ROLES
from tests.security.canaries import FIGURES

_counter = itertools.count(1)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    lines = FIGURES.lines()
    if lines:
        terminalreporter.section("security battery")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """A transaction around a whole module: its data is built once and rolled back at the end.

    Each test's own ``db`` transaction is a savepoint inside it, so what one test changes is
    undone before the next, while the module's data stays. The IDOR matrix and the canary
    surfaces make hundreds of requests over one world; building it per test would cost minutes.
    """
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


def make_user(role: str | None, *, staff: bool | None = None, department=None, name: str = "") -> User:
    """An account in the group of ``role`` (a key of envopt.setup.roles.ROLES; None: no group).

    No password: the battery logs in with force_login (hashing is not what it tests)."""
    username = f"{name or role or 'nobody'}-{next(_counter)}"
    is_staff = ROLES[role]["staff"] if role and staff is None else bool(staff)
    user = User.objects.create(username=username, is_staff=is_staff, email=f"{username}@centre.example")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    if role:
        user.groups.add(Group.objects.get(name=ROLES[role]["group"]))
    if department is not None:
        department.members.add(user)
    return user


def log_in(user: User | None, client: Client | None = None) -> Client:
    """A test client logged in as ``user`` (anonymous for None), second factor passed for staff.

    force_login skips the second factor; the session is marked as django-otp's login would mark
    it (with a confirmed device of the user's), so that the pages behind the 2FA middleware open.
    """
    client = client or Client()
    if user is None:
        return client
    client.force_login(user)
    if user.is_staff and apps.is_installed("django_otp"):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        session = client.session
        if DEVICE_ID_SESSION_KEY not in session:
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
            if device is None:
                device = TOTPDevice.objects.create(user=user, name="battery", confirmed=True)
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()
    return client


def api_token(user: User) -> str:
    """An API token for ``user``: django-rest-knox when installed, DRF's own tokens otherwise."""
    if apps.is_installed("knox"):
        from knox.models import AuthToken

        _instance, token = AuthToken.objects.create(user=user)
        return token
    from rest_framework.authtoken.models import Token

    return Token.objects.create(user=user).key
