"""Inspected enterprises: the registry seen through its inspections, the list behind the
dashboard's enterprise figures (issue 14) — enterprises inspected in a period, by how many
counted inspections they had in it (1, 2, 3, 4 or more), above the yearly cap of their class,
by one department.

The directory (liaison) may not know of inspections, so the list is a proxy of its Enterprise
registered here. Every filter narrows by one set-based statement over the period's inspections
(``pk IN (grouped inspections)``), and the page's two counts are scalar subqueries evaluated
for the rows of the page only: the same number of statements whatever the registry's size.

The filters share one window: ``period`` (a quarter ``2026Q3``, the year to a quarter's end
``2026Q3-ytd``, or a year ``2026``; without it, this year to today) and ``department`` (only
this department's inspections count)."""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from core.periods import Period, shanghai_today
from inspections.admin.filters import COUNTED_STATUSES, counted_inspections
from inspections.models import InspectedEnterprise
from liaison.models import Department

PERIOD, COUNT, ABOVE_CAP, DEPARTMENT = "period", "inspections", "above_cap", "department"
YEAR_TO_DATE = "-ytd"
_PERIOD_RE = re.compile(r"^(\d{4})(?:Q([1-4])(-ytd)?)?$")
COUNT_CHOICES = ("1", "2", "3", "4+")
QUARTERS_OFFERED = 5


# --- The window --------------------------------------------------------------------------------


def period_window(value: str) -> tuple[dt.date, dt.date]:
    """[first, after) of a ``period`` value; ValueError if it is none."""
    match = _PERIOD_RE.match(value or "")
    if not match:
        raise ValueError(value)
    year, quarter, to_date = int(match[1]), match[2], match[3]
    if quarter is None:
        period = Period.whole_year(year)
        return period.first_day, period.last_day + dt.timedelta(days=1)
    period = Period.quarter(year, int(quarter))
    first = dt.date(year, 1, 1) if to_date else period.first_day
    return first, period.last_day + dt.timedelta(days=1)


def window_of(request) -> tuple[dt.date, dt.date, int | None]:
    """The list's window: (first day, day after, department or None) from its parameters."""
    params = request.GET
    if params.get(PERIOD):
        try:
            first, after = period_window(params[PERIOD])
        except ValueError as error:
            raise IncorrectLookupParameters(params[PERIOD]) from error
    else:
        today = shanghai_today()
        first, after = dt.date(today.year, 1, 1), today + dt.timedelta(days=1)
    department = params.get(DEPARTMENT) or None
    if department is not None:
        if not department.isdigit():
            raise IncorrectLookupParameters(department)
        department = int(department)
    return first, after, department


def cap_of_class(field: str = "risk_class"):
    """The yearly cap of the enterprise's class (settings.INSPECTION_YEARLY_CAP) as SQL."""
    return Case(
        *(
            When(**{field: risk_class}, then=Value(cap))
            for risk_class, cap in settings.INSPECTION_YEARLY_CAP.items()
        ),
        default=None,
        output_field=IntegerField(),
    )


# --- Filters -----------------------------------------------------------------------------------


class PeriodFilter(admin.SimpleListFilter):
    """Inspected in a quarter, or in the year to a quarter's end (at least one counted inspection)."""

    title = _("inspected in")
    parameter_name = PERIOD

    def lookups(self, request, model_admin):
        current = Period.quarter(*_quarter_of(shanghai_today()))
        choices = []
        for back in range(QUARTERS_OFFERED):
            quarter = current.shifted(-back)
            choices.append((quarter.label, quarter.display))
            choices.append(
                (
                    quarter.label + YEAR_TO_DATE,
                    gettext("%(year)s to the end of %(quarter)s")
                    % {"year": quarter.year, "quarter": quarter.display},
                )
            )
        return choices

    def queryset(self, request, queryset):
        if not self.value() or _narrowed_by(request, COUNT, ABOVE_CAP):
            return queryset  # a count or the cap narrows within the same window already
        first, after, department = window_of(request)
        return queryset.filter(pk__in=counted_inspections(first, after, department).values("enterprise_id"))


def _narrowed_by(request, *names: str) -> bool:
    """Whether another filter of the window narrows the list to enterprises inspected in it: one
    ``IN`` over the period's inspections is enough (each is a grouped scan of the period)."""
    return any(request.GET.get(name) for name in names)


def _quarter_of(day: dt.date) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


class InspectionCountFilter(admin.SimpleListFilter):
    """How many counted inspections the enterprise had in the window: 1, 2, 3, 4 or more."""

    title = _("inspections in the period")
    parameter_name = COUNT

    def lookups(self, request, model_admin):
        return [
            ("1", pgettext_lazy("dashboard", "Inspected once")),
            ("2", pgettext_lazy("dashboard", "Inspected twice")),
            ("3", pgettext_lazy("dashboard", "Inspected three times")),
            ("4+", pgettext_lazy("dashboard", "Inspected four times or more")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if value not in COUNT_CHOICES:
            raise IncorrectLookupParameters(value)
        first, after, department = window_of(request)
        grouped = (
            counted_inspections(first, after, department).values("enterprise_id").annotate(n=Count("pk"))
        )
        grouped = grouped.filter(n__gte=4) if value == "4+" else grouped.filter(n=int(value))
        return queryset.filter(pk__in=grouped.values("enterprise_id"))


class AboveCapFilter(admin.SimpleListFilter):
    """One department inspected the enterprise more often in the window than the yearly cap of
    its risk class allows."""

    title = _("above the cap of its class")
    parameter_name = ABOVE_CAP

    def lookups(self, request, model_admin):
        return [("yes", _("Above the cap"))]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        first, after, department = window_of(request)
        over = (
            counted_inspections(first, after, department)
            .values("enterprise_id", "department_id", "enterprise__risk_class")
            .annotate(n=Count("pk"))
            .filter(n__gt=cap_of_class("enterprise__risk_class"))
        )
        return queryset.filter(pk__in=over.values("enterprise_id"))


class DepartmentFilter(admin.SimpleListFilter):
    """Inspected by this department in the window; the other filters count its inspections only."""

    title = _("inspecting department")
    parameter_name = DEPARTMENT

    def lookups(self, request, model_admin):
        # The departments with an inspecting unit (a few dozen), not DISTINCT over every inspection.
        departments = (
            Department.objects.filter(inspecting_units__isnull=False)
            .distinct()
            .order_by("name")
            .values_list("pk", "name")
        )
        return [(str(pk), name) for pk, name in departments]

    def queryset(self, request, queryset):
        if not self.value() or _narrowed_by(request, PERIOD, COUNT, ABOVE_CAP):
            return queryset  # the other filters count this department's inspections only
        first, after, department = window_of(request)
        return queryset.filter(pk__in=counted_inspections(first, after, department).values("enterprise_id"))


# --- The list ----------------------------------------------------------------------------------


@admin.register(InspectedEnterprise)
class InspectedEnterpriseAdmin(ReadOnlyAdmin):
    list_display = [
        "name",
        "credit_code",
        "risk_class",
        "cap_shown",
        "inspections_shown",
        "most_by_one_department",
    ]
    list_filter = [PeriodFilter, InspectionCountFilter, AboveCapFilter, DepartmentFilter]
    search_fields = ["name", "=credit_code"]
    show_full_result_count = False
    fields = ["credit_code", "name", "district", "industry", "risk_class", "no_disturbance", "registry_link"]
    readonly_fields = fields

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        try:
            first, after, department = window_of(request)
        except IncorrectLookupParameters:
            first, after, department = period_window(str(shanghai_today().year)) + (None,)
        of_row = counted_inspections(first, after, department).filter(enterprise=OuterRef("pk"))
        total = of_row.values("enterprise").annotate(n=Count("pk")).values("n")
        most = of_row.values("department").annotate(n=Count("pk")).order_by("-n").values("n")[:1]
        # Scalar subqueries: evaluated for the rows of the page, not grouped over the registry.
        return queryset.annotate(
            counted=Coalesce(Subquery(total, output_field=IntegerField()), Value(0)),
            most_by_one=Coalesce(Subquery(most, output_field=IntegerField()), Value(0)),
        )

    def get_list_display(self, request):
        # The count links to the inspections it counts: the window is the request's (a column
        # made per request; the ModelAdmin is shared by every request).
        try:
            window = window_of(request)
        except IncorrectLookupParameters:
            window = None
        return [*self.list_display[:4], _inspections_column(window), *self.list_display[5:]]

    @admin.display(description=_("yearly cap of its class"))
    def cap_shown(self, obj):
        return settings.INSPECTION_YEARLY_CAP.get(obj.risk_class, "—")

    @admin.display(description=_("inspections in the period"), ordering="counted")
    def inspections_shown(self, obj):
        return obj.counted

    @admin.display(description=_("most by one department"), ordering="most_by_one")
    def most_by_one_department(self, obj):
        return obj.most_by_one

    @admin.display(description=_("the registry's record"))
    def registry_link(self, obj):
        url = reverse("admin:liaison_enterprise_change", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, gettext("Open in the registry"))


def _inspections_column(window):
    """The column of counted inspections in ``window``, each linking to the inspection list of
    exactly those inspections."""
    if window is None:
        return "inspections_shown"
    first, after, department = window
    base = {
        "planned_on__gte": first.isoformat(),
        "planned_on__lt": after.isoformat(),
        "status__in": ",".join(COUNTED_STATUSES),
    }
    if department is not None:
        base["department__id__exact"] = str(department)
    changelist = reverse("admin:inspections_inspection_changelist")

    @admin.display(description=_("inspections in the period"), ordering="counted")
    def inspections_in_window(obj):
        query = urlencode({"enterprise__id__exact": obj.pk, **base})
        return format_html(
            '<a href="{}?{}" data-inspections-of="{}">{}</a>', changelist, query, obj.pk, obj.counted
        )

    return inspections_in_window


__all__ = ["InspectedEnterprise", "InspectedEnterpriseAdmin"]
