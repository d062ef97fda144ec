from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

WORKER_HEARTBEAT_KEY = "core:worker-heartbeat"


@shared_task(acks_late=True, ignore_result=True)
def worker_heartbeat(token: str = "") -> None:
    """Record that a worker took a task from the broker; /healthz reports when it last did."""
    cache.set(WORKER_HEARTBEAT_KEY, {"at": timezone.now().isoformat(), "token": token}, timeout=None)
