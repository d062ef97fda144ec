"""The approval records as the service halls pushed them (read-only: the halls' systems are their
source), with the filters a supervisor needs and the drill-downs of the assessment use:
``department__id__exact``, ``item__id__exact``, ``decision__exact`` / ``decision__in``,
``accepted_at__gte`` / ``accepted_at__lt`` and ``decided_on__gte`` / ``decided_on__lt`` (ISO dates,
Asia/Shanghai), and ``timeliness`` (on_time, late, overdue, pending). Staff may also import records
from a workbook or CSV file, through the same service as the API.

A table of a million rows a year: the count is capped, the filters list the small tables
(departments, items) rather than ``DISTINCT`` over the records, and the page sends the same
statements whatever it shows."""

import datetime as dt
import zoneinfo

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import DateTimeField, F
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from approvals.admin.imports import ImportMixin
from approvals.models import ApprovalFeeCharge, ApprovalRecord, ApprovalStepEvent
from approvals.services.records_import import RECORDS_SPEC, records_import, records_template
from core.admin import ReadOnlyInline
from core.admin_lists import BigTableAdminMixin, ChoicesOfSmallTableFilter
from core.periods import Period

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
Decision = ApprovalRecord.Decision


class DepartmentFilter(ChoicesOfSmallTableFilter):
    """The department, from the small table of departments."""


class ItemFilter(ChoicesOfSmallTableFilter):
    """The item, from the catalogue (a few hundred items)."""

    label_field = "code"


class PeriodFilter(admin.FieldListFilter):
    """``<field>__gte`` and ``<field>__lt`` as ISO dates (a day in Asia/Shanghai for a time
    field), with links to this quarter and the two before it."""

    QUARTERS = 3

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.gte, self.lt = f"{field_path}__gte", f"{field_path}__lt"
        self.is_moment = isinstance(field, DateTimeField)
        super().__init__(field, request, params, model, model_admin, field_path)
        self.title = field.verbose_name

    def expected_parameters(self):
        return [self.gte, self.lt]

    def _bound(self, name):
        value = self.used_parameters.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        if value in (None, ""):
            return None
        try:
            day = dt.date.fromisoformat(str(value)[:10])
        except ValueError:
            raise IncorrectLookupParameters(_("Enter a date as YYYY-MM-DD.")) from None
        return dt.datetime.combine(day, dt.time.min, tzinfo=SHANGHAI) if self.is_moment else day

    def queryset(self, request, queryset):
        low, high = self._bound(self.gte), self._bound(self.lt)
        if low is not None:
            queryset = queryset.filter(**{self.gte: low})
        if high is not None:
            queryset = queryset.filter(**{self.lt: high})
        return queryset

    def choices(self, changelist):
        current = (self.used_parameters.get(self.gte), self.used_parameters.get(self.lt))
        current = tuple(v[-1] if isinstance(v, list) and v else v for v in current)
        yield {
            "selected": current == (None, None),
            "query_string": changelist.get_query_string(remove=[self.gte, self.lt]),
            "display": _("All"),
        }
        quarter = Period.current()
        for _step in range(self.QUARTERS):
            bounds = (quarter.first_day.isoformat(), (quarter.last_day + dt.timedelta(days=1)).isoformat())
            yield {
                "selected": current == bounds,
                "query_string": changelist.get_query_string({self.gte: bounds[0], self.lt: bounds[1]}),
                "display": quarter.display,
            }
            quarter = quarter.previous()


class TimelinessFilter(admin.SimpleListFilter):
    """On time: decided no later than the promised day; late: after it; overdue: not decided and
    the promised day has passed; pending: not decided yet."""

    title = gettext_lazy("timeliness")
    parameter_name = "timeliness"

    def lookups(self, request, model_admin):
        return [
            ("on_time", gettext_lazy("Decided on time")),
            ("late", gettext_lazy("Decided late")),
            ("overdue", gettext_lazy("Overdue, not decided")),
            ("pending", gettext_lazy("Not decided yet")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "on_time":
            return queryset.filter(decided_on__isnull=False, decided_on__lte=F("due_on"))
        if value == "late":
            return queryset.filter(decided_on__isnull=False, decided_on__gt=F("due_on"))
        if value == "overdue":
            return queryset.filter(decision=Decision.PENDING, due_on__lt=timezone.localdate())
        if value == "pending":
            return queryset.filter(decision=Decision.PENDING)
        return queryset


class StepEventInline(ReadOnlyInline):
    model = ApprovalStepEvent
    fields = ["position", "name", "started_at", "finished_at", "officer", "working_days_taken", "limit"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("step")

    @admin.display(description=gettext_lazy("limit (working days)"))
    def limit(self, obj):
        return obj.step.limit_days if obj.step_id else "—"


class FeeChargeInline(ReadOnlyInline):
    model = ApprovalFeeCharge
    fields = ["code", "name", "amount", "schedule"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("fee")

    @admin.display(description=gettext_lazy("approved amount (yuan)"))
    def schedule(self, obj):
        if obj.fee_id is None:
            return _("Not in the item's schedule")
        return obj.fee.amount


@admin.register(ApprovalRecord)
class ApprovalRecordAdmin(ImportMixin, BigTableAdminMixin, admin.ModelAdmin):
    list_display = [
        "external_id_shown",
        "item_shown",
        "department",
        "accepted_at",
        "due_on",
        "decision",
        "decided_on",
        "timeliness",
    ]
    list_link_field = "external_id_shown"
    list_filter = [
        ("department", DepartmentFilter),
        ("item", ItemFilter),
        "decision",
        TimelinessFilter,
        "accepted_where",
        ("accepted_at", PeriodFilter),
        ("decided_on", PeriodFilter),
    ]
    search_fields = ["=external_id", "=applicant_credit_code"]
    search_help_text = gettext_lazy("Search by application number or the applicant's credit code (exactly).")
    list_select_related = ["department", "item"]
    ordering = ["-accepted_at", "-id"]
    # As the case list: a page a supervisor reads, rendered in a few tens of milliseconds.
    list_per_page = 25
    inlines = [StepEventInline, FeeChargeInline]
    fields = [
        "external_id",
        "item",
        "department",
        "applicant_credit_code",
        "applicant_name",
        "enterprise",
        "accepted_at",
        "accepted_where",
        "due_on",
        "decision",
        "decided_at",
        "decided_on",
        "decided_where",
        "refusal_reason",
        "working_days_taken",
        "received_at",
        "updated_at",
    ]
    readonly_fields = fields

    import_spec = RECORDS_SPEC
    import_service = staticmethod(records_import)
    import_template = staticmethod(records_template)
    import_template_name = "approval-records-template.xlsx"
    import_accept = ".xlsx,.csv,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    import_file_label = gettext_lazy("Workbook (.xlsx) or CSV file")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_import_permission(self, request) -> bool:
        return request.user.has_perm("approvals.push_records")

    @admin.display(description=gettext_lazy("application number"), ordering="external_id")
    def external_id_shown(self, obj):
        return obj.external_id

    @admin.display(description=gettext_lazy("item"), ordering="item__code")
    def item_shown(self, obj):
        return format_html("{} <small>{}</small>", obj.item.code, obj.item.name)

    @admin.display(description=gettext_lazy("timeliness"))
    def timeliness(self, obj):
        if obj.decided_on is not None:
            if obj.decided_on <= obj.due_on:
                return _("On time")
            return format_html('<strong class="late">{}</strong>', _("Late"))
        if obj.decision == Decision.PENDING and obj.due_on < timezone.localdate():
            return format_html('<strong class="late">{}</strong>', _("Overdue"))
        if obj.decision == Decision.PENDING:
            return _("Pending")
        return "—"
