"""Associations and intermediaries for staff systems (/api/v1/associations/): the directory entry
with its supervising and registration departments, how many complaints name it, and its filed fee
schedule (staff only, as in the admin). Read-only; no complaint, nor who complained, is shown."""

from django.db.models import Count, Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions, serializers, viewsets

from casework.api import INVALID, NOT_FOUND, ApiSchema, Pagination
from liaison.associations import association_list
from liaison.models import Association, Department, FeeSchedule


class MayReadAssociations(permissions.BasePermission):
    message = _("Only the commission's staff who read the directory may read associations.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return user.is_staff and user.has_perm("liaison.view_association")


class DepartmentRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Department
        fields = ["id", "name"]
        read_only_fields = fields


class FeeScheduleSerializer(serializers.ModelSerializer):
    has_document = serializers.SerializerMethodField()

    class Meta:
        model = FeeSchedule
        fields = ["id", "item", "amount_min", "amount_max", "legal_basis", "filed_on", "has_document"]
        read_only_fields = fields

    def get_has_document(self, obj) -> bool:
        return bool(obj.document)


class AssociationSerializer(serializers.ModelSerializer):
    supervising_department = DepartmentRefSerializer(read_only=True)
    registration_department = DepartmentRefSerializer(read_only=True, allow_null=True)
    # Not an EmailField: an association without an address answers "", which "format: email" refuses.
    email = serializers.CharField(read_only=True)
    fee_count = serializers.IntegerField(read_only=True)
    complaint_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Association
        fields = [
            "id",
            "kind",
            "name",
            "short_name",
            "credit_code",
            "supervising_department",
            "registration_department",
            "contact_name",
            "phone",
            "email",
            "address",
            "is_active",
            "fee_count",
            "complaint_count",
        ]
        read_only_fields = fields


class AssociationDetailSerializer(AssociationSerializer):
    fees = FeeScheduleSerializer(many=True, read_only=True)

    class Meta(AssociationSerializer.Meta):
        fields = [*AssociationSerializer.Meta.fields, "fees"]
        read_only_fields = fields


class AssociationQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Association.Kind.choices, required=False)
    supervising_department = serializers.IntegerField(min_value=1, required=False)
    q = serializers.CharField(max_length=100, required=False)


@extend_schema_view(
    list=extend_schema(
        summary=_("Associations and intermediaries"),
        description=_(
            "Trade associations and market intermediaries with their supervising department (where "
            "complaints about them go by default), their number of fee items and of complaints."
        ),
        parameters=[
            OpenApiParameter("kind", str, enum=Association.Kind.values, description=_("Kind of body.")),
            OpenApiParameter(
                "supervising_department", int, description=_("Id of the supervising department.")
            ),
            OpenApiParameter("q", str, description=_("Part of the name or short name, or the credit code.")),
        ],
        responses={200: AssociationSerializer(many=True), 400: INVALID},
    ),
    retrieve=extend_schema(
        summary=_("An association or intermediary, with its fee schedule"),
        responses={200: AssociationDetailSerializer, 404: NOT_FOUND},
    ),
)
class AssociationViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    permission_classes = [permissions.IsAuthenticated, MayReadAssociations]
    schema = ApiSchema()

    def get_serializer_class(self):
        return AssociationDetailSerializer if self.action == "retrieve" else AssociationSerializer

    def get_queryset(self):
        filters = {}
        if self.action == "list" and not getattr(self, "swagger_fake_view", False):
            query = AssociationQuery(data=self.request.query_params)
            query.is_valid(raise_exception=True)
            filters = dict(query.validated_data)
        queryset = association_list(filters=filters).annotate(
            complaint_count=Count("complaints", distinct=True)
        )
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("fees", queryset=FeeSchedule.objects.order_by("item", "id"))
            )
        return queryset
