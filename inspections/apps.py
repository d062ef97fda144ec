from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspections of enterprises")

    def ready(self) -> None:
        from inspections.entry_escalation import outcome_ladder_register  # scan-to-enter: late outcomes

        outcome_ladder_register()
