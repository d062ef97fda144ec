"""Celery tasks: thin wrappers that take ids, call one service and are safe to run twice.

The outbox is beneath these tasks: CoreConfig.ready registers ``outbox_send`` and
``outbox_send_batch`` with it (``outbox.outbox_tasks``), and it hands its rows to them after
commit without importing this module.
"""

from celery import shared_task
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from core import exports, ladder, outbox, retention

WORKER_HEARTBEAT_KEY = "core:worker-heartbeat"


@shared_task(acks_late=True, ignore_result=True)
def worker_heartbeat(token: str = "") -> None:
    """Record that a worker took a task from the broker; /healthz reports when it last did."""
    cache.set(WORKER_HEARTBEAT_KEY, {"at": timezone.now().isoformat(), "token": token}, timeout=None)


@shared_task(acks_late=True, ignore_result=True)
def outbox_send(email_id: int) -> str:
    return outbox.outbox_deliver(email_id)


@shared_task(acks_late=True, ignore_result=True)
def outbox_send_batch(email_ids: list[int]) -> dict:
    return outbox.outbox_deliver_many(email_ids)


@shared_task(acks_late=True, ignore_result=True)
def outbox_sweep() -> dict:
    return outbox.outbox_sweep()


@shared_task(acks_late=True, ignore_result=True)
def escalation_sweep() -> dict:
    return ladder.escalation_sweep().as_dict()


@shared_task(acks_late=True, ignore_result=True)
def personal_data_purge_task() -> dict:
    """The monthly purge of personal data past its retention period (safe to run twice: what
    was purged is no longer a candidate). Refuses, like the command, settings below a safe minimum."""
    run, _outcomes = retention.personal_data_purge(dry_run=False, actor_name="beat")
    return {"run": run.pk, "counts": run.counts}


@shared_task(
    acks_late=True,
    ignore_result=True,
    time_limit=settings.EXPORT_TIME_LIMIT,
    soft_time_limit=max(settings.EXPORT_TIME_LIMIT - 30, 1),
)
def export_job_run_task(job_id: int) -> str:
    return exports.export_job_run(job_id)


@shared_task(acks_late=True, ignore_result=True)
def export_job_sweep_task() -> dict:
    return exports.export_job_sweep()
