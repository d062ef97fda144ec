"""The approval item catalogue (事项目录): each item with its steps and fee schedule as inlines,
filtered by department and kind, searched by code or name, imported from Excel all or nothing."""

from django.contrib import admin
from django.utils.translation import gettext_lazy

from approvals.admin.imports import ImportMixin
from approvals.models import ApprovalFee, ApprovalItem, ApprovalStep
from approvals.services.catalogue import CATALOGUE_SPEC, catalogue_import, catalogue_template
from core.admin_lists import ChoicesOfSmallTableFilter


class DepartmentFilter(ChoicesOfSmallTableFilter):
    """The department, from the small table of departments."""


class StepInline(admin.TabularInline):
    model = ApprovalStep
    fields = ["position", "name", "limit_days"]
    extra = 0


class FeeInline(admin.TabularInline):
    model = ApprovalFee
    fields = ["code", "name", "legal_basis", "amount"]
    extra = 0


@admin.register(ApprovalItem)
class ApprovalItemAdmin(ImportMixin, admin.ModelAdmin):
    list_display = [
        "code",
        "name",
        "department",
        "kind",
        "promised_days",
        "statutory_days",
        "in_hall",
        "window_authorised",
        "is_active",
    ]
    list_display_links = ["code", "name"]
    list_filter = [("department", DepartmentFilter), "kind", "in_hall", "window_authorised", "is_active"]
    search_fields = ["=code", "name"]
    search_help_text = gettext_lazy("Search by item code (exactly) or name.")
    list_select_related = ["department"]
    autocomplete_fields = ["department"]
    list_per_page = 50
    inlines = [StepInline, FeeInline]
    fields = [
        "department",
        "code",
        "name",
        "kind",
        "statutory_days",
        "promised_days",
        "in_hall",
        "window_authorised",
        "is_active",
    ]

    import_spec = CATALOGUE_SPEC
    import_service = staticmethod(catalogue_import)
    import_template = staticmethod(catalogue_template)
    import_template_name = "approval-catalogue-template.xlsx"

    def has_import_permission(self, request) -> bool:
        return self.has_add_permission(request) and self.has_change_permission(request)
