"""Celery wrappers of the reports' services: thin, and safe to run twice.

They stay in this module (the one Celery's autodiscovery finds), so their names stay
``reports.tasks.…``: the periodic-task rows of existing databases and envopt/setup/schedules.py
name them so, and CELERY_TASK_ROUTES routes ``reports.tasks.*``.
"""

from celery import shared_task

from core.periods import previous_month
from reports.dashboard.live_services import compact_live_figures, fold_live_figures
from reports.notifications.services import notification_run_prepare


@shared_task(acks_late=True)
def notification_reports_prepare_previous_month() -> int:
    """Prepare the draft notification of last month (Shanghai calendar) for staff to preview.

    A second run finds the period's run and returns it unchanged; nothing is sent here.
    """
    return notification_run_prepare(period=previous_month().label, actor=None).pk


@shared_task(acks_late=True, ignore_result=True)
def live_figures_fold() -> int:
    """Fold the dashboard's day rows of lateness before today into their quarters (nightly; the
    figures read the same, the quarter in progress reads fewer rows). Safe twice: a second run
    finds nothing to fold."""
    return fold_live_figures()


@shared_task(acks_late=True, ignore_result=True)
def live_figures_compact() -> int:
    """Merge the rows appended to the dashboard's sums since the last run (every minute; the
    figures read the same, with fewer rows to read). Safe twice, and never in a writer's way."""
    return compact_live_figures()
