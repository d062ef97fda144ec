"""The signals (预警纠错) computed on approval records, set-based.

Each rule is ONE SELECT over the records in scope that finds the signals not raised yet (a
``NOT EXISTS`` on the (record, kind, key) key); the explanations are written in the language of
the moment with the numbers they rest on (the limit, the day it ran out, the fee code and the
amounts); then ONE ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`` stores them all
(PostgreSQL; a multi-row VALUES per few thousand on SQLite, the bare machine's database), the
red ones get their correction deadline in ONE bulk insert and ONE update, and open prompts
(DUE_SOON) of decided records are CLEARED in ONE update. The number of statements is the same
for one record and for a thousand.

Working days are those of core.calendar: one snapshot of the calendar serves every date
computed in one run (the day a limit ran out, the correction's due day)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import BooleanField, CharField, Exists, ExpressionWrapper, F, OuterRef, Q, Subquery
from django.db.models.functions import Cast, Trim
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from approvals.models import (
    ApprovalFeeCharge,
    ApprovalRecord,
    ApprovalSignal,
    ApprovalStep,
    ApprovalStepEvent,
    Where,
)
from core.calendar import WorkingCalendar, add_working_days, end_of_day
from core.models import Deadline

# The ladder's kind for a signal's correction deadline (approvals.escalation registers it).
CORRECTION_DEADLINE_KIND = "approval_signal_correction"

K = ApprovalSignal.Kind
DECIDED = (ApprovalRecord.Decision.APPROVED.value, ApprovalRecord.Decision.REFUSED.value)
PENDING = ApprovalRecord.Decision.PENDING.value
REFUSED = ApprovalRecord.Decision.REFUSED.value


@dataclass(frozen=True)
class Scope:
    """Which records a run looks at: lookups on the record (``{"pk__in": ids}``, or the
    pending records due by a day), prefixed for the queries that start from a step or a fee."""

    lookups: dict[str, Any]

    def on(self, prefix: str = "") -> Q:
        return Q(**{f"{prefix}{name}": value for name, value in self.lookups.items()})


@dataclass
class Candidate:
    record_id: int
    department_id: int
    kind: str
    key: str
    explanation: str


def _raised(kind: str, record, key) -> Exists:
    """The signal (record, kind, key) exists already."""
    return Exists(ApprovalSignal.objects.filter(record_id=record, kind=kind, key=key))


def _when(condition: Q) -> ExpressionWrapper:
    return ExpressionWrapper(condition, output_field=BooleanField())


# --- Dates and amounts as the explanations say them -------------------------------------------------


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "?"


def _yuan(value: Decimal) -> str:
    return f"{value:.2f}"


class _Days:
    """Working-day arithmetic on one calendar snapshot for the whole run."""

    def __init__(self) -> None:
        self.calendar = WorkingCalendar()

    def preload(self, first: dt.date, last: dt.date) -> None:
        """Load the calendar over the whole range a rule needs, once: the snapshot would
        otherwise grow by one query for each date found outside it."""
        self.calendar.load(first, last)

    def add(self, start: dt.date, n: int):
        return add_working_days(start, n, calendar=self.calendar)

    def between(self, first: dt.date, last: dt.date) -> int:
        """Working days after ``first`` up to and including ``last`` (0 when last <= first)."""
        if last <= first:
            return 0
        self.calendar.load(first + dt.timedelta(days=1), last)
        count, day = 0, first
        while day < last:
            day += dt.timedelta(days=1)
            count += self.calendar.day(day)[0]
        return count


# --- The rules: one SELECT each --------------------------------------------------------------------


def _step_over(scope: Scope, days: _Days) -> list[Candidate]:
    """A step whose working days taken exceed its own limit (the item's step of that position)."""
    limit = ApprovalStep.objects.filter(item_id=OuterRef("record__item_id"), position=OuterRef("position"))
    rows = list(
        ApprovalStepEvent.objects.filter(scope.on("record__"))
        .annotate(limit=Subquery(limit.values("limit_days")[:1]))
        .filter(working_days_taken__gt=F("limit"))
        .exclude(_raised(K.STEP_OVER, OuterRef("record_id"), Cast(OuterRef("position"), CharField())))
        .order_by()
        .values_list(
            "record_id",
            "record__department_id",
            "position",
            "name",
            "working_days_taken",
            "limit",
            "started_at",
        )
    )
    out = []
    started_days = [timezone.localdate(row[6]) for row in rows]
    if rows:
        days.preload(
            min(started_days) + dt.timedelta(days=1),
            max(
                day + dt.timedelta(days=row[5] * 7 // 5 + 30)
                for day, row in zip(started_days, rows, strict=True)
            ),
        )
    for (record_id, department_id, position, name, taken, limit, _at), started in zip(
        rows, started_days, strict=True
    ):
        ran_out = days.add(started, limit).due_date
        out.append(
            Candidate(
                record_id,
                department_id,
                K.STEP_OVER,
                str(position),
                _(
                    "Step %(position)s “%(name)s” took %(taken)s working days; its limit is %(limit)s "
                    "working days from %(started)s, which ran out on %(ran_out)s."
                )
                % {
                    "position": position,
                    "name": name,
                    "taken": taken,
                    "limit": limit,
                    "started": _day(started),
                    "ran_out": _day(ran_out),
                },
            )
        )
    return out


def _record_rules(scope: Scope, days: _Days, today: dt.date, prompt_until: dt.date) -> list[Candidate]:
    """The rules on the record's own columns (refusal, hall, limit) in one SELECT: each row says
    which of them hold and are not raised yet; rows where none does are not returned."""
    pk = OuterRef("pk")
    decided = Q(decision__in=DECIDED)
    conditions = {
        "no_reason": (Q(decision=REFUSED, reason_trimmed=""), K.NO_REASON),
        "outside_hall": (decided & Q(item__in_hall=True, accepted_where=Where.DEPARTMENT), K.OUTSIDE_HALL),
        "two_ends": (
            decided
            & Q(
                item__in_hall=True,
                accepted_where__in=(Where.HALL, Where.ONLINE),
                decided_where=Where.DEPARTMENT,
            ),
            K.TWO_ENDS,
        ),
        "overdue": (
            (decided & Q(decided_on__gt=F("due_on"))) | Q(decision=PENDING, due_on__lt=today),
            K.OVERDUE,
        ),
        "due_soon": (Q(decision=PENDING, due_on__gt=today, due_on__lte=prompt_until), K.DUE_SOON),
    }
    annotations = {}
    wanted = Q()
    for name, (condition, kind) in conditions.items():
        annotations[name] = _when(condition & ~_raised(kind, pk, ""))
        wanted |= Q(**{name: True})
    rows = list(
        ApprovalRecord.objects.filter(scope.on())
        .annotate(reason_trimmed=Trim("refusal_reason"))
        .annotate(**annotations)
        .filter(wanted)
        .order_by()
        .values_list(
            "pk",
            "department_id",
            "decision",
            "decided_on",
            "due_on",
            "accepted_where",
            "accepted_at",
            "item__code",
            "item__promised_days",
            *conditions,
        )
    )
    out = []
    late_ranges = [(row[4], row[3] if row[2] != PENDING else today) for row in rows if row[12]]
    if late_ranges:
        days.preload(
            min(due for due, _end in late_ranges) + dt.timedelta(days=1),
            max(end for _due, end in late_ranges),
        )
    for (
        record_id,
        department_id,
        decision,
        decided_on,
        due_on,
        accepted_where,
        accepted_at,
        code,
        promised,
        no_reason,
        outside_hall,
        two_ends,
        overdue,
        due_soon,
    ) in rows:
        accepted_on = timezone.localdate(accepted_at)
        if no_reason:
            text = _(
                "The application was refused on %(decided)s without a reason given to the applicant."
            ) % {"decided": _day(decided_on)}
            out.append(Candidate(record_id, department_id, K.NO_REASON, "", text))
        if outside_hall:
            text = _(
                "Item %(code)s must be handled in the service hall, but this application was accepted "
                "in the department on %(accepted)s (neither at the hall's window nor online) and decided "
                "on %(decided)s."
            ) % {"code": code, "accepted": _day(accepted_on), "decided": _day(decided_on)}
            out.append(Candidate(record_id, department_id, K.OUTSIDE_HALL, "", text))
        if two_ends:
            where = (
                _("at the hall's window")
                if accepted_where == Where.HALL
                else _("online, through the hall's platform")
            )
            text = _(
                "Item %(code)s must be handled in the service hall: the application was accepted "
                "%(where)s on %(accepted)s but decided in the department on %(decided)s."
            ) % {"code": code, "where": where, "accepted": _day(accepted_on), "decided": _day(decided_on)}
            out.append(Candidate(record_id, department_id, K.TWO_ENDS, "", text))
        if overdue:
            if decision == PENDING:
                late = days.between(due_on, today)
                text = ngettext(
                    "The promised limit of %(limit)s working days from %(accepted)s ran out on %(due)s; "
                    "on %(today)s there is still no decision (%(late)s working day late).",
                    "The promised limit of %(limit)s working days from %(accepted)s ran out on %(due)s; "
                    "on %(today)s there is still no decision (%(late)s working days late).",
                    late,
                ) % {
                    "limit": promised,
                    "accepted": _day(accepted_on),
                    "due": _day(due_on),
                    "today": _day(today),
                    "late": late,
                }
            else:
                late = days.between(due_on, decided_on)
                text = ngettext(
                    "The promised limit of %(limit)s working days from %(accepted)s ran out on %(due)s; "
                    "the decision came on %(decided)s, %(late)s working day late.",
                    "The promised limit of %(limit)s working days from %(accepted)s ran out on %(due)s; "
                    "the decision came on %(decided)s, %(late)s working days late.",
                    late,
                ) % {
                    "limit": promised,
                    "accepted": _day(accepted_on),
                    "due": _day(due_on),
                    "decided": _day(decided_on),
                    "late": late,
                }
            out.append(Candidate(record_id, department_id, K.OVERDUE, "", text))
        if due_soon:
            text = _(
                "The promised limit of %(limit)s working days from %(accepted)s runs out on %(due)s, "
                "the next working day, and there is no decision yet."
            ) % {"limit": promised, "accepted": _day(accepted_on), "due": _day(due_on)}
            out.append(Candidate(record_id, department_id, K.DUE_SOON, "", text))
    return out


def _fee_rules(scope: Scope) -> list[Candidate]:
    """Fees charged outside the item's schedule (no fee matched) or above their approved amount."""
    charge = OuterRef("code")
    rows = list(
        ApprovalFeeCharge.objects.filter(scope.on("record__"))
        .filter(
            (Q(fee__isnull=True) & ~_raised(K.FEE_OUTSIDE, OuterRef("record_id"), charge))
            | (Q(amount__gt=F("fee__amount")) & ~_raised(K.FEE_ABOVE, OuterRef("record_id"), charge))
        )
        .order_by("record_id", "code", "-amount")
        .values_list(
            "record_id",
            "record__department_id",
            "code",
            "name",
            "amount",
            "fee__amount",
            "record__item__code",
        )
    )
    out, seen = [], set()
    for record_id, department_id, code, name, charged, approved, item_code in rows:
        if (record_id, code) in seen:  # one signal per code: the highest charge says it
            continue
        seen.add((record_id, code))
        if approved is None:
            text = _(
                "Fee %(code)s (%(name)s) of %(charged)s yuan was charged, but the fee schedule of item "
                "%(item)s has no fee with this code."
            ) % {"code": code, "name": name or "—", "charged": _yuan(charged), "item": item_code}
            out.append(Candidate(record_id, department_id, K.FEE_OUTSIDE, code, text))
        else:
            text = _(
                "Fee %(code)s (%(name)s): %(charged)s yuan charged, above its approved amount of "
                "%(approved)s yuan (%(excess)s yuan too much)."
            ) % {
                "code": code,
                "name": name or "—",
                "charged": _yuan(charged),
                "approved": _yuan(approved),
                "excess": _yuan(charged - approved),
            }
            out.append(Candidate(record_id, department_id, K.FEE_ABOVE, code, text))
    return out


# --- Storing them ------------------------------------------------------------------------------

_INSERT_COLUMNS = ("record_id", "department_id", "kind", "colour", "key", "explanation")


def _insert(candidates: list[Candidate], now: dt.datetime) -> list[tuple[int, str]]:
    """Insert every candidate, skipping any raised meanwhile (ON CONFLICT on (record, kind,
    key) DO NOTHING); (id, colour) of the rows really inserted. On PostgreSQL ONE statement
    (the columns as arrays, unnest); elsewhere one multi-row VALUES per few thousand signals."""
    if not candidates:
        return []
    qn = connection.ops.quote_name
    table = qn(ApprovalSignal._meta.db_table)
    columns = [
        [c.record_id for c in candidates],
        [c.department_id for c in candidates],
        [str(c.kind) for c in candidates],
        [str(ApprovalSignal.COLOURS[c.kind]) for c in candidates],
        [c.key for c in candidates],
        [c.explanation for c in candidates],
    ]
    fixed = [now, ApprovalSignal.Status.OPEN.value, "", ""]
    names = ", ".join(
        qn(name) for name in (*_INSERT_COLUMNS, "raised_at", "status", "correction", "return_reason")
    )
    conflict = (
        f"ON CONFLICT ({qn('record_id')}, {qn('kind')}, {qn('key')}) DO NOTHING"
        f" RETURNING {qn('id')}, {qn('colour')}"
    )
    inserted: list[tuple[int, str]] = []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Only quoted identifiers are interpolated; every value is a parameter.
            cursor.execute(
                f"INSERT INTO {table} ({names}) SELECT u.*, %s, %s, %s, %s FROM unnest("  # noqa: S608
                "%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) AS u "
                + conflict,
                [*fixed, *columns],
            )
            inserted = cursor.fetchall()
        else:
            per_row = len(_INSERT_COLUMNS) + len(fixed)
            size = max(1, (min(connection.features.max_query_params or 30000, 30000) - 10) // per_row)
            rows = list(zip(*columns, strict=True))
            for i in range(0, len(rows), size):
                chunk = rows[i : i + size]
                values = ", ".join(["(" + ", ".join(["%s"] * per_row) + ")"] * len(chunk))
                params = [value for row in chunk for value in (*row, *fixed)]
                cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values} {conflict}", params)  # noqa: S608
                inserted += cursor.fetchall()
    return inserted


def correction_deadlines_create(signal_ids: list[int], *, start: dt.date, days: _Days | None = None) -> None:
    """Give these signals a correction deadline each, its due day computed once for the start
    day: one bulk insert of Deadline rows and one UPDATE that links them."""
    if not signal_ids:
        return
    days = days or _Days()
    n = settings.APPROVAL_CORRECTION_WORKING_DAYS
    result = days.add(start, n)
    content_type = ContentType.objects.get_for_model(ApprovalSignal)
    created = Deadline.objects.bulk_create(
        [
            Deadline(
                kind=CORRECTION_DEADLINE_KIND,
                content_type=content_type,
                object_id=pk,
                start_date=start,
                working_days=n,
                due_date=result.due_date,
                due_at=end_of_day(result.due_date),
                skipped=result.skipped_json(),
                fallback=result.fallback,
            )
            for pk in signal_ids
        ]
    )
    _link_deadlines([(deadline.object_id, deadline.pk) for deadline in created])


def _link_deadlines(pairs: list[tuple[int, int]]) -> None:
    """signal.deadline_id = deadline id for each (signal id, deadline id): the ids the bulk
    insert returned, joined as values, so the plan depends on no statistics of the deadlines
    table (one statement on PostgreSQL; one per few hundred pairs on SQLite)."""
    qn = connection.ops.quote_name
    table = qn(ApprovalSignal._meta.db_table)
    assign = (
        f"UPDATE {table} SET {qn('deadline_id')} = v.column2 FROM ({{values}}) AS v"  # noqa: S608
        f" WHERE {table}.{qn('id')} = v.column1"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = "SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS u(column1, column2)"
            cursor.execute(assign.format(values=values), [[s for s, _d in pairs], [d for _s, d in pairs]])
            return
        size = max(1, (min(connection.features.max_query_params or 999, 30000) - 10) // 2)
        for i in range(0, len(pairs), size):
            chunk = pairs[i : i + size]
            values = "VALUES " + ", ".join(["(%s, %s)"] * len(chunk))
            cursor.execute(assign.format(values=values), [value for pair in chunk for value in pair])


def _clear_prompts(scope: Scope) -> int:
    """Open prompts (DUE_SOON) of records decided or withdrawn since: CLEARED, in one UPDATE."""
    return (
        ApprovalSignal.objects.filter(
            scope.on("record__"), kind=K.DUE_SOON, status=ApprovalSignal.Status.OPEN
        )
        .exclude(record__decision=PENDING)
        .update(status=ApprovalSignal.Status.CLEARED)
    )


ALL_RECORDS = Scope({})


def signals_run(
    scope_for: Callable[[dt.date, dt.date], Scope],
    *,
    now: dt.datetime | None,
    every_rule: bool,
    clear_scope: Scope | None = None,
) -> int:
    """One run over the records ``scope_for(today, prompt_until)`` selects: the rules, one
    INSERT, the red signals' deadlines, the prompts cleared. The number of signals raised."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    days = _Days()
    # The prompt's day: due_on is within APPROVAL_PROMPT_WORKING_DAYS working days of today.
    prompt_until = days.add(today, settings.APPROVAL_PROMPT_WORKING_DAYS).due_date
    scope = scope_for(today, prompt_until)
    with transaction.atomic():
        candidates: list[Candidate] = []
        if every_rule:
            candidates += _step_over(scope, days)
            candidates += _fee_rules(scope)
        candidates += _record_rules(scope, days, today, prompt_until)
        inserted = _insert(candidates, now)
        red = [pk for pk, colour in inserted if colour == ApprovalSignal.Colour.RED]
        correction_deadlines_create(red, start=today, days=days)
        _clear_prompts(clear_scope or scope)
    return len(inserted)


def signals_evaluate(record_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Evaluate every per-record rule for these records; the number of signals raised.

    Idempotent: a second run finds every signal already raised and inserts nothing."""
    ids = sorted({int(pk) for pk in record_ids})
    if not ids:
        return 0
    scope = Scope({"pk__in": ids})
    return signals_run(lambda _today, _until: scope, now=now, every_rule=True)


__all__ = [
    "ALL_RECORDS",
    "CORRECTION_DEADLINE_KIND",
    "Scope",
    "correction_deadlines_create",
    "signals_evaluate",
    "signals_run",
]
