"""The efficiency assessment in the API (read-only): /api/v1/approvals/assessments/, the published
results of each department per quarter, for the dashboard's readers (casework.view_dashboard).
Figures only: no record, no applicant, no complaint."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets

from casework.api import NOT_FOUND, ApiSchema, Pagination
from core.periods import Period
from reports.models import EfficiencyAssessment

DASHBOARD_PERMISSION = "casework.view_dashboard"


class MayReadAssessments(permissions.BasePermission):
    message = _("Only the commission's staff who see the leaders' dashboard read the assessments.")

    def has_permission(self, request, view) -> bool:
        return request.user.is_staff and request.user.has_perm(DASHBOARD_PERMISSION)


class AssessmentSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    grade_display = serializers.CharField(source="get_grade_display", read_only=True)
    inputs = serializers.DictField(help_text=_("The figures counted for the department in the quarter."))
    scores = serializers.DictField(
        help_text=_("Each indicator's score from 0 to 100; null when not assessed.")
    )
    weights = serializers.DictField(
        help_text=_("The weights and grade boundaries the quarter was computed with.")
    )

    class Meta:
        model = EfficiencyAssessment
        fields = [
            "id",
            "quarter",
            "period_start",
            "period_end",
            "department",
            "department_name",
            "rank",
            "total",
            "grade",
            "grade_display",
            "inputs",
            "scores",
            "weights",
            "computed_at",
        ]


class AssessmentQuery(serializers.Serializer):
    quarter = serializers.CharField(required=False, help_text=_("A quarter such as 2026Q3."))
    department = serializers.IntegerField(required=False, min_value=1, help_text=_("A department's id."))

    def validate_quarter(self, value: str) -> str:
        return Period.parse(value, kinds=("quarter",)).label


@extend_schema_view(
    list=extend_schema(
        summary=_("Efficiency assessments"),
        description=_(
            "The published quarterly efficiency assessment (效能考核评议) of each department: the figures "
            "counted, each indicator's score, the weighted total, the grade and the rank. Latest quarter "
            "first; narrow with quarter and department."
        ),
        parameters=[AssessmentQuery],
    ),
    retrieve=extend_schema(
        summary=_("A department's assessment"), responses={200: AssessmentSerializer, 404: NOT_FOUND}
    ),
)
class AssessmentViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = AssessmentSerializer
    pagination_class = Pagination
    filter_backends = []
    lookup_value_regex = r"\d+"
    permission_classes = [permissions.IsAuthenticated, MayReadAssessments]
    schema = ApiSchema()

    def get_queryset(self):
        rows = EfficiencyAssessment.objects.select_related("department").order_by(
            "-period_start", "rank", "id"
        )
        if self.action != "list" or getattr(self, "swagger_fake_view", False):
            return rows
        query = AssessmentQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        if "quarter" in query.validated_data:
            rows = rows.filter(quarter=query.validated_data["quarter"])
        if "department" in query.validated_data:
            rows = rows.filter(department_id=query.validated_data["department"])
        return rows
