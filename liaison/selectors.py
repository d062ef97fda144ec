"""Shared reads of the directory: the admin, the dashboard and the quarterly pack start here."""

import datetime

from django.db.models import Count, Max, Q, QuerySet
from django.utils import timezone

from liaison.models import LiaisonPoint, LiaisonVisit, Supervisor

ACTIVITY_WINDOW_DAYS = 90


def appointment_list_with_activity(queryset: QuerySet, *, days: int = ACTIVITY_WINDOW_DAYS) -> QuerySet:
    """Liaison points or supervisors, each annotated with ``recent_activity``: how many log
    entries (visits, feedback, meetings) fall in the last ``days`` days, today included.

    One aggregate in the same query, so a changelist page costs the same whatever its length."""
    since = timezone.localdate() - datetime.timedelta(days=days - 1)
    annotated = queryset.annotate(recent_activity=Count("visits", filter=Q(visits__visited_on__gte=since)))
    if not queryset.query.order_by:
        # Django drops Meta.ordering from a GROUP BY query: keep the order the table promises.
        annotated = annotated.order_by(*queryset.model._meta.ordering, "pk")
    return annotated


def _activity_rows(model, *, start: datetime.date, end: datetime.date, kind: str) -> list[dict]:
    in_range = Q(visits__visited_on__gte=start, visits__visited_on__lte=end)
    name = "name" if model is Supervisor else "enterprise_name"
    rows = (
        model.objects.order_by(name, "pk")
        .values(*dict.fromkeys(["pk", name, "enterprise_name", "status"]))
        .annotate(
            # Not named like the relation ("visits"): a later aggregate would resolve to it.
            n_visits=Count("visits", filter=in_range & Q(visits__kind=LiaisonVisit.Kind.VISIT)),
            n_feedback=Count("visits", filter=in_range & Q(visits__kind=LiaisonVisit.Kind.FEEDBACK)),
            n_meetings=Count("visits", filter=in_range & Q(visits__kind=LiaisonVisit.Kind.MEETING)),
            last_on=Max("visits__visited_on", filter=in_range),
        )
    )
    return [
        {
            "kind": kind,
            "id": row["pk"],
            "name": row[name],
            "enterprise_name": row["enterprise_name"],
            "status": row["status"],
            "visits": row["n_visits"],
            "feedback": row["n_feedback"],
            "meetings": row["n_meetings"],
            "total": row["n_visits"] + row["n_feedback"] + row["n_meetings"],
            "last_on": row["last_on"],
        }
        for row in rows
    ]


def liaison_activity(*, start: datetime.date, end: datetime.date) -> list[dict]:
    """Per liaison point and per supervisor, what the log holds between ``start`` and ``end``
    (both included): counts of visits, feedback and meetings, their total and the last date.

    Every point and supervisor is listed, those with no entries too (a quiet point is what the
    dashboard should show). Two aggregate queries, one per table. Each row is a dict:
    ``kind`` ("point" or "supervisor"), ``id``, ``name`` (the enterprise for a point, the
    person for a supervisor), ``enterprise_name``, ``status``, ``visits``, ``feedback``,
    ``meetings``, ``total``, ``last_on`` (a date or None). Points come first, each group by name."""
    if start > end:
        raise ValueError("liaison_activity: start is after end")
    return [
        *_activity_rows(LiaisonPoint, start=start, end=end, kind="point"),
        *_activity_rows(Supervisor, start=start, end=end, kind="supervisor"),
    ]
