"""The second factor's pages: enrolment with a QR code drawn here, backup codes shown once, the
code step, and the rules that keep a password alone from taking over someone's second factor."""

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.twofactor import backup_codes_issue, second_factor_verify, two_factor_required
from core.twofactor_testing import totp_code_now, totp_device_for_tests

pytestmark = pytest.mark.django_db

PASSWORD = "a long and unusual passphrase 7"


@pytest.fixture
def staff():
    return User.objects.create_user("staff-2fa", password=PASSWORD, is_staff=True)


def password_only(client: Client, user: User) -> Client:
    """Logged in with the password, second factor not yet passed (see tests/fixtures.py)."""
    Client.force_login.__wrapped__(client, user)
    return client


def test_who_needs_a_second_factor(staff):
    department_user = User.objects.create_user("dept-2fa", password=PASSWORD)
    superuser = User.objects.create_user("root-2fa", password=PASSWORD, is_superuser=True)
    assert two_factor_required(staff) and two_factor_required(superuser)
    assert not two_factor_required(department_user)


def test_enrolment_shows_a_local_qr_code_and_the_secret(client, staff):
    password_only(client, staff)
    response = client.get("/accounts/two-factor/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/setup/")
    page = client.get(response["Location"])
    html = page.content.decode()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert 'src="data:image/svg+xml' in html
    assert not re.search(r"src=\"https?://", html)  # no image service
    assert page.context["secret"].replace(" ", "") in device.config_url
    assert "<script>" not in html and "style=" not in html  # the strict CSP allows neither
    # Reloading keeps the same secret: the app that scanned it still matches.
    client.get("/accounts/two-factor/setup/")
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_a_wrong_code_is_shown_next_to_the_field(client, staff):
    password_only(client, staff)
    client.get("/accounts/two-factor/setup/")
    response = client.post("/accounts/two-factor/setup/", {"code": "12"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert 'class="field-error"' in response.content.decode()


def test_confirming_enrols_verifies_and_shows_backup_codes_once(client, staff):
    password_only(client, staff)
    client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=staff)
    response = client.post("/accounts/two-factor/setup/?next=/admin/", {"code": totp_code_now(device)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/backup-codes/?next=%2Fadmin%2F"
    device.refresh_from_db()
    assert device.confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id

    first = client.get(response["Location"])
    codes = first.context["codes"]
    assert len(codes) == 10 and all(code in first.content.decode() for code in codes)
    again = client.get(response["Location"])
    assert again.context["codes"] is None
    assert codes[0] not in again.content.decode()
    assert client.get("/admin/").status_code == 200


def test_a_backup_code_works_once(client, staff):
    totp_device_for_tests(staff)
    code = backup_codes_issue(user=staff)[0]
    password_only(client, staff)
    assert client.post("/accounts/two-factor/", {"code": code.upper()}).status_code == 302
    assert client.get("/admin/").status_code == 200
    assert not StaticToken.objects.filter(token=code).exists()
    client.logout()
    password_only(client, staff)
    response = client.post("/accounts/two-factor/", {"code": code})
    assert response.status_code == 200 and response.context["form"].errors["code"]


def test_a_used_authenticator_code_cannot_be_replayed(staff):
    device = totp_device_for_tests(staff)
    code = totp_code_now(device)
    assert second_factor_verify(user=staff, code=code) is not None
    assert second_factor_verify(user=staff, code=code) is None


def test_a_password_alone_cannot_replace_an_enrolled_authenticator(client, staff):
    totp_device_for_tests(staff)
    password_only(client, staff)
    response = client.get("/accounts/two-factor/setup/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/two-factor/?")
    assert TOTPDevice.objects.filter(user=staff, confirmed=False).count() == 0


def test_a_verified_user_moves_to_a_new_phone(client, staff):
    old = totp_device_for_tests(staff)
    client.force_login(staff)
    assert client.get("/accounts/two-factor/setup/").context["replacing"]
    new = TOTPDevice.objects.get(user=staff, confirmed=False)
    client.post("/accounts/two-factor/setup/", {"code": totp_code_now(new)})
    assert list(TOTPDevice.objects.filter(user=staff).values_list("pk", flat=True)) == [new.pk]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert client.get("/admin/").status_code == 200


def test_new_backup_codes_replace_the_old_ones(client, staff):
    totp_device_for_tests(staff)
    old = backup_codes_issue(user=staff)
    client.force_login(staff)
    response = client.post("/accounts/two-factor/backup-codes/")
    new = client.get(response["Location"]).context["codes"]
    assert len(new) == 10 and not set(old) & set(new)
    assert set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True)) == set(new)


def test_the_next_address_stays_on_this_site(client, staff):
    device = totp_device_for_tests(staff)
    password_only(client, staff)
    response = client.post(
        "/accounts/two-factor/?next=https://evil.example/", {"code": totp_code_now(device)}
    )
    assert response.status_code == 302 and response["Location"] == "/accounts/"


def test_people_who_need_no_second_factor_skip_its_pages(client):
    department_user = User.objects.create_user("dept-skip", password=PASSWORD)
    password_only(client, department_user)
    assert client.get("/accounts/two-factor/?next=/dept/")["Location"] == "/dept/"
    assert client.get("/accounts/two-factor/setup/")["Location"] == "/accounts/"
