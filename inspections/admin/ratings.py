"""Enterprises' ratings of inspections in the staff workplace. Who rated is the enterprise of
the rated inspection, so the inspection (and with it the enterprise and the department) is shown
only to staff holding the identity permission; others read the score and the comment alone."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from inspections.models import InspectionRating

IDENTITY_PERMISSION = "complaints.view_complainant_identity"


@admin.register(InspectionRating)
class InspectionRatingAdmin(admin.ModelAdmin):
    list_display_links = None
    list_filter = ("score", "disturbed")
    ordering = ("-created_at",)
    show_full_result_count = False

    def _identity(self, request) -> bool:
        return request.user.has_perm(IDENTITY_PERMISSION)

    def get_list_display(self, request):
        if self._identity(request):
            return (
                "created_at",
                "score",
                "comment",
                "disturbed",
                "enterprise",
                "department",
                "inspection_date",
            )
        return ("created_at", "score", "comment", "disturbed")

    def get_fields(self, request, obj=None):
        if self._identity(request):
            return ("inspection", "score", "comment", "disturbed", "created_at", "case")
        return ("score", "comment", "disturbed", "created_at")

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self._identity(request):
            queryset = queryset.select_related("inspection__enterprise", "inspection__department")
        return queryset

    def get_search_fields(self, request):
        # Searching by enterprise would tell who rated what: only with the identity permission.
        if self._identity(request):
            return ("inspection__enterprise__name", "=inspection__enterprise__credit_code", "comment")
        return ("comment",)

    @admin.display(description=_("enterprise"))
    def enterprise(self, obj):
        return obj.inspection.enterprise.name

    @admin.display(description=_("department"))
    def department(self, obj):
        return obj.inspection.department

    @admin.display(description=_("planned date"))
    def inspection_date(self, obj):
        return obj.inspection.planned_on

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
