from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    label = "core"
    verbose_name = _("Shared mechanisms")

    def ready(self) -> None:
        # Imported here, not at the top: these modules import models, which Django loads only
        # after every AppConfig is created (the app registry's rule, not a circle).
        from celery.signals import task_postrun, task_prerun

        from core.accounts_audit import access_audit_connect
        from core.calendar import calendar_changed
        from core.deadlines import deadlines_follow_calendar
        from core.exports import export_tasks
        from core.metrics import sweep_timing_finish, sweep_timing_start
        from core.outbox import outbox_tasks
        from core.retention_kinds import retention_kinds_register
        from core.tasks import export_job_run_task, outbox_send, outbox_send_batch

        # Every grant of a role or permission is recorded, whoever or whatever makes it.
        access_audit_connect()
        # The mechanisms below know nothing of those above them; they are wired here.
        # Open deadlines move when the calendar announces a change.
        calendar_changed.connect(deadlines_follow_calendar, dispatch_uid="core.deadlines_follow_calendar")
        # The outbox hands its rows, after commit, to the tasks that send them.
        outbox_tasks.register(send=outbox_send, send_batch=outbox_send_batch)
        # How long each sweep task takes, for /metrics (the sweeps themselves know nothing of it).
        task_prerun.connect(sweep_timing_start, dispatch_uid="core.sweep_timing_start")
        task_postrun.connect(sweep_timing_finish, dispatch_uid="core.sweep_timing_finish")
        # Its own kinds of personal data for the purge (e-mails sent, login records).
        retention_kinds_register()
        # Background exports hand their jobs to the task that writes the workbook.
        export_tasks.register(run=export_job_run_task)
