"""The dashboard's kept sums: the writers' contributions netted before they are spread (issue 17).

Every trigger computes the contributions of the facts it touched, the new ones added and the old
ones taken away, as long rows (quarter, unit, category, channel, counter, n), and migration 0005
turned them into the wide rows of ``reports_livefigure`` with one grouped pass of 26 filtered sums,
over every long row twice (a category row and a channel row). Most of what a change adds, it also
takes away: a due date moved changes a case's lateness and nothing else, yet all of its
contributions went through the 26 sums. Here the long rows are first summed per counter and the
ones that cancel out are dropped; only what is left is spread over the two dimensions and summed
into wide rows. The rows written are the same (measured at 100,000 cases: 74,366 rows either way
for 49,000 cases whose lateness moved, 7.5 s before and 2.7 s after).

The functions that write through the sums are replaced: ``reports_live_refresh_cases`` and
``…_complaints`` (every trigger), ``reports_live_on_case`` (the escalation sweep's short path) and
``reports_live_recount``. ``reports_live_drift`` keeps 0005's formulation, so that the check
compares the kept sums with a recount written the other way.
"""

import importlib

from django.db import migrations

# Frozen with migrations 0005 and 0006: a migration does not import the application's code.
_live = importlib.import_module("reports.migrations.0005_live_figures")
_totals = importlib.import_module("reports.migrations.0006_live_totals")
COUNTERS = _live.COUNTERS


def _netted_sums(source: str, office: bool = False) -> str:
    """``source``'s long rows summed per counter (dropping what cancels), then spread over the
    category and channel dimensions (and ``office``: the office, migration 0008) and summed into
    wide rows; rows that sum to nothing left out."""
    columns = ",\n    ".join(f"coalesce(sum(n) FILTER (WHERE name = '{c}'), 0) AS {c}" for c in COUNTERS)
    nonzero = " OR ".join(f"coalesce(sum(n) FILTER (WHERE name = '{c}'), 0) <> 0" for c in COUNTERS)
    families, value, where = _live._families(office)
    keys = "grain, period, day, department_id, category, channel, office" if office else (
        "grain, period, day, department_id, category, channel"
    )
    return f"""
  SELECT grain, period, day, department_id, f.dimension,
    {value} AS value,
    {columns}
  FROM (
    SELECT {keys}, name, sum(n) AS n
    FROM ({source}) AS raw
    GROUP BY {keys}, name
    HAVING sum(n) <> 0
  ) AS contributions CROSS JOIN (VALUES {families}) AS f(dimension){where}
  GROUP BY grain, period, day, department_id, f.dimension, {value}
  HAVING {nonzero}"""


def _functions(sums) -> str:
    text = "".join(
        [
            _live._refresh("case", "case_id", _live.CASE_CONTRIBUTIONS, sums),
            _live._refresh("complaint", "complaint_id", _live.COMPLAINT_CONTRIBUTIONS, sums),
            _live._on_case(sums),
        ]
    ).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")
    return text + _totals._recount(True, sums)


FORWARD = _functions(_netted_sums)
BACKWARD = _functions(None)  # 0005's functions, and 0006's recount


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("reports", "0006_live_totals")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
