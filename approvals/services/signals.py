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
from django.db.models.functions import Cast, Trim, TruncDate
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
    """Working-day arithmetic on one calendar snapshot for the whole run. ``between`` reads a
    running count of working days built once over the range preloaded, so a run over tens of
    thousands of late records costs one pass over the calendar, not one per record."""

    def __init__(self) -> None:
        self.calendar = WorkingCalendar()
        self._origin: dt.date | None = None
        self._running: list[int] = []

    def preload(self, first: dt.date, last: dt.date) -> None:
        """Load the calendar over the whole range a rule needs, once: the snapshot would
        otherwise grow by one query for each date found outside it."""
        self.calendar.load(first, last)

    def add(self, start: dt.date, n: int):
        return add_working_days(start, n, calendar=self.calendar)

    def _count_through(self, day: dt.date) -> int:
        """Working days from the running count's origin up to and including ``day``."""
        origin = self._origin
        if origin is None or not (origin <= day < origin + dt.timedelta(days=len(self._running))):
            first = min(day, origin) if origin else day
            last = max(day, origin + dt.timedelta(days=len(self._running) - 1)) if origin else day
            self.calendar.load(first, last)
            running, count, current = [], 0, first
            while current <= last:
                count += self.calendar.day(current)[0]
                running.append(count)
                current += dt.timedelta(days=1)
            self._origin, self._running = first, running
        return self._running[(day - self._origin).days]

    def between(self, first: dt.date, last: dt.date) -> int:
        """Working days after ``first`` up to and including ``last`` (0 when last <= first)."""
        if last <= first:
            return 0
        return self._count_through(last) - self._count_through(first)

    def running_count(self, first: dt.date, last: dt.date) -> None:
        """Build the running count over ``first``..``last`` at once (then ``between`` on dates in
        that range reads it without growing it)."""
        self._count_through(first)
        self._count_through(last)


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


class _RecordTexts:
    """The explanations of the record rules, each translated once per run (in the language of
    the moment): a sweep writes tens of thousands of them, and a lookup in the catalogue per
    signal would cost more than the rest of the row's work. The plural forms are kept per count."""

    def __init__(self) -> None:
        self.no_reason = _(
            "The application was refused on %(decided)s without a reason given to the applicant."
        )
        self.outside_hall = _(
            "Item %(code)s must be handled in the service hall, but this application was accepted "
            "in the department on %(accepted)s (neither at the hall's window nor online) and decided "
            "on %(decided)s."
        )
        self.at_window = _("at the hall's window")
        self.online = _("online, through the hall's platform")
        self.two_ends = _(
            "Item %(code)s must be handled in the service hall: the application was accepted "
            "%(where)s on %(accepted)s but decided in the department on %(decided)s."
        )
        self.due_soon = _(
            "The promised limit of %(limit)s working days from %(accepted)s runs out on %(due)s, "
            "the next working day, and there is no decision yet."
        )
        self._pending: dict[int, str] = {}
        self._decided: dict[int, str] = {}

    def still_pending(self, late: int) -> str:
        if late not in self._pending:
            self._pending[late] = ngettext(
                "The promised limit of %(limit)s working days from %(accepted)s ran out on %(due)s; "
                "on %(today)s there is still no decision (%(late)s working day late).",
                "The promised limit of %(limit)s working days from %(accepted)s ran out on %(due)s; "
                "on %(today)s there is still no decision (%(late)s working days late).",
                late,
            )
        return self._pending[late]

    def decided_late(self, late: int) -> str:
        if late not in self._decided:
            self._decided[late] = ngettext(
                "The promised limit of %(limit)s working days from %(accepted)s ran out on %(due)s; "
                "the decision came on %(decided)s, %(late)s working day late.",
                "The promised limit of %(limit)s working days from %(accepted)s ran out on %(due)s; "
                "the decision came on %(decided)s, %(late)s working days late.",
                late,
            )
        return self._decided[late]


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
        .annotate(reason_trimmed=Trim("refusal_reason"), accepted_on=TruncDate("accepted_at"))
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
            "accepted_on",
            "item__code",
            "item__promised_days",
            *conditions,
        )
    )
    out = []
    late_ranges = [(row[4], row[3] if row[2] != PENDING else today) for row in rows if row[12]]
    if late_ranges:
        days.running_count(min(due for due, _end in late_ranges), max(end for _due, end in late_ranges))
    texts = _RecordTexts()
    today_shown = _day(today)
    for (
        record_id,
        department_id,
        decision,
        decided_on,
        due_on,
        accepted_where,
        accepted_on,
        code,
        promised,
        no_reason,
        outside_hall,
        two_ends,
        overdue,
        due_soon,
    ) in rows:
        accepted, decided_shown = _day(accepted_on), _day(decided_on)
        if no_reason:
            text = texts.no_reason % {"decided": decided_shown}
            out.append(Candidate(record_id, department_id, K.NO_REASON, "", text))
        if outside_hall:
            text = texts.outside_hall % {"code": code, "accepted": accepted, "decided": decided_shown}
            out.append(Candidate(record_id, department_id, K.OUTSIDE_HALL, "", text))
        if two_ends:
            where = texts.at_window if accepted_where == Where.HALL else texts.online
            text = texts.two_ends % {
                "code": code,
                "where": where,
                "accepted": accepted,
                "decided": decided_shown,
            }
            out.append(Candidate(record_id, department_id, K.TWO_ENDS, "", text))
        if overdue:
            if decision == PENDING:
                late = days.between(due_on, today)
                text = texts.still_pending(late) % {
                    "limit": promised,
                    "accepted": accepted,
                    "due": _day(due_on),
                    "today": today_shown,
                    "late": late,
                }
            else:
                late = days.between(due_on, decided_on)
                text = texts.decided_late(late) % {
                    "limit": promised,
                    "accepted": accepted,
                    "due": _day(due_on),
                    "decided": decided_shown,
                    "late": late,
                }
            out.append(Candidate(record_id, department_id, K.OVERDUE, "", text))
        if due_soon:
            text = texts.due_soon % {"limit": promised, "accepted": accepted, "due": _day(due_on)}
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


def _columns(candidates: list[Candidate]) -> list[list]:
    return [
        [c.record_id for c in candidates],
        [c.department_id for c in candidates],
        [str(c.kind) for c in candidates],
        [str(ApprovalSignal.COLOURS[c.kind]) for c in candidates],
        [c.key for c in candidates],
        [c.explanation for c in candidates],
    ]


def _correction_template(start: dt.date, days: _Days) -> Deadline:
    """The correction deadline every red signal of a run gets: the same due day for all of them
    (APPROVAL_CORRECTION_WORKING_DAYS working days after the run's day)."""
    n = settings.APPROVAL_CORRECTION_WORKING_DAYS
    result = days.add(start, n)
    return Deadline(
        kind=CORRECTION_DEADLINE_KIND,
        content_type=ContentType.objects.get_for_model(ApprovalSignal),
        object_id=0,
        start_date=start,
        working_days=n,
        due_date=result.due_date,
        due_at=end_of_day(result.due_date),
        skipped=result.skipped_json(),
        fallback=result.fallback,
    )


def _store(candidates: list[Candidate], now: dt.datetime, *, start: dt.date, days: _Days) -> int:
    """Insert every candidate, skipping any raised meanwhile (ON CONFLICT on (record, kind, key)
    DO NOTHING), each red one with its correction deadline; the number really inserted."""
    if connection.vendor == "postgresql":
        return _store_postgresql(candidates, now, _correction_template(start, days))
    inserted = _insert_values(candidates, now) if candidates else []
    red = [pk for pk, colour in inserted if colour == ApprovalSignal.Colour.RED]
    if red:
        template = _correction_template(start, days)
        created = Deadline.objects.bulk_create(
            [Deadline(**{**_deadline_values(template), "object_id": pk}) for pk in red]
        )
        _link_deadlines([(deadline.object_id, deadline.pk) for deadline in created])
    return len(inserted)


def _store_postgresql(candidates: list[Candidate], now: dt.datetime, template: Deadline) -> int:
    """Three statements whatever the number of signals, and no row written twice:

    1. the red signals' deadlines, each naming a signal id drawn from the signals' own sequence
       (``nextval``), so the deadline exists before its signal;
    2. the signals, the red ones with those ids and their deadline, the others with ids of
       their own, from arrays (``unnest``), ``ON CONFLICT DO NOTHING``;
    3. the deadlines of red signals raised meanwhile by another run (the conflicts: none in a
       quiet run) deleted again.

    Linking the deadlines afterwards would rewrite every red signal just inserted (an UPDATE
    writes a new version of each row and of each of its index entries)."""
    qn = connection.ops.quote_name
    signals, deadlines = qn(ApprovalSignal._meta.db_table), qn(Deadline._meta.db_table)
    red = [c for c in candidates if ApprovalSignal.COLOURS[c.kind] == ApprovalSignal.Colour.RED]
    others = [c for c in candidates if ApprovalSignal.COLOURS[c.kind] != ApprovalSignal.Colour.RED]
    sequence = "(SELECT pg_get_serial_sequence(%s, %s)::regclass)"
    sequence_params = [ApprovalSignal._meta.db_table, ApprovalSignal._meta.pk.column]
    fields = _deadline_fields()
    values, params = [], []
    for field in fields:
        if field.attname == "object_id":
            values.append(f"nextval({sequence})")
            params += sequence_params
            continue
        # Typed: the literals of a SELECT list are not coerced to the columns' types.
        values.append(f"CAST(%s AS {field.cast_db_type(connection)})")
        params.append(field.get_db_prep_save(field.pre_save(template, add=True), connection))
    names = ", ".join(
        qn(name)
        for name in (
            "id",
            *_INSERT_COLUMNS,
            "deadline_id",
            "raised_at",
            "status",
            "correction",
            "return_reason",
        )
    )
    ordered = [*red, *others]
    with connection.cursor() as cursor:
        # Only quoted identifiers are interpolated; every value is a parameter.
        cursor.execute(
            f"INSERT INTO {deadlines} ({', '.join(qn(field.column) for field in fields)}) "  # noqa: S608
            f"SELECT {', '.join(values)} FROM generate_series(1, %s) "
            f"RETURNING {qn('id')}, {qn('object_id')}",
            [*params, len(red)],
        )
        reserved = cursor.fetchall()
        ids = [signal_id for _deadline, signal_id in reserved] + [None] * len(others)
        deadline_ids = [deadline for deadline, _signal in reserved] + [None] * len(others)
        cursor.execute(
            f"INSERT INTO {signals} ({names}) "  # noqa: S608
            f"SELECT COALESCE(u.id, nextval({sequence})), u.record_id, u.department_id, u.kind, u.colour, "
            "u.key, u.explanation, u.deadline_id, %s, %s, '', '' FROM unnest("
            "%s::bigint[], %s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], "
            "%s::bigint[]) AS u(id, record_id, department_id, kind, colour, key, explanation, deadline_id) "
            f"ON CONFLICT ({qn('record_id')}, {qn('kind')}, {qn('key')}) DO NOTHING RETURNING {qn('id')}",
            [*sequence_params, now, ApprovalSignal.Status.OPEN.value, ids, *_columns(ordered), deadline_ids],
        )
        inserted = {signal_id for (signal_id,) in cursor.fetchall()}
        orphans = [deadline for deadline, signal_id in reserved if signal_id not in inserted]
        cursor.execute(f"DELETE FROM {deadlines} WHERE {qn('id')} = ANY(%s::bigint[])", [orphans])  # noqa: S608
    return len(inserted)


def _insert_values(candidates: list[Candidate], now: dt.datetime) -> list[tuple[int, str]]:
    """(id, colour) of the candidates inserted, one multi-row VALUES per few thousand signals
    (SQLite, the bare machine's database)."""
    qn = connection.ops.quote_name
    table = qn(ApprovalSignal._meta.db_table)
    fixed = [now, ApprovalSignal.Status.OPEN.value, "", ""]
    names = ", ".join(
        qn(name) for name in (*_INSERT_COLUMNS, "raised_at", "status", "correction", "return_reason")
    )
    conflict = (
        f"ON CONFLICT ({qn('record_id')}, {qn('kind')}, {qn('key')}) DO NOTHING"
        f" RETURNING {qn('id')}, {qn('colour')}"
    )
    per_row = len(_INSERT_COLUMNS) + len(fixed)
    size = max(1, (min(connection.features.max_query_params or 30000, 30000) - 10) // per_row)
    rows = list(zip(*_columns(candidates), strict=True))
    inserted: list[tuple[int, str]] = []
    with connection.cursor() as cursor:
        for i in range(0, len(rows), size):
            chunk = rows[i : i + size]
            values = ", ".join(["(" + ", ".join(["%s"] * per_row) + ")"] * len(chunk))
            params = [value for row in chunk for value in (*row, *fixed)]
            cursor.execute(f"INSERT INTO {table} ({names}) VALUES {values} {conflict}", params)  # noqa: S608
            inserted += cursor.fetchall()
    return inserted


def _deadline_fields() -> list:
    return [field for field in Deadline._meta.concrete_fields if not field.primary_key]


def _deadline_values(template: Deadline) -> dict[str, Any]:
    return {field.attname: getattr(template, field.attname) for field in _deadline_fields()}


def _link_deadlines(pairs: list[tuple[int, int]]) -> None:
    """signal.deadline_id = deadline id for each (signal id, deadline id), the ids the bulk
    insert returned, one UPDATE per few hundred pairs (SQLite, the bare machine's database)."""
    qn = connection.ops.quote_name
    table = qn(ApprovalSignal._meta.db_table)
    assign = (
        f"UPDATE {table} SET {qn('deadline_id')} = v.column2 FROM ({{values}}) AS v"  # noqa: S608
        f" WHERE {table}.{qn('id')} = v.column1"
    )
    with connection.cursor() as cursor:
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
    """One run over the records ``scope_for(today, prompt_until)`` selects: the rules, the
    prompts cleared, the signals and the red ones' deadlines stored. The number raised."""
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
        # First: the prompts it clears are older than this run's, which it need not read again.
        _clear_prompts(clear_scope or scope)
        raised = _store(candidates, now, start=today, days=days)
    return raised


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
    "signals_evaluate",
    "signals_run",
]
