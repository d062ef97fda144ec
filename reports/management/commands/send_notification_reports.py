"""Prepare (and with --approve, approve and send) the complaint notification of a period.

manage.py send_notification_reports --period 2026-10             # prepare, print, stop at draft
manage.py send_notification_reports --period 2026Q3 --dry-run    # print only, write nothing
manage.py send_notification_reports --period 2026-10 --approve   # scheduled runs: approve and send
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.errors import InvalidTransition
from core.periods import period_parse
from reports.models import NotificationItem, NotificationRun
from reports.notifications import services
from reports.notifications.workbooks import category_label, counts_in_order


class DryRunRollback(Exception):
    """Raised at the end of a dry run so that the transaction rolls back."""


class Command(BaseCommand):
    help = "Prepare the complaint notification of a month or quarter; with --approve, approve and send it."

    def add_arguments(self, parser):
        parser.add_argument(
            "--period", required=True, help="A month such as 2026-10 or a quarter such as 2026Q3."
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what each department would receive; write nothing."
        )
        parser.add_argument(
            "--approve",
            action="store_true",
            help=(
                "Approve and send without a preview (for scheduled runs). "
                "Refused if a text names a complainant."
            ),
        )

    def handle(self, *args, period: str, dry_run: bool, approve: bool, **options):
        try:
            label = period_parse(period).label
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        try:
            with transaction.atomic():
                run = services.notification_run_prepare(period=label, actor=None)
                if approve and run.status == NotificationRun.Status.DRAFT:
                    run = services.notification_run_approve(run=run, actor=None)
                if approve and run.status == NotificationRun.Status.APPROVED:
                    run = services.notification_run_send(run=run, actor=None)
                self._summary(run)
                if dry_run:
                    # Everything above, the outbox rows included, is rolled back; the e-mails
                    # would only have left after commit.
                    raise DryRunRollback
        except DryRunRollback:
            self.stdout.write(_("Dry run: nothing was saved and nothing was sent."))
            return
        except (ValidationError, InvalidTransition) as error:
            messages = error.messages if isinstance(error, ValidationError) else [str(error)]
            raise CommandError("\n".join(messages)) from error

        if run.status == NotificationRun.Status.DRAFT:
            url = settings.SITE_URL + reverse("admin:reports_notificationrun_change", args=[run.pk])
            self.stdout.write(
                _(
                    "Notification %(period)s is a draft. Nothing has been sent: preview and approve it "
                    "in the staff workplace: %(url)s"
                )
                % {"period": run.period, "url": url}
            )
        elif run.status == NotificationRun.Status.APPROVED:
            self.stdout.write(
                _(
                    "Notification %(period)s is approved but not sent: send it in the staff workplace "
                    "or run with --approve."
                )
                % {"period": run.period}
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Notification %(period)s sent on %(date)s.")
                    % {
                        "period": run.period,
                        "date": timezone.localtime(run.sent_at).strftime("%Y-%m-%d %H:%M"),
                    }
                )
            )

    def _summary(self, run: NotificationRun) -> None:
        self.stdout.write(
            _("Notification %(period)s (%(first)s – %(last)s): %(status)s")
            % {
                "period": run.period,
                "first": run.period_start.isoformat(),
                "last": run.period_end.isoformat(),
                "status": run.get_status_display(),
            }
        )
        reports = list(run.reports.select_related("department").order_by("department__name"))
        if not reports:
            self.stdout.write("  " + _("No complaints naming a department in the directory."))
        for report in reports:
            categories = ", ".join(
                f"{category_label(value)} {count}"
                for value, count in counts_in_order(report.counts_by_category)
            )
            self.stdout.write(
                "  "
                + ngettext(
                    "%(department)s <%(email)s>: %(count)d complaint (%(categories)s)",
                    "%(department)s <%(email)s>: %(count)d complaints (%(categories)s)",
                    report.complaint_count,
                )
                % {
                    "department": report.department.name,
                    "email": report.department.email or _("no e-mail address"),
                    "count": report.complaint_count,
                    "categories": categories,
                }
            )
        unassigned = NotificationItem.objects.filter(run=run, report__isnull=True).count()
        if unassigned:
            self.stdout.write(
                "  "
                + ngettext(
                    "Not sent: %(count)d complaint naming a unit that is not in the directory.",
                    "Not sent: %(count)d complaints naming units that are not in the directory.",
                    unassigned,
                )
                % {"count": unassigned}
            )
