"""The periodic jobs, declared in one place and installed after every migrate. Staff edit them
afterwards in the admin (django-celery-beat); an existing schedule is never overwritten.

A job's name (PeriodicTask.name) is data that staff read and may edit: it is written in the
site's language (settings.LANGUAGE_CODE). A job found by its task still bearing the name it was
first installed with in English is renamed to the translation; a name staff changed is kept."""

from django.conf import settings
from django.db import transaction
from django.utils import translation
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
        "name": gettext_noop("Dashboard figures: merge the rows added since the last minute"),
        "task": "reports.tasks.live_figures_compact",
        "every_minutes": 1,
    },
    {
        "name": gettext_noop("Dashboard figures: fold the past days' lateness into their quarters"),
        "task": "reports.tasks.live_figures_fold",
        # Just after midnight (Shanghai): yesterday's day rows become one row per unit.
        "crontab": {
            "minute": "5",
            "hour": "0",
            "day_of_month": "*",
            "month_of_year": "*",
            "day_of_week": "*",
        },
    },
    {
        "name": gettext_noop("Open this year's annual inspection plans of the departments"),
        "task": "inspections.plans_tasks.inspection_plans_open_current_year",
        # 2 January: every active department gets its plan, due on INSPECTION_PLAN_DUE.
        "crontab": {
            "minute": "0",
            "hour": "7",
            "day_of_month": "2",
            "month_of_year": "1",
            "day_of_week": "*",
        },
    },
    {
        "name": gettext_noop("Approval signals: prompts before the promised limit, overdue approvals"),
        "task": "approvals.tasks.signals_sweep_task",
        # Every morning, before the escalation ladder's sweep at 8:30, so that a signal raised
        # today is on the day's lists; on non-working days too (a limit may end on a make-up day).
        "crontab": {
            "minute": "0",
            "hour": "7",
            "day_of_month": "*",
            "month_of_year": "*",
            "day_of_week": "*",
        },
    },
    {
        "name": gettext_noop(
            "Democratic appraisal: reminders before closing, campaigns closed on their date"
        ),
        "task": "appraisal.campaigns.tasks.appraisal_sweep_task",
        "crontab": {
            "minute": "15",
            "hour": "7",
            "day_of_month": "*",
            "month_of_year": "*",
            "day_of_week": "*",
        },
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
    {
        "name": gettext_noop("Background exports: remove expired files, run again what a worker left"),
        "task": "core.tasks.export_job_sweep_task",
        "every_minutes": 5,
    },
    {
        "name": gettext_noop("Purge personal data past its retention period"),
        "task": "core.tasks.personal_data_purge_task",
        # Monthly, on the 3rd at 3:30 at night (Shanghai), away from the morning sweeps.
        "crontab": {
            "minute": "30",
            "hour": "3",
            "day_of_month": "3",
            "month_of_year": "*",
            "day_of_week": "*",
        },
    },
    {
        "name": gettext_noop("Read the complaint mailbox (complaints by e-mail)"),
        "task": "complaints.tasks.complaint_mailbox_fetch",
        # Does nothing while COMPLAINT_MAILBOX_HOST is unset.
        "every_minutes": 3,
    },
]


# Jobs whose task is gone: their rows are removed at the next migrate, or the beat would send a
# task no worker knows. The dashboard is counted as work happens since issue 17.
RETIRED_TASKS = ["reports.tasks.dashboard_figures_refresh"]


def schedule_name(entry: dict) -> str:
    """The job's name in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        return translation.gettext(entry["name"])


@transaction.atomic
def schedules_install() -> list[str]:
    """Create the schedules that do not exist yet, and give the existing ones that still bear
    their English name the translated one; return the names created."""
    from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

    PeriodicTask.objects.filter(task__in=RETIRED_TASKS).delete()
    created = []
    for entry in SCHEDULES:
        name = schedule_name(entry)
        existing = list(PeriodicTask.objects.filter(task=entry["task"]))
        if existing:
            for task in existing:
                if task.name == entry["name"] and name != entry["name"]:
                    task.name = name  # save(), so that a running beat notices the change
                    task.save(update_fields=["name"])
            continue
        if "every_minutes" in entry:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=entry["every_minutes"], period=IntervalSchedule.MINUTES
            )
            PeriodicTask.objects.create(name=name, task=entry["task"], interval=interval)
        else:
            crontab, _ = CrontabSchedule.objects.get_or_create(timezone="Asia/Shanghai", **entry["crontab"])
            PeriodicTask.objects.create(name=name, task=entry["task"], crontab=crontab)
        created.append(name)
    return created


def schedules_install_after_migrate(sender, **kwargs) -> None:
    schedules_install()
