"""The yearly job that opens the annual inspection plans (a thin Celery wrapper, safe to run
twice). Imported by inspections.plans_escalation.plans_ladder_register(), so every process that
loads the apps (the worker too) knows the task by the name ``inspections.plans_tasks.…``."""

from celery import shared_task
from django.utils import timezone

from inspections.services.plans import plans_open_year


@shared_task(acks_late=True)
def inspection_plans_open_current_year() -> int:
    """Give every active department its plan for this year (Shanghai calendar); the number of
    plans opened (0 on a second run)."""
    return len(plans_open_year(timezone.localdate().year))
