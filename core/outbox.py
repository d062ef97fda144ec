"""The e-mail outbox: every e-mail is a row written in the transaction of the change that causes
it; a task sends it after commit; a sweep sends what is still pending, with backoff.

Delivery is at least once, never silently lost, and a duplicate is possible only in one window.
A worker claims rows in one short transaction (``_claim``: SELECT … FOR UPDATE SKIP LOCKED and one
UPDATE, whatever their number): they become "sending" with its token and a lease
(``OUTBOX_SEND_LEASE_SECONDS``). Before each SMTP transaction it records, committed, that the
transaction starts; after the server's reply it records the outcome, and only then says QUIT. A
worker that dies between the server's acceptance of the DATA and that record leaves the row
"sending": once the lease has expired a sweep sends it again, with the same stored Message-ID
(so a receiver can drop the copy), and counts it in ``interrupted_sends`` (the admin's "may have
been sent twice"). A 4xx reply or a refused connection keeps the row pending with its backoff;
a 5xx reply fails it. Hand-written around Django's mail API (which does the sending): the
claim, the lease and the record before QUIT are this outbox's own transaction semantics.

The rows one transaction queues are handed to the broker together when it commits: one publish,
not one per e-mail (``outbox_dispatch_on_commit``).

The Celery tasks that send rows live in core/tasks.py and call this module; CoreConfig.ready
registers them here (``outbox_tasks``), so the outbox hands rows to them without importing them."""

import contextlib
import datetime as dt
import logging
import smtplib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, models, transaction
from django.db.models import Case, F, Q, When
from django.template.loader import render_to_string
from django.utils import timezone, translation

from core.broker import task_publish
from core.models import OutboundAttachment, OutboundEmail, outbox_message_id

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


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.OUTBOX_SEND_LEASE_SECONDS)


CLAIM_CHUNK = DISPATCH_CHUNK


@dataclass
class _Claim:
    """Rows one worker holds ("sending", ``claim_token`` = ``token``) until their lease expires."""

    token: uuid.UUID
    emails: list[OutboundEmail] = field(default_factory=list)
    taken_over: int = 0  # rows another worker left "sending" past their lease, now sent again
    locked: int = 0  # rows this claim locked, including those it failed as exhausted
    failed: int = 0  # rows left "sending" on their last attempt, failed by this claim


def _fail_exhausted(ids: list[int]) -> None:
    """Rows whose worker stopped mid-send on their last allowed attempt: failed, visibly (their
    message may have reached the server; "Send again" is staff's decision)."""
    OutboundEmail.objects.filter(pk__in=ids).update(
        status=OutboundEmail.Status.FAILED,
        interrupted_sends=F("interrupted_sends") + 1,
        last_error=INTERRUPTED_LAST_ATTEMPT,
        next_attempt_at=None,
        claim_token=None,
        lease_expires_at=None,
    )


INTERRUPTED_LAST_ATTEMPT = (
    "the worker stopped during the last allowed attempt, after its SMTP transaction had started: "
    "the message may have been delivered"
)


def _claim(*, email_ids: Sequence[int] | None, limit: int) -> _Claim:
    """Claim up to ``limit`` rows for this worker in one short transaction, committed before any
    SMTP conversation starts; a fixed number of statements whatever ``limit`` is.

    ``email_ids`` None (the sweep): the pending rows that are due. Given (a task): those rows if
    pending. Either way also rows left "sending" whose lease has expired (their worker died or
    hung): those whose SMTP transaction had started are counted in ``interrupted_sends``.
    SKIP LOCKED: workers claiming at the same time take different rows and never wait."""
    now, claim = timezone.now(), _Claim(token=uuid.uuid4())
    lease_expired = Q(status=OutboundEmail.Status.SENDING, lease_expires_at__lte=now)
    if email_ids is None:
        claimable = Q(status=OutboundEmail.Status.PENDING, next_attempt_at__lte=now) | lease_expired
        rows = OutboundEmail.objects.filter(claimable).order_by("next_attempt_at")
    else:
        claimable = Q(status=OutboundEmail.Status.PENDING) | lease_expired
        rows = OutboundEmail.objects.filter(claimable, pk__in=list(email_ids)).order_by()
    with transaction.atomic():
        locked = list(
            rows.select_for_update(skip_locked=True).values_list(
                "pk", "status", "smtp_started_at", "attempts"
            )[:limit]
        )
        claim.locked = len(locked)
        exhausted = {
            pk
            for pk, status, started, attempts in locked
            if status == OutboundEmail.Status.SENDING and started and attempts >= settings.OUTBOX_MAX_ATTEMPTS
        }
        ids = [pk for pk, *_rest in locked if pk not in exhausted]
        if exhausted:
            _fail_exhausted(list(exhausted))
            claim.failed = len(exhausted)
            logger.warning("outbox: %s e-mails failed: interrupted on their last attempt", len(exhausted))
        if not ids:
            return claim
        claim.taken_over = sum(
            status == OutboundEmail.Status.SENDING for pk, status, *_rest in locked if pk not in exhausted
        )
        # The right-hand sides read the row as it was before this UPDATE (SQL semantics).
        OutboundEmail.objects.filter(pk__in=ids).update(
            status=OutboundEmail.Status.SENDING,
            claim_token=claim.token,
            claimed_at=now,
            lease_expires_at=now + _lease(),
            interrupted_sends=Case(
                When(
                    status=OutboundEmail.Status.SENDING,
                    smtp_started_at__isnull=False,
                    then=F("interrupted_sends") + 1,
                ),
                default=F("interrupted_sends"),
                output_field=models.PositiveSmallIntegerField(),
            ),
            smtp_started_at=None,
        )
    if claim.taken_over:
        logger.warning("outbox: %s e-mails taken over after their lease expired", claim.taken_over)
    claim.emails = list(
        OutboundEmail.objects.filter(pk__in=ids, claim_token=claim.token)
        .order_by("next_attempt_at", "pk")
        .prefetch_related("attachments")
    )
    return claim


def _message(email: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        to=email.to,
        headers={"Message-ID": email.message_id, "Content-Language": email.language},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    for attachment in email.attachments.all():
        message.attach(attachment.filename, bytes(attachment.content), attachment.content_type)
    message.message()  # built now: a header that cannot be encoded fails before the server is asked
    return message


def _is_temporary(error: Exception) -> bool:
    """A 4xx reply, a refused, lost or timed-out connection: the server may take it later. A 5xx
    reply to the sender, every recipient or the data is permanent. Authentication and TLS errors
    count as temporary: they are the portal's settings to mend, not the message's fault."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return any(not 500 <= code < 600 for code, _reply in error.recipients.values())
    if isinstance(error, smtplib.SMTPSenderRefused | smtplib.SMTPDataError):
        return not 500 <= error.smtp_code < 600
    # Anything else (a lost connection, a timeout, even the task's soft time limit) may pass: the
    # row is retried, and fails only after OUTBOX_MAX_ATTEMPTS, visibly.
    return True


def _outcome_unknown(error: Exception) -> bool:
    """The connection was lost or timed out during the transaction (not refused with a reply):
    the server may have accepted the message before its reply was lost."""
    return not isinstance(error, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused)


def _release(email: OutboundEmail, token: uuid.UUID, **fields: Any) -> int:
    """Record how this worker's send ended and let go of the row (only if it still holds it)."""
    return OutboundEmail.objects.filter(pk=email.pk, claim_token=token).update(
        claim_token=None, lease_expires_at=None, smtp_started_at=None, **fields
    )


def _finish_failed(email: OutboundEmail, token: uuid.UUID, last_error: str, **fields: Any) -> str:
    bodies = {"body_text": SCRUBBED, "body_html": SCRUBBED} if email.scrub_after_sending else {}
    _release(
        email,
        token,
        status=OutboundEmail.Status.FAILED,
        next_attempt_at=None,
        last_error=last_error[:2000],
        **bodies,
        **fields,
    )
    return "failed"


def _send_one(email: OutboundEmail, token: uuid.UUID) -> str:
    """Send one claimed row: record (committed) that its SMTP transaction starts, send, record
    the outcome, and only then say QUIT, so a slow QUIT opens no window for a duplicate."""
    try:
        outbox_render(email)
        message = _message(email)
    except Exception as error:  # a broken template or header does not mend itself: fail now, visibly
        logger.warning("outbox %s: the message could not be written (%s)", email.pk, type(error).__name__)
        return _finish_failed(
            email, token, f"rendering failed: {type(error).__name__}: {error}", attempts=F("attempts") + 1
        )
    now = timezone.now()
    started = OutboundEmail.objects.filter(
        pk=email.pk, claim_token=token, status=OutboundEmail.Status.SENDING
    ).update(smtp_started_at=now, lease_expires_at=now + _lease(), attempts=F("attempts") + 1)
    if not started:
        return "skipped"  # this worker's lease expired before it got here; another took the row
    email.attempts += 1
    connection = get_connection()
    opened = False
    try:
        connection.open()
        opened = True
        connection.send_messages([message])  # a connection opened by the caller is not closed here
    except Exception as error:
        _close_quietly(connection)
        return _after_error(email, token, error, outcome_unknown=opened and _outcome_unknown(error))
    sent_at = timezone.now()
    bodies = (
        {"body_text": SCRUBBED, "body_html": SCRUBBED}
        if email.scrub_after_sending
        else {"body_text": email.body_text, "body_html": email.body_html}  # what was sent, if rendered now
    )
    if not _release(email, token, status=OutboundEmail.Status.SENT, sent_at=sent_at, last_error="", **bodies):
        logger.warning("outbox %s: sent after its lease had expired; another worker holds it", email.pk)
    _close_quietly(connection)
    return "sent"


def _close_quietly(connection: Any) -> None:
    with contextlib.suppress(smtplib.SMTPException, OSError):  # the outcome is recorded already
        connection.close()


def _after_error(email: OutboundEmail, token: uuid.UUID, error: Exception, *, outcome_unknown: bool) -> str:
    """A temporary refusal keeps the row pending with its backoff (until the last attempt); a
    permanent one fails it now. A connection lost mid-transaction counts as an interrupted send."""
    # The error can quote the address: it goes to the row (staff see it), the log names the row.
    last_error = f"{type(error).__name__}: {error}"
    interrupted = {"interrupted_sends": F("interrupted_sends") + 1} if outcome_unknown else {}
    temporary = _is_temporary(error)
    logger.warning(
        "outbox %s attempt %s: %s (%s)",
        email.pk,
        email.attempts,
        type(error).__name__,
        "temporary" if temporary else "permanent",
    )
    if temporary and email.attempts < settings.OUTBOX_MAX_ATTEMPTS:
        _release(
            email,
            token,
            status=OutboundEmail.Status.PENDING,
            next_attempt_at=timezone.now() + _backoff(email.attempts),
            last_error=last_error[:2000],
            **interrupted,
        )
        return "retry"
    return _finish_failed(email, token, last_error, **interrupted)


def _send_claimed(claim: _Claim, counts: dict[str, int]) -> None:
    if claim.taken_over:
        counts["resent_after_lease"] = counts.get("resent_after_lease", 0) + claim.taken_over
    if claim.failed:
        counts["failed"] = counts.get("failed", 0) + claim.failed
    for email in claim.emails:
        outcome = _send_one(email, claim.token)
        counts[outcome] = counts.get(outcome, 0) + 1


def outbox_deliver(email_id: int) -> str:
    """Send one row if it is still to be sent; return what happened ("sent", "retry", "failed",
    "skipped": sent already, failed for good, or held by another worker whose lease runs)."""
    counts = outbox_deliver_many([email_id])
    return next((outcome for outcome in counts if outcome != "resent_after_lease"), "skipped")


def outbox_deliver_many(email_ids: Iterable[int]) -> dict[str, int]:
    """Claim the rows a few dozen at a time and send each; how many were sent, retried, failed,
    skipped, and taken over after an expired lease."""
    email_ids, counts = list(email_ids), {}
    for start in range(0, len(email_ids), CLAIM_CHUNK):
        chunk = email_ids[start : start + CLAIM_CHUNK]
        claim = _claim(email_ids=chunk, limit=len(chunk))
        _send_claimed(claim, counts)
        if len(chunk) > claim.locked:
            counts["skipped"] = counts.get("skipped", 0) + len(chunk) - claim.locked
    return counts


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    """The rows a sweep would take now: pending and due, or left "sending" past their lease."""
    now = timezone.now()
    return list(
        OutboundEmail.objects.filter(
            Q(status=OutboundEmail.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=OutboundEmail.Status.SENDING, lease_expires_at__lte=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbox_sweep(*, limit: int = 500) -> dict[str, int]:
    """Send what is due (a lost task, a broker that was down, a retry, a send whose worker died),
    claiming a chunk at a time so that other workers can share the backlog."""
    counts: dict[str, int] = {}
    while limit > 0:
        claim = _claim(email_ids=None, limit=min(CLAIM_CHUNK, limit))
        if not claim.locked:
            break
        _send_claimed(claim, counts)
        limit -= claim.locked
    return counts


@transaction.atomic
def outbox_retry(*, email: OutboundEmail, actor=None) -> OutboundEmail:
    """Staff's "send again": a failed or sent row goes back to pending, due now. A row being sent
    is left alone until its lease expires. A row sent before gets a new Message-ID: this copy is
    wanted, and a receiver must not drop it as a duplicate of the first."""
    email = OutboundEmail.objects.select_for_update().get(pk=email.pk)
    if not email.to:
        return email  # nothing to send to; fix the address and queue a new notice
    if email.status == OutboundEmail.Status.SENDING and email.lease_expires_at > timezone.now():
        return email
    if email.status == OutboundEmail.Status.SENT:
        email.message_id = outbox_message_id()
    email.status, email.next_attempt_at, email.attempts = OutboundEmail.Status.PENDING, timezone.now(), 0
    email.claim_token = email.lease_expires_at = email.smtp_started_at = None
    email.save(
        update_fields=[
            "status",
            "next_attempt_at",
            "attempts",
            "message_id",
            "claim_token",
            "lease_expires_at",
            "smtp_started_at",
        ]
    )
    outbox_dispatch_on_commit([email.pk])
    return email
