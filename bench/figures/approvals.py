"""The electronic supervision of approvals (issue 15): ingestion through the batch endpoint, the
admin lists of signals and records, the daily signal sweep and the quarterly assessment.

The approvals are loaded here the first time the group runs on a database (bench.load_approvals:
a year of records, a million at ``1m``). The sweep and the assessment are other parts' functions
(``approvals.services.sweep.signals_sweep``, ``reports.dashboard.assessment.assessment_compute``),
and the signal list is their admin: each is called by its name, and a part not built yet is
reported as such in the notes rather than failing the group."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import time

from django.contrib import admin
from django.db import transaction
from django.test import Client

from approvals.models import (
    ApprovalFeeCharge,
    ApprovalItem,
    ApprovalRecord,
    ApprovalSignal,
    ApprovalStepEvent,
)
from bench.database import tables_vacuum
from bench.figures.pages import _client, _page, late
from bench.load_approvals import HALL_USERNAME, approvals_loaded, load_approvals
from bench.measure import Goal, Result, StatementCounter, timed
from core.models import Deadline
from core.periods import Period

BATCH = 500
URL = "/api/v1/approvals/records/batch/"
RECORDS_ADMIN = "/admin/approvals/approvalrecord/"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def _built(module: str, name: str):
    """The function ``name`` of ``module``, or None when that part is not built (yet)."""
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        return None


def _hall_client() -> Client:
    from django.contrib.auth.models import User
    from knox.models import AuthToken

    _instance, token = AuthToken.objects.create(user=User.objects.get(username=HALL_USERNAME))
    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def _batch(number: int, items: list[ApprovalItem], today: dt.date) -> list[dict]:
    """500 new records, as a hall pushes them at the end of a day: most approved on time in the
    hall, one in twenty refused without a reason (a red signal), one in twenty pending."""
    rows = []
    accepted = today - dt.timedelta(days=10)
    for i in range(BATCH):
        item = items[(number * BATCH + i) % len(items)]
        accepted_at = dt.datetime.combine(accepted, dt.time(9 + i % 7, i % 60), tzinfo=SHANGHAI)
        decided_at = accepted_at + dt.timedelta(days=1, hours=2)
        row = {
            "external_id": f"{PUSHED_PREFIX}{number:04d}-{i:04d}",
            "item_code": item.code,
            "applicant_name": f"申请人{i}",
            "accepted_at": accepted_at.isoformat(),
            "accepted_where": "hall",
            "decision": "approved",
            "decided_at": decided_at.isoformat(),
            "decided_where": "hall",
            "steps": [
                {
                    "position": 1,
                    "name": "受理",
                    "started_at": accepted_at.isoformat(),
                    "finished_at": (accepted_at + dt.timedelta(minutes=30)).isoformat(),
                    "officer": "窗口",
                },
                {
                    "position": 2,
                    "name": "审查",
                    "started_at": (accepted_at + dt.timedelta(minutes=30)).isoformat(),
                    "finished_at": decided_at.isoformat(),
                    "officer": "科员",
                },
            ],
            "fees": [{"code": "F1", "name": "工本费", "amount": "50.00"}] if i % 2 == 0 else [],
        }
        if i % 20 == 5:
            row["decision"] = "refused"
        if i % 20 == 11:
            row.update(decision="pending", decided_at=None, decided_where="")
            row["steps"] = row["steps"][:1]
        rows.append(row)
    return rows


PUSHED_PREFIX = "BENCH-PUSH-"


def _pushed_delete() -> None:
    """Delete what the ingestion figure pushed (records, their steps, fees, signals and the
    signals' deadlines), so that a ``--reuse`` run meets the data as it was loaded and pushes
    new records again (a resend would be "unchanged" and raise nothing)."""
    from django.contrib.contenttypes.models import ContentType

    pushed = ApprovalRecord.objects.filter(external_id__startswith=PUSHED_PREFIX)
    signals = ApprovalSignal.objects.filter(record__in=pushed)
    with transaction.atomic():
        Deadline.objects.filter(
            content_type=ContentType.objects.get_for_model(ApprovalSignal),
            object_id__in=signals.values("pk"),
        ).delete()
        pushed.delete()


def _ingest(context) -> Result:
    _pushed_delete()
    client = _hall_client()
    items = list(ApprovalItem.objects.order_by("id")[:50])
    today = dt.date.fromisoformat(context.dataset.today)
    state = {"number": 0, "answers": []}

    def setup():
        state["number"] += 1
        state["body"] = json.dumps({"records": _batch(state["number"], items, today)})

    def push():
        response = client.post(URL, state["body"], content_type="application/json")
        state["answers"].append((response.status_code, response.json()))

    repeat = max(context.repeat, 3 if context.tiny else 10)
    samples, statements = timed(push, repeat=repeat, warmup=1, scale=1.0, setup=setup)
    # Again the last batch: everything must come back unchanged.
    client.post(URL, state["body"], content_type="application/json")
    resend = client.post(URL, state["body"], content_type="application/json").json()
    _pushed_delete()
    # What it deleted, as autovacuum would: the next figure and a --reuse run step over no dead rows.
    tables_vacuum(ApprovalRecord, ApprovalStepEvent, ApprovalFeeCharge, ApprovalSignal, Deadline)
    answers = state["answers"][1:]  # after the warm-up
    result = Result(
        key="approvals_ingest",
        label=f"approval records ingested through the batch endpoint (batches of {BATCH})",
        unit="records/s",
        samples=[BATCH / seconds for seconds in samples],
        statements=statements,
        goal=Goal(">=", 2000, "records/s"),
        extra={
            "batches": len(samples),
            "records": len(samples) * BATCH,
            "signals raised": sum(answer.get("signals", 0) for _status, answer in answers),
        },
    )
    result.checks["every batch answered 200"] = all(status == 200 for status, _answer in answers)
    result.checks["every record created"] = all(answer.get("created") == BATCH for _status, answer in answers)
    result.checks["constant query count"] = len(set(statements)) == 1
    result.checks["signals evaluated (each batch raised its red signals)"] = all(
        answer.get("signals", 0) >= BATCH // 20 for _status, answer in answers
    )
    result.checks["a resend changes nothing"] = resend.get("unchanged") == BATCH
    return result


def _sweeps(context, signals_sweep) -> list[Result]:
    """The daily sweep (07:00 every day, approvals.tasks) and the catch-up over a year.

    The loaded year has had no sweep: its records pending past their day carry no OVERDUE signal
    yet. Each sample therefore runs, in one transaction rolled back afterwards, yesterday's sweep
    first — the catch-up a first-ever sweep does over a year, tens of thousands of signals at
    ``1m``, timed as its own figure — and then today's, the figure of the goal: what a city's
    daily sweep meets, the records that came due or ran out since yesterday. Every sample does
    the same work."""
    now = dt.datetime.fromisoformat(context.dataset.today + "T01:00:00+00:00")  # 09:00 in Shanghai
    yesterday = now - dt.timedelta(days=1)
    backlog, daily = [], []  # (milliseconds, statements, raised) per sample

    def run(when: dt.datetime) -> tuple[float, int, int]:
        with StatementCounter() as counter:
            started = time.perf_counter()
            raised = signals_sweep(now=when)
            elapsed = time.perf_counter() - started
        return elapsed, counter.count, raised

    for sample in range(1 + context.repeat):  # the first is the warm-up
        with transaction.atomic():
            first, second = run(yesterday), run(now)
            transaction.set_rollback(True)
        if sample:
            backlog.append(first)
            daily.append(second)
    # The rolled-back signals' dead index entries would come first in a list ordered by id.
    tables_vacuum(ApprovalSignal, Deadline)
    pending = ApprovalRecord.objects.filter(decision="pending").count()
    results = []
    for key, label, goal, runs in (
        (
            "approvals_sweep",
            "approval signal sweep of the day (DUE_SOON and OVERDUE since yesterday's sweep)",
            Goal("<=", 2.0, "s"),
            daily,
        ),
        (
            "approvals_sweep_backlog",
            "approval signal sweep catching up a year with no sweep (the first ever)",
            None,
            backlog,
        ),
    ):
        result = Result(
            key=key,
            label=label,
            unit="s",
            samples=[seconds for seconds, _statements, _raised in runs],
            statements=[statements for _seconds, statements, _raised in runs],
            goal=goal,
            extra={"pending records": pending, "signals raised by a run": runs[0][2] if runs else 0},
        )
        result.checks["constant query count"] = len({statements for _s, statements, _r in runs}) == 1
        result.checks["every first run raised the same signals"] = (
            len({raised for _s, _st, raised in runs}) == 1
        )
        result.extra["statements per run"] = sorted({statements for _s, statements, _r in runs})
        results.append(result)
    results[0].checks["the daily sweep raised signals"] = bool(daily and daily[0][2])
    return results


def _assessment(context, assessment_compute) -> Result:
    today = dt.date.fromisoformat(context.dataset.today)
    quarter = Period.current(now=dt.datetime(today.year, today.month, today.day, 4, tzinfo=dt.UTC)).previous()
    samples, statements = timed(
        lambda: assessment_compute(quarter), repeat=context.repeat, warmup=1, scale=1.0
    )
    result = Result(
        key="approvals_assessment",
        label=f"quarterly efficiency assessment of every department ({quarter.label})",
        unit="s",
        samples=samples,
        statements=statements,
        goal=Goal("<=", 2.0, "s"),
    )
    result.checks["constant query count"] = len(set(statements)) == 1
    return result


def run(context) -> list[Result]:
    if not approvals_loaded():
        data = load_approvals(context.scale, quiet=True, today=dt.date.fromisoformat(context.dataset.today))
        print(
            f"    loaded {data.approval_items} approval items, {data.approval_records:,} records, "
            f"{data.approval_signals:,} signals in {data.seconds:.1f} s",
            flush=True,
        )
    staff = _client(context.dataset.admin_username)
    results = []
    busiest = ApprovalRecord.objects.order_by("department_id").values_list("department_id", flat=True).first()
    records = ApprovalRecord.objects.filter(department_id=busiest).count()
    results.append(
        _page(
            context,
            "approval_records_admin",
            "admin list of approval records, one department, late decisions",
            staff,
            f"{RECORDS_ADMIN}?department__id__exact={busiest}&timeliness=late",
            goal=Goal("<=", 50, "ms"),
            compare_url=f"{RECORDS_ADMIN}?department__id__exact={busiest}&p={late(records, 25)}",
        )
    )
    if admin.site.is_registered(ApprovalSignal):
        signals = ApprovalSignal.objects.filter(status=ApprovalSignal.Status.OPEN).count()
        results.append(
            _page(
                context,
                "approval_signals_admin",
                "admin list of approval signals",
                staff,
                "/admin/approvals/approvalsignal/",
                goal=Goal("<=", 50, "ms"),
                compare_url=f"/admin/approvals/approvalsignal/?p={late(signals, 50)}",
            )
        )
    else:
        context.notes.append("approvals: the admin list of signals is not built (approvals/admin/signals.py)")
    signals_sweep = _built("approvals.services.sweep", "signals_sweep")
    if signals_sweep is not None:
        results.extend(_sweeps(context, signals_sweep))
    else:
        context.notes.append(
            "approvals: the signal sweep is not built (approvals.services.sweep.signals_sweep)"
        )
    assessment_compute = _built("reports.dashboard.assessment", "assessment_compute")
    if assessment_compute is not None:
        results.append(_assessment(context, assessment_compute))
    else:
        context.notes.append(
            "approvals: the assessment is not built (reports.dashboard.assessment.assessment_compute)"
        )
    # Last: it writes (new records and their signals).
    results.append(_ingest(context))
    return results
