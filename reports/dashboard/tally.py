"""What the dashboard counts for one quarter: a ``Tally`` per group (the whole quarter, each
department, category and channel) in a ``QuarterFigures``, filled either by counting the tables
(``selectors.Dashboard``) or from the sums kept as work happens (``live``)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import add

from core.periods import Period
from reports.dashboard.figures import DERIVED

# GROUPING() of each set: a bit is set for each dimension summed over.
_SETS = {0b011: 0, 0b101: 1, 0b110: 2, 0b111: None}  # department, category, channel, total


@dataclass
class Tally:
    """Every counted figure for one group: the whole quarter, a department, a category or a channel."""

    counts: Counter = field(default_factory=Counter)
    handling_days: int = 0
    handled: int = 0  # concluded cases whose working days are summed in handling_days

    def __getitem__(self, key: str) -> int:
        return self.counts[key]

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def self_share(self) -> float | None:
        return self._share(self["self_handled"], self["self_handled"] + self["referred"])

    @property
    def on_time_rate(self) -> float | None:
        return self._share(self["concluded_on_time"], self["concluded"])

    @property
    def satisfaction_rate(self) -> float | None:
        return self._share(self["rated_satisfied"] + self["rated_basically"], self["rated"])

    @property
    def average_handling_days(self) -> float | None:
        return self.handling_days / self.handled if self.handled else None

    def value(self, key: str) -> int | float | None:
        if key in DERIVED:
            return getattr(self, key)
        return self[key]


@dataclass
class QuarterFigures:
    quarter: Period
    as_of: dt.datetime
    total: Tally = field(default_factory=Tally)
    by_department: dict[int | None, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_category: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))
    by_channel: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))

    def add_sums(self, rows: Iterable[tuple], keys: tuple[str, ...]) -> None:
        """Rows of (department_id, category, channel, *counts, grouping) already summed per
        dimension by the database (see _counted_rows)."""
        tallies = (self.by_department, self.by_category, self.by_channel)
        for row in rows:
            *values, grouping = row
            dimension = _SETS[grouping]
            tally = self.total if dimension is None else tallies[dimension][values[dimension]]
            tally.counts.update(dict(zip(keys, values[3:], strict=True)))

    def add_rows(self, rows: Iterable[tuple], keys: tuple[str, ...]) -> None:
        """Rows of (department_id, category, channel, *counts in the order of ``keys``). A big
        commission has tens of thousands of such groups per quarter: the counts are summed as
        plain lists per dimension first, and go into the tallies once per dimension value."""
        total = [0] * len(keys)
        sums: tuple[dict, dict, dict] = ({}, {}, {})
        for department_id, category, channel, *counts in rows:
            total[:] = map(add, total, counts)
            for table, value in zip(sums, (department_id, category, channel), strict=True):
                current = table.get(value)
                if current is None:
                    table[value] = list(counts)
                else:
                    current[:] = map(add, current, counts)
        tallies = (self.by_department, self.by_category, self.by_channel)
        for tally, counts in [(self.total, total)] + [
            (tallies[i][value], counts) for i, table in enumerate(sums) for value, counts in table.items()
        ]:
            tally.counts.update(dict(zip(keys, counts, strict=True)))

    def add_handling(self, *, days: int, department_id, category, channel) -> None:
        for tally in (
            self.total,
            self.by_department[department_id],
            self.by_category[category],
            self.by_channel[channel],
        ):
            tally.handling_days += days
            tally.handled += 1
