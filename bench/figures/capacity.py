"""Figure group "capacity": what grows with time, and the case timeline at ten times the load,
plain and partitioned by year (issue 17's capacity note in bench/README.md).

1. The tables that grow with the cases and with time (the timeline, the outbox, deadlines and their
   changes, approval records and their steps, inspections, the dashboard's kept sums, …): rows,
   bytes and bytes per case, read from PostgreSQL's statistics (no goal: the note's figures).
2. The case timeline (``casework_caseevent``: append-only, three events or more per case, the
   largest table that only grows) at ``MULTIPLY`` times the loaded scale, as ten years of this
   load would leave it: every event repeated with its case and id moved past the loaded ones and
   its time moved back k years. Two copies of it, one plain and one partitioned by year (RANGE on
   ``at``, one partition a year), with the table's own indexes, timed on both:

   * a case's timeline, as the case page reads it (``case_id``, ordered by ``at``): 50 cases;
   * a month's events (a scan by time, as a retention pass or an export by period reads them);
   * putting the two oldest years away: ``DELETE`` on the plain copy, ``DETACH PARTITION`` and
     ``DROP TABLE`` on the partitioned one.

3. The migration to get there, timed on a copy of the loaded table (1×): the unique index on
   (id, at) that a partitioned table's key needs, built ``CONCURRENTLY``; a CHECK constraint
   bounding the history, added ``NOT VALID`` and validated (writers go on during both); the table
   attached as the history partition of a new partitioned parent (no scan: the constraint proves
   the bound); next year's partition created.

Everything is done on copies named ``capacity_*``, dropped at the end; the product's tables are
only read.
"""

from __future__ import annotations

import datetime as dt
import time

from django.db import connection

from bench.measure import Result, timed

MULTIPLY = 10
CASES_LOOKED_UP = 50
GROWING = [
    "casework_case",
    "casework_caseevent",
    "casework_referral",
    "casework_casecomplaint",
    "complaints_complaint",
    "complaints_complainantidentity",
    "complaints_rating",
    "core_deadline",
    "core_deadlinechange",
    "core_outboundemail",
    "core_outboundattachment",
    "approvals_approvalrecord",
    "approvals_approvalstepevent",
    "approvals_approvalsignal",
    "inspections_inspection",
    "inspections_inspection_items",
    "reports_casefact",
    "reports_complaintfact",
    "reports_livefigure",
    "reports_livetotal",
]
COPIES = [
    "capacity_events_plain",
    "capacity_events_parted",
    "capacity_events_history",
    "capacity_events_migrated",
]


def _execute(sql: str, params=None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def _clock(sql: str, params=None) -> float:
    """Seconds one statement takes."""
    started = time.perf_counter()
    _execute(sql, params)
    return time.perf_counter() - started


def _drop_copies() -> None:
    for name in COPIES:
        _execute(f"DROP TABLE IF EXISTS {name} CASCADE")


def _sizes(cases: int) -> dict[str, dict]:
    rows = _execute(
        "SELECT relname, n_live_tup, pg_total_relation_size(relid) FROM pg_stat_user_tables"
        " WHERE relname = ANY(%s)",
        [GROWING],
    )
    return {
        name: {"rows": live, "bytes": size, "bytes_per_case": round(size / cases) if cases else None}
        for name, live, size in sorted(rows, key=lambda row: -row[2])
    }


def _build(multiply: int) -> tuple[int, int]:
    """The two copies at ``multiply`` times the timeline; returns (first year, last year)."""
    max_id, max_case = _execute(
        "SELECT coalesce(max(id), 0), coalesce(max(case_id), 0) FROM casework_caseevent"
    )[0]
    select = f"""SELECT e.id + k * {max_id} AS id, e.case_id + k * {max_case} AS case_id,
        e.at - make_interval(years => k) AS at, e.actor_id, e.action, e.from_status, e.to_status, e.note
      FROM casework_caseevent AS e CROSS JOIN generate_series(0, {multiply - 1}) AS k"""  # noqa: S608 (numbers)
    _execute(f"CREATE TABLE capacity_events_plain AS {select}")
    _execute("ALTER TABLE capacity_events_plain ADD PRIMARY KEY (id)")
    _execute("CREATE INDEX capacity_plain_case_at ON capacity_events_plain (case_id, at)")
    _execute("CREATE INDEX capacity_plain_at ON capacity_events_plain (at)")
    first, last = _execute(
        "SELECT extract(year FROM min(at) AT TIME ZONE 'Asia/Shanghai')::int,"
        " extract(year FROM max(at) AT TIME ZONE 'Asia/Shanghai')::int FROM capacity_events_plain"
    )[0]
    _execute("CREATE TABLE capacity_events_parted (LIKE capacity_events_plain) PARTITION BY RANGE (at)")
    for year in range(first, last + 1):
        _execute(
            f"CREATE TABLE capacity_events_parted_{year} PARTITION OF capacity_events_parted"
            f" FOR VALUES FROM ('{year}-01-01 00:00+08') TO ('{year + 1}-01-01 00:00+08')"
        )
    _execute("INSERT INTO capacity_events_parted SELECT * FROM capacity_events_plain")
    _execute("ALTER TABLE capacity_events_parted ADD PRIMARY KEY (id, at)")
    _execute("CREATE INDEX capacity_parted_case_at ON capacity_events_parted (case_id, at)")
    _execute("CREATE INDEX capacity_parted_at ON capacity_events_parted (at)")
    _execute("ANALYZE capacity_events_plain")
    _execute("ANALYZE capacity_events_parted")
    return first, last


def _reads(context, multiply: int, last_year: int) -> list[Result]:
    max_case = _execute("SELECT coalesce(max(case_id), 0) FROM casework_caseevent")[0][0]
    # Cases spread over the ten years (the same for both copies).
    cases = [
        (n * 7919) % max(max_case, 1) + 1 + (n % multiply) * max_case for n in range(1, CASES_LOOKED_UP + 1)
    ]
    month = dt.datetime(last_year, 3, 1, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    results = []
    for table, label in (
        ("capacity_events_plain", "plain"),
        ("capacity_events_parted", "partitioned by year"),
    ):

        def timeline(table=table) -> None:
            for case_id in cases:
                _execute(f"SELECT id, at, action FROM {table} WHERE case_id = %s ORDER BY at, id", [case_id])  # noqa: S608

        samples, _ = timed(timeline, repeat=context.repeat, warmup=1)
        events = _execute(f"SELECT count(*) FROM {table} WHERE case_id = ANY(%s)", [cases])[0][0]  # noqa: S608
        results.append(
            Result(
                key=f"capacity_timeline_{'parted' if 'parted' in table else 'plain'}",
                label=f"a case's timeline at {multiply}× the timeline, {label} (per case)",
                unit="ms",
                samples=[sample / len(cases) for sample in samples],
                extra={"cases": len(cases), "events_read": events},
            )
        )

        def month_scan(table=table) -> None:
            _execute(
                f"SELECT count(*), count(DISTINCT case_id) FROM {table} WHERE at >= %s AND at < %s",  # noqa: S608
                [month, month + dt.timedelta(days=31)],
            )

        samples, _ = timed(month_scan, repeat=context.repeat, warmup=1)
        results.append(
            Result(
                key=f"capacity_month_{'parted' if 'parted' in table else 'plain'}",
                label=f"a month's events at {multiply}× the timeline, {label}",
                unit="ms",
                samples=samples,
            )
        )
    return results


def _archive(first_year: int) -> list[Result]:
    """The two oldest years put away (the very first is only the edge of the load's spread)."""
    boundary = f"{first_year + 2}-01-01 00:00+08"
    events = _execute(f"SELECT count(*) FROM capacity_events_plain WHERE at < '{boundary}'")[0][0]  # noqa: S608
    deleted = _clock(f"DELETE FROM capacity_events_plain WHERE at < '{boundary}'")  # noqa: S608
    detached = 0.0
    for year in (first_year, first_year + 1):
        partition = f"capacity_events_parted_{year}"
        detached += _clock(f"ALTER TABLE capacity_events_parted DETACH PARTITION {partition}")
        detached += _clock(f"DROP TABLE {partition}")
    extra = {"events": events, "before": boundary}
    return [
        Result(
            key="capacity_archive_plain",
            label="the two oldest years put away, plain: DELETE",
            unit="s",
            samples=[deleted],
            extra=extra,
        ),
        Result(
            key="capacity_archive_parted",
            label="the two oldest years put away, partitioned: DETACH PARTITION and DROP",
            unit="s",
            samples=[detached],
            extra=extra,
        ),
    ]


def _migration() -> list[Result]:
    """The steps of the migration to a partitioned timeline, on a copy of the loaded table."""
    _execute("CREATE TABLE capacity_events_history AS SELECT * FROM casework_caseevent")
    _execute("ALTER TABLE capacity_events_history ADD PRIMARY KEY (id)")
    _execute("ALTER TABLE capacity_events_history ALTER COLUMN at SET NOT NULL")  # as the real table
    _execute("CREATE INDEX capacity_history_case_at ON capacity_events_history (case_id, at)")
    _execute("CREATE INDEX capacity_history_at ON capacity_events_history (at)")
    _execute("ANALYZE capacity_events_history")
    latest = _execute("SELECT coalesce(max(at), now()) FROM capacity_events_history")[0][0]
    boundary = f"{latest.year + 1}-01-01 00:00+08"
    steps = {
        "unique index (id, at), CONCURRENTLY": [
            "CREATE UNIQUE INDEX CONCURRENTLY capacity_history_id_at ON capacity_events_history (id, at)"
        ],
        "CHECK (at < next year) added NOT VALID, then validated": [
            "ALTER TABLE capacity_events_history ADD CONSTRAINT capacity_history_bound"
            f" CHECK (at < '{boundary}') NOT VALID",
            "ALTER TABLE capacity_events_history VALIDATE CONSTRAINT capacity_history_bound",
        ],
        "key moved to (id, at), partitioned parent created, history attached, next year's partition": [
            "CREATE TABLE capacity_events_migrated (LIKE capacity_events_history INCLUDING DEFAULTS)"
            " PARTITION BY RANGE (at)",
            "ALTER TABLE capacity_events_migrated ADD PRIMARY KEY (id, at)",
            "CREATE INDEX capacity_migrated_case_at ON capacity_events_migrated (case_id, at)",
            "CREATE INDEX capacity_migrated_at ON capacity_events_migrated (at)",
            # The key becomes (id, at), on the index built in step 1: no scan.
            "ALTER TABLE capacity_events_history DROP CONSTRAINT capacity_events_history_pkey,"
            " ADD CONSTRAINT capacity_events_history_pkey PRIMARY KEY USING INDEX capacity_history_id_at",
            "ALTER TABLE capacity_events_migrated ATTACH PARTITION capacity_events_history"
            f" FOR VALUES FROM (MINVALUE) TO ('{boundary}')",
            "CREATE TABLE capacity_events_migrated_next PARTITION OF capacity_events_migrated"
            f" FOR VALUES FROM ('{boundary}') TO ('{latest.year + 2}-01-01 00:00+08')",
        ],
    }
    results = []
    for n, (label, statements) in enumerate(steps.items(), start=1):
        seconds = sum(_clock(sql) for sql in statements)
        results.append(
            Result(
                key=f"capacity_migration_{n}",
                label=f"migration to a partitioned timeline, step {n}: {label} (1×)",
                unit="s",
                samples=[seconds],
            )
        )
    # The attached history answers as before: same rows through the new parent.
    before = _execute("SELECT count(*) FROM casework_caseevent")[0][0]
    after = _execute("SELECT count(*) FROM capacity_events_migrated")[0][0]
    for result in results:
        result.checks["every event reachable through the partitioned parent"] = before == after
    return results


def run(context) -> list[Result]:
    multiply = MULTIPLY
    cases = context.dataset.cases
    _drop_copies()
    try:
        sizes = _sizes(cases)
        started = time.perf_counter()
        first_year, last_year = _build(multiply)
        built = time.perf_counter() - started
        events = _execute("SELECT count(*) FROM capacity_events_plain")[0][0]
        results = _reads(context, multiply, last_year)
        results += _archive(first_year)
        results += _migration()
    finally:
        _drop_copies()
    results[0].extra.update(
        {
            "growing_tables": sizes,
            "timeline_copy": {
                "events": events,
                "years": [first_year, last_year],
                "built_seconds": round(built, 1),
            },
        }
    )
    context.notes.append(
        f"capacity: the timeline copies hold {events:,} events ({multiply}× the load, years"
        f" {first_year}–{last_year}), built in {built:.0f} s; the sizes of the growing tables are in"
        " the extra of capacity_timeline_plain"
    )
    return results
