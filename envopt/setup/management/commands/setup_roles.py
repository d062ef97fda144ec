from django.core.management.base import BaseCommand

from envopt.setup.roles import roles_install


class Command(BaseCommand):
    help = "Create or update the role groups and their permissions (also runs after every migrate)."

    def handle(self, *args, **options):
        groups = roles_install(strict=True)
        for key, group in groups.items():
            self.stdout.write(f"{key}: {group.name} ({group.permissions.count()} permissions)")
