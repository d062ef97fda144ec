"""Count the dashboard's figures again from the tables (PostgreSQL; issue 17).

manage.py figures_recount            # rebuild the kept sums from the source tables
manage.py figures_recount --check    # only compare: list what a recount would change, exit 1 if any

The triggers keep the sums as work happens; a recount is for after a bulk load or a restore of
part of the tables, and --check for monitoring that the two agree.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils.translation import gettext as _

from reports.dashboard.live_services import live_figures_drift, recount_live_figures


class Command(BaseCommand):
    help = "Rebuild the dashboard's live sums from the source tables; with --check, only compare."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Compare the kept sums with a recount; write nothing."
        )

    def handle(self, *args, check: bool = False, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                _("Only PostgreSQL keeps the dashboard's sums; this database counts from the tables.")
            )
        if check:
            drift = live_figures_drift()
            for row in drift[:50]:
                self.stdout.write(str(row))
            if drift:
                raise CommandError(
                    _("%(count)s rows of the kept sums differ from a recount.") % {"count": len(drift)}
                )
            self.stdout.write(_("The kept sums equal a recount."))
            return
        recount_live_figures()
        self.stdout.write(_("The dashboard's sums were counted again from the tables."))
