import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.twofactor_testing import totp_code_now
from envopt.setup.demo import ACCOUNTS, demo_password, demo_totp_secret
from liaison.models import Department, LiaisonPoint, Office, Supervisor


def log_in(client, username: str):
    """The demo login as a person does it: the password, then (staff) the code their
    authenticator app shows for the printed secret."""
    response = client.post("/accounts/login/", {"username": username, "password": demo_password(username)})
    assert response.status_code == 302, response.content
    if response["Location"].startswith("/accounts/two-factor/"):
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        response = client.post(response["Location"], {"code": totp_code_now(device)})
        assert response.status_code == 302, response.content
    return response


@pytest.mark.django_db
def test_seed_demo_is_idempotent(capsys):
    call_command("seed_demo")
    first = (
        Department.objects.count(),
        Office.objects.count(),
        LiaisonPoint.objects.count(),
        Supervisor.objects.count(),
        get_user_model().objects.count(),
    )
    call_command("seed_demo", "--quiet-logins")
    second = (
        Department.objects.count(),
        Office.objects.count(),
        LiaisonPoint.objects.count(),
        Supervisor.objects.count(),
        get_user_model().objects.count(),
    )
    assert first == second
    assert first[2] == 30 and first[3] == 30
    assert Department.objects.filter(is_key=True).count() == 6


@pytest.mark.django_db
def test_seed_demo_files_a_spread_of_complaints_once():
    from complaints.models import Category, Channel, Complaint

    call_command("seed_demo", "--quiet-logins")
    call_command("seed_demo", "--quiet-logins")
    complaints = Complaint.objects.filter(source__startswith="演示数据")
    assert complaints.count() == 60
    assert set(complaints.values_list("category", flat=True)) == set(Category.values)
    assert set(Complaint.objects.values_list("channel", flat=True)) == set(Channel.values)
    assert complaints.filter(is_anonymous=True).exists() and complaints.filter(is_anonymous=False).exists()


@pytest.mark.django_db
def test_seed_demo_takes_cases_through_every_stage_once():
    from casework.models import Case, Referral

    call_command("seed_demo", "--quiet-logins")
    first = Case.objects.count()
    call_command("seed_demo", "--quiet-logins")
    assert Case.objects.count() == first > 20
    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)
    statuses = set(Referral.objects.values_list("status", flat=True))
    assert {"sent", "acknowledged", "reported", "returned"} <= statuses


@pytest.mark.django_db
def test_seed_demo_prints_working_logins(capsys, client):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for username, _role, _display in ACCOUNTS:
        assert f"{username}" in out and demo_password(username) in out
    # Staff accounts are enrolled with the printed authenticator secret.
    assert demo_totp_secret("intake") in out
    log_in(client, "intake")
    assert client.get("/admin/").status_code == 200
    client.logout()
    log_in(client, "dept")
    # A department user is not staff: the admin sends them to its login page.
    assert client.get("/admin/").status_code == 302


@pytest.mark.django_db
def test_seed_demo_refuses_production(settings):
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "lands_on"), [("intake", "/admin/"), ("liaison", "/liaison/"), ("supervisor", "/liaison/")]
)
def test_each_role_lands_on_its_own_workplace_after_login(client, username, lands_on):
    call_command("seed_demo", "--quiet-logins")
    response = log_in(client, username)
    assert client.get(response["Location"])["Location"] == lands_on


@pytest.mark.django_db
def test_demo_staff_are_enrolled_and_the_code_command_prints_their_code(capsys, settings):
    call_command("seed_demo", "--quiet-logins")
    capsys.readouterr()
    device = TOTPDevice.objects.get(user__username="officehead", confirmed=True)
    assert device.config_url.count(demo_totp_secret("officehead")) == 1
    call_command("demo_totp_code", "officehead")
    assert capsys.readouterr().out.strip() == totp_code_now(device)
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        call_command("demo_totp_code", "officehead")
