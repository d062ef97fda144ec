"""The case and complaint figures read from the sums kept as work happens (PostgreSQL).

The triggers of migration ``reports 0005_live_figures`` keep ``reports_livefigure``: per quarter,
unit complained about and category (dimension ``c``) or channel (``h``), the sums of what each case
and complaint contributes. Reading a quarter is two grouped sums over those rows, whatever the
number of cases: the quarter's own counts, and for the figures about a moment (open, open and
late, escalated while handled) the all-quarters rows less the changes of the later quarters.

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


def _statements() -> tuple[str, str]:
    """Two statements per quarter, each the kept totals (``reports_livetotal``, per unit and per
    category or channel, as of the last merge) plus the rows appended since (grouped the same
    way, per dimension):

    * the quarter's own counts, and for the quarter in progress its starts of lateness that have
      happened (folded into its rows) instead of all of them;
    * the figures about a moment: the all-quarters rows less the rows of later quarters, and for
      the quarter in progress its day rows up to today (a midnight before today, an instant today
      or before).

    A row of either part says its group as GROUPING(department_id, value) does: 1 a unit, 2 a
    category or channel. Two narrow statements rather than one wide one: each row feeds only the
    columns it has."""
    grouping = "GROUP BY dimension, GROUPING SETS ((department_id), (value))"
    head = "SELECT dimension, department_id, value, GROUPING(department_id, value) AS grouping"
    # The totals' rows in the same shape: the unit -1 is "every unit", the value '' "every value";
    # a unit's channel rows repeat its category rows and are not read.
    totals_head = (
        "SELECT dimension, NULLIF(department_id, -1) AS department_id, NULLIF(value, '') AS value,"
        " CASE WHEN department_id = -1 THEN 2 ELSE 1 END AS grouping"
    )
    totals_where = "(dimension = 'c' OR department_id = -1)"
    late_in_progress = "CASE WHEN %(in_progress)s THEN late_started - late_start ELSE 0 END"
    quarter = f"""{totals_head},
  {", ".join(QUARTER_COUNTS)}, {late_in_progress} AS late
FROM reports_livetotal WHERE grain = 'q' AND period = %(period)s AND {totals_where}
UNION ALL
{head},
  {", ".join(f"sum({name})::bigint" for name in QUARTER_COUNTS)},
  sum({late_in_progress})::bigint AS late
FROM reports_livefigure WHERE grain = 'q' AND period = %(period)s AND NOT merged
{grouping}"""  # noqa: S608 (constant names; the values are parameters)

    def part(values: dict[str, str], where: str) -> str:
        columns = ", ".join(f"{values[name]} AS {name}" for name in RUNNING_COUNTS + ("late",))
        return f"SELECT dimension, department_id, value, {columns} FROM reports_livefigure WHERE {where}"  # noqa: S608

    all_time = part(
        {name: name for name in RUNNING_COUNTS} | {"late": "late_start - late_end"},
        f"grain = 'a' AND period = DATE '{ALL_TIME}' AND NOT merged",
    )
    later = part(
        {name: f"-{name}" for name in RUNNING_COUNTS} | {"late": "late_end - late_start"},
        "grain = 'q' AND period > %(period)s AND NOT merged",
    )
    today = part(
        dict.fromkeys(RUNNING_COUNTS, "0")
        | {
            "late": "CASE WHEN day < %(today)s THEN late_start_midnight ELSE 0 END"
            " + CASE WHEN day <= %(today)s THEN late_start_instant ELSE 0 END"
        },
        "grain = 'd' AND period = %(period)s AND day <= %(today)s AND %(in_progress)s",
    )
    sign = "CASE WHEN grain = 'a' THEN 1 ELSE -1 END"
    running = f"""{totals_head},
  {", ".join(f"sum({sign} * {name})::bigint" for name in RUNNING_COUNTS)},
  sum({sign} * (late_start - late_end))::bigint AS late
FROM reports_livetotal
WHERE ((grain = 'a' AND period = DATE '{ALL_TIME}') OR (grain = 'q' AND period > %(period)s))
  AND {totals_where}
GROUP BY dimension, department_id, value
UNION ALL
{head},
  {", ".join(f"sum({name})::bigint" for name in RUNNING_COUNTS + ("late",))}
FROM ({all_time} UNION ALL {later} UNION ALL {today}) AS slices
{grouping}"""  # noqa: S608 (constant names)
    return quarter, running


QUARTER_STATEMENT, RUNNING_STATEMENT = _statements()


def department_quarter_counts(quarter: Period, names: tuple[str, ...]) -> dict[int, dict[str, int]]:
    """The quarter's own counts ``names`` (of ``QUARTER_COUNTS``) per unit complained about, one
    statement (the totals and the rows appended since the last merge); units with nothing counted
    are left out, as is the "no unit" group. For the
    efficiency assessment, which scores departments on the dashboard's figures."""
    unknown = set(names) - set(QUARTER_COUNTS)
    if unknown:
        raise ValueError(f"not a quarter count: {sorted(unknown)}")
    columns = ", ".join(names)
    statement = f"""SELECT department_id, {", ".join(f"sum({name})::bigint" for name in names)} FROM (
  SELECT department_id, {columns} FROM reports_livetotal
  WHERE grain = 'q' AND period = %(period)s AND dimension = 'c' AND value = '' AND department_id > 0
  UNION ALL
  SELECT department_id, {columns} FROM reports_livefigure
  WHERE grain = 'q' AND period = %(period)s AND NOT merged AND dimension = 'c' AND department_id > 0
) AS kept GROUP BY department_id"""  # noqa: S608 (checked names)
    with connection.cursor() as cursor:
        cursor.execute(statement, {"period": quarter.first_day})
        return {
            department_id: dict(zip(names, values, strict=True))
            for department_id, *values in cursor.fetchall()
            if any(values)
        }


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
    """Fill ``item`` (a quarter that has begun) from the kept sums: two statements."""
    in_progress = now < item.quarter.end
    params = {
        "period": item.quarter.first_day,
        "in_progress": in_progress,
        "today": now.astimezone(SHANGHAI).date(),
    }
    width = len(QUARTER_COUNTS) + len(RUNNING_COUNTS) + 1
    groups: dict[tuple, list[int]] = {}
    with connection.cursor() as cursor:
        for statement, offset in ((QUARTER_STATEMENT, 0), (RUNNING_STATEMENT, len(QUARTER_COUNTS))):
            cursor.execute(statement, params)
            for dimension, department_id, value, grouping, *values in cursor.fetchall():
                vector = groups.setdefault((dimension, department_id, value, grouping), [0] * width)
                *counts, late = values
                for index, count in enumerate(counts, start=offset):
                    vector[index] += count
                vector[-1] += late
    rows = [(*key, *vector) for key, vector in groups.items()]
    total = [0] * width
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
