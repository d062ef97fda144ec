"""The signals (预警纠错) computed on approval records, set-based.

Each rule is ONE SELECT over the records in scope that finds the signals not raised yet (a
``NOT EXISTS`` on the (record, kind, key) key); the explanations are written in the language of
the moment with the numbers they rest on (the limit, the day it ran out, the fee code and the
amounts); then ONE ``INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING`` stores them all, the
red ones get their correction deadline in ONE bulk insert and ONE update, and open prompts
(DUE_SOON) of decided records are CLEARED in ONE update. The number of statements is the same
for one record and for a thousand.

Working days are those of core.calendar: one snapshot of the calendar serves every date
computed in one run (the day a limit ran out, the correction's due day)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from approvals.models import ApprovalRecord, ApprovalSignal, Where
from core.calendar import WorkingCalendar, add_working_days, end_of_day
from core.models import Deadline

# The ladder's kind for a signal's correction deadline (approvals.escalation registers it).
CORRECTION_DEADLINE_KIND = "approval_signal_correction"

K = ApprovalSignal.Kind
DECIDED = (ApprovalRecord.Decision.APPROVED.value, ApprovalRecord.Decision.REFUSED.value)
PENDING = ApprovalRecord.Decision.PENDING.value


@dataclass(frozen=True)
class Scope:
    """Which records a run looks at: a SQL condition on the record ``r`` and its parameters."""

    condition: str
    params: tuple


@dataclass
class Candidate:
    record_id: int
    department_id: int
    kind: str
    key: str
    explanation: str


def _tables() -> dict[str, str]:
    from approvals.models import (
        ApprovalFee,
        ApprovalFeeCharge,
        ApprovalItem,
        ApprovalStep,
        ApprovalStepEvent,
    )

    qn = connection.ops.quote_name
    return {
        "record": qn(ApprovalRecord._meta.db_table),
        "item": qn(ApprovalItem._meta.db_table),
        "step": qn(ApprovalStep._meta.db_table),
        "event": qn(ApprovalStepEvent._meta.db_table),
        "fee": qn(ApprovalFee._meta.db_table),
        "charge": qn(ApprovalFeeCharge._meta.db_table),
        "signal": qn(ApprovalSignal._meta.db_table),
    }


def _not_raised(kind_sql: str, key_sql: str) -> str:
    signal = _tables()["signal"]
    return (
        f"NOT EXISTS (SELECT 1 FROM {signal} x WHERE x.record_id = r.id"  # noqa: S608 (identifiers only)
        f" AND x.kind = {kind_sql} AND x.key = {key_sql})"
    )


def _fetch(sql: str, params: Sequence) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


# --- Dates and amounts as the explanations say them -------------------------------------------------


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else "?"


def _yuan(value: Decimal) -> str:
    return f"{value:.2f}"


class _Days:
    """Working-day arithmetic on one calendar snapshot for the whole run."""

    def __init__(self) -> None:
        self.calendar = WorkingCalendar()

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
    t = _tables()
    rows = _fetch(
        f"""SELECT r.id, r.department_id, e.position, e.name, e.working_days_taken, s.limit_days,
                   (e.started_at AT TIME ZONE %s)::date
            FROM {t["event"]} e
            JOIN {t["record"]} r ON r.id = e.record_id
            JOIN {t["step"]} s ON s.item_id = r.item_id AND s.position = e.position
            WHERE {scope.condition} AND e.working_days_taken > s.limit_days
              AND {_not_raised("%s", "e.position::text")}""",  # noqa: S608 (identifiers only)
        [settings.TIME_ZONE, *scope.params, K.STEP_OVER.value],
    )
    out = []
    for record_id, department_id, position, name, taken, limit, started in rows:
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
    """The rules on the record's own columns (refusal, hall, limit), in one SELECT: each row
    says which of them hold and not raised yet."""
    t = _tables()
    rows = _fetch(
        f"""SELECT r.id, r.department_id, r.external_id, r.decision, r.decided_on, r.due_on,
                   r.accepted_where, (r.accepted_at AT TIME ZONE %s)::date,
                   i.code, i.promised_days,
                   (r.decision = 'refused' AND btrim(r.refusal_reason) = ''
                      AND {_not_raised("'no_reason'", "''")}),
                   (i.in_hall AND r.decision IN ('approved', 'refused') AND r.accepted_where = 'department'
                      AND {_not_raised("'outside_hall'", "''")}),
                   (i.in_hall AND r.decision IN ('approved', 'refused')
                      AND r.accepted_where IN ('hall', 'online') AND r.decided_where = 'department'
                      AND {_not_raised("'two_ends'", "''")}),
                   (((r.decision IN ('approved', 'refused') AND r.decided_on > r.due_on)
                      OR (r.decision = 'pending' AND r.due_on < %s))
                      AND {_not_raised("'overdue'", "''")}),
                   (r.decision = 'pending' AND r.due_on > %s AND r.due_on <= %s
                      AND {_not_raised("'due_soon'", "''")})
            FROM {t["record"]} r JOIN {t["item"]} i ON i.id = r.item_id
            WHERE {scope.condition}""",  # noqa: S608 (identifiers only)
        [settings.TIME_ZONE, today, today, prompt_until, *scope.params],
    )
    out = []
    for (
        record_id,
        department_id,
        _number,
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
                text = _(
                    "The promised limit of %(limit)s working days from %(accepted)s ran out on %(due)s; "
                    "on %(today)s there is still no decision (%(late)s working days late)."
                ) % {
                    "limit": promised,
                    "accepted": _day(accepted_on),
                    "due": _day(due_on),
                    "today": _day(today),
                    "late": days.between(due_on, today),
                }
            else:
                text = _(
                    "The promised limit of %(limit)s working days from %(accepted)s ran out on %(due)s; "
                    "the decision came on %(decided)s, %(late)s working days late."
                ) % {
                    "limit": promised,
                    "accepted": _day(accepted_on),
                    "due": _day(due_on),
                    "decided": _day(decided_on),
                    "late": days.between(due_on, decided_on),
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
    t = _tables()
    rows = _fetch(
        f"""SELECT DISTINCT ON (r.id, c.code) r.id, r.department_id, c.code, c.name, c.amount,
                   f.amount, i.code, f.id IS NULL
            FROM {t["charge"]} c
            JOIN {t["record"]} r ON r.id = c.record_id
            JOIN {t["item"]} i ON i.id = r.item_id
            LEFT JOIN {t["fee"]} f ON f.id = c.fee_id
            WHERE {scope.condition}
              AND ((c.fee_id IS NULL AND {_not_raised("'fee_outside'", "c.code")})
                   OR (c.amount > f.amount AND {_not_raised("'fee_above'", "c.code")}))
            ORDER BY r.id, c.code, c.amount DESC""",  # noqa: S608 (identifiers only)
        list(scope.params),
    )
    out = []
    for record_id, department_id, code, name, charged, approved, item_code, outside in rows:
        if outside:
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


def _insert(candidates: list[Candidate], now: dt.datetime) -> list[tuple[int, str]]:
    """One INSERT of every candidate; (id, colour) of the rows really inserted."""
    if not candidates:
        return []
    signal = _tables()["signal"]
    colours = ApprovalSignal.COLOURS
    return _fetch(
        f"""INSERT INTO {signal} (record_id, department_id, kind, colour, key, explanation, raised_at,
                                  status, correction, return_reason)
            SELECT u.record_id, u.department_id, u.kind, u.colour, u.key, u.explanation, %s, %s, '', ''
            FROM unnest(%s::bigint[], %s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[])
                 AS u(record_id, department_id, kind, colour, key, explanation)
            ON CONFLICT (record_id, kind, key) DO NOTHING
            RETURNING id, colour""",  # noqa: S608 (identifiers only)
        [
            now,
            ApprovalSignal.Status.OPEN.value,
            [c.record_id for c in candidates],
            [c.department_id for c in candidates],
            [str(c.kind) for c in candidates],
            [str(colours[c.kind]) for c in candidates],
            [c.key for c in candidates],
            [c.explanation for c in candidates],
        ],
    )


def correction_deadlines_create(signal_ids: list[int], *, start: dt.date, days: _Days | None = None) -> None:
    """Give these signals a correction deadline each, computed once for the start day: one bulk
    insert of Deadline rows and one UPDATE that links them."""
    if not signal_ids:
        return
    days = days or _Days()
    result = days.add(start, settings.APPROVAL_CORRECTION_WORKING_DAYS)
    content_type = ContentType.objects.get_for_model(ApprovalSignal)
    Deadline.objects.bulk_create(
        [
            Deadline(
                kind=CORRECTION_DEADLINE_KIND,
                content_type=content_type,
                object_id=pk,
                start_date=start,
                working_days=settings.APPROVAL_CORRECTION_WORKING_DAYS,
                due_date=result.due_date,
                due_at=end_of_day(result.due_date),
                skipped=result.skipped_json(),
                fallback=result.fallback,
            )
            for pk in signal_ids
        ]
    )
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {_tables()["signal"]} s SET deadline_id = d.id
                FROM {qn(Deadline._meta.db_table)} d
                WHERE d.content_type_id = %s AND d.object_id = s.id AND d.kind = %s
                  AND d.status = %s AND s.id = ANY(%s) AND s.deadline_id IS NULL""",  # noqa: S608
            [content_type.pk, CORRECTION_DEADLINE_KIND, Deadline.Status.OPEN.value, signal_ids],
        )


def _clear_prompts(scope: Scope) -> int:
    """Open prompts (DUE_SOON) of records decided or withdrawn since: CLEARED, in one UPDATE."""
    t = _tables()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {t["signal"]} s SET status = %s
                FROM {t["record"]} r
                WHERE s.record_id = r.id AND s.kind = %s AND s.status = %s AND r.decision <> %s
                  AND {scope.condition}""",  # noqa: S608 (identifiers only)
            [
                ApprovalSignal.Status.CLEARED.value,
                K.DUE_SOON.value,
                ApprovalSignal.Status.OPEN.value,
                PENDING,
                *scope.params,
            ],
        )
        return cursor.rowcount


ALL_RECORDS = Scope("TRUE", ())


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
    scope = Scope("r.id = ANY(%s)", (ids,))
    return signals_run(lambda _today, _until: scope, now=now, every_rule=True)


__all__ = [
    "ALL_RECORDS",
    "CORRECTION_DEADLINE_KIND",
    "Scope",
    "correction_deadlines_create",
    "signals_evaluate",
    "signals_run",
]
