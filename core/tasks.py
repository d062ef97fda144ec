"""Celery tasks: thin wrappers that take ids, call one service and are safe to run twice."""

from celery import shared_task
from django.core.cache import cache
from django.utils import timezone

WORKER_HEARTBEAT_KEY = "core:worker-heartbeat"


@shared_task(acks_late=True, ignore_result=True)
def worker_heartbeat(token: str = "") -> None:
    """Record that a worker took a task from the broker; /healthz reports when it last did."""
    cache.set(WORKER_HEARTBEAT_KEY, {"at": timezone.now().isoformat(), "token": token}, timeout=None)


@shared_task(acks_late=True, ignore_result=True)
def outbox_send(email_id: int) -> str:
    from core.outbox import outbox_deliver

    return outbox_deliver(email_id)


@shared_task(acks_late=True, ignore_result=True)
def outbox_send_batch(email_ids: list[int]) -> dict:
    from core.outbox import outbox_deliver_many

    return outbox_deliver_many(email_ids)


@shared_task(acks_late=True, ignore_result=True)
def outbox_sweep() -> dict:
    from core.outbox import outbox_sweep as sweep

    return sweep()


@shared_task(acks_late=True, ignore_result=True)
def escalation_sweep() -> dict:
    from core.ladder import escalation_sweep as sweep

    return sweep().as_dict()
