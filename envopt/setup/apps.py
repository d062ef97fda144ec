from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class SetupConfig(AppConfig):
    """The wiring app: roles and demo data span every app, so they live here."""

    name = "envopt.setup"
    label = "setup"
    verbose_name = _("Setup")

    def ready(self) -> None:
        from django.contrib.auth.models import Group

        from envopt.setup.roles import role_group_label, roles_install_after_migrate
        from envopt.setup.schedules import schedules_install_after_migrate

        # Group.name is data and the roles' groups are found by it: a role's group keeps its
        # stable English key and reads as the role's label in the reader's language wherever a
        # group is shown (Django has no hook for this but the model's __str__).
        Group.__str__ = role_group_label

        # Roles are data: every migrate brings the groups and their permissions up to date.
        post_migrate.connect(roles_install_after_migrate, sender=self)
        # Periodic jobs: installed once, then staff's to edit.
        post_migrate.connect(schedules_install_after_migrate, sender=self)
