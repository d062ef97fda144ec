from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SetupConfig(AppConfig):
    """The wiring app: roles and demo data span every app, so they live here."""

    name = "envopt.setup"
    label = "setup"
    verbose_name = _("Setup")

    def ready(self) -> None:
        from envopt.setup.roles import roles_install_after_migrate
        from envopt.setup.schedules import schedules_install_after_migrate

        # Roles are data: every migrate brings the groups and their permissions up to date.
        post_migrate.connect(roles_install_after_migrate, sender=self)
        # Periodic jobs: installed once, then staff's to edit.
        post_migrate.connect(schedules_install_after_migrate, sender=self)
