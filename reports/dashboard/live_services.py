"""Writes to the dashboard's kept sums (reports 0005 and 0006): the full recount, the daily fold and the
drift check. The triggers keep the sums as work happens; these are for after a bulk load, for the
nightly fold and for checking that the two agree. PostgreSQL only: elsewhere there is nothing
kept, and each is a no-op."""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from core.periods import shanghai_today


def _kept() -> bool:
    return connection.vendor == "postgresql"


# The tables a recount reads. A recount follows a bulk load or a restore, when their statistics may
# still say "empty": planned on those, reading a million cases' facts joined a materialised list
# of them in nested loops (over 20 minutes instead of two at a million, seen on the bench's load).
RECOUNT_SOURCES = (
    "casework_case",
    "casework_referral",
    "casework_handlingreport",
    "casework_review",
    "complaints_complaint",
    "complaints_rating",
)


def recount_live_figures(*, today: dt.date | None = None) -> None:
    """Rebuild every fact and sum from the source tables (folded at ``today``), in one transaction,
    on fresh statistics of the tables it reads (ANALYZE samples them: seconds at a million); writers
    wait for it (its TRUNCATE locks the three tables)."""
    if not _kept():
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {', '.join(RECOUNT_SOURCES)}")
        cursor.execute("SELECT reports_live_recount(%s)", [today or shanghai_today()])


def fold_live_figures() -> int:
    """Fold the day rows of starts of lateness before today (Shanghai) into their quarters' rows
    (the sums read the same): the quarter in progress then reads a handful of day rows. Never a
    later day: a day row of today may start tomorrow at midnight. Returns the rows folded."""
    if not _kept():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT reports_live_fold(%s)", [shanghai_today()])
        return cursor.fetchone()[0]


def live_figures_drift(*, today: dt.date | None = None) -> list[dict]:
    """What a recount would change (recount minus kept), row by row, without writing: [] when
    the kept sums are right. Then what the totals (migration 0006) differ by from the merged rows
    they total, each such row marked ``"totals": True``."""
    if not _kept():
        return []
    keys = {"grain", "period", "day", "department_id", "dimension", "value"}
    drift = []
    with connection.cursor() as cursor:
        for statement, params, marker in (
            ("SELECT * FROM reports_live_drift(%s)", [today or shanghai_today()], {}),
            ("SELECT * FROM reports_live_totals_drift()", [], {"totals": True}),
        ):
            cursor.execute(statement, params)
            names = [column.name for column in cursor.description]
            for row in cursor.fetchall():
                values = zip(names, row, strict=True)
                drift.append(marker | {name: value for name, value in values if value or name in keys})
    return drift


def compact_live_figures() -> int:
    """Merge the rows the triggers appended since the last run into one row per key, and add them
    to the totals per unit and per category or channel (the sums read the same; reads touch the
    totals and the few rows appended since). Returns the rows merged."""
    if not _kept():
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT reports_live_compact()")
        return cursor.fetchone()[0]
