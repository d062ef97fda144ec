from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    label = "core"
    verbose_name = _("Shared mechanisms")

    def ready(self) -> None:
        # Models are loaded only now: the receivers import the user and group models.
        from core.accounts_audit import access_audit_connect

        # Every grant of a role or permission is recorded, whoever or whatever makes it.
        access_audit_connect()
