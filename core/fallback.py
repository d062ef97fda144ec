"""Counters and single-use marks in the database, for while the cache is down.

Rate limits (core/ratelimit.py, core/throttling.py) count in the cache, and the proof of work and
the receipt mark what was used once in it. When the cache raises one of
``core.outage.OUTAGE_ERRORS`` they count here instead, so limits still hold: one statement per
call (an upsert: ``INSERT … ON CONFLICT … DO UPDATE … RETURNING``, on PostgreSQL and SQLite alike),
atomic under concurrent requests without a lock held. A window's count here does not add to the
count the cache had before it went down: during an outage a client may get up to twice its rate
in the window it started in. Keys are digests (``fallback_key``): no address or secret is stored.
Rows past their expiry are deleted on the way (an index on ``expires_at``); the table is empty
again soon after an outage ends. Hand-written: no library keeps Django's cache semantics
(``add``/``incr`` with a timeout) in a table with an atomic upsert."""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.models import FallbackCounter

# Written out in the statements below (a literal, not a name built at run time).
assert FallbackCounter._meta.db_table == "core_fallbackcounter"


def fallback_key(*parts: str) -> str:
    """A key of ``parts`` that keeps none of them readable (an address, a challenge's salt)."""
    joined = "\x1f".join(parts)
    return hashlib.sha256(f"{settings.SECRET_KEY}:fallback:{joined}".encode()).hexdigest()


def _purge(now: dt.datetime) -> None:
    FallbackCounter.objects.filter(expires_at__lte=now).delete()


def fallback_incr(key: str, *, window: int) -> int:
    """Count one hit in the fixed window of ``window`` seconds that contains now; the count so far."""
    now = timezone.now()
    start = int(now.timestamp()) // window * window
    expires = dt.datetime.fromtimestamp(start + window, tz=dt.UTC)
    with transaction.atomic():
        _purge(now)
        with connection.cursor() as cursor:
            cursor.execute(
                'INSERT INTO "core_fallbackcounter" ("key", "count", "expires_at") VALUES (%s, 1, %s) '
                'ON CONFLICT ("key") DO UPDATE SET "count" = "core_fallbackcounter"."count" + 1 '
                'RETURNING "count"',
                [f"{key}:{start}", expires],
            )
            return cursor.fetchone()[0]


def fallback_add(key: str, *, timeout: int) -> bool:
    """Mark ``key`` for ``timeout`` seconds; False if it was marked already (as cache.add)."""
    now = timezone.now()
    with transaction.atomic():
        _purge(now)
        with connection.cursor() as cursor:
            cursor.execute(
                'INSERT INTO "core_fallbackcounter" ("key", "count", "expires_at") VALUES (%s, 1, %s) '
                'ON CONFLICT ("key") DO NOTHING',
                [key, now + dt.timedelta(seconds=timeout)],
            )
            return cursor.rowcount == 1


def fallback_marked(key: str) -> bool:
    """Whether ``key`` is marked now (a mark made while the cache was down)."""
    return FallbackCounter.objects.filter(key=key, expires_at__gt=timezone.now()).exists()
