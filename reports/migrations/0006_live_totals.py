"""The dashboard's kept sums, totalled per unit and per category or channel (issue 17), on PostgreSQL.

Migration 0005 keeps ``reports_livefigure`` per quarter, unit *and* category (or channel): about
10,000 rows a quarter at 100,000 cases, and a quarter of the dashboard read them all (the quarter,
the all-quarters rows, the later quarters'). The dashboard only shows units, categories and
channels one at a time, so this adds their totals:

* ``reports_livetotal``: per grain (``q`` a quarter, ``a`` all quarters) and period, one row per
  unit (dimension ``c``, value ``''``; the ``h`` rows per unit are the same numbers and are not
  read) and one per category or channel (``department_id`` -1): about 525 rows a quarter. Always
  equal to the sums of the *merged* rows of ``reports_livefigure``.
* ``reports_live_compact()`` (every minute) adds the rows it merges to the totals, under its
  advisory lock: only it writes them, so it updates them in place. Writers never touch them.
* A read takes the totals plus the rows appended since the last merge (a partial index finds those
  of a quarter), and the day rows as before.
* ``reports_live_recount()`` rebuilds them with the rest; ``reports_live_totals_drift()`` lists
  what they differ by from the merged rows.
"""

import importlib

from django.db import migrations, models

# Frozen with migration 0005: a migration does not import the application's code.
_live = importlib.import_module("reports.migrations.0005_live_figures")
COUNTERS = _live.COUNTERS
KEY = _live.KEY
SHANGHAI = _live.SHANGHAI
TOTAL_KEY = "grain, period, department_id, dimension, value"
NONZERO = " OR ".join(f"sum({c}) <> 0" for c in COUNTERS)


def _totals_of(source: str, where: str) -> str:
    """The rows of ``source`` (reports_livefigure's columns) matching ``where``, grains q and a,
    totalled per unit and per value (the unit -1)."""
    return f"""
  SELECT grain, period,
    CASE WHEN GROUPING(department_id) = 1 THEN -1 ELSE department_id END,
    dimension,
    CASE WHEN GROUPING(value) = 1 THEN '' ELSE value END,
    {", ".join(f"sum({c})" for c in COUNTERS)}
  FROM {source} WHERE grain IN ('q', 'a') AND {where}
  GROUP BY grain, period, dimension, GROUPING SETS ((department_id), (value))"""


# The merge (0005's), also adding the rows it merges to the totals. It alone writes them (in place),
# under its advisory lock; writers only append.
TOTALLED = f""", totalled AS (
    INSERT INTO reports_livetotal ({TOTAL_KEY}, {", ".join(COUNTERS)}){_totals_of("gone", "NOT merged")}
    ON CONFLICT ({TOTAL_KEY}) DO UPDATE SET
      {", ".join(f"{c} = reports_livetotal.{c} + excluded.{c}" for c in COUNTERS)}
    RETURNING 1
  )"""
COMPACT = _live._compact(TOTALLED).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
COMPACT_0005 = _live._compact().replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")  # for going back

REBUILD = f"""
-- The totals again from the merged rows (the recount's last step, and this migration's).
CREATE FUNCTION reports_live_totals_rebuild() RETURNS void LANGUAGE plpgsql SET jit = off AS $$
BEGIN
  PERFORM pg_advisory_xact_lock(hashtext('reports_livefigure'));
  DELETE FROM reports_livetotal;
  INSERT INTO reports_livetotal ({TOTAL_KEY}, {", ".join(COUNTERS)}){_totals_of("reports_livefigure", "merged")};
END $$;

-- What the totals differ by from the merged rows (merged minus totals), without writing.
CREATE FUNCTION reports_live_totals_drift() RETURNS TABLE (
  grain char(1), period date, department_id integer, dimension char(1), value varchar(20),
  {", ".join(f"{c} bigint" for c in COUNTERS)}
) LANGUAGE sql STABLE AS $$
  SELECT {TOTAL_KEY}, {", ".join(f"sum({c})::bigint" for c in COUNTERS)} FROM (
    {_totals_of("reports_livefigure", "merged")}
    UNION ALL
    SELECT {TOTAL_KEY}, {", ".join(f"-{c}" for c in COUNTERS)} FROM reports_livetotal
  ) AS both_sides ({TOTAL_KEY}, {", ".join(COUNTERS)})
  GROUP BY {TOTAL_KEY}
  HAVING {NONZERO}
$$;
"""


def _recount(with_totals: bool, sums=None, office: bool = False) -> str:
    tables = "reports_casefact, reports_complaintfact, reports_livefigure"
    totals = "\n  PERFORM reports_live_totals_rebuild();" if with_totals else ""
    return f"""
CREATE OR REPLACE FUNCTION reports_live_recount(cutoff date) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  TRUNCATE {tables};
  INSERT INTO reports_casefact SELECT * FROM reports_live_case_facts(NULL);
  INSERT INTO reports_complaintfact SELECT * FROM reports_live_complaint_facts(NULL);
  INSERT INTO reports_livefigure ({KEY}, {", ".join(COUNTERS)}, merged)
  SELECT *, true FROM ({(sums or _live._sums)(_live._all_contributions("reports_casefact", "reports_complaintfact", office), office)}) AS counted;
  PERFORM reports_live_fold(cutoff);
  PERFORM reports_live_compact();{totals}
END $$;
"""


FORWARD = f"""
CREATE TABLE reports_livetotal (
  id bigserial PRIMARY KEY,
  grain char(1) NOT NULL,
  period date NOT NULL,
  department_id integer NOT NULL,
  dimension char(1) NOT NULL,
  value varchar(20) NOT NULL,
  {", ".join(f"{c} integer NOT NULL DEFAULT 0" for c in COUNTERS)}
);
CREATE UNIQUE INDEX reports_livetotal_key ON reports_livetotal ({TOTAL_KEY});
-- The rows appended since the last merge, by quarter: what a read adds to the totals.
CREATE INDEX reports_livefigure_new_by_period ON reports_livefigure (grain, period) WHERE NOT merged;
-- Grain, period and day go together (the day rows are few of a quarter's up to today): without
-- these statistics PostgreSQL guessed five times too many at a million and scanned the table
-- (86 ms instead of 21 for the quarter in progress).
CREATE STATISTICS reports_livefigure_grain_period_day (dependencies, mcv) ON grain, period, day
  FROM reports_livefigure;
{REBUILD}
{COMPACT}
{_recount(True)}
SELECT reports_live_compact();
SELECT reports_live_totals_rebuild();
"""

BACKWARD = f"""
{COMPACT_0005}
{_recount(False)}
DROP FUNCTION IF EXISTS reports_live_totals_rebuild, reports_live_totals_drift;
DROP INDEX IF EXISTS reports_livefigure_new_by_period;
DROP STATISTICS IF EXISTS reports_livefigure_grain_period_day;
DROP TABLE IF EXISTS reports_livetotal;
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0005_live_figures")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(forward, backward, elidable=False)],
            # Declared to Django (reports.live_models) so that flush empties it with the rest.
            state_operations=[
                migrations.CreateModel(
                    name="LiveTotal",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("grain", models.CharField(max_length=1)),
                        ("period", models.DateField()),
                        ("department_id", models.IntegerField()),
                        ("dimension", models.CharField(max_length=1)),
                        ("value", models.CharField(max_length=20)),
                        *[(name, models.IntegerField(default=0)) for name in COUNTERS],
                    ],
                    options={"db_table": "reports_livetotal", "default_permissions": ()},
                ),
            ],
        )
    ]
