"""The daily signal sweep as a Celery task (a thin wrapper, safe to run twice). Imported by
approvals.escalation.correction_ladder_register(), so every process that loads the apps (the
worker too) knows the task by its name ``approvals.tasks.signals_sweep_task``."""

from celery import shared_task

from approvals.services.sweep import signals_sweep


@shared_task(acks_late=True)
def signals_sweep_task() -> int:
    """Raise today's prompts and overdue signals of pending approvals; the number raised."""
    return signals_sweep()
