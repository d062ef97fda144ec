"""The escalation ladder: whatever has a deadline climbs the same three steps (DESIGN.md).

1. reminder (催办): the due date is within ``LADDER_REMIND_DAYS_BEFORE`` working days;
2. overdue warning to the unit head (预警): the due day has ended;
3. escalation to the supervising leader, listed as supervised (督办/挂牌督办): the item is
   ``LADDER_ESCALATE_DAYS_AFTER`` working days overdue.

Each step happens once per deadline: ``Deadline.ladder_step`` records the highest step reached,
and a new deadline (a returned report gets one, round + 1) starts again at step 0.

The sweep is set-based. The threshold dates are computed once with the working-day calendar,
then each step is ONE ``UPDATE … RETURNING`` over the stored due dates, highest step first, so
an item first seen five working days late jumps straight to step 3 and its lower steps are
passed over. The row-level UPDATE is what makes two sweeps running at once safe: a row moves
to a step in one transaction only. Core imports no app: each app registers a handler per kind
(``ladder_registry.register``) that names the recipients and the digest line of each item, and
records the steps on its own side (timeline, escalation level), in bulk: once per sweep for all
of the kind's items, whatever step each reached, so that a case's level is raised by one
statement however many steps its items took.

Everything one sweep sends to one recipient at one step is ONE digest e-mail: a department
with forty late referrals gets one message listing forty items.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from core.calendar import WorkingCalendar, add_working_days
from core.models import Deadline
from core.outbox import outbox_enqueue_many

logger = logging.getLogger(__name__)

DIGEST_TEMPLATE = "email/ladder_digest"


class Step(IntEnum):
    REMIND = 1
    WARN = 2
    ESCALATE = 3


# Stable names: outbox kinds, SweepResult.steps keys, the Celery task's return value.
STEP_NAMES = {Step.REMIND: "reminder", Step.WARN: "warning", Step.ESCALATE: "escalation"}


def step_label(step: int) -> str:
    """The step's name in the active language."""
    return {
        Step.REMIND: _("Reminder (催办)"),
        Step.WARN: _("Overdue warning (预警)"),
        Step.ESCALATE: _("Escalated for supervision (督办)"),
    }[Step(step)]


# --- What handlers receive and return ---------------------------------------------------


@dataclass(frozen=True)
class LadderItem:
    """One deadline that reached ``step`` in this sweep (or would, in a dry run)."""

    deadline_id: int
    kind: str
    content_type_id: int
    object_id: int
    due_date: dt.date
    round: int
    step: int
    from_step: int  # the step it stood on before this sweep
    overdue_working_days: int = 0  # working days after the due date, up to and including today
    working_days_left: int = 0  # working days after today, up to and including the due date

    @property
    def passed_steps(self) -> tuple[int, ...]:
        """Lower steps this item jumped over: it was already that late when first swept."""
        return tuple(range(self.from_step + 1, self.step))


@dataclass(frozen=True)
class Recipient:
    """Who receives a digest. ``to`` may be empty: the outbox then records a failed row, so
    a unit without an address is noticed rather than silently skipped."""

    to: tuple[str, ...]
    name: str  # for the greeting and the printout, e.g. "市场监管局 (unit head)"
    language: str = "zh-hans"
    note: str = ""  # said in the digest, e.g. why a warning went to the unit rather than its head

    @property
    def group_key(self) -> tuple[Any, ...]:
        # One e-mail per address list and language; with no address, one failed row per name.
        return (self.to or ("", self.name), self.language)


@dataclass(frozen=True)
class Notice:
    """One line of one recipient's digest: the item, as the handler describes it, in the
    recipient's language."""

    deadline_id: int
    recipient: Recipient
    reference: str  # e.g. the case number AJ2026-000012
    what: str  # e.g. "Referral, round 2"
    unit: str  # the unit responsible
    link: str  # absolute URL
    # The handler's own data about the item, from notices() to its record(): read once, not twice.
    payload: Any = field(default=None, compare=False)


class LadderHandler(Protocol):
    """What an app registers for one kind of deadline. The sweep calls each method once for all
    of the kind's items that moved, whatever step each reached (``LadderItem.step``)."""

    def notices(self, items: Sequence[LadderItem]) -> list[Notice]:
        """Who hears of each item at its step, and the digest line each reads. Reads only:
        a dry run calls it too. One or a few queries for the whole list, never one per item."""
        ...

    def record(self, items: Sequence[LadderItem], *, notices: Sequence[Notice], now: dt.datetime) -> None:
        """Record the steps on the app's side (timeline events, escalation level), in bulk,
        inside the sweep's transaction."""
        ...


class LadderRegistry:
    """One handler per kind, registered in the owning app's AppConfig.ready(); core never
    imports the apps. Kinds without a handler are not swept at all (their ladder_step stays)."""

    def __init__(self) -> None:
        self._handlers: dict[str, LadderHandler] = {}

    def register(self, kind: str, handler: LadderHandler) -> LadderHandler:
        current = self._handlers.get(kind)
        if current is not None and current is not handler:
            raise ValueError(f"the ladder kind {kind!r} already has a handler: {current!r}")
        self._handlers[kind] = handler
        return handler

    def unregister(self, kind: str) -> None:
        self._handlers.pop(kind, None)

    def get(self, kind: str) -> LadderHandler | None:
        return self._handlers.get(kind)

    def kinds(self) -> list[str]:
        return sorted(self._handlers)


ladder_registry = LadderRegistry()


# --- What the sweep returns --------------------------------------------------------------


@dataclass(frozen=True)
class SweepItem:
    step: int
    from_step: int
    deadline_id: int
    kind: str
    object_id: int
    round: int
    due_date: dt.date
    overdue_working_days: int
    working_days_left: int
    reference: str
    unit: str
    to: tuple[str, ...]
    addressed: bool  # False: the handler named no recipient (the subject is gone)


@dataclass(frozen=True)
class SweepDigest:
    step: int
    recipient: str
    to: tuple[str, ...]
    language: str
    deadline_ids: tuple[int, ...]
    key: str
    subject: str
    queued: bool  # False in a dry run, or when the same key was queued before


@dataclass
class SweepResult:
    now: dt.datetime
    today: dt.date
    remind_by: dt.date  # reminders for open items due on or before this date
    escalate_by: dt.date  # escalation for open items due on or before this date
    dry_run: bool
    items: list[SweepItem] = field(default_factory=list)
    digests: list[SweepDigest] = field(default_factory=list)

    @property
    def steps(self) -> dict[str, int]:
        counts = dict.fromkeys(STEP_NAMES.values(), 0)
        for item in self.items:
            counts[STEP_NAMES[Step(item.step)]] += 1
        return counts

    @property
    def emails(self) -> int:
        """E-mails queued (in a dry run: that would be queued), failed no-address rows included."""
        return sum(1 for digest in self.digests if digest.queued or self.dry_run)

    def items_at(self, step: int) -> list[SweepItem]:
        return [item for item in self.items if item.step == step]

    def as_dict(self) -> dict[str, Any]:
        return {"steps": self.steps, "emails": self.emails, "dry_run": self.dry_run}


# --- Thresholds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    now: dt.datetime
    today: dt.date
    remind_by: dt.date
    escalate_by: dt.date


def _working_days_back(today: dt.date, n: int, calendar: WorkingCalendar) -> dt.date:
    """The latest date ``d`` with ``n`` working days in (d, today]: an item due on or before it
    is ``n`` working days overdue today, so ``working_days_between(d, today) >= n``."""
    day, counted = today, 0
    while counted < n:
        if calendar.day(day)[0]:
            counted += 1
        day -= dt.timedelta(days=1)
    return day


def ladder_thresholds(*, now: dt.datetime, calendar: WorkingCalendar | None = None) -> Thresholds:
    """The three cut-off dates of a sweep at ``now``, computed once with the working-day calendar."""
    remind_days, escalate_days = settings.LADDER_REMIND_DAYS_BEFORE, settings.LADDER_ESCALATE_DAYS_AFTER
    today = timezone.localtime(now).date()
    calendar = calendar or WorkingCalendar()
    # One window for both directions: weekends take 2 of 7 days, holidays stay under 3 weeks.
    calendar.load(
        today - dt.timedelta(days=escalate_days * 7 // 5 + 30),
        today + dt.timedelta(days=remind_days * 7 // 5 + 30),
    )
    return Thresholds(
        now=now,
        today=today,
        remind_by=add_working_days(today, remind_days, calendar=calendar).due_date,
        escalate_by=_working_days_back(today, escalate_days, calendar),
    )


# --- Selection: one statement per step -------------------------------------------------------

_RETURNED = ("id", "kind", "content_type_id", "object_id", "due_date", "round")


def _condition(step: Step, thresholds: Thresholds) -> tuple[str, list[Any]]:
    qn = connection.ops.quote_name
    due_date, due_at = Deadline._meta.get_field("due_date"), Deadline._meta.get_field("due_at")

    def date(value: dt.date) -> Any:
        return due_date.get_db_prep_value(value, connection)

    # due_at < now is the rule (the due day has ended, in the commission's time zone); the
    # due_date bound lets the (status, due_date) index do the work.
    ended = f"{qn('due_at')} < %s"
    now = due_at.get_db_prep_value(thresholds.now, connection)
    if step == Step.ESCALATE:
        return f"{qn('due_date')} <= %s AND {ended}", [date(thresholds.escalate_by), now]
    if step == Step.WARN:
        # due_at is the end of the due day (core.deadlines), so an item due today has not ended:
        # the bound excludes today's items in the index rather than row by row.
        return f"{qn('due_date')} < %s AND {ended}", [date(thresholds.today), now]
    return f"{qn('due_date')} <= %s", [date(thresholds.remind_by)]


def _where(step: Step, kinds: list[str], thresholds: Thresholds) -> tuple[str, list[Any]]:
    qn = connection.ops.quote_name
    condition, params = _condition(step, thresholds)
    in_kinds = ", ".join(["%s"] * len(kinds))
    # The steps below this one as a list, not ``ladder_step < step``: PostgreSQL then reads the
    # ladder index (ladder_step, due_date) once per step value, each read bounded by the due
    # date, so a sweep with nothing due reads nothing (a range on ladder_step would walk every
    # open item that has not climbed yet, and the escalated ones are not in that index at all).
    below = list(range(int(step)))
    in_steps = ", ".join(["%s"] * len(below))
    sql = " AND ".join(
        [
            f"{qn('status')} = %s",
            f"{qn('ladder_step')} IN ({in_steps})",
            f"{qn('kind')} IN ({in_kinds})",
            condition,
        ]
    )
    return sql, [Deadline.Status.OPEN.value, *below, *kinds, *params]


def _as_date(value: Any) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


Row = tuple[int, str, int, int, dt.date, int, int]  # _RETURNED + the step it stood on before


def _climb(step: Step, kinds: list[str], thresholds: Thresholds) -> list[Row]:
    """Move every open deadline that has reached ``step`` and not yet had it; return them.

    PostgreSQL: one statement. The CTE locks the rows in id order (two sweeps cannot deadlock
    on each other) and, under READ COMMITTED, re-checks ``ladder_step < step`` against the
    version a concurrent sweep committed, so a row another sweep moved drops out: no item is
    escalated twice. It also hands back the step each row stood on, for the timeline.
    SQLite (3.35+ for RETURNING) has no row locks: a write transaction holds the database
    (BEGIN IMMEDIATE in settings), so a SELECT and an UPDATE … RETURNING in it see one state.
    """
    qn = connection.ops.quote_name
    table, pk, ladder_step = qn(Deadline._meta.db_table), qn("id"), qn("ladder_step")
    where, params = _where(step, kinds, thresholds)
    returned = ", ".join(f"d.{qn(column)}" for column in _RETURNED)
    # Only quoted identifiers are interpolated; every value is a parameter.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            sql = " ".join(
                [
                    f"WITH due AS (SELECT {pk}, {ladder_step} FROM {table} WHERE {where}",  # noqa: S608
                    f"ORDER BY {pk} FOR UPDATE)",
                    f"UPDATE {table} AS d SET {ladder_step} = %s FROM due WHERE d.{pk} = due.{pk}",  # noqa: S608
                    f"RETURNING {returned}, due.{ladder_step}",
                ]
            )
            cursor.execute(sql, [*params, int(step)])
            rows = cursor.fetchall()
        elif connection.vendor == "sqlite":
            if connection.Database.sqlite_version_info < (3, 35):
                raise NotImplementedError("the escalation sweep needs SQLite 3.35 or later (RETURNING)")
            cursor.execute(f"SELECT {pk}, {ladder_step} FROM {table} WHERE {where}", params)  # noqa: S608
            before = dict(cursor.fetchall())
            # SQLite's RETURNING names the table's own columns, unqualified.
            plain = ", ".join(qn(column) for column in _RETURNED)
            cursor.execute(
                f"UPDATE {table} SET {ladder_step} = %s WHERE {where} RETURNING {plain}",  # noqa: S608
                [int(step), *params],
            )
            rows = [(*row, before.get(row[0], 0)) for row in cursor.fetchall()]
        else:
            raise NotImplementedError(
                f"the escalation sweep supports PostgreSQL and SQLite, not {connection.vendor}"
            )
    return [(id_, kind, ct, obj, _as_date(due), round_, old) for id_, kind, ct, obj, due, round_, old in rows]


def _peek(step: Step, kinds: list[str], thresholds: Thresholds) -> list[Row]:
    """What ``_climb`` would move: a SELECT with the same conditions, nothing written."""
    qn = connection.ops.quote_name
    where, params = _where(step, kinds, thresholds)
    columns = ", ".join(qn(column) for column in (*_RETURNED, "ladder_step"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {columns} FROM {qn(Deadline._meta.db_table)} WHERE {where} ORDER BY {qn('id')}",  # noqa: S608
            params,
        )
        rows = cursor.fetchall()
    return [(id_, kind, ct, obj, _as_date(due), round_, old) for id_, kind, ct, obj, due, round_, old in rows]


# --- The sweep ----------------------------------------------------------------------------------


def _count_working_days(calendar: WorkingCalendar, first: dt.date, last: dt.date) -> int:
    """Working days in (first, last]; the snapshot is loaded over the whole range beforehand."""
    count, day = 0, first
    while day < last:
        day += dt.timedelta(days=1)
        count += calendar.day(day)[0]
    return count


def _items(
    rows: list[Row], step: Step, thresholds: Thresholds, calendar: WorkingCalendar
) -> list[LadderItem]:
    today, counts = thresholds.today, {}
    for due_date in {row[4] for row in rows}:
        if due_date < today:
            counts[due_date] = (_count_working_days(calendar, due_date, today), 0)
        else:
            counts[due_date] = (0, _count_working_days(calendar, today, due_date))
    return [
        LadderItem(
            deadline_id=id_,
            kind=kind,
            content_type_id=ct,
            object_id=obj,
            due_date=due,
            round=round_,
            step=int(step),
            from_step=old,
            overdue_working_days=counts[due][0],
            working_days_left=counts[due][1],
        )
        for id_, kind, ct, obj, due, round_, old in rows
    ]


def _digest_key(step: Step, recipient: Recipient, deadline_ids: Sequence[int]) -> str:
    who = ",".join(recipient.to) or f"none:{recipient.name}"
    digest = hashlib.sha256(f"{who}|{','.join(map(str, sorted(deadline_ids)))}".encode()).hexdigest()
    return f"ladder:{int(step)}:{who[:100]}:{digest[:40]}"


def _line(notice: Notice, item: LadderItem, today: dt.date) -> dict[str, Any]:
    if item.due_date < today:
        state = "overdue"
    elif item.due_date == today:
        state = "today"
    else:
        state = "left"
    return {
        "reference": notice.reference,
        "what": notice.what,
        "unit": notice.unit,
        "due_date": item.due_date,
        "state": state,
        "overdue": item.overdue_working_days,
        "left": item.working_days_left,
        "link": notice.link,
        "round": item.round,
    }


def digest_subject(step: int, count: int, first_reference: str) -> str:
    """The digest's subject in the active language (the same messages as its old template)."""
    values = {"reference": first_reference, "count": count}
    if step == Step.REMIND:
        if count == 1:
            return _("Reminder (催办): %(reference)s is due soon") % values
        return _("Reminder (催办): %(count)s items due soon, %(reference)s and others") % values
    if step == Step.WARN:
        if count == 1:
            return _("Overdue warning (预警): %(reference)s is overdue") % values
        return _("Overdue warning (预警): %(count)s overdue items, %(reference)s and others") % values
    if count == 1:
        return _("Escalated for supervision (督办): %(reference)s") % values
    return _("Escalated for supervision (督办): %(count)s items, %(reference)s and others") % values


def _send_digests(
    notices: list[Notice], items: dict[int, LadderItem], thresholds: Thresholds, *, dry_run: bool
) -> list[SweepDigest]:
    """One digest per recipient and step, highest step first, all queued together (one
    ``outbox_enqueue_many``). The text is written by the mail worker from the template and this
    context when it sends (outbox_render): rendering a thousand digests here would make the sweep
    wait on the templates."""
    groups: dict[tuple[Any, ...], list[Notice]] = defaultdict(list)
    for notice in notices:
        groups[(items[notice.deadline_id].step, notice.recipient.group_key)].append(notice)
    labels: dict[tuple[int, str], str] = {}
    digests, emails = [], []
    for (step_value, _key), group in sorted(groups.items(), key=lambda entry: -entry[0][0]):
        step = Step(step_value)
        group.sort(
            key=lambda notice: (items[notice.deadline_id].due_date, notice.reference, notice.deadline_id)
        )
        first = group[0].recipient
        names = list(dict.fromkeys(notice.recipient.name for notice in group if notice.recipient.name))
        notes = list(dict.fromkeys(notice.recipient.note for notice in group if notice.recipient.note))
        ids = sorted({notice.deadline_id for notice in group})
        lines = [_line(notice, items[notice.deadline_id], thresholds.today) for notice in group]
        if (step, first.language) not in labels:
            with override(first.language):
                labels[(step, first.language)] = step_label(step)
        context = {
            "step": int(step),
            "step_name": STEP_NAMES[step],
            "step_label": labels[(step, first.language)],
            "recipient": "、".join(names) if first.language.startswith("zh") else ", ".join(names),
            "notes": notes,
            "lines": lines,
            "count": len(lines),
            "first_reference": lines[0]["reference"],
            "today": thresholds.today,
            "remind_days": settings.LADDER_REMIND_DAYS_BEFORE,
            "escalate_days": settings.LADDER_ESCALATE_DAYS_AFTER,
            "has_address": bool(first.to),
        }
        with override(first.language):
            subject = digest_subject(step, len(lines), lines[0]["reference"])
        key = _digest_key(step, first, ids)
        references = list(dict.fromkeys(line["reference"] for line in lines))
        emails.append(
            {
                "key": key,
                "kind": f"ladder_{STEP_NAMES[step]}",
                "to": list(first.to),
                "subject": subject,
                "template": DIGEST_TEMPLATE,
                "context": context,
                "language": first.language,
                "related": references[0]
                if len(references) == 1
                else f"{references[0]} +{len(references) - 1}",
            }
        )
        digests.append(
            SweepDigest(
                step=int(step),
                recipient=context["recipient"],
                to=first.to,
                language=first.language,
                deadline_ids=tuple(ids),
                key=key,
                subject=subject,
                queued=False,
            )
        )
    if dry_run or not emails:
        return digests
    queued = outbox_enqueue_many(emails)
    return [replace(digest, queued=digest.key in queued) for digest in digests]


def escalation_sweep(*, now: dt.datetime | None = None, dry_run: bool = False) -> SweepResult:
    """Climb every open deadline of a registered kind to the step it has reached, once.

    In one transaction: per step (highest first) one UPDATE … RETURNING moves the rows; then each
    kind's handler, once for all its items whatever their steps, names recipients and records the
    steps on its side; each recipient gets one digest e-mail per step (outbox rows, queued
    together and sent after commit). ``dry_run`` runs the same conditions as SELECTs and writes
    nothing. The number of statements depends on the number of kinds and recipients, not on the
    number of items.
    """
    now = now or timezone.now()
    calendar = WorkingCalendar()
    thresholds = ladder_thresholds(now=now, calendar=calendar)
    result = SweepResult(
        now=now,
        today=thresholds.today,
        remind_by=thresholds.remind_by,
        escalate_by=thresholds.escalate_by,
        dry_run=dry_run,
    )
    kinds = ladder_registry.kinds()
    if not kinds:
        return result
    with transaction.atomic():
        items: list[LadderItem] = []
        claimed: set[int] = set()
        for step in sorted(Step, reverse=True):
            if dry_run:
                # The UPDATE of a higher step would have taken these rows out of a lower one.
                rows = [row for row in _peek(step, kinds, thresholds) if row[0] not in claimed]
            else:
                rows = _climb(step, kinds, thresholds)
            if not rows:
                continue
            claimed.update(row[0] for row in rows)
            # Items long overdue may predate the window loaded for the thresholds: one load.
            earliest = min(row[4] for row in rows)
            if earliest < thresholds.today:
                calendar.load(earliest + dt.timedelta(days=1), thresholds.today)
            items += _items(rows, step, thresholds, calendar)
        if items:
            result.items, result.digests = _tell(items, thresholds, now=now, dry_run=dry_run)
        if dry_run:
            # Belt and braces: a handler that wrote in notices() must not leave a trace.
            transaction.set_rollback(True)
    if result.items and not dry_run:
        logger.info("escalation sweep %s: %s, %s e-mails", thresholds.today, result.steps, result.emails)
    return result


def _tell(
    items: list[LadderItem], thresholds: Thresholds, *, now: dt.datetime, dry_run: bool
) -> tuple[list[SweepItem], list[SweepDigest]]:
    """The handlers' part for the items that moved (each kind's handler once), the digests, and
    the sweep's account of each item, highest step first, then by due date."""
    by_kind: dict[str, list[LadderItem]] = defaultdict(list)
    for item in items:
        by_kind[item.kind].append(item)
    notices: list[Notice] = []
    for kind, kind_items in sorted(by_kind.items()):
        handler = ladder_registry.get(kind)
        kind_notices = handler.notices(kind_items)
        if not dry_run:
            handler.record(kind_items, notices=kind_notices, now=now)
        notices += kind_notices
    digests = _send_digests(notices, {item.deadline_id: item for item in items}, thresholds, dry_run=dry_run)
    to_by_id: dict[int, list[str]] = defaultdict(list)
    first_notice: dict[int, Notice] = {}
    for notice in notices:
        known = to_by_id[notice.deadline_id]
        known += [address for address in notice.recipient.to if address not in known]
        first_notice.setdefault(notice.deadline_id, notice)
    swept = []
    for item in sorted(items, key=lambda item: (-item.step, item.due_date, item.deadline_id)):
        notice = first_notice.get(item.deadline_id)
        if notice is None:
            logger.warning(
                "ladder: %s deadline %s reached step %s but its handler named no recipient",
                item.kind,
                item.deadline_id,
                item.step,
            )
        swept.append(
            SweepItem(
                step=item.step,
                from_step=item.from_step,
                deadline_id=item.deadline_id,
                kind=item.kind,
                object_id=item.object_id,
                round=item.round,
                due_date=item.due_date,
                overdue_working_days=item.overdue_working_days,
                working_days_left=item.working_days_left,
                reference=notice.reference if notice else "",
                unit=notice.unit if notice else "",
                to=tuple(to_by_id.get(item.deadline_id, ())),
                addressed=notice is not None,
            )
        )
    return swept, digests


__all__ = [
    "LadderHandler",
    "LadderItem",
    "Notice",
    "Recipient",
    "Step",
    "SweepDigest",
    "SweepItem",
    "SweepResult",
    "escalation_sweep",
    "ladder_registry",
    "ladder_thresholds",
    "step_label",
]
