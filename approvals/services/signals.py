"""Signals (预警纠错) on approval records. A STAND-IN: helper A2 writes this module (see
/work/helpers/APPROVALS.md); at the merge A2's file replaces this one. It exists only so that
the ingestion, which calls ``signals_evaluate`` once per batch, runs in a tree without it."""

from collections.abc import Iterable


def signals_evaluate(record_ids: Iterable[int], *, now=None) -> int:
    """Evaluate every per-record rule for these records; returns the number of signals raised.
    A2 writes it; this stand-in raises none."""
    return 0
