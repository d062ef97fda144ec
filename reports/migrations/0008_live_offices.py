"""The dashboard's kept sums per office of the commission too (issue 17), on PostgreSQL.

The dispatch meeting's pack (``reports.ledger.pack``) gives each office of the commission its
cases' figures: accepted and concluded in the quarter, open and open-and-late now. The sums of
migration 0005 are per unit complained about and category or channel; this adds a third family,
dimension ``o``, whose value is the case's office (its id as text, ``'0'`` for none), so that the
pack reads them as the dashboard reads its own:

* ``reports_casefact`` gains ``office_id`` (0 for none);
* the case facts, the writers' functions (the refresh of cases and of complaints, the case trigger:
  moving a case to another office is a change), the recount and the drift check are replaced by
  versions whose contributions carry the case's office (none for a complaint: complaints make no
  ``o`` rows) and spread it as a third row;
* the office rows keep only what the pack reads (0005's ``OFFICE_COUNTERS``: accepted, concluded,
  open, the starts and ends of lateness); the other counters stay 0 there, so that a change of
  nothing else (the escalation sweep's levels, a rating) writes no office row;
* the totals (migration 0006) need nothing new: the merge totals every dimension per unit and per
  value, so an office's totals are the rows (``department_id`` -1, ``o``, office).

Then the sums are recounted. Going back drops the ``o`` rows and the column and restores 0007's
functions (and 0005's facts and drift check).
"""

import importlib

from django.db import migrations

# Frozen with migrations 0005–0007: a migration does not import the application's code.
_live = importlib.import_module("reports.migrations.0005_live_figures")
_totals = importlib.import_module("reports.migrations.0006_live_totals")
_netted = importlib.import_module("reports.migrations.0007_live_sums_preaggregated")

OFFICE_FACT = ",\n  coalesce(c.office_id, 0)::integer"
CASE_COLUMNS = [*_live.CASE_COLUMNS, "office_id"]
FACT_COLUMNS = [*_live._FACT_COLUMNS, "office_id"]


def _office_sums(source: str) -> str:
    return _netted._netted_sums(source, office=True)


def _replace(sql: str) -> str:
    return sql.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION")


CASE_FACTS = _replace(
    _live._facts_function("case", "casework_case", lambda cases: _live._case_facts(cases, OFFICE_FACT))
)
WRITERS = _replace(
    "".join(
        [
            _live._refresh(
                "case", "case_id", _live.CASE_CONTRIBUTIONS, _office_sums, _live.CASE_OFFICE, FACT_COLUMNS
            ),
            _live._refresh(
                "complaint", "complaint_id", _live.COMPLAINT_CONTRIBUTIONS, _office_sums, _live.COMPLAINT_OFFICE
            ),
            _live._on_case(_office_sums, CASE_COLUMNS, FACT_COLUMNS, _live.CASE_OFFICE),
        ]
    )
)

FORWARD = f"""
ALTER TABLE reports_casefact ADD COLUMN office_id integer NOT NULL DEFAULT 0;
{CASE_FACTS}
{WRITERS}
{_totals._recount(True, _netted._netted_sums, office=True)}
{_replace(_live._drift(office=True))}
SELECT reports_live_recount((now() AT TIME ZONE {_live.SHANGHAI})::date);
"""

BACKWARD = f"""
DELETE FROM reports_livefigure WHERE dimension = 'o';
DELETE FROM reports_livetotal WHERE dimension = 'o';
ALTER TABLE reports_casefact DROP COLUMN office_id;
{_replace(_live.CASE_FACTS)}
{_netted.FORWARD}
{_replace(_live._drift())}
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0007_live_sums_preaggregated"),
        ("casework", "0015_retention_timeline_redaction"),
    ]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
