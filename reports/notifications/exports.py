"""A notification run as one workbook, written in the background (core.exports): a sheet of the
departments (complaints, status, sent, replied) and a sheet of every complaint of the run as it
was released to its department — the texts the preview shows and the departments receive,
never the complaint as filed nor who filed it."""

from collections.abc import Iterator

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exports import ExportFailed, ExportKind, ExportRun
from core.periods import PERIOD_TIMEZONE
from reports.models import NotificationItem, NotificationReport
from reports.notifications.selectors import notification_run_list
from reports.notifications.workbooks import category_label
from reports.xlsx import Sheet, write_workbook

NOTIFICATION_RUN_EXPORT = "reports.notification_run"
NOTIFICATION_RUN_EXPORT_PERMISSION = "reports.view_notificationrun"


def _local(moment):
    return moment.astimezone(PERIOD_TIMEZONE).replace(tzinfo=None) if moment else None


def notification_run_export_write(run: ExportRun) -> str:
    notification = notification_run_list(viewer=run.owner).filter(pk=run.filters.get("run")).first()
    if notification is None:
        raise ExportFailed(_("This notification run no longer exists."))
    reports = NotificationReport.objects.filter(run=notification).select_related("department")
    items = (
        NotificationItem.objects.filter(run=notification)
        .select_related("report__department")
        .order_by("report__department__name", "received_at", "pk")
    )
    total = items.count()
    run.progress(0, total)

    def item_rows() -> Iterator[list]:
        for done, item in enumerate(items.iterator(chunk_size=run.batch), start=1):
            yield [
                item.report.department.name,
                item.reference,
                item.received_at.astimezone(PERIOD_TIMEZONE).date(),
                category_label(item.category),
                item.text,
            ]
            if done % run.batch == 0:
                run.progress(done, total)

    sheets = [
        Sheet(
            title=_("Departments"),
            heading=[_("Complaint notification %(period)s") % {"period": notification.period}],
            header=[_("Department"), _("Complaints"), _("Status"), _("Sent out at"), _("Replied at")],
            rows=[
                [
                    report.department.name,
                    report.complaint_count,
                    report.get_status_display(),
                    _local(report.sent_at),
                    _local(report.replied_at),
                ]
                for report in reports.order_by("department__name")
            ],
            widths=(40, 12, 14, 18, 18),
        ),
        Sheet(
            title=_("Complaints"),
            header=[
                _("Department"),
                _("Reference"),
                _("Received on"),
                _("Category"),
                _("What the complaint says"),
            ],
            rows=item_rows(),
            widths=(40, 16, 12, 36, 100),
            wrap_columns=(4,),
        ),
    ]
    write_workbook(sheets, run.target)
    run.progress(total, total)
    return f"notification-run-{notification.period}-{timezone.localdate():%Y%m%d}.xlsx"


def notification_run_export_kind() -> ExportKind:
    return ExportKind(
        key=NOTIFICATION_RUN_EXPORT,
        label=gettext_lazy("Complaint notification run"),
        permission=NOTIFICATION_RUN_EXPORT_PERMISSION,
        write=notification_run_export_write,
    )
