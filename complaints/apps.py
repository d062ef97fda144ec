from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaint intake")

    def ready(self) -> None:
        # Imported here: the module imports the models (Django's rule for ready()).
        from complaints.retention import retention_kinds_register

        retention_kinds_register()  # the record of looks at identities, purged after its period
