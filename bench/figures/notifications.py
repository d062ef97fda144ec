"""Figure group "notifications": a period's complaint notification to every unit, end to end.

One timed run is the whole pipeline of the product for the last complete quarter before the
data set's day (2026Q3 for a load made in November 2026), as a scheduled run does it:
``manage.py send_notification_reports --period <quarter> --approve`` (called in-process with
``call_command``: prepare the run, one report per unit with complaints received in the quarter
and one redacted item per complaint; approve, with the identity check; send: a reply deadline,
the e-mail and its xlsx workbook per unit, queued in the outbox), then delivery of every queued
e-mail through the outbox's own sender, ``core.outbox.outbox_deliver`` (the body of the
``outbox_send`` task), in this process, to a real SMTP server (aiosmtpd on 127.0.0.1, a free
port) with ``EMAIL_BACKEND`` set to Django's SMTP backend. No Celery worker takes part (a
worker is measured elsewhere): the after-commit hand-off to the broker (``outbox_dispatch``) is
replaced by a list of the ids it would have sent (``outbox_dispatch``, one e-mail per task, and
``outbox_dispatch_many``, a few dozen per task, where the outbox has it), so no task reaches a
broker that other databases' workers read; each id is then delivered as the worker's task would
(``outbox_deliver``), after which none of the run's rows may be left pending for the sweep.

Before every run, outside the clock, the previous run's rows are deleted (the run with its
reports and items, the reply deadlines, the outbox rows and their attachments); complaints are
only read. After the runs, the received messages are checked: one per unit that got a report,
each with its xlsx workbook holding that unit's complaints, and no complainant identity (the
identity's phone, contact name or enterprise name, nor any 139xxxxxxxx number) in any
message, its workbook included.

Goal at 100k complaints (500 units): median ≤ 30 s.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import email
import email.policy
import io
import re
import socket
import statistics
import threading
import time
import zipfile
from collections import defaultdict
from unittest import mock

from bench.measure import Goal, Result, timed

GOAL = Goal("<=", 30, "s")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PHONE = re.compile(r"(?<!\d)139\d{8}(?!\d)")


# --- The SMTP server --------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler that keeps every message it is given (thread-safe)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 Message accepted for delivery"

    def take(self) -> list[tuple[list[str], bytes]]:
        with self.lock:
            messages, self.messages = self.messages, []
        return messages


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- The period -------------------------------------------------------------------------------


def last_complete_quarter(today: dt.date) -> str:
    quarter = (today.month - 1) // 3 + 1
    if quarter == 1:
        return f"{today.year - 1}Q4"
    return f"{today.year}Q{quarter - 1}"


# --- Checking what was received -------------------------------------------------------------------


def _parse(raw: bytes) -> tuple[str, list[tuple[str, str, bytes]], str]:
    """Message-ID, attachments (filename, content type, bytes), and all readable text: the
    headers, the text parts and every XML part of each xlsx attachment."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    texts = [str(value) for value in message.values()]
    attachments = []
    for part in message.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if filename:
            content = part.get_payload(decode=True) or b""
            attachments.append((filename, part.get_content_type(), content))
            try:
                with zipfile.ZipFile(io.BytesIO(content)) as archive:
                    for name in archive.namelist():
                        texts.append(archive.read(name).decode("utf-8", "replace"))
            except zipfile.BadZipFile:
                texts.append(content.decode("utf-8", "replace"))
        elif part.get_content_maintype() == "text":
            texts.append(part.get_content())
    return str(message.get("Message-ID", "")), attachments, "\n".join(texts)


def _workbook_complaints(content: bytes) -> int:
    """Rows of the workbook's complaint sheet (the second), less its header."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(content), read_only=True)
    try:
        sheet = workbook.worksheets[1]
        return sum(1 for row in sheet.iter_rows(values_only=True) if any(v is not None for v in row)) - 1
    finally:
        workbook.close()


def verify(period: str, messages: list[tuple[list[str], bytes]], email_ids: list[int], *, deep: bool) -> dict:
    """What one run delivered, against what the database says it should have."""
    from core.models import OutboundEmail
    from reports.models import NotificationItem, NotificationReport

    reports = list(
        NotificationReport.objects.filter(run__period=period).values_list(
            "pk", "department__email", "complaint_count"
        )
    )
    expected = {address: count for _pk, address, count in reports}
    identities: dict[str, list[str]] = defaultdict(list)
    for address, *values in NotificationItem.objects.filter(
        run__period=period, report__isnull=False, complaint__is_anonymous=False
    ).values_list(
        "report__department__email",
        "complaint__identity__contact_name",
        "complaint__identity__phone",
        "complaint__identity__enterprise_name",
    ):
        identities[address] += [value for value in values if value and len(value) >= 2]
    outcome = {
        "units": len(reports),
        "complaints": sum(expected.values()),
        "emails": 0,
        "with_workbook": 0,
        "workbook_rows_match": 0,
        "attachment_bytes": 0,
        "identity_leaks": 0,
        "identity_values_checked": sum(len(values) for values in identities.values()),
        "unexpected": 0,
    }
    # Each row's Message-ID is stored on it (core.outbox), the same on every attempt.
    ours = set(OutboundEmail.objects.filter(pk__in=email_ids).values_list("message_id", flat=True))
    received_for: set[str] = set()
    for recipients, raw in messages:
        message_id, attachments, text = _parse(raw)
        if message_id not in ours:
            outcome["unexpected"] += 1
            continue
        outcome["emails"] += 1
        address = recipients[0] if recipients else ""
        workbooks = [a for a in attachments if a[0].endswith(".xlsx") and a[1] == XLSX]
        if workbooks and address in expected:
            outcome["with_workbook"] += 1
            received_for.add(address)
            outcome["attachment_bytes"] += sum(len(content) for _n, _t, content in workbooks)
            if deep and _workbook_complaints(workbooks[0][2]) == expected[address]:
                outcome["workbook_rows_match"] += 1
        leaked = bool(PHONE.search(text)) or any(value in text for value in identities.get(address, ()))
        outcome["identity_leaks"] += leaked
    outcome["units_received"] = len(received_for)
    outcome["sent_rows"] = OutboundEmail.objects.filter(
        pk__in=email_ids, status=OutboundEmail.Status.SENT
    ).count()
    return outcome


# --- The figure -----------------------------------------------------------------------------------


def clean(period: str) -> None:
    """Delete what a run of ``period`` made: the run, its reports and items, the reply
    deadlines, the outbox rows and their attachments. Complaints are never touched."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction

    from core.models import Deadline, OutboundEmail
    from reports.models import NotificationReport, NotificationRun

    with transaction.atomic():
        for run in NotificationRun.objects.filter(period=period):
            report_ids = list(run.reports.values_list("pk", flat=True))
            OutboundEmail.objects.filter(key__startswith=f"notification:{run.pk}:").delete()
            run.delete()
            Deadline.objects.filter(
                content_type=ContentType.objects.get_for_model(NotificationReport), object_id__in=report_ids
            ).delete()


def run(context) -> list[Result]:
    from aiosmtpd.controller import Controller
    from django.core.management import call_command
    from django.test import override_settings

    from core import outbox
    from core.models import OutboundEmail
    from core.outbox import outbox_deliver
    from liaison.models import Department

    period = last_complete_quarter(dt.date.fromisoformat(context.dataset.today))
    repeat = min(context.repeat, 3)
    departments = Department.objects.count()

    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    dispatched: list[int] = []
    phases: dict[str, list[float]] = defaultdict(list)
    checked: list[dict] = []
    leftovers: list[int] = []

    def pipeline() -> None:
        started = time.perf_counter()
        call_command("send_notification_reports", period=period, approve=True, stdout=io.StringIO())
        queued = time.perf_counter()
        for email_id in list(dispatched):
            outbox_deliver(email_id)
        delivered = time.perf_counter()
        phases["prepare, approve, send (command)"].append(queued - started)
        phases["deliver over SMTP"].append(delivered - queued)

    def setup() -> None:
        # Check the previous run (outside the clock) before its rows go.
        if dispatched:
            checked.append(verify(period, mailbox.take(), list(dispatched), deep=False))
        clean(period)
        dispatched.clear()
        mailbox.take()

    controller.start()
    try:
        email_settings = override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            EMAIL_USE_TLS=False,
            EMAIL_USE_SSL=False,
            EMAIL_TIMEOUT=30,
        )
        with email_settings, contextlib.ExitStack() as patches:
            for name, collect in [
                ("outbox_dispatch", dispatched.append),
                ("outbox_dispatch_many", dispatched.extend),
            ]:
                if hasattr(outbox, name):  # one e-mail per task, or a few dozen per task
                    patches.enter_context(mock.patch.object(outbox, name, side_effect=collect))
            # At a million a quarter holds about 250,000 complaints: one run takes minutes, and a
            # warm-up run would double the group's time for nothing the run does not warm itself.
            warmup = 0 if context.dataset.complaints >= 1_000_000 else 1
            samples, statements = timed(pipeline, repeat=repeat, warmup=warmup, scale=1.0, setup=setup)
            # What the sweep would still have to send: nothing, if every hand-off was delivered.
            leftovers.append(
                OutboundEmail.objects.filter(pk__in=dispatched, status=OutboundEmail.Status.PENDING).count()
            )
            last = verify(period, mailbox.take(), list(dispatched), deep=True)
    finally:
        controller.stop()
        clean(period)

    every_run = [*checked[warmup:], last]  # checked[0] is the warm-up's, if there was one
    units = last["units"]
    every_unit = (
        all(
            r["emails"] == r["units"] == r["with_workbook"] == r["units_received"] == r["sent_rows"]
            and r["units"]
            for r in every_run
        )
        and last["workbook_rows_match"] == units
        and leftovers[0] == 0
    )
    no_identity = all(r["identity_leaks"] == 0 for r in every_run) and last["identity_values_checked"] > 0
    if units < 500:
        context.notes.append(
            f"notifications: {units} of {departments} units had complaints received in {period} and got "
            f"a report (the product reports only units with complaints in the period; a quarter is the "
            f"longest period it has); the goal names 500 units"
        )
    extra = {
        "period": period,
        "units": units,
        "departments": departments,
        "complaints": last["complaints"],
        "emails": last["emails"],
        "attachment_bytes": last["attachment_bytes"],
        "workbooks_checked": last["workbook_rows_match"],
        "identity_values_checked": last["identity_values_checked"],
        "phases_median_s": {name: round(statistics.median(values), 2) for name, values in phases.items()},
        "left_pending_for_the_sweep": leftovers[0],
        "unexpected_messages": last["unexpected"],
        "delivery": (
            "in-process: send_notification_reports --approve via call_command, then outbox_deliver per "
            "queued row to aiosmtpd on 127.0.0.1 with Django's SMTP backend; no Celery worker (the "
            "broker hand-off is replaced by the list of ids)"
        ),
    }
    return [
        Result(
            key="notification_reports",
            label="notification reports, 500 units, workbooks, SMTP",
            unit="s",
            samples=samples,
            statements=statements,
            goal=GOAL,
            checks={
                "every unit's e-mail received with its workbook": bool(every_unit),
                "no complainant identity in any e-mail": no_identity,
            },
            extra=extra,
        )
    ]
