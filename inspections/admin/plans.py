"""The departments' annual inspection plans, for staff: who has filed, who is late, how far up
the escalation ladder a late plan has climbed. Written by the departments (the portal) and by
``inspections_open_year``; read-only here."""

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.admin import ReadOnlyAdmin
from core.admin_lists import ChoicesOfSmallTableFilter
from core.ladder import step_label
from core.models import Deadline
from inspections.models import InspectionPlan


class DepartmentFilter(ChoicesOfSmallTableFilter):
    """The department, from the small table of departments."""


class YearFilter(admin.SimpleListFilter):
    title = gettext_lazy("year")
    parameter_name = "year"

    def lookups(self, request, model_admin):
        years = InspectionPlan.objects.order_by("-year").values_list("year", flat=True).distinct()
        return [(str(year), str(year)) for year in years]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(year=int(self.value()))
        return queryset


class FiledFilter(admin.SimpleListFilter):
    title = pgettext_lazy("inspection plan", "filed")
    parameter_name = "filed"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Filed")), ("no", gettext_lazy("Not filed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(filed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(filed_at__isnull=True)
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("overdue")
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", gettext_lazy("Overdue, not filed"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(
                filed_at__isnull=True,
                deadline__status=Deadline.Status.OPEN,
                deadline__due_date__lt=timezone.localdate(),
            )
        return queryset


@admin.register(InspectionPlan)
class InspectionPlanAdmin(ReadOnlyAdmin):
    list_display = ["plan", "department", "year", "due", "filed_at", "planned_count", "escalation"]
    list_filter = [YearFilter, FiledFilter, OverdueFilter, ("department", DepartmentFilter)]
    search_fields = ["department__name"]
    search_help_text = gettext_lazy("Search by department name.")
    list_select_related = ["department", "deadline"]
    list_per_page = 100
    fields = ["department", "year", "summary", "planned_count", "filed_at", "filed_by", "due", "escalation"]
    readonly_fields = fields

    @admin.display(description=gettext_lazy("plan"))
    def plan(self, obj):
        return str(obj)

    @admin.display(description=gettext_lazy("due"), ordering="deadline__due_date")
    def due(self, obj):
        if obj.deadline is None:
            return "—"
        overdue = obj.filed_at is None and obj.deadline.due_date < timezone.localdate()
        text = obj.deadline.due_date.isoformat()
        return f"{text} ({gettext_lazy('overdue')})" if overdue else text

    @admin.display(description=gettext_lazy("escalation step"))
    def escalation(self, obj):
        step = obj.deadline.ladder_step if obj.deadline else 0
        return step_label(step) if step else "—"
