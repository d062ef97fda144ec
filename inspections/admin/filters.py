"""List filters of the inspection list that the dashboard's drill-downs use (issue 14), and the
counting rule they share with the figures (reports.inspection_figures counts the same way; the
drill-down tests hold the two to the same numbers).

An inspection counts unless refused or cancelled, on its planned date (a Shanghai date; an
emergency entry's planned date is the day of entry)."""

from __future__ import annotations

import datetime as dt

from django.contrib import admin
from django.db.models import Q
from django.utils.translation import gettext_lazy

from inspections.models import Inspection

S = Inspection.Status
COUNTED_OUT = (S.REFUSED, S.CANCELLED)
COUNTED_STATUSES = [value for value in S.values if value not in COUNTED_OUT]

# A joint inspection: merged into another's visit, or ordered to be merged (the figures' "joint").
JOINT = Q(joint_with__isnull=False) | Q(status=S.JOINT)


def counted_inspections(first: dt.date, after: dt.date, department: int | None = None):
    """The inspections counted from ``first`` up to (not including) ``after``, of one department
    if given (the (department, enterprise, planned_on) and (enterprise, planned_on) indexes)."""
    inspections = Inspection.objects.filter(
        planned_on__gte=first, planned_on__lt=after, status__in=COUNTED_STATUSES
    )
    if department is not None:
        inspections = inspections.filter(department_id=department)
    return inspections.order_by()


class JointFilter(admin.SimpleListFilter):
    """Joint inspections: merged into another department's visit or ordered to be."""

    title = gettext_lazy("joint inspection")
    parameter_name = "joint"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Joint inspections only")), ("no", gettext_lazy("Other inspections"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(JOINT)
        if self.value() == "no":
            return queryset.exclude(JOINT)
        return queryset
