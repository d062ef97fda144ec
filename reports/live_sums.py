"""The case and complaint figures read from the sums kept as work happens (PostgreSQL).

The triggers of migration ``reports 0005_live_figures`` keep ``reports_livefigure``: per quarter,
unit complained about and category (dimension ``c``), channel (``h``) or office of the commission
(``o``, migration 0008), the sums of what each case and complaint contributes; the minute's merge
totals them per unit and per category, channel or office (``reports_livetotal``, migration 0006).
Reading a quarter is one statement over the totals and the rows appended since the last merge,
whatever the number of cases: the quarter's own counts, and for the figures about a moment (open,
open and late, escalated while handled) the all-quarters rows less the changes of the later
quarters.

For the quarter in progress the moment is now: a referral becomes late at the midnight after its
due date without anything being written, so the starts of lateness are also kept per day and
those up to today are counted. The numbers are the ones the tables count with the conditions of
``reports.dashboard.figures`` (``Dashboard(live=False)``) and ``reports.case_conditions`` (the
dispatch pack's reference), which the tests and ``manage.py figures_recount --check`` compare.

Read by the dashboard (``reports.dashboard.live``), the efficiency assessment and the dispatch
meeting's pack (``reports.ledger.pack``).
"""

from __future__ import annotations

import datetime as dt

from django.db import connection

from core.periods import QUARTER, SHANGHAI, Period

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

ALL_TIME = "0001-01-01"


def _statement(groups: str) -> str:
    """One statement per quarter: the kept totals (``reports_livetotal``, per unit and per category,
    channel or office, as of the last merge) plus the rows appended since (grouped the same way), for

    * the quarter's own counts, and for the quarter in progress its starts of lateness that have
      happened (folded into its rows) instead of all of them;
    * the figures about a moment: the all-quarters rows less the rows of later quarters, and for
      the quarter in progress its day rows up to today (a midnight before today, an instant today
      or before);

    summed per group, for the groups ``groups`` selects. A group is said as GROUPING(department_id,
    value) says it: 1 a unit (over the categories), 2 a category, a channel or an office (dimension
    ``o``, migration 0008: the value is the office's id, '0' for none)."""
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
    no_quarter = ", ".join(f"0 AS {name}" for name in QUARTER_COUNTS)
    no_running = ", ".join(f"0 AS {name}" for name in RUNNING_COUNTS)

    quarter_totals = f"""{totals_head}, {", ".join(QUARTER_COUNTS)}, {no_running}, {late_in_progress} AS late
FROM reports_livetotal WHERE grain = 'q' AND period = %(period)s AND {totals_where}"""  # noqa: S608
    quarter_new = f"""{head}, {", ".join(f"sum({name})::integer" for name in QUARTER_COUNTS)}, {no_running},
  sum({late_in_progress})::integer AS late
FROM reports_livefigure WHERE grain = 'q' AND period = %(period)s AND NOT merged
{grouping}"""  # noqa: S608

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
    running_totals = f"""{totals_head}, {no_quarter},
  {", ".join(f"sum({sign} * {name})::integer" for name in RUNNING_COUNTS)},
  sum({sign} * (late_start - late_end))::integer AS late
FROM reports_livetotal
WHERE ((grain = 'a' AND period = DATE '{ALL_TIME}') OR (grain = 'q' AND period > %(period)s))
  AND {totals_where}
GROUP BY dimension, department_id, value"""  # noqa: S608
    running_sums = ", ".join(f"sum({name})::integer" for name in RUNNING_COUNTS + ("late",))
    running_new = f"""{head}, {no_quarter}, {running_sums}
FROM ({all_time} UNION ALL {later} UNION ALL {today}) AS slices
{grouping}"""  # noqa: S608
    parts = " UNION ALL ".join(
        f"({part})" for part in (quarter_totals, quarter_new, running_totals, running_new)
    )
    return f"""SELECT dimension, department_id, value, grouping,
  {", ".join(f"sum({name})::bigint" for name in COLUMNS)}
FROM ({parts}) AS parts
WHERE {groups}
GROUP BY dimension, department_id, value, grouping"""  # noqa: S608 (constant names; values are parameters)


COLUMNS = QUARTER_COUNTS + RUNNING_COUNTS + ("late",)
# The dashboard's: units, categories and channels.
STATEMENT = _statement("dimension IN ('c', 'h') AND (dimension = 'c' OR grouping = 2)")
# The dispatch pack's: units and offices.
OFFICE_STATEMENT = _statement("(dimension = 'c' AND grouping = 1) OR (dimension = 'o' AND grouping = 2)")


def department_quarter_counts(quarter: Period, names: tuple[str, ...]) -> dict[int, dict[str, int]]:
    """The quarter's own counts ``names`` (of ``QUARTER_COUNTS``) per unit complained about, one
    statement (the totals and the rows appended since the last merge); units with nothing counted
    are left out, as is the "no unit" group. For the efficiency assessment, which scores
    departments on the dashboard's figures."""
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


def read(statement: str, quarter: Period, now: dt.datetime) -> list[tuple]:
    """The rows of ``statement`` (``STATEMENT`` or ``OFFICE_STATEMENT``) for ``quarter``, about
    ``now`` while it runs."""
    params = {
        "period": quarter.first_day,
        "in_progress": now < quarter.end,
        "today": now.astimezone(SHANGHAI).date(),
    }
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall()


def office_counts(
    quarter: Period, now: dt.datetime
) -> tuple[dict[int | None, dict[str, int]], dict[int | None, dict[str, int]]]:
    """The quarter's counts (``COLUMNS``; a quarter that has begun, and about ``now`` for the
    figures about a moment while it runs) per office of the commission (None: no office) and per
    unit complained about (None: none in the directory): one statement. Groups with nothing in the
    quarter are left out. An office's counts are those of 0005's ``OFFICE_COUNTERS`` (accepted,
    concluded, open, late); its other counters are 0. For the dispatch meeting's pack."""
    by_office: dict[int | None, dict[str, int]] = {}
    by_department: dict[int | None, dict[str, int]] = {}
    for dimension, department_id, value, _grouping, *values in read(OFFICE_STATEMENT, quarter, now):
        if not any(values):
            continue
        counts = dict(zip(COLUMNS, values, strict=True))
        if dimension == "o":
            by_office[int(value) or None] = counts
        else:
            by_department[department_id or None] = counts
    return by_office, by_department
