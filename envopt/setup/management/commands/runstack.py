"""Serve the portal with a Celery worker and Celery beat beside it, for `make run`."""

import signal
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from envopt.setup.demo import demo_logins


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat together; Ctrl-C stops all three."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        log_dir = settings.VAR_DIR / "log"
        log_dir.mkdir(exist_ok=True)
        celery = [sys.executable, "-m", "celery", "-A", "envopt"]
        children = []
        for name, argv in [
            (
                "worker",
                [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "-Q", "default,mail,sweeps"],
            ),
            ("beat", [*celery, "beat", "--loglevel=INFO"]),
        ]:
            log = open(log_dir / f"{name}.log", "ab")  # noqa: SIM115 - owned by the child
            children.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT))  # noqa: S603
            self.stdout.write(f"Started Celery {name} (log: {log_dir / (name + '.log')})")

        base = f"http://{addrport}"
        self.stdout.write(
            self.style.SUCCESS(
                "\nenvopt is running:\n"
                f"  public portal      {base}/\n"
                f"  staff workplace    {base}/admin/\n"
                f"  health             {base}/healthz\n"
                f"  e-mail sent        {getattr(settings, 'EMAIL_FILE_PATH', settings.EMAIL_HOST)}\n"
            )
        )
        if not settings.PRODUCTION:
            for line in demo_logins():
                self.stdout.write(line)
        self.stdout.write("")

        def stop_children(*_args):
            for child in children:
                if child.poll() is None:
                    child.terminate()
            for child in children:
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

        signal.signal(signal.SIGTERM, lambda *a: (stop_children(), sys.exit(0)))
        try:
            call_command("runserver", addrport, use_reloader=False)
        finally:
            stop_children()
