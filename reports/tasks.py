"""Celery wrappers of the notification services: thin, and safe to run twice."""

from celery import shared_task

from reports.periods import previous_month


@shared_task(acks_late=True)
def notification_reports_prepare_previous_month() -> int:
    """Prepare the draft notification of last month (Shanghai calendar) for staff to preview.

    A second run finds the period's run and returns it unchanged; nothing is sent here.
    """
    from reports.services import notification_run_prepare

    return notification_run_prepare(period=previous_month().label, actor=None).pk


@shared_task(acks_late=True, ignore_result=True)
def dashboard_figures_refresh() -> list[str]:
    """Recompute the current and the previous quarter's dashboard figures into the cache."""
    from casework.figures import Quarter
    from reports.dashboard import dashboard_report

    current = Quarter.current()
    for quarter in (current, current.previous()):
        dashboard_report(quarter, refresh=True)
    return [current.label, current.previous().label]
