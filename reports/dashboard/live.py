"""The dashboard's figures read from the sums kept as work happens (PostgreSQL): the rows of
``reports.live_sums`` made into the dashboard's tallies."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from reports.dashboard.tally import QuarterFigures, Tally
from reports.live_sums import COLUMNS, QUARTER_COUNTS, STATEMENT, read

_AT = {name: index for index, name in enumerate(COLUMNS)}
# Counts shown as they are kept.
_AS_KEPT = [(name, _AT[name]) for name in QUARTER_COUNTS if name not in ("handled", "handling_days")] + [
    (f"escalated_{level}", _AT[f"escalated_{level}_delta"]) for level in (1, 2, 3)
]


def _tally(values: list[int] | tuple[int, ...]) -> Tally:
    at = _AT
    counts = {name: values[index] for name, index in _AS_KEPT}
    counts["referred"] = values[at["transferred"]] + values[at["assigned"]]
    counts["concluded_on_time"] = values[at["concluded"]] - values[at["concluded_late"]]
    counts["open"] = values[at["open_delta"]]
    counts["open_late"] = values[at["late"]]
    counts["open_in_time"] = values[at["open_delta"]] - values[at["late"]]
    counts["escalated"] = values[at["escalated_delta"]]
    kept = Counter()
    dict.update(kept, counts)  # Counter(counts) would check the type of each argument: slower
    return Tally(counts=kept, handling_days=values[at["handling_days"]], handled=values[at["handled"]])


def count_live(item: QuarterFigures, now: dt.datetime) -> None:
    """Fill ``item`` (a quarter that has begun) from the kept sums: one statement."""
    rows = read(STATEMENT, item.quarter, now)
    departments = []
    for dimension, department_id, value, grouping, *values in rows:
        if not any(values):
            continue  # a group with nothing in this quarter (all its changes cancel out)
        tally = _tally(values)
        if grouping == 1:  # a department (over the categories)
            item.by_department[department_id or None] = tally
            departments.append(values)
        elif dimension == "c":
            item.by_category[value] = tally
        else:
            item.by_channel[value] = tally
    total = [0] * len(COLUMNS)
    for values in departments:
        total = [a + b for a, b in zip(total, values, strict=True)]
    item.total = _tally(total)
