"""The staff workplace of the efficiency assessment: the scheme (weights and grade boundaries,
validated by the model) and the published results (read-only: published from the assessment page,
``reports.dashboard.assessment_services``)."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.admin import ReadOnlyAdmin
from reports.models import AssessmentScheme, EfficiencyAssessment


@admin.register(AssessmentScheme)
class AssessmentSchemeAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "is_active",
        *AssessmentScheme.WEIGHT_FIELDS,
        "excellent_from",
        "good_from",
        "pass_from",
    ]
    fieldsets = [
        (None, {"fields": ["name", "is_active"]}),
        (
            _("Weights (they add up to 100)"),
            {
                "fields": list(AssessmentScheme.WEIGHT_FIELDS),
                "description": _(
                    "An indicator without figures for a department (no approval decided, no referral "
                    "due, no rating, no democratic appraisal closed in the period) has its weight shared "
                    "out over the other indicators in proportion to theirs."
                ),
            },
        ),
        (_("Grade boundaries (total score from)"), {"fields": ["excellent_from", "good_from", "pass_from"]}),
    ]


@admin.register(EfficiencyAssessment)
class EfficiencyAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["quarter", "rank", "department", "total", "grade", "computed_at", "case_link"]
    list_filter = ["quarter", "grade", ("department", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["department"]
    search_fields = ["department__name"]
    readonly_fields = [field.name for field in EfficiencyAssessment._meta.concrete_fields]

    @admin.display(description=_("case"))
    def case_link(self, obj):
        if obj.case_id is None:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:casework_case_change", args=[obj.case_id]), obj.case_id
        )
