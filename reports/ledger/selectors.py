"""Reads of the work ledger and the dispatch meetings shared by the admin, the meeting pack
and the exports: who may see them, and the lists with each task's latest progress."""

from __future__ import annotations

import datetime as dt

from django.db.models import BooleanField, Count, OuterRef, QuerySet, Subquery, Value, When
from django.db.models import Case as SqlCase
from django.utils import timezone

from reports.models import DispatchMeeting, LedgerProgress, LedgerTask

LEDGER_VIEW_PERMISSIONS = ("reports.view_ledgertask", "reports.change_ledgertask")
MEETING_VIEW_PERMISSIONS = ("reports.view_dispatchmeeting", "reports.change_dispatchmeeting")


def _today() -> dt.date:
    # The commission's date (settings.TIME_ZONE, Asia/Shanghai), as the ladder and case_list use.
    return timezone.localdate()


def can_see_ledger(viewer) -> bool:
    return getattr(viewer, "is_authenticated", False) and any(
        viewer.has_perm(permission) for permission in LEDGER_VIEW_PERMISSIONS
    )


def can_see_meetings(viewer) -> bool:
    return getattr(viewer, "is_authenticated", False) and any(
        viewer.has_perm(permission) for permission in MEETING_VIEW_PERMISSIONS
    )


def _latest(field_name: str) -> Subquery:
    return Subquery(
        LedgerProgress.objects.filter(task=OuterRef("pk")).order_by("-noted_on", "-id").values(field_name)[:1]
    )


def ledger_task_list(*, viewer, today: dt.date | None = None) -> QuerySet[LedgerTask]:
    """The ledger as staff with the ledger permissions see it (all of it: the complaint centre
    follows every office's work, seed §四.2), with each task's latest progress and overdue flag."""
    if not can_see_ledger(viewer):
        return LedgerTask.objects.none()
    today = today or _today()
    return LedgerTask.objects.select_related("office", "responsible", "deadline").annotate(
        latest_note=_latest("note"),
        latest_percent=_latest("percent"),
        latest_noted_on=_latest("noted_on"),
        overdue=SqlCase(
            When(status__in=LedgerTask.OPEN_STATUSES, due_date__lt=today, then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def dispatch_meeting_list(*, viewer) -> QuerySet[DispatchMeeting]:
    if not can_see_meetings(viewer):
        return DispatchMeeting.objects.none()
    return DispatchMeeting.objects.select_related("created_by", "minutes_recorded_by").annotate(
        action_item_count=Count("action_items")
    )


def ledger_export_tasks(tasks: QuerySet[LedgerTask]) -> QuerySet[LedgerTask]:
    """The tasks of an export in ledger order, read in chunks (the workbook streams them)."""
    return tasks.order_by("office__name", "due_date", "pk")


def ledger_export_progress(tasks: QuerySet[LedgerTask]) -> QuerySet[LedgerProgress]:
    return (
        LedgerProgress.objects.filter(task__in=tasks.order_by().values("pk"))
        .select_related("task", "author")
        .order_by("task__office__name", "task__due_date", "task_id", "noted_on", "pk")
    )
