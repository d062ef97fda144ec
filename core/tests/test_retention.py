"""The purge of personal data (core.retention, issue 18): the command's validation and its safe
minimums, core's own kinds (sent e-mails, login records), the looks at identities, the record of
each run in the admin, and the monthly beat job run by a real worker. The purge of complaints and
cases with the dashboard's figures is tested in tests/test_retention_purge.py."""

import datetime as dt

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone

from complaints.models import IdentityView
from complaints.services import complaint_identity_view_record
from complaints.tests import factories as complaint_factories
from core.models import OutboundAttachment, OutboundEmail, PurgeRun
from core.outbox import outbox_enqueue
from core.retention import personal_data_purge, retention_kinds
from envopt.setup.schedules import SCHEDULES, schedules_install

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _email(key: str, *, status: str, days_ago: int) -> OutboundEmail:
    outbox_enqueue(
        key=key,
        kind="notice",
        to=[f"{key}@person.example"],
        subject="关于TS2026-000001的通知",
        text=f"尊敬的{key}先生",
        html=f"<p>尊敬的{key}先生</p>",
        related="TS2026-000001",
    )
    email = OutboundEmail.objects.get(key=key)
    OutboundAttachment.objects.create(
        email=email, filename="a.xlsx", content_type="application/x", content=b"x"
    )
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=status, created_at=NOW - dt.timedelta(days=days_ago)
    )
    return email


# --- The command validates what it is given --------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--batch-size", "0"], "--batch-size"),
        (["--batch-size", "many"], "--batch-size"),
        (["--batch-size", "10001"], "--batch-size"),
        (["--show-ids", "-1"], "--show-ids"),
        (["--kind", "nope"], "nope"),
        (["--user", "nobody-at-all"], "nobody-at-all"),
    ],
)
def test_the_command_refuses_wrong_arguments_with_a_clear_error(arguments, complaint):
    with pytest.raises(CommandError, match=complaint):
        call_command("purge_personal_data", "--dry-run", *arguments)
    assert not PurgeRun.objects.exists()


def test_the_errors_are_translated(settings):
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(CommandError) as refused:
        call_command("purge_personal_data", "--dry-run", "--batch-size", "0")
    assert "--batch-size" in str(refused.value)
    assert "takes a whole number" not in str(refused.value)


def test_a_period_below_the_safe_minimum_is_refused_unless_forced(settings):
    settings.RETENTION_OUTBOX_DAYS = 3
    settings.RETENTION_IDENTITY_YEARS = -1
    with pytest.raises(CommandError, match="RETENTION_OUTBOX_DAYS") as refused:
        call_command("purge_personal_data")
    assert "RETENTION_IDENTITY_YEARS" in str(refused.value)
    assert not PurgeRun.objects.exists()

    settings.RETENTION_IDENTITY_YEARS = 5
    old = _email("forced", status=OutboundEmail.Status.SENT, days_ago=10)
    call_command("purge_personal_data", "--force", "--kind", "outbox_sent_emails")
    run = PurgeRun.objects.get()
    assert run.forced and not run.dry_run
    old.refresh_from_db()
    assert old.to == []


def test_a_period_of_zero_keeps_the_kind(settings, capsys):
    settings.RETENTION_OUTBOX_DAYS = 0
    old = _email("kept-forever", status=OutboundEmail.Status.SENT, days_ago=4000)
    call_command("purge_personal_data", "--kind", "outbox_sent_emails")
    assert "RETENTION_OUTBOX_DAYS" in capsys.readouterr().out
    old.refresh_from_db()
    assert old.to == ["kept-forever@person.example"]


def test_the_beat_job_and_the_command_share_the_checks(settings):
    from core.tasks import personal_data_purge_task

    settings.RETENTION_LOGIN_RECORDS_DAYS = 1
    with pytest.raises(Exception, match="RETENTION_LOGIN_RECORDS_DAYS"):
        personal_data_purge_task()
    settings.RETENTION_LOGIN_RECORDS_DAYS = 180
    result = personal_data_purge_task()
    run = PurgeRun.objects.get(pk=result["run"])
    assert run.actor_name == "beat" and not run.dry_run and set(run.counts) == set(retention_kinds.names())


# --- core's kinds ------------------------------------------------------------------------------


def test_sent_emails_lose_recipients_and_bodies_after_their_period(settings):
    settings.RETENTION_OUTBOX_DAYS = 180
    old_sent = _email("old-sent", status=OutboundEmail.Status.SENT, days_ago=200)
    old_failed = _email("old-failed", status=OutboundEmail.Status.FAILED, days_ago=200)
    old_pending = _email("old-pending", status=OutboundEmail.Status.PENDING, days_ago=200)
    recent = _email("recent-sent", status=OutboundEmail.Status.SENT, days_ago=100)

    dry, outcomes = personal_data_purge(dry_run=True, kinds=["outbox_sent_emails"], actor_name="test")
    assert outcomes[0].ids == sorted([old_sent.pk, old_failed.pk])
    assert OutboundEmail.objects.get(pk=old_sent.pk).to == ["old-sent@person.example"]

    run, _outcomes = personal_data_purge(dry_run=False, kinds=["outbox_sent_emails"], actor_name="test")
    assert run.counts["outbox_sent_emails"]["emails_scrubbed"] == 2
    assert run.counts["outbox_sent_emails"]["attachments_deleted"] == 2
    for email in (old_sent, old_failed):
        email.refresh_from_db()
        assert (email.to, email.body_text, email.body_html, email.context) == ([], "", "", None)
        assert email.subject and email.related == "TS2026-000001"  # the delivery record stays
        assert not email.attachments.exists()
    for email in (old_pending, recent):
        email.refresh_from_db()
        assert email.to and "先生" in email.body_text and email.attachments.exists()

    again, _outcomes = personal_data_purge(dry_run=False, kinds=["outbox_sent_emails"], actor_name="test")
    assert again.counts["outbox_sent_emails"]["records"] == 0


def test_login_records_are_deleted_after_their_period(settings):
    settings.RETENTION_LOGIN_RECORDS_DAYS = 180
    rows = {}
    for model in (AccessLog, AccessFailureLog, AccessAttempt):
        extra = {"failures_since_start": 1} if model is AccessAttempt else {}
        old = model.objects.create(username="old-login", ip_address="10.0.0.1", user_agent="x", **extra)
        new = model.objects.create(username="new-login", ip_address="10.0.0.2", user_agent="x", **extra)
        model.objects.filter(pk=old.pk).update(attempt_time=NOW - dt.timedelta(days=181))
        rows[model] = (old.pk, new.pk)

    run, _outcomes = personal_data_purge(
        dry_run=False, kinds=["login_records", "login_failures", "login_attempts"], actor_name="test"
    )
    for model, (old, new) in rows.items():
        assert not model.objects.filter(pk=old).exists()
        assert model.objects.filter(pk=new).exists()
    assert {
        run.counts[kind]["deleted"] for kind in ("login_records", "login_failures", "login_attempts")
    } == {1}


def test_looks_at_identities_are_deleted_after_their_period(settings):
    settings.RETENTION_IDENTITY_VIEWS_YEARS = 6
    viewer = User.objects.create_user("looker", password="pw-12345678", is_staff=True)
    complaint = complaint_factories.submit().complaint
    complaint_identity_view_record(complaint=complaint, viewer=viewer)
    complaint_identity_view_record(complaint=complaint, viewer=viewer)
    old, new = IdentityView.objects.order_by("pk")
    IdentityView.objects.filter(pk=old.pk).update(viewed_at=NOW - dt.timedelta(days=366 * 6 + 2))
    personal_data_purge(dry_run=False, kinds=["identity_views"], actor_name="test")
    assert list(IdentityView.objects.values_list("pk", flat=True)) == [new.pk]


# --- The record of each run, and the schedule ----------------------------------------------------


def test_each_run_is_recorded_and_readable_but_not_editable_in_the_admin(client):
    call_command("purge_personal_data", "--dry-run")
    run = PurgeRun.objects.get()
    assert run.dry_run and run.finished_at >= run.started_at
    assert set(run.counts) == set(retention_kinds.names())
    admin = User.objects.create_superuser("root-retention", password="pw-12345678")
    client.force_login(admin)
    assert client.get("/admin/core/purgerun/").status_code == 200
    page = client.get(f"/admin/core/purgerun/{run.pk}/change/")
    assert page.status_code == 200 and "complainant_identities" in page.content.decode()
    assert client.get("/admin/core/purgerun/add/").status_code == 403
    assert client.post(f"/admin/core/purgerun/{run.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PurgeRun.objects.filter(pk=run.pk).exists()


def test_the_purge_runs_monthly_from_beat():
    from django_celery_beat.models import PeriodicTask

    entry = next(entry for entry in SCHEDULES if entry["task"] == "core.tasks.personal_data_purge_task")
    assert entry["crontab"]["day_of_month"] == "3" and entry["crontab"]["month_of_year"] == "*"
    schedules_install()
    task = PeriodicTask.objects.get(task="core.tasks.personal_data_purge_task")
    assert task.crontab.day_of_month == "3" and task.crontab.hour == "3"


def test_a_real_worker_runs_the_purge_sent_through_the_broker(celery_worker_process):
    from core.tasks import personal_data_purge_task
    from tests.fixtures import wait_for

    personal_data_purge_task.delay()
    done = wait_for(
        lambda: PurgeRun.objects.filter(actor_name="beat", finished_at__isnull=False).exists(),
        timeout=60,
        what="the worker to run the purge",
    )
    assert done, celery_worker_process.log_path.read_text()
