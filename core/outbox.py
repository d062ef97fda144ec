"""The e-mail outbox: every e-mail is a row written in the transaction of the change that causes
it; a task sends it after commit; a sweep sends what is still pending, with backoff. A row is
sent at most once: the sender locks it (skip-locked), sends, and marks it in that transaction.
The rows one transaction queues are handed to the broker together when it commits: one publish,
not one per e-mail (``outbox_dispatch_on_commit``).

The Celery tasks that send rows live in core/tasks.py and call this module; CoreConfig.ready
registers them here (``outbox_tasks``), so the outbox hands rows to them without importing them."""

import datetime as dt
import logging
import smtplib
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.broker import task_publish
from core.models import OutboundAttachment, OutboundEmail

logger = logging.getLogger(__name__)

SCRUBBED = "[removed after sending: it carried a secret]"


class _Task(Protocol):
    def apply_async(self, args: tuple, *, retry: bool) -> Any: ...


class OutboxTaskRegistry:
    """The tasks that hand rows to the workers: ``send`` takes one id, ``send_batch`` a list.

    Filled by CoreConfig.ready with the tasks of core/tasks.py, in every process that sets up
    Django: the web, commands, tests, and the worker (Celery's Django fixup runs django.setup()).
    """

    def __init__(self) -> None:
        self.send: _Task | None = None
        self.send_batch: _Task | None = None

    def register(self, *, send: _Task, send_batch: _Task) -> None:
        self.send, self.send_batch = send, send_batch


outbox_tasks = OutboxTaskRegistry()


def render_email(template_base: str, context: dict, *, language: str) -> tuple[str, str, str]:
    """Subject, text and HTML of an e-mail, in the recipient's language."""
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template_base}_subject.txt", context).split())
        text = render_to_string(f"{template_base}.txt", context)
        html = render_to_string(f"{template_base}.html", context)
    return subject, text, html


def _row(
    *,
    key: str,
    kind: str,
    to: Iterable[str],
    subject: str,
    text: str = "",
    html: str = "",
    language: str = "zh-hans",
    related: str = "",
    scrub_after_sending: bool = False,
    template: str = "",
    context: dict | None = None,
    now: dt.datetime | None = None,
) -> OutboundEmail:
    """An unsaved outbox row; without a recipient it is failed from the start."""
    recipients = [address for address in to if address]
    email = OutboundEmail(
        key=key,
        kind=kind,
        to=recipients,
        subject=subject[:300],
        body_text=text,
        body_html=html,
        template=template,
        context=context,
        language=language,
        related=related[:100],
        scrub_after_sending=scrub_after_sending,
        next_attempt_at=now or timezone.now(),
    )
    if not recipients:
        email.status, email.last_error, email.next_attempt_at = (
            OutboundEmail.Status.FAILED,
            "no recipient address",
            None,
        )
    return email


def outbox_enqueue(
    *,
    key: str,
    kind: str,
    to: Iterable[str],
    subject: str,
    text: str,
    html: str = "",
    attachments: Iterable[tuple[str, bytes, str]] = (),
    language: str = "zh-hans",
    related: str = "",
    scrub_after_sending: bool = False,
) -> OutboundEmail | None:
    """Queue an e-mail in the caller's transaction; None if this key was queued before.

    No recipient is not a reason to skip: the row is recorded as failed, so that the admin
    shows it (a department without an e-mail address must be noticed).
    """
    email = _row(
        key=key,
        kind=kind,
        to=to,
        subject=subject,
        text=text,
        html=html,
        language=language,
        related=related,
        scrub_after_sending=scrub_after_sending,
    )
    recipients = email.to
    try:
        with transaction.atomic():  # a savepoint: a duplicate key must not break the caller's transaction
            email.save()
    except IntegrityError:
        if OutboundEmail.objects.filter(key=key).exists():
            return None
        raise
    OutboundAttachment.objects.bulk_create(
        OutboundAttachment(email=email, filename=name, content=content, content_type=content_type)
        for name, content, content_type in attachments
    )
    if recipients:
        outbox_dispatch_on_commit([email.pk])
    return email


def outbox_enqueue_many(emails: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Queue many e-mails in the caller's transaction, in a few statements whatever their number;
    return {key: id} of those queued now (a key queued before is skipped, as by outbox_enqueue).

    Each dict takes the arguments of ``outbox_enqueue`` but attachments, plus ``template`` and
    ``context``: such an e-mail is written by the mail worker when it is sent (outbox_render).
    """
    rows, now = {}, timezone.now()
    for email in emails:
        row = _row(**email, now=now)
        rows.setdefault(row.key, row)
    if not rows:
        return {}
    queued_before = set(
        OutboundEmail.objects.filter(key__in=list(rows)).order_by().values_list("key", flat=True)
    )
    new = [row for key, row in rows.items() if key not in queued_before]
    if not new:
        return {}
    # ignore_conflicts: a key another transaction committed meanwhile is skipped, not an error.
    OutboundEmail.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    queued = dict(
        OutboundEmail.objects.filter(key__in=[row.key for row in new]).order_by().values_list("key", "pk")
    )
    ids = [queued[row.key] for row in new if row.to and row.key in queued]
    if ids:
        outbox_dispatch_on_commit(ids)
    return queued


class _Dispatch:
    """The rows queued in one transaction, handed to the workers when it commits: one broker
    round trip for all of them (``outbox_dispatch_many``), not one per ``outbox_enqueue``.

    One hook per transaction and savepoint level: rows queued inside a savepoint get a hook of
    their own, which Django drops with the savepoint if it is rolled back (and the rows with it),
    so nothing is handed over that was never committed."""

    def __init__(self) -> None:
        self.email_ids: list[int] = []

    def __call__(self) -> None:
        if len(self.email_ids) == 1:
            outbox_dispatch(self.email_ids[0])
        else:
            outbox_dispatch_many(self.email_ids)


def outbox_dispatch_on_commit(email_ids: Sequence[int], *, using: str | None = None) -> None:
    """Hand ``email_ids`` to the workers after the current transaction commits (at once outside
    one), together with the other rows the transaction queued: if the last hook it registered
    is the outbox's, at the same savepoint level, the ids join it."""
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and connection.run_on_commit:
        savepoint_ids, hook, _robust = connection.run_on_commit[-1]
        if isinstance(hook, _Dispatch) and savepoint_ids == set(connection.savepoint_ids):
            hook.email_ids.extend(email_ids)
            return
    hook = _Dispatch()
    hook.email_ids.extend(email_ids)
    transaction.on_commit(hook, using=using)


DISPATCH_CHUNK = 50


def outbox_dispatch_many(email_ids: list[int]) -> None:
    """Hand rows to the workers a few dozen per task: one broker message per e-mail would make a
    sweep that queues a thousand digests wait on a thousand publishes."""
    task = _registered(outbox_tasks.send_batch, len(email_ids))
    if task is None:
        return
    for start in range(0, len(email_ids), DISPATCH_CHUNK):
        chunk = email_ids[start : start + DISPATCH_CHUNK]
        if not task_publish(task, (chunk,), what=f"{len(email_ids) - start} e-mails"):
            return  # the rest wait for the sweep too: the broker is down


def _registered(task: _Task | None, count: int) -> _Task | None:
    """The registered task, or None (logged: the rows wait for the sweep, the caller goes on)."""
    if task is None:
        # Only a process that skipped CoreConfig.ready (no django.setup()) gets here.
        logger.error("outbox: %s e-mails left for the sweep: core.tasks was never imported", count)
    return task


def outbox_render(email: OutboundEmail) -> None:
    """Write the text and HTML of an e-mail queued with a template (not saved here)."""
    if not email.template or email.body_text:
        return
    context = email.context or {}
    with translation.override(email.language):
        email.body_text = render_to_string(f"{email.template}.txt", context)
        email.body_html = render_to_string(f"{email.template}.html", context)


def outbox_dispatch(email_id: int) -> None:
    """Hand the row to a worker. If the broker is down, the sweep sends it later: never fail
    or hang the request that caused the e-mail (core.broker.task_publish bounds the wait)."""
    task = _registered(outbox_tasks.send, 1)
    if task is None:
        return
    task_publish(task, (email_id,), what="1 e-mail")


def _backoff(attempts: int) -> dt.timedelta:
    steps = settings.OUTBOX_BACKOFF_SECONDS or [60]
    return dt.timedelta(seconds=steps[min(attempts, len(steps)) - 1])


def outbox_deliver(email_id: int) -> str:
    """Send one row if it is still due; return what happened ("sent", "retry", "failed", "skipped")."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return "skipped"  # sent already, failed for good, or another worker holds it
        try:
            outbox_render(email)
        except Exception as error:  # a broken template does not mend itself: fail now, visibly
            email.status, email.next_attempt_at, email.attempts = (
                OutboundEmail.Status.FAILED,
                None,
                email.attempts + 1,
            )
            email.last_error = f"rendering failed: {type(error).__name__}: {error}"[:2000]
            email.save(update_fields=["status", "next_attempt_at", "attempts", "last_error"])
            logger.exception("outbox %s: rendering failed", email.pk)
            return "failed"
        message = EmailMultiAlternatives(
            subject=email.subject,
            body=email.body_text,
            to=email.to,
            headers={
                "Message-ID": f"<outbox-{email.pk}@{settings.OUTBOX_MESSAGE_ID_DOMAIN}>",
                "Content-Language": email.language,
            },
        )
        if email.body_html:
            message.attach_alternative(email.body_html, "text/html")
        for attachment in email.attachments.all():
            message.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
        email.attempts += 1
        try:
            message.send()
        except (smtplib.SMTPException, OSError) as error:
            email.last_error = f"{type(error).__name__}: {error}"[:2000]
            if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                email.status, email.next_attempt_at = OutboundEmail.Status.FAILED, None
                if email.scrub_after_sending:
                    email.body_text = email.body_html = SCRUBBED
                outcome = "failed"
            else:
                email.next_attempt_at = timezone.now() + _backoff(email.attempts)
                outcome = "retry"
            # The error can quote the address; the log line names only the row.
            logger.warning("outbox %s attempt %s: %s", email.pk, email.attempts, type(error).__name__)
        else:
            email.status, email.sent_at, email.last_error = OutboundEmail.Status.SENT, timezone.now(), ""
            if email.scrub_after_sending:
                email.body_text = email.body_html = SCRUBBED
            outcome = "sent"
        email.save(
            update_fields=[
                "status",
                "attempts",
                "last_error",
                "next_attempt_at",
                "sent_at",
                "body_text",
                "body_html",
            ]
        )
        return outcome


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    return list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, next_attempt_at__lte=timezone.now())
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep(*, limit: int = 500) -> dict[str, int]:
    """Send every pending row whose time has come (a lost task, a broker that was down, a retry)."""
    return outbox_deliver_many(outbox_due_ids(limit=limit))


def outbox_deliver_many(email_ids: Iterable[int]) -> dict[str, int]:
    """Send each row in turn; how many were sent, retried, failed or skipped."""
    counts: dict[str, int] = {}
    for email_id in email_ids:
        outcome = outbox_deliver(email_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@transaction.atomic
def outbox_retry(*, email: OutboundEmail, actor=None) -> OutboundEmail:
    """Staff's "send again": a failed or sent row goes back to pending, due now."""
    email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
    if not email.to:
        return email  # nothing to send to; fix the address and queue a new notice
    email.status, email.next_attempt_at, email.attempts = OutboundEmail.Status.PENDING, timezone.now(), 0
    email.save(update_fields=["status", "next_attempt_at", "attempts"])
    outbox_dispatch_on_commit([email.pk])
    return email
