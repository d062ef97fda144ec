"""Enterprises' ratings of inspections in the staff workplace. Who rated is the enterprise of
the rated inspection, so the inspection (and with it the enterprise and the department) is shown
only to staff holding the identity permission; others read the score and the comment alone.
Every look with the identity shown is on the record, like a look at a complainant's identity:
each rating on a page of the list, and each rating opened (InspectionRatingIdentityView)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext_lazy as _

from inspections.models import InspectionRating, InspectionRatingIdentityView
from inspections.services.ratings import rating_identity_views_record

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
            return ("inspection", "score", "comment", "disturbed", "created_at", "case", "seen_by")
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

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl") if response.status_code == 200 else None
        if changelist is not None and self._identity(request):
            # The page's ratings, read once here; the template reuses the same evaluated rows.
            rating_identity_views_record(
                rating_ids=[rating.pk for rating in changelist.result_list],
                viewer=request.user,
                kind=InspectionRatingIdentityView.Kind.LIST,
            )
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        rating = (
            getattr(response, "context_data", {}).get("original") if response.status_code == 200 else None
        )
        if rating is not None and self._identity(request):
            rating_identity_views_record(
                rating_ids=[rating.pk], viewer=request.user, kind=InspectionRatingIdentityView.Kind.RECORD
            )
        return response

    @admin.display(description=_("Who has seen who rated"))
    def seen_by(self, obj):
        views = obj.identity_views.select_related("viewer")[:50]
        return ", ".join(
            f"{view.viewer} ({date_format(localtime(view.viewed_at), 'Y-m-d H:i')}, "
            f"{view.get_kind_display()})"
            for view in views
        )

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
