"""Staff authentication, tried as an attacker would (finding 6 of issue 11): the admin and every staff
page behind a verified second factor, lockout after the configured failures on every login path
(and not dodged by a forged X-Forwarded-For), weak passwords refused, API tokens that expire and
are stored only as digests, throttling, and an eight-hour session."""

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.throttling import UserRateThrottle

from core.twofactor_testing import totp_code_now, totp_device_for_tests
from envopt.setup.roles import ROLES

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple 42"
API = "/api/v1/cases/"


def make_user(username: str, *, role: str = "case_handler", password: str = PASSWORD) -> User:
    user = User.objects.create_user(username, password=password, is_staff=ROLES[role]["staff"])
    user.groups.add(Group.objects.get(name=ROLES[role]["group"]))
    return user


def unverified_login(client: Client, user: User) -> Client:
    """A session that has passed the password but not the second factor. tests/fixtures.py wraps
    force_login to verify the session too; the wrapped original logs in and nothing more."""
    Client.force_login.__wrapped__(client, user)
    return client


def post_login(client: Client, username: str, password: str, *, address: str = "10.0.0.1", **headers):
    return client.post(
        "/accounts/login/",
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        headers=headers,
    )


def logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def handler():
    return make_user("handler-auth")


@pytest.fixture
def enrolled(handler):
    """The handler with a confirmed authenticator, as after enrolment."""
    return totp_device_for_tests(handler)


# --- The second factor is required -------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/admin/", "/admin/casework/case/", "/admin/auth/user/", "/dashboard/", "/accounts/"]
)
def test_staff_without_a_verified_second_factor_are_sent_to_it(client, handler, path):
    unverified_login(client, handler)
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/?next=")


def test_the_api_refuses_an_unverified_staff_session_in_json(client, handler):
    unverified_login(client, handler)
    response = client.get(API, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 403
    assert response["Content-Type"] == "application/json"
    assert "second" in response.json()["detail"]


def test_a_verified_session_opens_the_admin(client, handler):
    client.force_login(handler)  # verifies, as a full login does
    assert client.get("/admin/").status_code == 200
    assert client.get(API).status_code == 200


def test_logout_is_always_reachable(client, handler):
    unverified_login(client, handler)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert not logged_in(client)
    unverified_login(client, handler)
    client.post("/admin/logout/")
    assert not logged_in(client)


def test_the_admin_site_itself_requires_the_second_factor(rf, handler):
    """The same rule at the admin's own gate, should the middleware ever be missing."""
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = handler  # never went through django-otp's middleware: not verified
    assert admin.site.has_permission(request) is False
    handler.is_verified = lambda: True
    assert admin.site.has_permission(request) is True


def test_admin_login_is_the_portal_login(client, handler):
    """/admin/login/ has no password form of its own: one path, one lockout, one second factor."""
    response = client.get("/admin/login/?next=/admin/casework/case/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Fcasework%2Fcase%2F"
    response = client.post("/admin/login/", {"username": handler.username, "password": PASSWORD})
    assert response.status_code == 302 and not logged_in(client)


def test_the_password_leads_to_the_second_step_not_the_admin(client, handler, enrolled):
    response = post_login(client, handler.username, PASSWORD)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/?next=")
    assert client.get("/admin/").status_code == 302
    response = client.post(response["Location"], {"code": totp_code_now(enrolled)})
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_department_users_need_no_second_factor_unless_configured(client, settings):
    dept = make_user("dept-auth", role="department_user")
    unverified_login(client, dept)
    assert not client.get("/accounts/")["Location"].startswith("/accounts/two-factor/")
    settings.TWO_FACTOR_DEPARTMENTS = True
    assert client.get("/accounts/")["Location"].startswith("/accounts/two-factor/")


# --- Lockout (django-axes) ---------------------------------------------------------------------


def fail(client, username: str, times: int, **kwargs):
    response = None
    for _ in range(times):
        response = post_login(client, username, "wrong password", **kwargs)
    return response


def test_after_the_limit_the_right_password_is_refused(client, handler):
    assert django_settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert post_login(client, handler.username, "wrong password").status_code == 200
    locked = post_login(client, handler.username, "wrong password")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) == 15 * 60
    assert "data-lockout" in locked.content.decode()
    assert re.search(r"15 (minutes|分钟)", locked.content.decode())

    refused = post_login(client, handler.username, PASSWORD)
    assert refused.status_code == 429
    assert not logged_in(client)


def test_the_lockout_page_is_translated(client, handler):
    fail(client, handler.username, 5)
    english = post_login(client, handler.username, PASSWORD, **{"Accept-Language": "en"})
    assert "Too many failed login attempts. Try again in 15 minutes" in english.content.decode()


def test_another_address_and_another_user_are_unaffected(client, handler):
    other = make_user("other-auth")
    fail(client, handler.username, 5, address="10.0.0.1")
    assert post_login(Client(), handler.username, PASSWORD, address="10.0.0.2").status_code == 302
    assert post_login(Client(), other.username, PASSWORD, address="10.0.0.1").status_code == 302
    assert post_login(Client(), handler.username, PASSWORD, address="10.0.0.1").status_code == 429


def test_a_forged_x_forwarded_for_does_not_dodge_the_lockout(client, handler, settings):
    settings.RATE_LIMIT_TRUSTED_PROXIES = 0
    for n in range(5):
        post_login(client, handler.username, "wrong password", **{"X-Forwarded-For": f"198.51.100.{n}"})
    response = post_login(Client(), handler.username, PASSWORD, **{"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 429


def test_behind_our_proxy_the_address_it_saw_counts(client, handler, settings):
    """One trusted proxy: the client is the rightmost X-Forwarded-For entry, whatever the client
    wrote to the left of it."""
    settings.RATE_LIMIT_TRUSTED_PROXIES = 1
    proxy = "10.9.9.9"
    for n in range(5):
        post_login(
            client,
            handler.username,
            "wrong password",
            address=proxy,
            **{"X-Forwarded-For": f"198.51.100.{n}, 192.0.2.7"},
        )
    locked = post_login(
        Client(), handler.username, PASSWORD, address=proxy, **{"X-Forwarded-For": "192.0.2.7"}
    )
    assert locked.status_code == 429
    elsewhere = post_login(
        Client(), handler.username, PASSWORD, address=proxy, **{"X-Forwarded-For": "192.0.2.8"}
    )
    assert elsewhere.status_code == 302


def test_wrong_codes_at_the_second_step_count_towards_the_lockout(client, handler, enrolled):
    assert post_login(client, handler.username, PASSWORD).status_code == 302
    statuses = [
        client.post("/accounts/two-factor/", {"code": "000000"}, REMOTE_ADDR="10.0.0.1").status_code
        for _ in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    enrolled.refresh_from_db()
    enrolled.throttle_reset()  # django-otp's own back-off is not what this test is about
    right = client.post("/accounts/two-factor/", {"code": totp_code_now(enrolled)}, REMOTE_ADDR="10.0.0.1")
    assert right.status_code == 429
    assert client.get("/admin/").status_code == 302
    # The password path is locked too: a new login does not reset the count.
    assert post_login(Client(), handler.username, PASSWORD).status_code == 429


def test_a_completed_login_clears_earlier_failures(client, handler, enrolled):
    fail(client, handler.username, 4)
    post_login(client, handler.username, PASSWORD)
    client.post("/accounts/two-factor/", {"code": totp_code_now(enrolled)}, REMOTE_ADDR="10.0.0.1")
    client.post("/accounts/logout/")
    fail(client, handler.username, 4)
    assert post_login(client, handler.username, PASSWORD).status_code == 302


# --- Password validators -----------------------------------------------------------------------

WEAK = ["1", "{username}", "12345678", "password1234"]


@pytest.mark.parametrize("weak", WEAK)
def test_weak_passwords_are_refused(handler, weak):
    with pytest.raises(ValidationError):
        validate_password(weak.format(username=handler.username), user=handler)


def test_a_strong_password_passes(handler):
    validate_password("Referral-ledger-2026-quarterly", user=handler)


@pytest.mark.parametrize("weak", WEAK)
def test_the_admin_refuses_weak_passwords_when_creating_a_user(client, weak):
    admin = make_user("admin-auth", role="administrator")
    client.force_login(admin)
    username = "newstaff-auth"
    password = weak.format(username=username)
    response = client.post(
        "/admin/auth/user/add/",
        {"username": username, "usable_password": "true", "password1": password, "password2": password},
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors
    assert not User.objects.filter(username=username).exists()


@pytest.mark.parametrize("weak", WEAK)
def test_the_admin_refuses_weak_passwords_when_changing_one(client, handler, weak):
    admin = make_user("admin-auth", role="administrator")
    client.force_login(admin)
    password = weak.format(username=handler.username)
    response = client.post(
        f"/admin/auth/user/{handler.pk}/password/",
        {"usable_password": "true", "password1": password, "password2": password},
    )
    assert response.status_code == 200
    handler.refresh_from_db()
    assert handler.check_password(PASSWORD)
    own = client.post(
        "/admin/password_change/",
        {"old_password": PASSWORD, "new_password1": password, "new_password2": password},
    )
    assert own.status_code == 200 and own.context["form"].errors


# --- API tokens --------------------------------------------------------------------------------


def api(token: str) -> Client:
    return Client(headers={"Authorization": f"Token {token}"})


def test_a_token_works_until_it_expires(handler):
    instance, token = AuthToken.objects.create(user=handler)
    assert api(token).get(API).status_code == 200
    AuthToken.objects.filter(pk=instance.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    refused = api(token).get(API)
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Token"


def test_tokens_expire_after_the_configured_lifetime(handler):
    instance, _token = AuthToken.objects.create(user=handler)
    lifetime = instance.expiry - timezone.now()
    assert dt.timedelta(hours=django_settings.API_TOKEN_TTL_HOURS - 1) < lifetime
    assert lifetime <= dt.timedelta(hours=django_settings.API_TOKEN_TTL_HOURS)


def test_the_database_holds_only_a_digest(handler):
    instance, token = AuthToken.objects.create(user=handler)
    row = AuthToken.objects.filter(pk=instance.pk).values().get()
    assert token not in {str(value) for value in row.values()}
    assert row["digest"] == hash_token(token)
    assert len(row["token_key"]) < len(token) / 4  # a lookup prefix, not the token


def test_anonymous_api_requests_are_challenged(client):
    response = client.get(API)
    assert response.status_code == 401 and response["WWW-Authenticate"] == "Token"


def test_staff_issue_a_token_in_the_admin_and_see_it_once(client, handler):
    admin = make_user("admin-auth", role="administrator")
    client.force_login(admin)
    too_long = client.post(
        "/admin/knox/authtoken/add/",
        {"user": handler.pk, "hours": django_settings.API_TOKEN_TTL_HOURS + 1},
    )
    assert too_long.status_code == 200 and not AuthToken.objects.exists()
    response = client.post("/admin/knox/authtoken/add/", {"user": handler.pk, "hours": 24})
    assert response.status_code == 200
    token = re.search(r"data-token>([0-9a-f]{64})<", response.content.decode()).group(1)
    stored = AuthToken.objects.get()
    assert stored.digest == hash_token(token)
    assert abs(stored.expiry - (timezone.now() + dt.timedelta(hours=24))) < dt.timedelta(minutes=1)
    assert api(token).get(API).status_code == 200
    page = client.get(f"/admin/knox/authtoken/{stored.pk}/change/").content.decode()
    assert token not in page


def test_a_command_issues_a_token_shown_once(handler, capsys):
    call_command("api_token_create", handler.username, "--hours", "2")
    token = capsys.readouterr().out.strip()
    stored = AuthToken.objects.get(user=handler)
    assert stored.digest == hash_token(token)
    assert stored.expiry <= timezone.now() + dt.timedelta(hours=2)


def test_the_api_throttles_each_user(client, handler, monkeypatch):
    assert django_settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] == {
        "anon": "60/minute",
        "user": "1200/minute",
    }
    # DRF reads the rates into the class when it is imported; a low rate shows the wiring.
    monkeypatch.setattr(UserRateThrottle, "THROTTLE_RATES", {"user": "3/minute", "anon": "3/minute"})
    client.force_login(handler)
    statuses = [client.get(API).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# --- Sessions ----------------------------------------------------------------------------------


def test_a_staff_session_lasts_eight_hours(client, handler, enrolled):
    response = post_login(client, handler.username, PASSWORD)
    client.post(response["Location"], {"code": totp_code_now(enrolled)})
    assert client.session.get_expiry_age() == 8 * 3600
    assert client.cookies[django_settings.SESSION_COOKIE_NAME]["max-age"] == 8 * 3600


# --- In a browser: enrolment as a new staff member does it -----------------------------------


@pytest.mark.browser
def test_a_new_staff_member_enrols_and_reaches_the_admin(page, live_server, transactional_db):
    staff = make_user("newcomer-auth")
    page.goto("/accounts/login/?next=/admin/")
    page.fill("input[name=username]", staff.username)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url("**/accounts/two-factor/setup/**")

    qr = page.locator("img.qr")
    assert qr.get_attribute("src").startswith("data:image/svg+xml")
    assert qr.evaluate("img => img.naturalWidth") > 100  # the CSP let it draw
    secret = page.locator("[data-secret]").inner_text()
    device = TOTPDevice.objects.get(user=staff, confirmed=False)
    assert secret.replace(" ", "") in device.config_url

    page.fill("input[name=code]", "123456" if totp_code_now(device) != "123456" else "654321")
    page.locator("main form.form button[type=submit]").click()
    assert page.locator(".field-error").is_visible()  # next to the field
    page.wait_for_timeout(1100)  # django-otp's back-off after a wrong code: one second

    page.fill("input[name=code]", totp_code_now(device))
    page.locator("main form.form button[type=submit]").click()
    page.wait_for_url("**/accounts/two-factor/backup-codes/**")
    assert page.locator("[data-backup-codes] li").count() == 10
    page.get_by_role("link", name=re.compile("continue|继续")).click()
    page.wait_for_url("**/admin/")
    assert page.locator("#site-name").is_visible()
