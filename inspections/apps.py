from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("Inspections of enterprises")

    def ready(self) -> None:
        # Imported here: the modules import the models (Django's rule for ready()).
        from inspections.plans_escalation import plans_ladder_register

        plans_ladder_register()  # a plan not filed in time climbs the escalation ladder
