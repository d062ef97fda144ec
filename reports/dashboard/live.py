"""The case and complaint figures read from the sums kept as work happens (PostgreSQL).

The triggers of migration ``reports 0005_live_figures`` keep ``reports_livefigure``: per quarter,
unit complained about and category (dimension ``c``) or channel (``h``), the sums of what each case
and complaint contributes. Reading a quarter is one grouped sum over those rows, whatever the
number of cases: the quarter's own counts, plus the changes of every quarter up to it for the
figures about a moment (open, open and late, escalated while handled).

For the quarter in progress the moment is now: a referral becomes late at the midnight after its
due date without anything being written, so the starts of lateness are also kept per day and
those up to today are counted. The numbers are the ones ``Dashboard`` counts from the tables
(``live=False``), which the tests and ``manage.py figures_recount --check`` compare.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from core.periods import QUARTER, SHANGHAI, Period
from reports.dashboard.tally import QuarterFigures, Tally

# Counters read as they are for the quarter, and how they make the dashboard's figures.
QUARTER_COUNTS = (
    "received",
    "liaison_complaints",
    "rated",
    "rated_satisfied",
    "rated_basically",
    "rated_unsatisfied",
    "accepted",
    "self_handled",
    "transferred",
    "assigned",
    "undecided",
    "concluded",
    "concluded_late",
    "handled",
    "handling_days",
    "returned",
)
# Changes summed over every quarter up to the one read.
RUNNING_COUNTS = (
    "open_delta",
    "escalated_delta",
    "escalated_1_delta",
    "escalated_2_delta",
    "escalated_3_delta",
)

LATE = ("late_start", "late_end")
ALL_TIME = "0001-01-01"


def _statement() -> str:
    """Four slices of the sums, each an index range, summed per dimension: the quarter's own rows;
    the all-quarters rows of the figures about a moment, less the rows of the later quarters; and
    for the quarter in progress, its starts of lateness that have happened instead of all of them
    (those folded into its row, and the day rows up to today: a midnight before today, an instant
    today or before)."""
    names = QUARTER_COUNTS + RUNNING_COUNTS + LATE
    zero = dict.fromkeys(names, "0")

    def part(values: dict[str, str], where: str) -> str:
        columns = ", ".join(f"{values[name]} AS {name}" for name in names)
        # Built from this module's constant names; every value is a parameter.
        return f"SELECT dimension, department_id, value, {columns} FROM reports_livefigure WHERE {where}"  # noqa: S608

    own = part(
        zero
        | {name: name for name in QUARTER_COUNTS}
        | {"late_start": "CASE WHEN %(in_progress)s THEN late_started - late_start ELSE 0 END"},
        "grain = 'q' AND period = %(period)s",
    )
    all_time = part(
        zero | {name: name for name in RUNNING_COUNTS + LATE}, f"grain = 'a' AND period = DATE '{ALL_TIME}'"
    )
    later = part(
        zero | {name: f"-{name}" for name in RUNNING_COUNTS + LATE}, "grain = 'q' AND period > %(period)s"
    )
    today = part(
        zero
        | {
            "late_start": "CASE WHEN day < %(today)s THEN late_start_midnight ELSE 0 END"
            " + CASE WHEN day <= %(today)s THEN late_start_instant ELSE 0 END"
        },
        "grain = 'd' AND period = %(period)s AND day <= %(today)s AND %(in_progress)s",
    )
    statement = f"""
SELECT dimension, department_id, value, GROUPING(department_id, value) AS grouping,
  {", ".join(f"sum({name})::bigint" for name in QUARTER_COUNTS + RUNNING_COUNTS)},
  sum(late_start - late_end)::bigint AS late
FROM ({own} UNION ALL {all_time} UNION ALL {later} UNION ALL {today}) AS slices
GROUP BY dimension, GROUPING SETS ((department_id), (value))"""  # noqa: S608 (constant names)
    return statement


STATEMENT = _statement()


def live_available(quarter: Period, now: dt.datetime) -> bool:
    """The sums answer for quarters that have begun, on PostgreSQL."""
    return connection.vendor == "postgresql" and quarter.kind == QUARTER and quarter.start <= now


def _tally(values: list[int]) -> Tally:
    row = dict(zip(QUARTER_COUNTS + RUNNING_COUNTS + ("late",), values, strict=True))
    tally = Tally(handling_days=row["handling_days"], handled=row["handled"])
    counts = {name: row[name] for name in QUARTER_COUNTS if name not in ("handled", "handling_days")}
    counts["referred"] = row["transferred"] + row["assigned"]
    counts["concluded_on_time"] = row["concluded"] - row["concluded_late"]
    counts["open"] = row["open_delta"]
    counts["open_late"] = row["late"]
    counts["open_in_time"] = row["open_delta"] - row["late"]
    counts["escalated"] = row["escalated_delta"]
    for level in (1, 2, 3):
        counts[f"escalated_{level}"] = row[f"escalated_{level}_delta"]
    tally.counts.update(counts)
    return tally


def count_live(item: QuarterFigures, now: dt.datetime) -> None:
    """Fill ``item`` (a quarter that has begun) from the kept sums: one statement."""
    in_progress = now < item.quarter.end
    params = {
        "period": item.quarter.first_day,
        "in_progress": in_progress,
        "today": now.astimezone(SHANGHAI).date(),
    }
    with connection.cursor() as cursor:
        cursor.execute(STATEMENT, params)
        rows = cursor.fetchall()
    total = [0] * (len(QUARTER_COUNTS) + len(RUNNING_COUNTS) + 1)
    for dimension, department_id, value, grouping, *values in rows:
        if not any(values):
            continue  # a group with nothing in this quarter (all its changes cancel out)
        tally = _tally(values)
        if dimension == "c" and grouping == 1:  # per department (value summed over)
            item.by_department[department_id or None] = tally
            total = [a + b for a, b in zip(total, values, strict=True)]
        elif dimension == "c":
            item.by_category[value] = tally
        elif grouping == 2:  # channel family, per channel
            item.by_channel[value] = tally
    item.total = _tally(total)
