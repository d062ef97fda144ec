"""The approvals of issue 15, loaded with COPY like the rest: a catalogue of 7 items for each of 60
departments (420 items, as many as Wuhu put under its system) with 3 steps each and a fee for
every other item; a year of approval records — 1,000,000 at the ``1m`` scale (a city of a few
million), as many as the scale has complaints below it, at least 5,000 — with their steps and
fees; and a signal on about one record in twenty-five, most of them still open.

Loaded by the approvals figures themselves the first time they run on a database (nothing of it
in bench/load.py, which another part extends), deterministic for a given scale, relative to the
day the bench runs."""

from __future__ import annotations

import datetime as dt
import random
import time
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.utils import timezone

from approvals.models import (
    ApprovalFee,
    ApprovalFeeCharge,
    ApprovalItem,
    ApprovalRecord,
    ApprovalSignal,
    ApprovalStep,
    ApprovalStepEvent,
)
from bench.database import tables_vacuum
from bench.load import Progress, _reset_sequences, copy_rows
from bench.scale import Scale
from core.calendar import WorkingCalendar
from liaison.models import Department

DEPARTMENTS = 60
# Records generated and copied together: memory stays flat at a million.
CHUNK = 50_000
ITEMS_PER_DEPARTMENT = 7
HALL_USERNAME = "bench-hall"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
SIGNAL_KINDS = [
    (ApprovalSignal.Kind.STEP_OVER, "2"),
    (ApprovalSignal.Kind.OVERDUE, ""),
    (ApprovalSignal.Kind.NO_REASON, ""),
    (ApprovalSignal.Kind.FEE_ABOVE, "F1"),
    (ApprovalSignal.Kind.TWO_ENDS, ""),
    (ApprovalSignal.Kind.DUE_SOON, ""),
]


@dataclass
class ApprovalData:
    approval_items: int
    approval_records: int
    approval_signals: int
    hall_username: str
    seconds: float


def approval_records_for(scale: Scale) -> int:
    """A year's records at this scale: a million at ``1m``."""
    return max(5_000, scale.complaints)


def approvals_loaded() -> bool:
    return ApprovalItem.objects.exists()


def load_approvals(scale: Scale, *, quiet: bool = False, today: dt.date | None = None) -> ApprovalData:
    started = time.perf_counter()
    rng = random.Random(f"envopt-bench-approvals-{scale.complaints}")  # noqa: S311 - synthetic data
    now = timezone.now()
    today = today or timezone.localdate(now)
    departments = list(Department.objects.order_by("id")[:DEPARTMENTS])

    items = ApprovalItem.objects.bulk_create(
        [
            ApprovalItem(
                department=department,
                code=f"BENCH-{department.pk:03d}-{k}",
                name=f"审批事项{department.pk}-{k}",
                statutory_days=20,
                promised_days=(3, 5, 10, 15, 5, 7, 2)[k],
                in_hall=k != 6,
            )
            for department in departments
            for k in range(ITEMS_PER_DEPARTMENT)
        ]
    )
    steps = ApprovalStep.objects.bulk_create(
        [
            ApprovalStep(item=item, position=position, name=name, limit_days=limit)
            for item in items
            for position, name, limit in (
                (1, "受理", 1),
                (2, "审查", max(1, item.promised_days - 2)),
                (3, "决定", 1),
            )
        ]
    )
    fees = ApprovalFee.objects.bulk_create(
        [
            ApprovalFee(
                item=item, code="F1", name="工本费", legal_basis="《收费办法》", amount=Decimal("50.00")
            )
            for index, item in enumerate(items)
            if index % 2 == 0
        ]
    )
    step_of = {(step.item_id, step.position): step.pk for step in steps}
    fee_of = {fee.item_id: fee.pk for fee in fees}

    hall = User.objects.create_user(HALL_USERNAME, "hall@example.org", "bench-password-2026")
    hall.groups.add(Group.objects.get(name="Service hall system"))

    # Due days and working days, memoised: a few thousand (day, n) pairs over a year.
    calendar = WorkingCalendar()
    first_day = today - dt.timedelta(days=365)
    calendar.load(first_day - dt.timedelta(days=5), today + dt.timedelta(days=90))
    after_cache: dict[tuple[dt.date, int], dt.date] = {}

    def after(day: dt.date, n: int) -> dt.date:
        key = (day, n)
        if key not in after_cache:
            current, counted = day, 0
            while counted < n:
                current += dt.timedelta(days=1)
                counted += calendar.day(current)[0]
            after_cache[key] = current
        return after_cache[key]

    total = approval_records_for(scale)
    weights = [1 / (1 + i % 40) for i in range(len(items))]
    chosen = rng.choices(range(len(items)), weights=weights, k=total)
    counters = {"step": 0, "fee": 0, "signal": 0}
    progress = Progress("approval records", total, quiet=quiet)
    for chunk_start in range(0, total, CHUNK):
        records, step_rows, fee_rows, signal_rows = [], [], [], []
        for n in range(chunk_start, min(total, chunk_start + CHUNK)):
            _one_record(
                n,
                total,
                items[chosen[n]],
                first_day,
                today,
                now,
                after,
                rng,
                step_of,
                fee_of,
                counters,
                records,
                step_rows,
                fee_rows,
                signal_rows,
            )
        _copy(records, step_rows, fee_rows, signal_rows)
        progress.advance(len(records))
    progress.finish()
    _reset_sequences(ApprovalRecord, ApprovalStepEvent, ApprovalFeeCharge, ApprovalSignal)
    # Every table the group wrote, the catalogue's too: without statistics the planner takes the
    # 420 items for a few dozen and joins them record by record (autovacuum, which would analyze
    # them in production, is off on the bench's machine).
    tables = (ApprovalItem, ApprovalStep, ApprovalFee, ApprovalRecord, ApprovalStepEvent, ApprovalFeeCharge)
    tables_vacuum(*tables, ApprovalSignal)
    return ApprovalData(
        approval_items=len(items),
        approval_records=total,
        approval_signals=counters["signal"],
        hall_username=HALL_USERNAME,
        seconds=time.perf_counter() - started,
    )


def _one_record(
    n,
    total,
    item,
    first_day,
    today,
    now,
    after,
    rng,
    step_of,
    fee_of,
    counters,
    records,
    step_rows,
    fee_rows,
    signal_rows,
):
    pk = n + 1
    accepted_on = first_day + dt.timedelta(days=n * 365 // total)
    accepted_at = dt.datetime.combine(accepted_on, dt.time(9 + n % 8, n % 60), tzinfo=SHANGHAI)
    due_on = after(accepted_on, item.promised_days)
    taken = max(1, item.promised_days + rng.choice((-2, -1, -1, 0, 0, 0, 1, 3)))
    decided_on = after(accepted_on, taken)
    roll = n % 20
    if decided_on >= today or roll == 19:
        decision, decided_at, decided_on, taken, where = "pending", None, None, None, ""
    else:
        decision = "refused" if roll == 7 else "approved"
        decided_at = dt.datetime.combine(decided_on, dt.time(16, n % 60), tzinfo=SHANGHAI)
        where = "hall" if item.in_hall else "department"
    records.append(
        (
            pk,
            f"BENCH-{pk:08d}",
            item.pk,
            item.department_id,
            "",
            f"申请人{pk % 5000}",
            accepted_at,
            "hall" if item.in_hall else "department",
            due_on,
            decision,
            decided_at,
            decided_on,
            where,
            "材料不全" if decision == "refused" else "",
            taken,
            now,
            now,
        )
    )
    review_end = decided_at or accepted_at + dt.timedelta(hours=2)
    for position, started, finished in (
        (1, accepted_at, accepted_at + dt.timedelta(minutes=30)),
        (2, accepted_at + dt.timedelta(minutes=30), review_end),
        (3, review_end, decided_at),
    ):
        if position == 3 and decided_at is None:
            continue
        counters["step"] += 1
        step_rows.append(
            (
                counters["step"],
                pk,
                step_of[(item.pk, position)],
                position,
                ("受理", "审查", "决定")[position - 1],
                started,
                finished,
                "经办人",
                None,
            )
        )
    if item.pk in fee_of and decision == "approved":
        counters["fee"] += 1
        fee_rows.append((counters["fee"], pk, fee_of[item.pk], "F1", "工本费", Decimal("50.00")))
    if n % 25 == 3:
        counters["signal"] += 1
        signal_id = counters["signal"]
        kind, key = SIGNAL_KINDS[signal_id % len(SIGNAL_KINDS)]
        raised = accepted_at + dt.timedelta(days=2)
        signal_rows.append(
            (
                signal_id,
                pk,
                item.department_id,
                kind,
                ApprovalSignal.COLOURS[kind],
                key,
                "基准测试信号",
                min(raised, now),
                "open" if signal_id % 5 else "accepted",
                "",
                "",
            )
        )


def _copy(records, step_rows, fee_rows, signal_rows) -> None:
    copy_rows(
        ApprovalRecord,
        [
            "id",
            "external_id",
            "item",
            "department",
            "applicant_credit_code",
            "applicant_name",
            "accepted_at",
            "accepted_where",
            "due_on",
            "decision",
            "decided_at",
            "decided_on",
            "decided_where",
            "refusal_reason",
            "working_days_taken",
            "received_at",
            "updated_at",
        ],
        records,
    )
    copy_rows(
        ApprovalStepEvent,
        [
            "id",
            "record",
            "step",
            "position",
            "name",
            "started_at",
            "finished_at",
            "officer",
            "working_days_taken",
        ],
        step_rows,
    )
    copy_rows(ApprovalFeeCharge, ["id", "record", "fee", "code", "name", "amount"], fee_rows)
    copy_rows(
        ApprovalSignal,
        [
            "id",
            "record",
            "department",
            "kind",
            "colour",
            "key",
            "explanation",
            "raised_at",
            "status",
            "correction",
            "return_reason",
        ],
        signal_rows,
    )
