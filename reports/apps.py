from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        # Imported here, not at the top: an app's models must not load before the registry is
        # ready (Django's rule for ready()), and these modules import the models.
        from core.deadlines import deadline_listeners
        from reports.dashboard.assessment_figures import drilldowns_register
        from reports.ledger.escalation import ledger_ladder_register
        from reports.models import REPLY_DEADLINE_KIND
        from reports.notifications.escalation import notification_ladder_register
        from reports.notifications.services import notification_reply_deadlines_recomputed

        # A calendar edit moves open reply deadlines; the reports' stored due dates follow.
        deadline_listeners.register(REPLY_DEADLINE_KIND, notification_reply_deadlines_recomputed)
        # A late reply, and a late ledger task, climb the escalation ladder like any other deadline.
        notification_ladder_register()
        ledger_ladder_register()
        # The admin's case, complaint and referral lists narrow to a dashboard or an assessment
        # figure through casework's drill-down filters, which know the figures only through this
        # registration.
        drilldowns_register()

        from core.exports import export_kinds
        from reports.dashboard.exports import dashboard_export_kinds
        from reports.ledger.exports import ledger_export_kind
        from reports.notifications.exports import notification_run_export_kind

        # The ledger's, the notification runs' and the dashboard's workbooks are written in the
        # background (core.exports).
        export_kinds.register(ledger_export_kind())
        export_kinds.register(notification_run_export_kind())
        for kind in dashboard_export_kinds():
            export_kinds.register(kind)
