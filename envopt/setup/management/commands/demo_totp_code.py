from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from envopt.setup.demo import DEMO_TOTP_DEVICE_NAME


class Command(BaseCommand):
    help = (
        "Print the current second-step code of a demo account (what its authenticator app would "
        "show), for trying the portal without a phone. Refuses when ENVOPT_ENV=production."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username, **options):
        if settings.PRODUCTION:
            raise CommandError(
                "demo_totp_code is for the demo; it refuses to run when ENVOPT_ENV=production."
            )
        device = TOTPDevice.objects.filter(
            user__username=username, name=DEMO_TOTP_DEVICE_NAME, confirmed=True
        ).first()
        if device is None:
            raise CommandError(f"{username} has no demo authenticator: run `manage.py seed_demo` first.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        self.stdout.write(f"{code:0{device.digits}d}")
