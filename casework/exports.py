"""The case list as an xlsx workbook, written row by row (openpyxl write-only) into a temporary
file and streamed: memory stays flat whatever the number of cases."""

import tempfile

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from casework.models import Case

CHUNK = 2000


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def case_list_workbook(queryset) -> tempfile.SpooledTemporaryFile:
    """Write the cases of ``queryset`` (as filtered by the caller) to an xlsx file; no identity."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Cases"))
    sheet.append(
        [
            _("Reference"),
            _("Title"),
            _("Status"),
            _("Priority"),
            _("Category"),
            _("Unit"),
            _("Office"),
            _("Handler"),
            _("Disposition"),
            _("Channel"),
            _("Opened at"),
            _("Concluded at"),
            _("Due"),
            _("Overdue"),
            _("Escalation level"),
        ]
    )
    statuses, priorities = dict(Case.Status.choices), dict(Case.Priority.choices)
    categories = dict(Case._meta.get_field("category").choices)
    dispositions, channels = dict(Case.Disposition.choices), dict(Case._meta.get_field("channel").choices)
    rows = queryset.values_list(
        "pk",
        "opened_at",
        "title",
        "status",
        "priority",
        "category",
        "department__name",
        "office__name",
        "handler__username",
        "disposition",
        "channel",
        "closed_at",
        "due_date",
        "overdue",
        "escalation_level",
    ).order_by("-opened_at", "-pk")
    for (
        pk,
        opened_at,
        title,
        status,
        priority,
        category,
        department,
        office,
        handler,
        disposition,
        channel,
        closed_at,
        due_date,
        overdue,
        level,
    ) in rows.iterator(chunk_size=CHUNK):
        sheet.append(
            [
                Case(pk=pk, opened_at=opened_at).reference,
                title,
                str(statuses.get(status, status)),
                str(priorities.get(priority, priority)),
                str(categories.get(category, category)),
                department or "",
                office or "",
                handler or "",
                str(dispositions.get(disposition, disposition or "")),
                str(channels.get(channel, channel or "")),
                _local(opened_at),
                _local(closed_at),
                due_date,
                _("Yes") if overdue else "",
                level,
            ]
        )
    handle = tempfile.SpooledTemporaryFile(max_size=8 * 2**20)  # noqa: SIM115 - closed by FileResponse
    workbook.save(handle)
    handle.seek(0)
    return handle
