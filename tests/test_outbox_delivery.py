"""The outbox against the real parts: a Celery worker on the configured broker (Redis in CI),
an SMTP server in this process, PostgreSQL in CI."""

import time

import pytest
from django.utils import timezone

from casework.tests import factories
from core.models import OutboundEmail
from core.outbox import outbox_deliver, outbox_retry, outbox_sweep
from core.tasks import outbox_sweep as outbox_sweep_task
from envopt.celery import app as celery_app
from tests.fixtures import wait_for

pytestmark = pytest.mark.services


def refer_a_case(department_email: str = "scjg@dept.example"):
    from complaints.tests import factories as complaint_factories

    handler = factories.user("handler")
    department = complaint_factories.department(email=department_email)
    return factories.referred_case(actor=handler, department=department)


def test_the_referral_notice_reaches_the_smtp_server_through_a_real_worker(smtp_server, worker_factory):
    worker_factory(**smtp_server.env)
    case, referral = refer_a_case()
    notices = lambda: [m for m in smtp_server.messages if m["To"] == "scjg@dept.example"]  # noqa: E731
    wait_for(notices, timeout=60, what="the notice (worker log in the test's tmp_path)")
    message = notices()[0]
    assert case.reference in message["Subject"]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "企业反映重复检查问题。" in body and str(referral.due_date) in body
    row = OutboundEmail.objects.get(kind="referral_notice")
    wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).status == "sent", what="the row to be marked sent")


def test_a_worker_killed_mid_send_delivers_exactly_once_after_restart(smtp_server, worker_factory):
    """Killed before DATA: nothing reached the server. The row stays "sending" (claimed and
    recorded before the SMTP transaction) until its lease expires, then is sent once; it is
    flagged "may have been sent twice" because the outbox cannot know how far the dead worker got
    (tests/test_outbox_faults.py kills it after DATA)."""
    env = {**smtp_server.env, "OUTBOX_SEND_LEASE_SECONDS": "3"}
    smtp_server.stall_rcpt_seconds = 30  # the first SMTP conversation hangs after MAIL FROM
    first = worker_factory(**env)
    refer_a_case()
    assert smtp_server.rcpt_started.wait(60), first.log()
    first.kill()
    assert smtp_server.messages == []
    # The row whose SMTP transaction hung (the first e-mail the case caused) is held, recorded.
    stalled = OutboundEmail.objects.get(status="sending")
    assert stalled.smtp_started_at is not None and stalled.attempts == 1
    row = OutboundEmail.objects.get(kind="referral_notice")
    worker_factory(**env)
    time.sleep(3)  # the lease
    outbox_sweep_task.delay()  # what beat does every minute
    notices = lambda: [m for m in smtp_server.messages if m["To"] == "scjg@dept.example"]  # noqa: E731
    wait_for(notices, timeout=60, what="delivery after the restart")
    wait_for(
        lambda: not OutboundEmail.objects.exclude(status="sent").exists(), what="every row to be marked sent"
    )
    time.sleep(3)  # any duplicate would have arrived by now
    assert len(notices()) == 1
    assert notices()[0]["Message-ID"] == OutboundEmail.objects.get(pk=row.pk).message_id
    message_ids = [m["Message-ID"] for m in smtp_server.messages]
    assert sorted(message_ids) == sorted(OutboundEmail.objects.values_list("message_id", flat=True))
    assert OutboundEmail.objects.get(pk=stalled.pk).interrupted_sends == 1


def test_with_the_broker_down_the_notice_goes_out_via_the_sweep(smtp_server, worker_factory):
    import redis

    from core.outage import broker_pause

    conf = celery_app.conf
    real = conf.broker_url

    def celery_on(url: str) -> None:
        # Celery publishes through broker_write_url (a copy of broker_url made when it is
        # configured): all three, and a new connection pool and producers.
        conf.broker_url = conf.broker_write_url = conf.broker_read_url = url
        celery_app._pool = None
        celery_app.amqp._producer_pool = None

    celery_on("redis://127.0.0.1:1/0")  # nothing listens there
    mail_queue = redis.Redis.from_url(real)
    queued_before = mail_queue.llen("mail")
    try:
        started = time.monotonic()
        refer_a_case()  # the referral itself must succeed, and quickly
        assert time.monotonic() - started < 10
    finally:
        celery_on(real)
        broker_pause.clear()
    row = OutboundEmail.objects.get(kind="referral_notice")
    assert row.status == "pending" and smtp_server.messages == []
    assert mail_queue.llen("mail") == queued_before  # the send was not published: the sweep's turn
    worker_factory(**smtp_server.env)
    outbox_sweep_task.delay()
    notices = lambda: [m for m in smtp_server.messages if m["To"] == "scjg@dept.example"]  # noqa: E731
    wait_for(notices, timeout=60, what="the sweep to send the notice")
    assert len(notices()) == 1


@pytest.mark.django_db
def test_smtp_refusing_connections_retries_with_backoff_then_fails_visibly(
    settings, smtp_server, admin_client
):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_BACKOFF_SECONDS = [0]
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = 1  # refused
    refer_a_case()
    row = OutboundEmail.objects.get(kind="referral_notice")
    assert outbox_deliver(row.pk) == "retry"
    row.refresh_from_db()
    assert row.attempts == 1 and "ConnectionRefused" in row.last_error and row.status == "pending"
    outbox_sweep()
    outbox_sweep()
    row.refresh_from_db()
    assert row.status == "failed" and row.attempts == 3
    page = admin_client.get("/admin/core/outboundemail/", {"status__exact": "failed"}).content.decode()
    assert row.subject in page
    assert (
        "ConnectionRefused"
        in admin_client.get(f"/admin/core/outboundemail/{row.pk}/change/").content.decode()
    )
    # Nothing lost: once SMTP is back, "send again" delivers it.
    settings.EMAIL_PORT = working_port
    outbox_retry(email=row)
    assert outbox_deliver(row.pk) == "sent"
    assert [m["To"] for m in smtp_server.messages] == ["scjg@dept.example"]


@pytest.mark.django_db
def test_the_same_notice_cannot_be_queued_twice():
    from core.outbox import outbox_enqueue

    first = outbox_enqueue(key="k-1", kind="test", to=["a@example.com"], subject="s", text="t")
    assert first is not None
    assert outbox_enqueue(key="k-1", kind="test", to=["a@example.com"], subject="s", text="t") is None
    assert OutboundEmail.objects.filter(key="k-1").count() == 1


@pytest.mark.django_db
def test_a_department_without_an_address_is_recorded_as_failed_not_skipped():
    refer_a_case(department_email="")
    row = OutboundEmail.objects.get(kind="referral_notice")
    assert row.status == "failed" and row.last_error == "no recipient address"


def test_a_sweeps_digest_is_written_and_delivered_by_a_real_worker(smtp_server, worker_factory):
    """The sweep queues its digests with a template and a context and hands them to the workers a
    batch per task; the worker writes each from its template when it sends it."""
    import datetime as dt

    from complaints.tests import factories as complaint_factories
    from core.ladder import escalation_sweep

    worker_factory(**smtp_server.env)
    handler = factories.user("handler")
    department = complaint_factories.department(supervising_leader_email="leader@dept.example")
    case, _referral = factories.referred_case(actor=handler, department=department)
    result = escalation_sweep(now=timezone.now() + dt.timedelta(days=40))  # long overdue: escalated
    assert result.steps["escalation"] == 1
    row = OutboundEmail.objects.get(kind="ladder_escalation")
    assert row.template == "email/ladder_digest" and row.body_text == ""  # written when sent
    received = lambda: [m for m in smtp_server.messages if m["To"] == "leader@dept.example"]  # noqa: E731
    wait_for(received, timeout=60, what="the digest (worker log in the test's tmp_path)")
    body = received()[0].get_body(preferencelist=("plain",)).get_content()
    assert case.reference in body and department.name in body
    wait_for(lambda: OutboundEmail.objects.get(pk=row.pk).status == "sent", what="the row to be marked sent")
    assert case.reference in OutboundEmail.objects.get(pk=row.pk).body_text  # what was sent, kept
