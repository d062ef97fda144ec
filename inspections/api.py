"""The inspections API (/api/v1/inspections/): departments with their own systems push filings
through the same service as the filing form, with the same answers (400 with the field and the
rule's message, e.g. "清单之外无检查"); they list and read their own. Commission staff who read
inspections see every department's."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from casework.api import NOT_FOUND, ApiSchema, Pagination
from casework.selectors import departments_of
from casework.serializers import ErrorSerializer
from inspections.models import Inspection, InspectionFlag, InspectionItem
from inspections.serializers import EnterpriseSerializer, InspectionFilingSerializer, InspectionSerializer
from inspections.services.filing import (
    inspection_file,
    inspection_filing_check,
    item_not_in_list_message,
    normalised_officers,
)
from liaison.models import Enterprise

VIEW_ALL = "inspections.view_inspection"


class MayFile(permissions.BasePermission):
    """Reading: a department user or staff who read inspections. Filing: an inspector."""

    message = _("Only a department's inspectors may file inspections.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if request.method == "POST":
            return user.has_perm("liaison.access_department_portal") and user.has_perm(
                "inspections.file_inspection"
            )
        return user.has_perm("liaison.access_department_portal") or (
            user.is_staff and user.has_perm(VIEW_ALL)
        )


def inspection_list_for_api(*, viewer):
    """The department's own inspections; every inspection for staff who read them."""
    inspections = Inspection.objects.all()
    flags = InspectionFlag.objects.order_by("kind")
    if not (viewer.is_staff and viewer.has_perm(VIEW_ALL)):
        inspections = inspections.filter(department_id__in=departments_of(viewer))
        # A low rating's flag would tell the department which enterprise rated it low.
        flags = flags.exclude(kind__in=InspectionFlag.HIDDEN_FROM_DEPARTMENTS)
    return inspections.select_related("department", "unit", "enterprise").prefetch_related(
        Prefetch("items", queryset=InspectionItem.objects.order_by("code")),
        Prefetch("flags", queryset=flags),
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("Inspections"),
        description=_("Inspections your department filed, latest planned date first, with their flags."),
    ),
    retrieve=extend_schema(summary=_("An inspection"), responses={200: InspectionSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary=_("File an inspection"),
        description=_(
            "Filing before entry (检查备案): the rules are evaluated as on the filing form. 201 with the "
            "inspection and its flags (status 'pending' when the commission must approve it); 400 with the "
            "field and the reason when it may not be filed (an item outside the list, fewer than two "
            "officers, a date in the past, another department's unit…)."
        ),
        request=InspectionFilingSerializer,
        responses={
            201: InspectionSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT, description=_("Not filed: each field and what is wrong.")
            ),
            403: OpenApiResponse(ErrorSerializer, description=_("Not an inspector of a department.")),
        },
    ),
)
class InspectionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = InspectionSerializer
    pagination_class = Pagination
    filter_backends = [OrderingFilter]
    ordering_fields = ["planned_on", "id"]
    ordering = ["-planned_on", "-id"]
    lookup_value_regex = r"\d+"
    permission_classes = [permissions.IsAuthenticated, MayFile]
    schema = ApiSchema()

    def get_queryset(self):
        return inspection_list_for_api(viewer=self.request.user)

    def create(self, request, *args, **kwargs):
        data = InspectionFilingSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        department = values["department"]
        codes = list(dict.fromkeys(values.pop("items")))
        found = {
            item.code: item for item in InspectionItem.objects.filter(department=department, code__in=codes)
        }
        unknown = [code for code in codes if code not in found]
        if unknown:
            # The same answer as the service gives an item of another list (nothing outside the
            # list), together with whatever else the service finds wrong with the filing.
            errors = {"items": [item_not_in_list_message(code, department) for code in unknown]}
            try:
                inspection_filing_check(
                    department=department,
                    unit=values["unit"],
                    enterprise=values["enterprise"],
                    items=list(found.values()),
                    kind=values["kind"],
                    planned_on=values["planned_on"],
                    officers=normalised_officers([dict(row) for row in values["officers"]]),
                    actor=request.user,
                )
            except ValidationError as error:
                for field, messages in error.message_dict.items():
                    if field == "items" and not found:
                        continue  # "choose at least one": the unknown codes already say it
                    errors.setdefault(field, []).extend(messages)
            raise ValidationError(errors)
        inspection = inspection_file(
            items=[found[code] for code in codes],
            officers=[dict(row) for row in values.pop("officers")],
            actor=request.user,
            **values,
        )
        return Response(
            InspectionSerializer(self.get_queryset().get(pk=inspection.pk)).data,
            status=status.HTTP_201_CREATED,
        )


# --- The enterprise registry (/api/v1/enterprises/): read only ------------------------------------

VIEW_REGISTRY = "liaison.view_enterprise"


class MayReadRegistry(permissions.BasePermission):
    """A department user, or staff who read the registry; nobody writes through the API."""

    message = _("Only departments and commission staff may read the enterprise registry.")

    def has_permission(self, request, view) -> bool:
        # The viewset has no write route: a write by a reader is a 405, by anyone else a 403.
        user = request.user
        return user.has_perm("liaison.access_department_portal") or (
            user.is_staff and user.has_perm(VIEW_REGISTRY)
        )


class EnterpriseQuery(serializers.Serializer):
    credit_code = serializers.CharField(
        required=False,
        max_length=18,
        help_text=_("The unified social credit code, exactly (18 characters)."),
    )
    name = serializers.CharField(
        required=False, max_length=200, help_text=_("The beginning of the enterprise's name.")
    )


@extend_schema_view(
    list=extend_schema(
        summary=_("Enterprises"),
        description=_(
            "The enterprise registry (企业库), by name. Look one up by its unified social credit code "
            "(credit_code, exact) or by the beginning of its name (name); a department must give one "
            "of them (400 otherwise), commission staff who read the registry may list it all."
        ),
        parameters=[EnterpriseQuery],
    ),
    retrieve=extend_schema(summary=_("An enterprise"), responses={200: EnterpriseSerializer, 404: NOT_FOUND}),
)
class EnterpriseViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = EnterpriseSerializer
    pagination_class = Pagination
    lookup_value_regex = r"\d+"
    permission_classes = [permissions.IsAuthenticated, MayReadRegistry]
    schema = ApiSchema()

    def get_queryset(self):
        enterprises = Enterprise.objects.order_by("name", "id")
        if self.action != "list" or getattr(self, "swagger_fake_view", False):
            return enterprises
        query = EnterpriseQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        code = query.validated_data.get("credit_code", "").strip().upper()
        name = query.validated_data.get("name", "").strip()
        user = self.request.user
        if not (code or name) and not (user.is_staff and user.has_perm(VIEW_REGISTRY)):
            # A department looks an enterprise up; it does not page through the registry (nor
            # learn from it, beside its pages, which enterprises there are to rate its visits).
            raise serializers.ValidationError(
                {"credit_code": [_("Give the credit code, or the beginning of the name (name).")]}
            )
        if code:
            enterprises = enterprises.filter(credit_code=code)  # the unique index: one lookup
        if name:
            # A prefix: the name's b-tree index serves it (the database's collation is C).
            enterprises = enterprises.filter(name__startswith=name)
        return enterprises
