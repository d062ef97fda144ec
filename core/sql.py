"""Small helpers for the few statements written in SQL (set-based sweeps and recomputes)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.db import connection


def in_ids(column: str, ids: Collection[int]) -> tuple[str, list[Any]]:
    """``column`` is one of ``ids``: one array parameter on PostgreSQL (``= ANY(%s)``), where an
    IN list of tens of thousands of parameters costs more to build and parse than to run."""
    ids = list(ids)
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [ids]
    if not ids:
        return "1 = 0", []
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", ids
