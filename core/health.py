"""Reachability of the parts the portal cannot work without: database, cache, broker, and the
storage of evidence files (PRIVATE_MEDIA_ROOT), which must take a write."""

import tempfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from kombu import Connection


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    cache.set("healthz", "ok", timeout=10)
    if cache.get("healthz") != "ok":
        raise RuntimeError("cache did not return the value just written")


def check_broker() -> None:
    with Connection(
        settings.CELERY_BROKER_URL,
        transport_options=getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {}),
        connect_timeout=3,
    ) as conn:
        conn.ensure_connection(max_retries=1, timeout=3)


def check_storage() -> None:
    """Write a small file where evidence is kept and delete it: a full disk, a read-only mount or
    a volume owned by another user fails here, not on the next complainant's upload."""
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    root.mkdir(parents=True, exist_ok=True)  # as the storage itself would on the first upload
    with tempfile.NamedTemporaryFile(dir=root, prefix=".healthz-", delete=True) as probe:
        probe.write(b"ok")
        probe.flush()


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "storage": check_storage,
}


def health_report() -> tuple[bool, dict[str, str]]:
    """Run every check; return whether all passed and a part -> 'ok' or error map."""
    report: dict[str, str] = {}
    healthy = True
    for name, check in CHECKS.items():
        try:
            check()
        except Exception as exc:  # noqa: BLE001 - any failure means the part is down
            healthy = False
            report[name] = f"error: {type(exc).__name__}"
        else:
            report[name] = "ok"
    return healthy, report
