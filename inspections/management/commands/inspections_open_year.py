"""Open a year's annual inspection plans: every active department gets its plan and deadline."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from inspections.services.plans import plan_due_date, plans_open_year


class Command(BaseCommand):
    help = (
        "Give every active department its annual inspection plan for YEAR (default: this year), "
        "due on INSPECTION_PLAN_DUE, with reminders and escalation on the ladder. Safe to run twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("year", nargs="?", type=int, help="The plans' year (default: this year).")

    def handle(self, *args, year=None, **options):
        year = year or timezone.localdate().year
        created = plans_open_year(year)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(created)} plan(s) opened for {year}, due {plan_due_date(year):%Y-%m-%d}."
            )
        )
