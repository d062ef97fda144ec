"""Department portal pages of the complaint notification system (/dept/notifications/).

What a department may see is decided by ``notification_report_list`` alone: its own
departments' reports once sent. These pages read the released texts of the items only,
never the complaints or who made them. Form -> service -> redirect.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import F
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from casework.selectors import departments_of
from core.deadlines import deadline_explain
from core.errors import InvalidTransition
from reports.notifications import services
from reports.notifications.forms import ReplyForm
from reports.notifications.selectors import (
    DEPARTMENT_PERMISSION,
    notification_report_items,
    notification_report_list,
)
from reports.notifications.workbooks import category_label, counts_in_order

PAGE_SIZE = 25


def _overdue(report, today) -> bool:
    return bool(report.is_awaiting_reply and report.due_date and report.due_date < today)


@login_required
@permission_required(DEPARTMENT_PERMISSION, raise_exception=True)
@never_cache
@require_GET
def report_list(request):
    reports = notification_report_list(request.user).order_by(
        F("replied_at").asc(nulls_first=True), "-run__period_start", "department__name", "pk"
    )
    page = Paginator(reports, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for report in page:
        report.overdue = _overdue(report, today)
    context = {"page": page, "several_departments": len(departments_of(request.user)) > 1}
    return render(request, "reports/department/list.html", context)


@login_required
@permission_required(DEPARTMENT_PERMISSION, raise_exception=True)
@never_cache
@require_http_methods(["GET", "POST"])
def report_detail(request, pk: int):
    report = get_object_or_404(notification_report_list(request.user), pk=pk)
    form = ReplyForm() if report.is_awaiting_reply else None
    if request.method == "POST" and report.is_awaiting_reply:
        form = ReplyForm(request.POST)
        if form.is_valid():
            try:
                services.notification_report_reply(
                    report=report, measures=form.cleaned_data["measures"], actor=request.user
                )
            except (InvalidTransition, ValidationError, PermissionDenied) as error:
                form.add_error(None, error.messages if isinstance(error, ValidationError) else str(error))
            else:
                messages.success(
                    request, _("Your improvement measures have been sent to the complaint centre.")
                )
                return redirect("notifications:report", pk=report.pk)
    elif request.method == "POST":
        return redirect("notifications:report", pk=report.pk)

    report.overdue = _overdue(report, timezone.localdate())
    context = {
        "report": report,
        "categories": [
            (category_label(value), count) for value, count in counts_in_order(report.counts_by_category)
        ],
        "items": notification_report_items(report=report),
        "deadline_text": deadline_explain(report.deadline) if report.deadline_id else "",
        "form": form,
    }
    return render(request, "reports/department/detail.html", context)
