import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from envopt.setup.demo import ACCOUNTS, demo_password
from liaison.models import Department, LiaisonPoint, Office, Supervisor


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
    assert client.login(username="intake", password=demo_password("intake"))
    assert client.get("/admin/").status_code == 200
    client.logout()
    assert client.login(username="dept", password=demo_password("dept"))
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
    response = client.post("/accounts/login/", {"username": username, "password": demo_password(username)})
    assert response.status_code == 302
    assert client.get(response["Location"])["Location"] == lands_on
