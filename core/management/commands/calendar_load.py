"""Load the PRC working-day calendar from the chinese-calendar package; safe to run again."""

from django.core.management.base import BaseCommand, CommandError

from core.calendar import calendar_years_load, package_years


class Command(BaseCommand):
    help = (
        "Load holidays and make-up working days from the chinese-calendar package (every year it covers, "
        "or --years FIRST [LAST]). Years staff entered or corrected are kept unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--years",
            nargs="+",
            type=int,
            metavar="YEAR",
            help="One year, or FIRST LAST for an inclusive range.",
        )
        parser.add_argument(
            "--force", action="store_true", help="Overwrite years staff entered or corrected."
        )

    def handle(self, *args, years=None, force=False, **options):
        supported = package_years()
        if not years:
            wanted = supported
        elif len(years) == 1:
            wanted = range(years[0], years[0] + 1)
        elif len(years) == 2 and years[0] <= years[1]:
            wanted = range(years[0], years[1] + 1)
        else:
            raise CommandError("--years takes one year or FIRST LAST with FIRST <= LAST")
        try:
            outcome = calendar_years_load(years=wanted, force=force)
        except ValueError as error:
            raise CommandError(str(error)) from error
        for year, what in sorted(outcome.items()):
            self.stdout.write(f"{year}: {what}")
        self.stdout.write(
            self.style.SUCCESS(
                f"chinese-calendar covers {supported.start}–{supported.stop - 1}; {len(outcome)} years"
            )
        )
