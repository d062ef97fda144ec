from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApprovalsConfig(AppConfig):
    name = "approvals"
    verbose_name = _("Electronic supervision of approvals")

    def ready(self) -> None:
        # Imported here: the modules import the models (Django's rule for ready()).
        from approvals.escalation import correction_ladder_register

        correction_ladder_register()
