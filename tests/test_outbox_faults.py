"""The outbox's delivery promise under faults, against the real parts: Celery workers in their own
processes on Redis, PostgreSQL, and an SMTP server (aiosmtpd) in this process that can hold its
reply to the end of DATA *after* it has stored the message, hold its reply to QUIT, answer 451,
or not listen at all.

What the README promises ("Delivery of e-mail (the outbox)"): every e-mail is delivered at least
once; a duplicate is possible only when the worker stops between the server's acceptance and
the outbox's record of it; the copy carries the same Message-ID; the row is then shown as
"may have been sent twice". Each test prints its counts (expected, delivered, duplicates, lost).
"""

import asyncio
import email
import email.policy
import socket
import threading
import time
from collections import Counter

import pytest
from django.db import transaction

from core.models import OutboundEmail
from core.outbox import outbox_deliver, outbox_enqueue, outbox_enqueue_many, outbox_retry, outbox_sweep
from core.tasks import outbox_sweep as outbox_sweep_task
from tests.fixtures import wait_for

pytestmark = pytest.mark.services

LEASE_SECONDS = 4


class FaultySMTP:
    """An aiosmtpd handler that stores what it accepts and misbehaves on demand."""

    def __init__(self):
        self.messages: list = []
        self.stall_data_reply: dict[int, float] = {}  # n-th accepted message -> seconds before its 250
        self.stall_quit_seconds = 0.0  # the next QUIT only
        self.refuse_rcpt_until = 0.0  # time.monotonic(): before it, RCPT gets a 451
        self.reject_rcpt = ""  # a permanent reply to every RCPT, e.g. "550 …"
        self.stalls_begun = 0
        self.refusals = 0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.reject_rcpt:
            return self.reject_rcpt
        if time.monotonic() < self.refuse_rcpt_until:
            self.refusals += 1
            return "451 4.3.2 Please try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:  # stored: from here on the message is delivered, whatever happens next
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            stall = self.stall_data_reply.pop(len(self.messages), 0.0)
        if stall:
            self.stalls_begun += 1
            await asyncio.sleep(stall)  # the worker waits for the 250 of a message already stored
        return "250 Message accepted for delivery"

    async def handle_QUIT(self, server, session, envelope):
        stall, self.stall_quit_seconds = self.stall_quit_seconds, 0.0
        if stall:
            self.stalls_begun += 1
            await asyncio.sleep(stall)
        return "221 Bye"


@pytest.fixture
def faulty_smtp(settings):
    """The server object, its port (reserved, not yet listening) and ``start()``."""
    from aiosmtpd.controller import Controller

    handler = FaultySMTP()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        handler.port = probe.getsockname()[1]
    controllers = []

    def start():
        controller = Controller(handler, hostname="127.0.0.1", port=handler.port)
        controller.start()
        controllers.append(controller)

    handler.start = start
    handler.env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(handler.port),
        "EMAIL_TIMEOUT": "60",
        "OUTBOX_SEND_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", handler.port, 60
    try:
        yield handler
    finally:
        for controller in controllers:
            controller.stop()


def queue(count: int, prefix: str) -> list[OutboundEmail]:
    """``count`` e-mails queued in one transaction (one hand-off to the workers at commit)."""
    with transaction.atomic():
        outbox_enqueue_many(
            [
                {
                    "key": f"{prefix}-{i}",
                    "kind": "test",
                    "to": [f"complainant-{prefix}-{i}@example.org"],
                    "subject": f"{prefix} {i}",
                    "text": f"Notice {i}",
                }
                for i in range(count)
            ]
        )
    return list(OutboundEmail.objects.filter(key__startswith=f"{prefix}-"))


def counts(server: FaultySMTP, rows: list[OutboundEmail]) -> dict[str, int]:
    expected = {row.message_id for row in rows}
    received = Counter(message["Message-ID"] for message in server.messages)
    return {
        "expected": len(expected),
        "delivered": len(expected & set(received)),
        "duplicates": sum(n - 1 for message_id, n in received.items() if message_id in expected),
        "lost": len(expected - set(received)),
        "strangers": len(set(received) - expected),
    }


def all_sent(rows: list[OutboundEmail]) -> bool:
    statuses = set(OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]).values_list("status", flat=True))
    return statuses == {OutboundEmail.Status.SENT}


def sweep_until(predicate, *, timeout: float, what: str) -> None:
    """What beat does every minute, every second: until ``predicate`` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        outbox_sweep_task.delay()
        time.sleep(1)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def assert_no_address_in(worker_logs: str, rows: list[OutboundEmail]) -> None:
    for row in rows:
        for address in row.to:
            assert address not in worker_logs


def test_a_worker_killed_after_the_server_accepted_the_data_leads_to_one_flagged_duplicate(
    faulty_smtp, worker_factory, admin_client
):
    faulty_smtp.start()
    faulty_smtp.stall_data_reply = {1: 60}  # stored, but the 250 is held back
    first = worker_factory(**faulty_smtp.env)
    with transaction.atomic():
        outbox_enqueue(
            key="killed", kind="test", to=["complainant@example.org"], subject="Killed-after-DATA", text="t"
        )
    row = OutboundEmail.objects.get(key="killed")
    wait_for(lambda: faulty_smtp.stalls_begun == 1, timeout=60, what="the stall after DATA: " + first.log())
    row.refresh_from_db()
    # Recorded and committed before the SMTP transaction started:
    assert row.status == OutboundEmail.Status.SENDING and row.smtp_started_at and row.attempts == 1
    first.kill()
    assert len(faulty_smtp.messages) == 1  # delivered once already; the outbox cannot know it

    assert outbox_sweep() == {}  # within the lease (a second after the start): nobody takes the row
    assert OutboundEmail.objects.get(pk=row.pk).status == OutboundEmail.Status.SENDING
    second = worker_factory(**faulty_smtp.env)
    sweep_until(lambda: all_sent([row]), timeout=60, what="the resend after the lease: " + second.log())
    time.sleep(2)  # a third copy would have arrived by now

    result = counts(faulty_smtp, [row])
    print(f"\nkilled after DATA, 1 e-mail: {result}")
    assert result == {"expected": 1, "delivered": 1, "duplicates": 1, "lost": 0, "strangers": 0}
    assert [m["Message-ID"] for m in faulty_smtp.messages] == [row.message_id, row.message_id]
    row.refresh_from_db()
    assert row.interrupted_sends == 1 and row.may_have_been_sent_twice and row.attempts == 2
    assert_no_address_in(first.log() + second.log(), [row])

    # The admin shows it, by a filter and a column, in English and in Chinese.
    for language, label in (("en", "may have been sent twice"), ("zh-hans", "可能已发送两次")):
        page = admin_client.get(
            "/admin/core/outboundemail/", {"sent_twice": "maybe"}, HTTP_ACCEPT_LANGUAGE=language
        ).content.decode()
        assert label in page and "Killed-after-DATA" in page
    others = admin_client.get("/admin/core/outboundemail/", {"sent_twice": "no"}).content.decode()
    assert "Killed-after-DATA" not in others


def test_a_worker_killed_during_a_slow_quit_sends_once(faulty_smtp, worker_factory):
    """The outcome is recorded before QUIT: a server slow to say goodbye opens no window."""
    faulty_smtp.start()
    faulty_smtp.stall_quit_seconds = 60
    first = worker_factory(**faulty_smtp.env)
    with transaction.atomic():
        outbox_enqueue(key="quit", kind="test", to=["complainant@example.org"], subject="Notice", text="t")
    row = OutboundEmail.objects.get(key="quit")
    wait_for(lambda: faulty_smtp.stalls_begun == 1, timeout=60, what="the stall at QUIT: " + first.log())
    first.kill()
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENT
    worker_factory(**faulty_smtp.env)
    time.sleep(LEASE_SECONDS + 1)
    outbox_sweep_task.delay()
    time.sleep(3)
    result = counts(faulty_smtp, [row])
    print(f"\nkilled during QUIT, 1 e-mail: {result}")
    assert result == {"expected": 1, "delivered": 1, "duplicates": 0, "lost": 0, "strangers": 0}
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.SENT and not row.may_have_been_sent_twice


def test_forty_notices_and_two_kills_after_data_lose_nothing(faulty_smtp, worker_factory):
    faulty_smtp.start()
    faulty_smtp.stall_data_reply = {5: 60, 25: 60}  # the 5th and the 25th message stored
    workers = [worker_factory(**faulty_smtp.env)]
    rows = queue(40, "forty")
    for kills in (1, 2):
        wait_for(lambda k=kills: faulty_smtp.stalls_begun == k, timeout=120, what=f"stall {kills}")
        workers[-1].kill()
        workers.append(worker_factory(**faulty_smtp.env))
        if kills == 1:
            sweep_until(lambda: faulty_smtp.stalls_begun == 2 or all_sent(rows), timeout=120, what="stall 2")
    sweep_until(lambda: all_sent(rows), timeout=120, what="every row to be sent")
    time.sleep(2)

    result = counts(faulty_smtp, rows)
    print(f"\n40 e-mails, 2 workers killed after DATA: {result}")
    flagged = set(
        OutboundEmail.objects.filter(pk__in=[r.pk for r in rows], interrupted_sends__gt=0).values_list(
            "message_id", flat=True
        )
    )
    duplicated = {
        message_id
        for message_id, n in Counter(m["Message-ID"] for m in faulty_smtp.messages).items()
        if n > 1
    }
    assert result["lost"] == 0 and result["strangers"] == 0 and result["delivered"] == 40
    assert result["duplicates"] == 2  # one per kill in the window, no more
    assert duplicated == flagged  # every copy is on a row the admin flags, and only those are flagged
    assert_no_address_in("".join(worker.log() for worker in workers), rows)


def test_smtp_refusing_for_a_minute_delays_but_loses_and_duplicates_nothing(faulty_smtp, worker_factory):
    """Thirty seconds of refused connections, then thirty of 451 replies, then the server takes mail."""
    env = {**faulty_smtp.env, "OUTBOX_BACKOFF_SECONDS": "1,2,4", "OUTBOX_MAX_ATTEMPTS": "40"}
    worker = worker_factory(**env)
    rows = queue(20, "refused")
    began = time.monotonic()
    sweep_until(lambda: time.monotonic() - began > 30, timeout=60, what="30 s of refused connections")
    mid = list(OutboundEmail.objects.filter(pk__in=[r.pk for r in rows]))
    assert {row.status for row in mid} <= {OutboundEmail.Status.PENDING, OutboundEmail.Status.SENDING}
    assert all(row.attempts >= 2 and "ConnectionRefused" in row.last_error for row in mid), worker.log()
    faulty_smtp.refuse_rcpt_until = time.monotonic() + 30
    faulty_smtp.start()
    sweep_until(lambda: time.monotonic() - began > 60, timeout=60, what="30 s of 451 replies")
    assert faulty_smtp.refusals >= 20 and faulty_smtp.messages == []
    assert not OutboundEmail.objects.filter(
        pk__in=[r.pk for r in rows], status=OutboundEmail.Status.FAILED
    ).exists()
    sweep_until(lambda: all_sent(rows), timeout=60, what="every row to be sent once the server takes mail")
    time.sleep(2)

    result = counts(faulty_smtp, rows)
    print(f"\n20 e-mails, SMTP refusing for a minute: {result}, 451 replies: {faulty_smtp.refusals}")
    assert result == {"expected": 20, "delivered": 20, "duplicates": 0, "lost": 0, "strangers": 0}
    assert not OutboundEmail.objects.filter(pk__in=[r.pk for r in rows], interrupted_sends__gt=0).exists()
    assert_no_address_in(worker.log(), rows)


# --- The same rules in this process (the sender called directly) ------------------------------


@pytest.mark.django_db
def test_a_temporary_refusal_retries_and_the_resend_keeps_the_message_id(faulty_smtp, settings):
    settings.OUTBOX_BACKOFF_SECONDS = [0]
    faulty_smtp.start()
    faulty_smtp.refuse_rcpt_until = time.monotonic() + 3600
    email = outbox_enqueue(key="451", kind="test", to=["a@example.org"], subject="s", text="t")
    assert outbox_deliver(email.pk) == "retry"
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.PENDING and email.attempts == 1 and "451" in email.last_error
    assert email.claim_token is None and email.smtp_started_at is None and not email.may_have_been_sent_twice
    faulty_smtp.refuse_rcpt_until = 0.0
    assert outbox_sweep() == {"sent": 1}
    assert [m["Message-ID"] for m in faulty_smtp.messages] == [email.message_id]


@pytest.mark.django_db
def test_a_permanent_refusal_fails_at_once(faulty_smtp):
    faulty_smtp.start()
    faulty_smtp.reject_rcpt = "550 5.1.1 No such mailbox"
    email = outbox_enqueue(key="550", kind="test", to=["a@example.org"], subject="s", text="t")
    assert outbox_deliver(email.pk) == "failed"
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED and email.attempts == 1 and "550" in email.last_error


@pytest.mark.django_db
def test_claims_take_disjoint_rows_in_a_fixed_number_of_statements(faulty_smtp):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.outbox import _claim

    queue(45, "claims")
    statements = []
    claims = []
    for limit in (5, 40):
        with CaptureQueriesContext(connection) as queries:
            claims.append(_claim(email_ids=None, limit=limit))
        statements.append(len(queries))
    assert [len(claim.emails) for claim in claims] == [5, 40]
    assert statements[0] == statements[1]  # set-based: the same statements for 5 rows or 40
    first, second = ({email.pk for email in claim.emails} for claim in claims)
    assert not first & second
    assert _claim(email_ids=None, limit=50).emails == []  # all held, leases running
    assert set(OutboundEmail.objects.filter(key__startswith="claims-").values_list("status", flat=True)) == {
        OutboundEmail.Status.SENDING
    }


@pytest.mark.django_db
def test_an_interrupted_send_on_the_last_attempt_fails_visibly(settings):
    import datetime as dt

    from django.utils import timezone

    settings.OUTBOX_MAX_ATTEMPTS = 2
    email = outbox_enqueue(key="last", kind="test", to=["a@example.org"], subject="s", text="t")
    past = timezone.now() - dt.timedelta(seconds=1)
    OutboundEmail.objects.filter(pk=email.pk).update(
        status=OutboundEmail.Status.SENDING, attempts=2, smtp_started_at=past, lease_expires_at=past
    )
    assert outbox_sweep() == {"failed": 1}
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED and email.may_have_been_sent_twice
    assert "may have been delivered" in email.last_error


@pytest.mark.django_db
def test_send_again_of_a_sent_row_is_a_new_message_and_a_running_send_is_left_alone(faulty_smtp):
    faulty_smtp.start()
    email = outbox_enqueue(key="again", kind="test", to=["a@example.org"], subject="s", text="t")
    assert outbox_deliver(email.pk) == "sent"
    first_id = OutboundEmail.objects.get(pk=email.pk).message_id
    outbox_retry(email=email)
    assert outbox_deliver(email.pk) == "sent"
    second_id = OutboundEmail.objects.get(pk=email.pk).message_id
    assert second_id != first_id
    assert [m["Message-ID"] for m in faulty_smtp.messages] == [first_id, second_id]
    # Held by a worker whose lease runs: "send again" changes nothing, a task skips it.
    from core.outbox import _claim

    outbox_retry(email=email)
    assert [e.pk for e in _claim(email_ids=[email.pk], limit=1).emails] == [email.pk]
    outbox_retry(email=email)
    assert OutboundEmail.objects.get(pk=email.pk).status == OutboundEmail.Status.SENDING
    assert outbox_deliver(email.pk) == "skipped"
