"""The escalation sweep (``core.ladder.escalation_sweep``), as Celery beat runs it.

First run: the loaded data has never been swept, so every open item due a step climbs (the
peer's ``escalate_tickets`` anchor: 49.7 s, 79,747 queries for 10,838 escalations). Before
each timed first run the ladder is put back (``ladder_step`` 0, escalation levels 0, the
digests deleted), outside the clock. Then the same sweep again, with nothing due.

"Statements do not grow with the items" is checked, not assumed: a run with only half of
the items due (the other half already at the top step) must send the same number of
statements as the full run.
"""

from __future__ import annotations

from django.db import connection, transaction

from bench.database import tables_vacuum
from bench.measure import Goal, Result, timed
from casework.models import Case
from core.ladder import escalation_sweep
from core.models import Deadline, OutboundEmail


def _reset(*, every: int = 1) -> None:
    """Put the ladder back to "never swept"; with ``every=2`` only every other item."""
    with transaction.atomic(), connection.cursor() as cursor:
        table = connection.ops.quote_name(Deadline._meta.db_table)
        cursor.execute(
            f"UPDATE {table} SET ladder_step = CASE WHEN id %% %s = 0 THEN 0 ELSE 3 END "  # noqa: S608
            "WHERE status = %s AND ladder_step <> CASE WHEN id %% %s = 0 THEN 0 ELSE 3 END",
            [every, Deadline.Status.OPEN, every],
        )
        Case.objects.filter(escalation_level__gt=0).update(escalation_level=0)
        OutboundEmail.objects.filter(kind__startswith="ladder_").delete()
    tables_vacuum(Deadline)


def run(context) -> list[Result]:
    last: dict = {}

    def sweep():
        last["result"] = escalation_sweep()

    samples, statements = timed(sweep, repeat=context.repeat, warmup=0, scale=1.0, setup=_reset)
    result = last["result"]
    items, emails = len(result.items), result.emails
    first = Result(
        key="sweep_first",
        label="escalation sweep, first run",
        unit="s",
        samples=samples,
        statements=statements,
        # Issue 17: 0.8 s at 100k (about 11,000 items), 8 s at a million.
        goal=Goal("<=", 0.8 if context.scale.complaints <= 100_000 else 8.0, "s"),
        anchor="49.7 s, 79,747 queries",
        extra={"items": items, "steps": result.steps, "emails": emails},
    )
    # The same data with half of the items due: the statement count must not move.
    _half_samples, half_statements = timed(
        sweep, repeat=1, warmup=0, scale=1.0, setup=lambda: _reset(every=2)
    )
    half_items = len(last["result"].items)
    first.extra["half_run"] = {"items": half_items, "sql_statements": half_statements[0]}
    first.checks["SQL statements do not grow with the items"] = half_statements[0] == statements[-1]

    # Again, with nothing due: what every later beat costs. The first run's updates leave dead
    # index entries behind; autovacuum removes them before the next beat (a day later; the
    # deadline table's threshold is 1 % of its rows, migration core 0008), as here.
    _reset()
    escalation_sweep()
    tables_vacuum(Deadline)
    again_samples, again_statements = timed(sweep, repeat=context.repeat, warmup=0)
    again = Result(
        key="sweep_again",
        label="same sweep run again (nothing due)",
        unit="ms",
        samples=again_samples,
        statements=again_statements,
        # Issue 17: 10 ms at 100k, 20 ms at a million.
        goal=Goal("<=", 10 if context.scale.complaints <= 100_000 else 20, "ms"),
        extra={"items": len(last["result"].items)},
    )
    again.checks["nothing escalated twice"] = len(last["result"].items) == 0
    return [first, again]
