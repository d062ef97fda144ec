"""Shared reads of the inspections app: the scan-to-enter page, the enterprise's own page and
the department's rating aggregates."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.utils import timezone

from inspections.models import Inspection, InspectionItem, InspectionRating
from liaison.models import Department, Enterprise


def entry_window_days() -> int:
    """How many days back a filed inspection may still be entered (planned for today or these)."""
    return settings.INSPECTION_ENTRY_WINDOW_DAYS


def _with_items(queryset: QuerySet) -> QuerySet:
    return queryset.select_related("department", "unit").prefetch_related(
        Prefetch("items", queryset=InspectionItem.objects.order_by("code"))
    )


def entry_candidates(*, enterprise: Enterprise, department_ids: list[int], today: dt.date) -> QuerySet:
    """The viewer's departments' filed (approved) inspections of this enterprise planned for
    today or the last few days: what an entry can be registered against."""
    first = today - dt.timedelta(days=entry_window_days())
    return _with_items(
        Inspection.objects.filter(
            enterprise=enterprise,
            department_id__in=department_ids,
            status=Inspection.Status.FILED,
            planned_on__range=(first, today),
        )
    ).order_by("-planned_on", "-id")


def entries_awaiting_outcome(*, enterprise: Enterprise, department_ids: list[int]) -> QuerySet:
    """Entries of the viewer's departments at this enterprise whose outcome is not yet recorded."""
    return _with_items(
        Inspection.objects.filter(
            enterprise=enterprise, department_id__in=department_ids, status=Inspection.Status.ENTERED
        ).select_related("outcome_deadline")
    ).order_by("-entered_at", "-id")


# What the enterprise sees: every inspection that was filed, entered or concluded (not the
# refused or cancelled ones that never happened).
ENTERPRISE_VISIBLE = (
    Inspection.Status.FILED,
    Inspection.Status.PENDING_APPROVAL,
    Inspection.Status.JOINT,
    Inspection.Status.ENTERED,
    Inspection.Status.CONCLUDED,
)
RATABLE = (Inspection.Status.ENTERED, Inspection.Status.CONCLUDED)


def enterprise_inspections(*, enterprise: Enterprise, limit: int = 100) -> list[Inspection]:
    """The enterprise's own page: its inspections, newest first, with whether each is rated
    (``rated``) — never the score or comment, which the page does not show again."""
    queryset = _with_items(
        Inspection.objects.filter(enterprise=enterprise, status__in=ENTERPRISE_VISIBLE)
    ).annotate(rated=Count("rating"))
    return list(queryset.order_by("-planned_on", "-id")[:limit])


def ratings_aggregate_for_department(department: Department, *, before: dt.date | None = None) -> dict | None:
    """What a department may know of its ratings: count, average and share of low ratings
    (≤ 2), over ratings given before the start of the current month (closed months only, so
    the figures do not move the day after a visit), and nothing at all under
    INSPECTION_RATINGS_MIN_AGGREGATE ratings. Never a single rating, never an inspection."""
    if before is None:
        before = timezone.localdate().replace(day=1)
    start = timezone.make_aware(dt.datetime.combine(before, dt.time.min))
    figures = InspectionRating.objects.filter(
        inspection__department=department, created_at__lt=start
    ).aggregate(count=Count("pk"), average=Avg("score"), low=Count("pk", filter=Q(score__lte=2)))
    if figures["count"] < settings.INSPECTION_RATINGS_MIN_AGGREGATE:
        return {"count": None, "minimum": settings.INSPECTION_RATINGS_MIN_AGGREGATE, "until": before}
    return {
        "count": figures["count"],
        "average": round(float(figures["average"]), 1),
        "low_share": round(100 * figures["low"] / figures["count"]),
        "minimum": settings.INSPECTION_RATINGS_MIN_AGGREGATE,
        "until": before,
    }
