from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AppraisalConfig(AppConfig):
    """Democratic appraisal of departments (民主评议, seed §三.6) and openness checks (政务公开, §三.4)."""

    name = "appraisal"
    verbose_name = _("Democratic appraisal and openness checks")

    def ready(self) -> None:
        # Imported here: the modules import the models (Django's rule for ready()).
        from appraisal.openness.escalation import rectification_ladder_register

        rectification_ladder_register()

        from appraisal.campaigns.retention import retention_kinds_register

        retention_kinds_register()  # personal data purged after its retention period
