"""Celery wrappers of the reports' services: thin, and safe to run twice.

They stay in this module (the one Celery's autodiscovery finds), so their names stay
``reports.tasks.…``: the periodic-task rows of existing databases and envopt/setup/schedules.py
name them so, and CELERY_TASK_ROUTES routes ``reports.tasks.*``.
"""

from celery import shared_task

from core.periods import Quarter, previous_month
from reports.dashboard.selectors import dashboard_report
from reports.notifications.services import notification_run_prepare


@shared_task(acks_late=True)
def notification_reports_prepare_previous_month() -> int:
    """Prepare the draft notification of last month (Shanghai calendar) for staff to preview.

    A second run finds the period's run and returns it unchanged; nothing is sent here.
    """
    return notification_run_prepare(period=previous_month().label, actor=None).pk


@shared_task(acks_late=True, ignore_result=True)
def dashboard_figures_refresh() -> list[str]:
    """Recompute the current and the previous quarter's dashboard figures into the cache and the
    database (core.stored_figures: the copy the pages serve while the cache is down)."""
    current = Quarter.current()
    for quarter in (current, current.previous()):
        dashboard_report(quarter, refresh=True)
    return [current.label, current.previous().label]
