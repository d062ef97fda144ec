from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspections of enterprises")

    def ready(self) -> None:
        # Imported here: the modules import the models (Django's rule for ready()).
        from inspections.entry_escalation import outcome_ladder_register
        from inspections.plans_escalation import plans_ladder_register

        outcome_ladder_register()  # an outcome not recorded in time climbs the escalation ladder
        plans_ladder_register()  # so does a plan not filed in time

        from inspections.retention import retention_kinds_register

        retention_kinds_register()  # personal data purged after its retention period
