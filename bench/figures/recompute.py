"""Staff declare a holiday: every open deadline is recomputed (``calendar_day_set``, the service the
calendar admin calls; the recompute runs when its transaction commits, inside the clock).

The holiday is the next plain working day after tomorrow, so every open item due on or after
it moves by a working day. Before each run the day is removed again (and the deadlines moved
back) and the tables vacuumed, outside the clock.
"""

from __future__ import annotations

import datetime as dt

from bench.database import tables_vacuum
from bench.measure import Goal, Result, timed
from casework.models import CaseEvent, Recommendation, Referral
from core.calendar import calendar_day_set, calendar_days_delete, is_working_day
from core.models import CalendarDay, Deadline, DeadlineChange

NAME = "基准测试假日"  # "bench holiday"


def _holiday(today: dt.date) -> dt.date:
    day = today + dt.timedelta(days=2)
    while not is_working_day(day) or CalendarDay.objects.filter(date=day).exists():
        day += dt.timedelta(days=1)
    return day


def run(context) -> list[Result]:
    day = _holiday(dt.date.fromisoformat(context.dataset.today))

    def clear() -> None:
        calendar_days_delete(days=CalendarDay.objects.filter(name=NAME), actor=None)
        # Each run rewrites tens of thousands of rows twice (the edit, and this undo): let the
        # tables be as autovacuum keeps them between two calendar edits, days apart.
        tables_vacuum(Deadline, Referral, Recommendation, CaseEvent)

    def edit() -> None:
        calendar_day_set(date=day, is_working_day=False, name=NAME, actor=None)

    open_deadlines = Deadline.objects.filter(status=Deadline.Status.OPEN).count()
    logged_before = DeadlineChange.objects.filter(reason__contains=NAME).count()
    samples, statements = timed(edit, repeat=context.repeat, warmup=0, scale=1.0, setup=clear)
    # Each run logs one change per moved due date, under a reason naming the holiday.
    moved = (DeadlineChange.objects.filter(reason__contains=NAME).count() - logged_before) // context.repeat
    clear()
    result = Result(
        key="recompute",
        label="due-date recompute after a holiday edit",
        unit="s",
        samples=samples,
        statements=statements,
        goal=Goal("<=", 5, "s"),
        extra={"holiday": day.isoformat(), "open_deadlines": open_deadlines, "moved": moved},
    )
    result.checks["due dates moved"] = moved > 0
    return [result]
