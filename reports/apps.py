from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self) -> None:
        from core.deadlines import deadline_listeners
        from reports.models import REPLY_DEADLINE_KIND
        from reports.services import notification_reply_deadlines_recomputed

        # A calendar edit moves open reply deadlines; the reports' stored due dates follow.
        deadline_listeners.register(REPLY_DEADLINE_KIND, notification_reply_deadlines_recomputed)

        from reports.escalation import ladder_handlers_register

        # A late reply climbs the escalation ladder like any other deadline.
        ladder_handlers_register()
