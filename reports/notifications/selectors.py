"""Shared reads of the notification system: one visibility rule per role.

A department sees its own departments' reports once they are sent, never a draft and never
another department's; staff with the run permissions see every run in the admin.
"""

from django.db.models import Count, Q, QuerySet, Sum

from casework.selectors import departments_of
from reports.models import NotificationItem, NotificationReport, NotificationRun

DEPARTMENT_PERMISSION = "liaison.access_department_portal"
STAFF_PERMISSIONS = (
    "reports.view_notificationrun",
    "reports.change_notificationrun",
    "reports.approve_notificationrun",
)


def notification_report_list(viewer) -> QuerySet[NotificationReport]:
    """The reports a department-portal user may read: sent to one of their departments."""
    if not (getattr(viewer, "is_authenticated", False) and viewer.has_perm(DEPARTMENT_PERMISSION)):
        return NotificationReport.objects.none()
    return NotificationReport.objects.filter(
        department_id__in=departments_of(viewer), status__in=NotificationReport.RELEASED_STATUSES
    ).select_related("run", "department", "deadline")


def notification_report_items(*, report: NotificationReport) -> QuerySet[NotificationItem]:
    """A report's complaints as released. Only the released text: never the complaint itself."""
    return report.items.only("id", "report_id", "reference", "category", "received_at", "text").order_by(
        "received_at", "id"
    )


def can_see_notification_runs(viewer) -> bool:
    return getattr(viewer, "is_authenticated", False) and any(
        viewer.has_perm(permission) for permission in STAFF_PERMISSIONS
    )


def notification_run_list(*, viewer) -> QuerySet[NotificationRun]:
    """Runs for the staff workplace, with their totals."""
    if not can_see_notification_runs(viewer):
        return NotificationRun.objects.none()
    return NotificationRun.objects.select_related("created_by", "approved_by").annotate(
        department_count=Count("reports", distinct=True),
        complaint_total=Sum("reports__complaint_count"),
        replied_count=Count(
            "reports", filter=Q(reports__status=NotificationReport.Status.REPLIED), distinct=True
        ),
    )


def notification_report_staff_list(*, viewer) -> QuerySet[NotificationReport]:
    if not can_see_notification_runs(viewer):
        return NotificationReport.objects.none()
    return NotificationReport.objects.select_related("run", "department", "replied_by")
