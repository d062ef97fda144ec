"""The periodic jobs, declared in one place and installed after every migrate. Staff edit them
afterwards in the admin (django-celery-beat); an existing schedule is never overwritten."""

from django.db import transaction
from django.utils.translation import gettext_noop

SCHEDULES = [
    {
        "name": gettext_noop("Send pending e-mails (outbox sweep)"),
        "task": "core.tasks.outbox_sweep",
        "every_minutes": 1,
    },
    {
        "name": gettext_noop("Escalation ladder: reminders, warnings, escalations"),
        "task": "core.tasks.escalation_sweep",
        # Once a working morning, so that warnings do not arrive just after midnight.
        "crontab": {
            "minute": "30",
            "hour": "8",
            "day_of_month": "*",
            "month_of_year": "*",
            "day_of_week": "*",
        },
    },
    {
        "name": gettext_noop("Dashboard figures of the current and previous quarter"),
        "task": "reports.tasks.dashboard_figures_refresh",
        "every_minutes": 5,
    },
    {
        "name": gettext_noop("Prepare last month's complaint notification reports for review"),
        "task": "reports.tasks.notification_reports_prepare_previous_month",
        "crontab": {
            "minute": "0",
            "hour": "7",
            "day_of_month": "1",
            "month_of_year": "*",
            "day_of_week": "*",
        },
    },
]


@transaction.atomic
def schedules_install() -> list[str]:
    """Create the schedules that do not exist yet; return the names created."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    created = []
    for entry in SCHEDULES:
        if PeriodicTask.objects.filter(task=entry["task"]).exists():
            continue
        if "every_minutes" in entry:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=entry["every_minutes"], period=IntervalSchedule.MINUTES
            )
            PeriodicTask.objects.create(name=entry["name"], task=entry["task"], interval=interval)
        else:
            crontab, _ = CrontabSchedule.objects.get_or_create(timezone="Asia/Shanghai", **entry["crontab"])
            PeriodicTask.objects.create(name=entry["name"], task=entry["task"], crontab=crontab)
        created.append(entry["name"])
    return created


def schedules_install_after_migrate(sender, **kwargs) -> None:
    schedules_install()
