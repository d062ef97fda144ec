"""The figure groups, in the order they run: reads first, then what writes (the sweep moves
ladder steps, the recompute moves due dates, the HTTP run files complaints)."""

from __future__ import annotations

import importlib
from collections.abc import Callable

from bench.measure import Result

GROUPS = {
    "pages": "bench.figures.pages",
    "inspections": "bench.figures.inspections",
    "approvals": "bench.figures.approvals",
    "export": "bench.figures.export",
    "sweep": "bench.figures.sweep",
    "recompute": "bench.figures.recompute",
    "notifications": "bench.figures.notifications",
    "http": "bench.figures.http",
    "capacity": "bench.figures.capacity",
}


def run_groups(context, names: list[str], *, on_error: Callable[[], None]) -> tuple[list[Result], list[str]]:
    """Run each named group's ``run(context)``; a group that fails is reported, the rest go on."""
    results: list[Result] = []
    errors: list[str] = []
    for name in GROUPS:
        if name not in names:
            continue
        print(f"· {name}", flush=True)
        try:
            module = importlib.import_module(GROUPS[name])
            group_results = module.run(context)
        except Exception:
            on_error()
            errors.append(name)
            continue
        for result in group_results:
            print(f"    {result.label}: {result.median:,.2f} {result.unit}", flush=True)
        results += group_results
    return results, errors
