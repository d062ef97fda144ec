import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from knox.models import AuthToken


class Command(BaseCommand):
    help = (
        "Issue an API token for a user (a service system's account, usually). The token is printed "
        "once; only its digest is stored. It expires after --hours (at most API_TOKEN_TTL_HOURS)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--hours", type=int, default=None, help="Lifetime in hours (default: API_TOKEN_TTL_HOURS)."
        )

    def handle(self, *args, username, hours, **options):
        limit = settings.API_TOKEN_TTL_HOURS
        hours = limit if hours is None else hours
        if not 1 <= hours <= limit:
            raise CommandError(f"--hours must be between 1 and API_TOKEN_TTL_HOURS ({limit}).")
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}.")
        instance, token = AuthToken.objects.create(user=user, expiry=dt.timedelta(hours=hours))
        self.stderr.write(
            f"Token for {username}, valid until {instance.expiry:%Y-%m-%d %H:%M %Z} (shown once):"
        )
        self.stdout.write(token)
