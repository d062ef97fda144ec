"""The trainings and awards API (/api/v1/activities/…): departments file through the same service
as the filing page (400 with the field and the rule's message, e.g. a cancelled item) and read
their own filings; commission staff who read filings see every department's, the cancelled items
and the flags. Complaints and who made them are never here."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from casework.api import NOT_FOUND, ApiSchema, Pagination
from casework.serializers import ErrorSerializer
from inspections.activities.selectors import activity_list_for_department
from inspections.activities.services import FILE_PERMISSION, activity_file
from inspections.models import ActivityFiling, ActivityFlag, ActivityKind, CancelledActivity
from liaison.models import Department

PORTAL = "liaison.access_department_portal"
VIEW_FILINGS = "inspections.view_activityfiling"
VIEW_FLAGS = "inspections.view_activityflag"


def _staff_reading(user, permission: str) -> bool:
    return user.is_staff and user.has_perm(permission)


class DepartmentField(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ActivityFilingSerializer(serializers.ModelSerializer):
    department = DepartmentField(read_only=True)

    class Meta:
        model = ActivityFiling
        fields = [
            "id",
            "department",
            "kind",
            "title",
            "organiser",
            "audience",
            "starts_on",
            "ends_on",
            "fee",
            "fee_basis",
            "voluntary",
            "description",
            "status",
            "decision_note",
            "decided_at",
            "created_at",
        ]
        read_only_fields = fields


class ActivityFilingCreateSerializer(serializers.Serializer):
    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    kind = serializers.ChoiceField(choices=ActivityKind.choices)
    title = serializers.CharField(max_length=200)
    organiser = serializers.CharField(max_length=200)
    audience = serializers.CharField(max_length=300)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    fee = serializers.DecimalField(
        max_digits=10, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    fee_basis = serializers.CharField(required=False, allow_blank=True, default="")
    voluntary = serializers.BooleanField(default=True)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000)


class CancelledActivitySerializer(serializers.ModelSerializer):
    department = DepartmentField(read_only=True, allow_null=True)

    class Meta:
        model = CancelledActivity
        fields = ["id", "kind", "name", "department", "cancelled_on", "document"]
        read_only_fields = fields


class ActivityFlagSerializer(serializers.ModelSerializer):
    department = DepartmentField(read_only=True)
    case = serializers.SlugRelatedField(slug_field="reference", read_only=True, allow_null=True)

    class Meta:
        model = ActivityFlag
        fields = [
            "id",
            "kind",
            "department",
            "title",
            "held_on",
            "filing",
            "cancelled_item",
            "explanation",
            "status",
            "created_at",
            "case",
        ]
        read_only_fields = fields


class MayFileActivities(permissions.BasePermission):
    """Reading: a department user or staff who read filings. Filing: a department user who files."""

    message = _("Only departments may file trainings and award activities.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if request.method == "POST":
            return user.has_perm(PORTAL) and user.has_perm(FILE_PERMISSION)
        return user.has_perm(PORTAL) or _staff_reading(user, VIEW_FILINGS)


@extend_schema_view(
    list=extend_schema(
        summary=_("Training and award filings"),
        description=_(
            "Your department's filings (every department's for commission staff), latest start first."
        ),
    ),
    retrieve=extend_schema(summary=_("A filing"), responses={200: ActivityFilingSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary=_("File a training or an award activity"),
        description=_(
            "As on the filing page: 201 with the filing (status 'filed', awaiting the commission's "
            "decision); 400 with the field and the reason (a cancelled item, a fee without its legal "
            "basis, a fee for a compulsory activity, another department)."
        ),
        request=ActivityFilingCreateSerializer,
        responses={
            201: ActivityFilingSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, description=_("Not filed: each field and what is wrong.")
            ),
            403: OpenApiResponse(ErrorSerializer, description=_("Not a department user who files.")),
        },
    ),
)
class ActivityFilingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = ActivityFilingSerializer
    pagination_class = Pagination
    filter_backends = [OrderingFilter]
    ordering_fields = ["starts_on", "id"]
    ordering = ["-starts_on", "-id"]
    lookup_value_regex = r"\d+"
    permission_classes = [permissions.IsAuthenticated, MayFileActivities]
    schema = ApiSchema()

    def get_queryset(self):
        user = self.request.user
        if _staff_reading(user, VIEW_FILINGS):
            return ActivityFiling.objects.select_related("department")
        return activity_list_for_department(viewer=user)

    def create(self, request, *args, **kwargs):
        data = ActivityFilingCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        filing = activity_file(**data.validated_data, actor=request.user)
        return Response(
            ActivityFilingSerializer(self.get_queryset().get(pk=filing.pk)).data,
            status=status.HTTP_201_CREATED,
        )


class MayReadCancelled(permissions.BasePermission):
    message = _("Only departments and commission staff may read the cancelled items here.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return user.has_perm(PORTAL) or _staff_reading(user, VIEW_FILINGS)


@extend_schema_view(
    list=extend_schema(
        summary=_("Cancelled items"),
        description=_("Items abolished in the clean-up: filing one of them again is refused."),
    ),
    retrieve=extend_schema(
        summary=_("A cancelled item"), responses={200: CancelledActivitySerializer, 404: NOT_FOUND}
    ),
)
class CancelledActivityViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = CancelledActivitySerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    permission_classes = [permissions.IsAuthenticated, MayReadCancelled]
    schema = ApiSchema()
    queryset = CancelledActivity.objects.select_related("department").order_by("-cancelled_on", "name", "id")


class MayReadFlags(permissions.BasePermission):
    message = _("Only commission staff who read the flags may list them.")

    def has_permission(self, request, view) -> bool:
        return _staff_reading(request.user, VIEW_FLAGS)


@extend_schema_view(
    list=extend_schema(
        summary=_("Training and award flags"),
        description=_(
            "Activities held without filing, fees charged although approved without fee, cancelled "
            "items held again: for commission staff only, latest first."
        ),
    ),
    retrieve=extend_schema(summary=_("A flag"), responses={200: ActivityFlagSerializer, 404: NOT_FOUND}),
)
class ActivityFlagViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = ActivityFlagSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    permission_classes = [permissions.IsAuthenticated, MayReadFlags]
    schema = ApiSchema()
    queryset = ActivityFlag.objects.select_related("department", "case").order_by("-created_at", "-id")
