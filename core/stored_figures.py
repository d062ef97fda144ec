"""Figures that take seconds to compute, kept in the cache and, beside it, in the database.

The dashboard's quarter and the efficiency assessment's ranking are computed by a beat task and
read by every page from the cache. Each computation is also stored in the database (one row
per key, ``core.StoredFigures``, a set-based upsert), so that:

while the cache is down, the pages serve the last figures stored, whatever their age (they say
when the figures were computed), and compute only what was never stored. While the cache is up
nothing changes: a figure missing from it is computed (and stored) as before.

Values are pickled, as the cache pickles them; a copy that no longer unpickles (a class moved)
counts as absent. Hand-written: a two-level cache with a durable lower level is no library's.
"""

import contextlib
import logging
import pickle
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache
from django.utils import timezone

from core.models import StoredFigures
from core.outage import OUTAGE_ERRORS

logger = logging.getLogger(__name__)

T = TypeVar("T")


def figures_store(key: str, value) -> None:
    """Store ``value`` as the last figures of ``key`` (insert or replace, one statement)."""
    StoredFigures.objects.bulk_create(
        [
            StoredFigures(
                key=key,
                payload=pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL),
                computed_at=timezone.now(),
            )
        ],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["payload", "computed_at"],
    )


def figures_stored(key: str):
    """The stored figures of ``key`` (None if absent or unreadable)."""
    payload = StoredFigures.objects.filter(key=key).values_list("payload", flat=True).first()
    if payload is None:
        return None
    try:
        return pickle.loads(bytes(payload))  # noqa: S301 (our own rows, written by figures_store)
    except Exception:  # a class renamed or moved since: compute again
        logger.warning("stored figures %s could not be read back", key)
        return None


def _cache_set(key: str, value, timeout: int) -> None:
    with contextlib.suppress(OUTAGE_ERRORS):  # the stored copy serves until the cache is back
        cache.set(key, value, timeout=timeout)


def figures_read(
    key: str, compute: Callable[[], T], *, max_age: int, refresh: bool = False
) -> tuple[T, bool]:
    """(figures, from_store): from the cache; while the cache is down, the stored copy (any age);
    else ``compute()``, stored and cached for ``max_age`` seconds. With ``refresh`` always
    computed. ``from_store`` is True when the cache was down and the stored copy was served: the
    figures are not refreshed until it is back."""
    if not refresh:
        try:
            value = cache.get(key)
        except OUTAGE_ERRORS:
            value = figures_stored(key)
            if value is not None:
                return value, True
        else:
            if value is not None:
                return value, False
    value = compute()
    figures_store(key, value)
    _cache_set(key, value, max_age)
    return value, False
