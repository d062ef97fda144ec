"""Deadlines: one table of due items for every app, counted in working days.

Apps create a Deadline for their item (a referral, a report review, a recommendation …) and
register a listener for their kind; when the calendar announces a change (its
``calendar_changed`` signal), ``deadlines_recompute`` moves every affected open deadline in a
few set-based queries and tells each kind's listeners once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
from django.db.models.base import ModelState
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from core.calendar import (
    REASON_HOLIDAY,
    REASON_WEEKEND,
    WorkingCalendar,
    WorkingDayResult,
    add_working_days,
    end_of_day,
    years_without_data,
)
from core.models import Deadline, DeadlineChange

logger = logging.getLogger(__name__)

Change = tuple[Deadline, dt.date, dt.date]
Listener = Callable[[list[Change], str], Any]


class DeadlineListenerRegistry:
    """Apps register a callback per kind in AppConfig.ready(); core never imports them."""

    def __init__(self) -> None:
        self._listeners: dict[str, list[Listener]] = defaultdict(list)

    def register(self, kind: str, callback: Listener) -> Listener:
        if callback not in self._listeners[kind]:
            self._listeners[kind].append(callback)
        return callback

    def unregister(self, kind: str, callback: Listener) -> None:
        if callback in self._listeners.get(kind, []):
            self._listeners[kind].remove(callback)

    def kinds(self) -> set[str]:
        return {kind for kind, callbacks in self._listeners.items() if callbacks}

    def notify(self, changes: list[Change], reason: str) -> None:
        """Call each listener once, with the changes of its own kind."""
        by_kind: dict[str, list[Change]] = defaultdict(list)
        for change in changes:
            by_kind[change[0].kind].append(change)
        for kind, kind_changes in by_kind.items():
            for callback in list(self._listeners.get(kind, [])):
                callback(kind_changes, reason)


deadline_listeners = DeadlineListenerRegistry()


# --- Services -------------------------------------------------------------------------


def deadline_create(
    *, subject: models.Model, kind: str, start_date: dt.date, working_days: int, round: int = 1
) -> Deadline:
    """A deadline ``working_days`` working days after ``start_date`` (the start day is not counted)."""
    if working_days < 1:
        raise ValidationError(_("A deadline needs at least one working day."), code="working_days")
    if subject.pk is None:
        raise ValueError("the subject must be saved before it gets a deadline")
    with transaction.atomic():
        result = add_working_days(start_date, working_days)
        return Deadline.objects.create(
            kind=kind,
            content_type=ContentType.objects.get_for_model(subject),
            object_id=subject.pk,
            start_date=start_date,
            working_days=working_days,
            round=round,
            **_computed(result),
        )


def _computed(result: WorkingDayResult) -> dict[str, Any]:
    return {
        "due_date": result.due_date,
        "due_at": end_of_day(result.due_date),
        "skipped": result.skipped_json(),
        "fallback": result.fallback,
    }


def _move(deadline: Deadline, to: str, **fields: Any) -> Deadline:
    with transaction.atomic():
        locked = Deadline.objects.select_for_update().get(pk=deadline.pk)
        if locked.status == to:
            # Safe to run twice: a task retried after the first run succeeded changes nothing.
            deadline.status, deadline.met_at = locked.status, locked.met_at
            return deadline
        if to not in Deadline.TRANSITIONS[locked.status]:
            raise ValidationError(
                _("The deadline is %(status)s and cannot become %(new_status)s.")
                % {"status": locked.get_status_display(), "new_status": Deadline.Status(to).label},
                code="invalid_transition",
            )
        locked.status = to
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", *fields])
        deadline.status = locked.status
        for name, value in fields.items():
            setattr(deadline, name, value)
        return deadline


def deadline_meet(*, deadline: Deadline, at: dt.datetime | None = None) -> Deadline:
    """The item was done (a report arrived, a reply was accepted)."""
    return _move(deadline, Deadline.Status.MET, met_at=at or timezone.now())


def deadline_cancel(*, deadline: Deadline) -> Deadline:
    """The item no longer needs doing (the referral was withdrawn, the case taken back)."""
    return _move(deadline, Deadline.Status.CANCELLED)


# The fields a recompute may change, all functions of (start_date, working_days) alone.
_COMPUTED_FIELDS = ("due_date", "due_at", "fallback", "skipped")
Pair = tuple[dt.date, int]


def deadlines_recompute(*, reason: str) -> int:
    """Recompute every open deadline after a calendar edit; return how many due dates moved.

    Set-based: a due date depends only on (start_date, working_days), so the stored values are
    read as distinct tuples per pair (a few thousand however many deadlines), each pair is
    computed once against one calendar snapshot, and the stale pairs are written with one
    INSERT … SELECT of DeadlineChange rows and one UPDATE … FROM VALUES per few thousand pairs.
    Each kind's listeners are then called once with all of its changes, in this transaction.
    """
    with transaction.atomic():
        open_deadlines = Deadline.objects.filter(status=Deadline.Status.OPEN).order_by()
        groups = list(open_deadlines.values_list("start_date", "working_days", *_COMPUTED_FIELDS).distinct())
        if not groups:
            return 0
        pairs = {(group[0], group[1]) for group in groups}
        calendar = WorkingCalendar()
        calendar.load(
            min(start for start, _n in pairs) + dt.timedelta(days=1),
            max(start + dt.timedelta(days=n * 7 // 5 + 30) for start, n in pairs),
        )
        computed = {pair: _computed(add_working_days(*pair, calendar=calendar)) for pair in pairs}
        stale = {
            (start, n)
            for start, n, *stored in groups
            if tuple(stored) != tuple(computed[(start, n)][name] for name in _COMPUTED_FIELDS)
        }
        if not stale:
            return 0

        # Plain tuples for speed; model instances only for moved rows that a listener will read.
        names = [field.attname for field in Deadline._meta.concrete_fields if field.name != "skipped"]
        index = {name: i for i, name in enumerate(names)}
        i_start, i_days, i_due = index["start_date"], index["working_days"], index["due_date"]
        # A date range rather than a list of dates: no parameter limit, and the pair test is exact.
        stale_starts = [start for start, _n in stale]
        moved = [
            row
            for row in open_deadlines.filter(
                start_date__range=(min(stale_starts), max(stale_starts))
            ).values_list(*names)
            if (row[i_start], row[i_days]) in stale
            and row[i_due] != computed[(row[i_start], row[i_days])]["due_date"]
        ]
        now = timezone.now()
        for chunk in _pair_chunks(sorted(stale)):
            _write_chunk(chunk, computed, reason=reason, now=now)

        listened, i_kind, alias = deadline_listeners.kinds(), index["kind"], connection.alias
        changes: list[Change] = []
        for row in moved:
            if row[i_kind] in listened:
                new = computed[(row[i_start], row[i_days])]
                changes.append((_deadline_from_row(names, row, new, alias), row[i_due], new["due_date"]))
        logger.info("Recomputed deadlines: %s due dates moved: %s", len(moved), reason)
        if changes:
            changes.sort(key=lambda change: change[0].pk)
            deadline_listeners.notify(changes, reason)
        return len(moved)


def deadlines_follow_calendar(sender: type[models.Model], *, reason: str, **kwargs: Any) -> int:
    """Receiver of ``calendar_changed`` (connected in CoreConfig.ready): open deadlines move with
    the calendar, after the edit's commit."""
    return deadlines_recompute(reason=reason)


def _deadline_from_row(names: list[str], row: tuple, new: dict[str, Any], alias: str) -> Deadline:
    """A loaded Deadline built the way unpickling builds one: Model.__init__ costs ~30 µs a row,
    seconds for tens of thousands of moved deadlines."""
    deadline = Deadline.__new__(Deadline)
    deadline.__dict__.update(zip(names, row, strict=True))
    deadline.__dict__.update(new)
    deadline._state = ModelState()
    deadline._state.adding, deadline._state.db = False, alias
    return deadline


def _pair_chunks(pairs: list[Pair]) -> Iterable[list[Pair]]:
    """Pairs cut so one statement stays within the database's parameter limit."""
    per_pair = 2 + len(_COMPUTED_FIELDS)
    size = max(1, (min(connection.features.max_query_params or 30000, 30000) - 10) // per_pair)
    for i in range(0, len(pairs), size):
        yield pairs[i : i + size]


def _write_chunk(
    pairs: list[Pair], computed: dict[Pair, dict[str, Any]], *, reason: str, now: dt.datetime
) -> None:
    """Log the moved due dates, then update every open deadline of these pairs, in two statements.

    Raw SQL because the ORM has no UPDATE … FROM: joining a VALUES list of the new values per
    pair lets the database hash-join instead of evaluating a CASE with thousands of branches
    per row. PostgreSQL and SQLite (3.33+) share this syntax; the parameters come out of the
    model fields' own adapters, so PostgreSQL receives typed literals (date, timestamptz, jsonb).
    """
    qn = connection.ops.quote_name
    fields = [Deadline._meta.get_field(name) for name in _COMPUTED_FIELDS]
    start_field, days_field = Deadline._meta.get_field("start_date"), Deadline._meta.get_field("working_days")
    row_sql = "(" + ", ".join(["%s"] * (2 + len(fields))) + ")"
    values_sql = "(VALUES " + ", ".join([row_sql] * len(pairs)) + ") AS v"
    values_params: list[Any] = []
    for start, n in pairs:
        values_params += [
            start_field.get_db_prep_save(start, connection),
            days_field.get_db_prep_save(n, connection),
            *(field.get_db_prep_save(computed[(start, n)][field.name], connection) for field in fields),
        ]
    column = {f.name: f"v.column{i}" for i, f in enumerate([start_field, days_field, *fields], start=1)}
    deadline_table, change_table = qn(Deadline._meta.db_table), qn(DeadlineChange._meta.db_table)
    join = (
        f"d.{qn(start_field.column)} = {column['start_date']}"
        f" AND d.{qn(days_field.column)} = {column['working_days']}"
        f" AND d.{qn('status')} = %s"
    )
    change_fields = [DeadlineChange._meta.get_field(name) for name in ("reason", "changed_at")]
    # Only quoted identifiers are interpolated; every value is a parameter.
    insert_sql = " ".join(
        [
            f"INSERT INTO {change_table} ({qn('deadline_id')}, {qn('old_due_date')}, {qn('new_due_date')},",
            f"{qn('reason')}, {qn('changed_at')})",
            f"SELECT d.{qn('id')}, d.{qn('due_date')}, {column['due_date']}, %s, %s",
            f"FROM {deadline_table} AS d JOIN {values_sql} ON {join}",
            f"WHERE d.{qn('due_date')} <> {column['due_date']}",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(
            insert_sql,
            [
                change_fields[0].get_db_prep_save(reason, connection),
                change_fields[1].get_db_prep_save(now, connection),
                *values_params,
                Deadline.Status.OPEN.value,
            ],
        )
        # status = open again: a deadline met meanwhile keeps its due date.
        assignments = ", ".join(f"{qn(f.column)} = {column[f.name]}" for f in fields)
        differs = " OR ".join(f"d.{qn(f.column)} <> {column[f.name]}" for f in fields)
        cursor.execute(
            f"UPDATE {deadline_table} AS d SET {assignments} FROM {values_sql} WHERE {join} AND ({differs})",  # noqa: S608
            [*values_params, Deadline.Status.OPEN.value],
        )


# --- Explanation ------------------------------------------------------------------------


def _reason_label(reason: str) -> str:
    if reason == REASON_WEEKEND:
        return _("weekend")
    if reason == REASON_HOLIDAY:
        return _("holiday")
    return reason


def _group_skipped(skipped: list[dict[str, str]]) -> list[tuple[dt.date, dt.date, str]]:
    """Consecutive days with the same reason become one (first, last, reason) span."""
    spans: list[tuple[dt.date, dt.date, str]] = []
    for item in sorted(skipped, key=lambda item: item["date"]):
        day, reason = dt.date.fromisoformat(item["date"]), item["reason"]
        if spans and spans[-1][2] == reason and spans[-1][1] + dt.timedelta(days=1) == day:
            spans[-1] = (spans[-1][0], day, reason)
        else:
            spans.append((day, day, reason))
    return spans


def _span_text(first: dt.date, last: dt.date, reason: str) -> str:
    if first == last:
        days = formats.date_format(first, "MONTH_DAY_FORMAT")
    else:
        days = _("%(first)s – %(last)s") % {
            "first": formats.date_format(first, "MONTH_DAY_FORMAT"),
            "last": formats.date_format(last, "MONTH_DAY_FORMAT"),
        }
    return _("%(days)s (%(reason)s)") % {"days": days, "reason": _reason_label(reason)}


def deadline_explain(deadline: Deadline) -> str:
    """How the due date was counted, in the reader's language, from what the deadline stored."""
    period = ngettext(
        "%(count)d working day from %(start)s",
        "%(count)d working days from %(start)s",
        deadline.working_days,
    ) % {"count": deadline.working_days, "start": formats.date_format(deadline.start_date, "DATE_FORMAT")}
    due = formats.date_format(deadline.due_date, "DATE_FORMAT")
    spans = _group_skipped(deadline.skipped or [])
    if spans:
        separator = pgettext("list separator", ", ")
        text = _("%(period)s: skipped %(skipped)s; due %(due)s, end of day.") % {
            "period": period,
            "skipped": separator.join(_span_text(*span) for span in spans),
            "due": due,
        }
    else:
        text = _("%(period)s; due %(due)s, end of day.") % {"period": period, "due": due}
    if deadline.fallback:
        years = years_without_data(range(deadline.start_date.year, deadline.due_date.year + 1))
        if years:
            text += " " + _("No calendar data for %(years)s: plain weekends were counted.") % {
                "years": ", ".join(map(str, sorted(years)))
            }
        else:
            text += " " + _("Counted on plain weekends for a year that had no calendar data then.")
    return text


__all__ = [
    "deadline_cancel",
    "deadline_create",
    "deadline_explain",
    "deadline_listeners",
    "deadline_meet",
    "deadlines_follow_calendar",
    "deadlines_recompute",
]
