"""What a figure is, how it is timed, and how its SQL statements are counted."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Goal:
    """What a figure is held to: ``value`` in ``unit``, at most (``<=``) or at least (``>=``)."""

    op: str
    value: float
    unit: str

    def met(self, measured: float) -> bool:
        return measured <= self.value if self.op == "<=" else measured >= self.value

    def __str__(self) -> str:
        return f"{'≤' if self.op == '<=' else '≥'} {self.value:g} {self.unit}"


@dataclass
class Result:
    """One figure: its samples (in ``unit``), the SQL statements of each sample, and extras."""

    key: str
    label: str
    unit: str
    samples: list[float]
    statements: list[int] | None = None
    goal: Goal | None = None
    anchor: str = ""  # the peer's figure, as the issue gives it
    extra: dict[str, Any] = field(default_factory=dict)
    # Further conditions of the goal (e.g. "0 errors"): name -> met?
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def met(self) -> bool | None:
        if self.goal is None and not self.checks:
            return None
        return (self.goal is None or self.goal.met(self.median)) and all(self.checks.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "unit": self.unit,
            "median": self.median,
            "min": min(self.samples),
            "max": max(self.samples),
            "samples": self.samples,
            "sql_statements": self.statements,
            "goal": str(self.goal) if self.goal else None,
            "checks": self.checks,
            "met": self.met,
            "anchor": self.anchor or None,
            **({"extra": self.extra} if self.extra else {}),
        }


class StatementCounter:
    """Counts every statement the default connection sends while active (an execute wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute, sql, params, many, context):
        self.count += 1
        return execute(sql, params, many, context)

    def __enter__(self) -> StatementCounter:
        from django.db import connection

        self._cm = connection.execute_wrapper(self)
        self._cm.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self._cm.__exit__(*exc)


def timed(
    fn: Callable[[], Any],
    *,
    repeat: int,
    warmup: int = 1,
    scale: float = 1000.0,
    setup: Callable[[], Any] | None = None,
) -> tuple[list[float], list[int]]:
    """Run ``fn`` ``warmup`` times untimed, then ``repeat`` times; each run's wall time (in
    milliseconds by default: ``scale`` 1000) and the statements it sent. ``setup`` runs before
    every run, outside the clock."""
    for _ in range(warmup):
        if setup:
            setup()
        fn()
    samples, statements = [], []
    for _ in range(repeat):
        if setup:
            setup()
        with StatementCounter() as counter:
            started = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - started
        samples.append(elapsed * scale)
        statements.append(counter.count)
    return samples, statements
