from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from envopt.setup.demo import demo_install, demo_logins


class Command(BaseCommand):
    help = "Load the demo directory, accounts and complaints. Safe to run again: it creates nothing twice."

    def add_arguments(self, parser):
        parser.add_argument("--quiet-logins", action="store_true", help="Do not print the demo logins.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "seed_demo creates accounts with known passwords; it refuses to run "
                "when ENVOPT_ENV=production."
            )
        counts = demo_install()
        self.stdout.write(", ".join(f"{n} {label}" for label, n in counts.items()))
        if not options["quiet_logins"]:
            for line in demo_logins():
                self.stdout.write(line)
