"""Shared reads: what a department sees of its filings, what the public list shows."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils import timezone

from casework.selectors import departments_of
from inspections.models import ActivityFiling, CancelledActivity

# The public list keeps an activity for a year after it ended: long enough to complain about it.
PUBLIC_DAYS_AFTER_END = 365


def activity_list_for_department(*, viewer) -> QuerySet[ActivityFiling]:
    """The filings of the departments ``viewer`` acts for (nothing for anyone else). Flags and
    complaints are the commission's: a department sees its filings and the decisions."""
    return ActivityFiling.objects.filter(department_id__in=departments_of(viewer)).select_related(
        "department"
    )


def activity_public_list(
    *, kind: str | None = None, today: dt.date | None = None
) -> QuerySet[ActivityFiling]:
    """Approved activities, current, coming or ended within a year."""
    today = today or timezone.localdate()
    filings = ActivityFiling.objects.filter(
        status__in=ActivityFiling.APPROVED_STATUSES,
        ends_on__gte=today - dt.timedelta(days=PUBLIC_DAYS_AFTER_END),
    ).select_related("department")
    if kind:
        filings = filings.filter(kind=kind)
    return filings.order_by("-starts_on", "-pk")


def activity_public_filing(pk: int) -> ActivityFiling | None:
    return activity_public_list().filter(pk=pk).first()


def cancelled_public_list() -> QuerySet[CancelledActivity]:
    return CancelledActivity.objects.select_related("department").order_by("-cancelled_on", "name")
