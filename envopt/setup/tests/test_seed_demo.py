import datetime as dt
import time

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, OuterRef, Subquery
from django.test import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework.models import Case, CaseComplaint, CaseEvent, Referral
from complaints.models import Category, Channel, Complaint, PublicStatus, Rating
from core.models import OutboundEmail
from core.periods import Period
from core.twofactor_testing import totp_code_now
from envopt.setup.demo import ACCOUNTS, demo_password, demo_totp_secret
from envopt.setup.demo_complaints import DEMO_SOURCE_PREFIX, demo_quarters
from liaison.models import Department, LiaisonPoint, Office, Supervisor
from reports.dashboard.selectors import Dashboard

SEED_SECONDS_AT_MOST = 60


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """The demo seeded once for the plausibility checks below (seeding takes seconds), inside a
    transaction rolled back after the module, as Django's setUpTestData does."""
    # The hasher the tests log in with (tests/fixtures.py sets it per test, after this runs).
    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), fast, transaction.atomic():
        started = time.monotonic()
        call_command("seed_demo", "--quiet-logins")
        seconds = time.monotonic() - started
        yield {"seconds": seconds, "now": timezone.now()}
        transaction.set_rollback(True)


def demo_complaints():
    return Complaint.objects.filter(source__startswith=DEMO_SOURCE_PREFIX)


def latest_rating_levels():
    """Each rated complaint's latest rating level."""
    latest = (
        Rating.objects.filter(complaint=OuterRef("pk")).order_by("-created_at", "-id").values("level")[:1]
    )
    return list(
        Complaint.objects.filter(ratings__isnull=False)
        .distinct()
        .annotate(level=Subquery(latest))
        .values_list("level", flat=True)
    )


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
def test_seed_demo_is_fast(seeded):
    assert seeded["seconds"] < SEED_SECONDS_AT_MOST, f"seed_demo took {seeded['seconds']:.0f} s"


@pytest.mark.django_db
def test_seed_demo_files_a_spread_of_complaints_once(seeded):
    complaints = demo_complaints()
    count = complaints.count()
    assert 200 <= count <= 320
    call_command("seed_demo", "--quiet-logins")
    assert demo_complaints().count() == count
    assert set(complaints.values_list("category", flat=True)) == set(Category.values)
    # Every channel, inspection supervision too: the demo opens a case from an inspection's flag.
    channels = set(Complaint.objects.values_list("channel", flat=True))
    assert channels == set(Channel.values)
    assert complaints.filter(is_anonymous=True).exists() and complaints.filter(is_anonymous=False).exists()
    # No unit, category or channel is everything: the busiest has at most two fifths.
    for field in ("department", "category", "channel"):
        top = complaints.values(field).annotate(n=Count("pk")).order_by("-n").first()
        assert top["n"] <= count * 0.4, (field, top)


@pytest.mark.django_db
def test_each_of_the_six_quarters_has_complaints(seeded):
    today = timezone.localdate()
    quarters = demo_quarters(today)
    assert len(quarters) == 6 and quarters[-1].contains(timezone.now())
    for quarter in quarters:
        received = (
            demo_complaints().filter(received_at__gte=quarter.start, received_at__lt=quarter.end).count()
        )
        assert received >= (3 if quarter is quarters[-1] else 25), (quarter.label, received)
    assert not demo_complaints().filter(received_at__lt=quarters[0].start).exists()
    assert not demo_complaints().filter(received_at__gt=timezone.now()).exists()


@pytest.mark.django_db
def test_cases_never_outnumber_the_complaints_accepted(seeded):
    accepted = Complaint.objects.exclude(status__in=[PublicStatus.RECEIVED, PublicStatus.NOT_ACCEPTED])
    assert Case.objects.count() <= accepted.count()
    # Each case opened from one complaint; duplicates merged into a case open none.
    assert Case.objects.count() == CaseComplaint.objects.filter(is_primary=True).count()
    assert CaseComplaint.objects.filter(is_primary=False).exists()
    assert Complaint.objects.filter(status=PublicStatus.NOT_ACCEPTED).exists()
    # And a case opens after its complaint arrived, never before.
    assert not Case.objects.filter(
        complaint_links__is_primary=True, opened_at__lt=F("complaint_links__complaint__received_at")
    ).exists()


@pytest.mark.django_db
def test_every_referral_goes_to_the_unit_complained_about(seeded):
    referrals = Referral.objects.select_related("case")
    assert referrals.count() > 50
    primary = CaseComplaint.objects.filter(case=OuterRef("case"), is_primary=True).values(
        "complaint__department"
    )
    for referral in referrals.annotate(complained_about=Subquery(primary)):
        # The directory has no superior units, so only the unit itself qualifies.
        assert referral.department_id == referral.complained_about == referral.case.department_id, referral


@pytest.mark.django_db
def test_outcomes_and_handling_times_are_a_believable_mix(seeded):
    dispositions = dict(Case.objects.values_list("disposition").annotate(n=Count("pk")))
    assert set(dispositions) >= set(Case.Disposition.values)
    referred = dispositions[Case.Disposition.TRANSFER] + dispositions[Case.Disposition.ASSIGN]
    assert (
        0.2 <= dispositions[Case.Disposition.SELF] / (referred + dispositions[Case.Disposition.SELF]) <= 0.6
    )
    assert set(Case.objects.exclude(finding="").values_list("finding", flat=True)) == set(Case.Finding.values)
    concluded = Case.objects.filter(status=Case.Status.CONCLUDED)
    assert concluded.count() >= 0.7 * Case.objects.count()
    days = [(c.closed_at - c.opened_at).days for c in concluded.only("opened_at", "closed_at")]
    assert all(d >= 0 for d in days)
    assert 7 <= sum(days) / len(days) <= 40  # calendar days from acceptance to conclusion
    # The timeline happened over the quarters too, not on the day the demo was seeded.
    assert CaseEvent.objects.filter(at__lt=demo_quarters(timezone.localdate())[1].start).count() > 100


@pytest.mark.django_db
def test_satisfaction_is_neither_perfect_nor_dismal(seeded):
    levels = latest_rating_levels()
    assert len(levels) >= 100
    satisfied = sum(level in (Rating.Level.SATISFIED, Rating.Level.BASICALLY) for level in levels)
    assert 0.5 <= satisfied / len(levels) <= 0.95
    assert set(levels) == set(Rating.Level.values)
    # Only concluded complaints are rated, after their conclusion.
    assert (
        not Rating.objects.exclude(complaint__case_link__case__closed_at__isnull=False)
        .filter(complaint__case_link__case__reopened_count=0)
        .exists()
    )


@pytest.mark.django_db
def test_the_dashboard_compares_quarters_with_real_figures(seeded):
    """The last full quarter and the same quarter a year earlier: every headline figure counts
    something, so quarter-on-quarter and year-on-year changes mean something."""
    last = Period.containing(timezone.now()).previous()
    report = Dashboard(quarter=last).generate()
    for figures in (report.current, report.previous, report.year_earlier):
        total = figures.total
        for key in (
            "received",
            "accepted",
            "self_handled",
            "referred",
            "concluded",
            "rated",
            "liaison_complaints",
            "liaison_entries",
            "recommendations_issued",
        ):
            assert total[key] > 0, (figures.quarter.label, key)
        assert total["accepted"] <= total["received"]
        assert 0.5 <= total.satisfaction_rate <= 0.95, figures.quarter.label
        assert 0.5 <= total.on_time_rate < 1, figures.quarter.label
        assert 3 <= total.average_handling_days <= 30, figures.quarter.label
    # The quarter in progress has figures too.
    current = Dashboard(quarter=Period.containing(timezone.now())).generate().current.total
    assert current["received"] > 0 and current["open"] > 0


@pytest.mark.django_db
def test_every_role_finds_work_today(seeded):
    """The newest complaints stand at every stage: a triage queue, and the demo department
    account's referrals sent, acknowledged, reported and returned."""
    assert set(Case.objects.values_list("status", flat=True)) == set(Case.Status.values)
    assert Complaint.objects.filter(status=PublicStatus.RECEIVED).count() >= 3
    market = Referral.objects.filter(department__short_name="市场监管局")
    assert {"sent", "acknowledged", "reported", "returned"} <= set(market.values_list("status", flat=True))
    assert Complaint.objects.filter(filed_by__username="liaison").exists()
    assert Complaint.objects.filter(filed_by__username="supervisor").exists()
    # Something is overdue today, and today's sweep of the escalation ladder has seen to it.
    assert Case.objects.filter(escalation_level__gt=0).exclude(status=Case.Status.CONCLUDED).exists()
    # The liaison points filed only while appointed.
    assert not Complaint.objects.filter(liaison_point__appointed_on__gt=F("received_at__date")).exists()
    # The story's old notices are on record as sent then; they are not mailed again on start.
    old = OutboundEmail.objects.filter(created_at__lt=seeded["now"] - dt.timedelta(days=2))
    assert old.exists() and not old.filter(status=OutboundEmail.Status.PENDING).exists()


@pytest.mark.django_db
def test_seed_demo_takes_cases_through_the_workflow_once(seeded):
    counts = (
        Case.objects.count(),
        Referral.objects.count(),
        CaseEvent.objects.count(),
        Rating.objects.count(),
    )
    call_command("seed_demo", "--quiet-logins")
    assert (
        Case.objects.count(),
        Referral.objects.count(),
        CaseEvent.objects.count(),
        Rating.objects.count(),
    ) == counts


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
