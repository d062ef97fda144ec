"""The REST API (/api/v1/): parse → selector or service → serialize.

Every queryset starts from casework.selectors, so the API, the staff workplace and the
department portal agree on who sees what, and a list and its detail can never disagree: what
is not in a viewer's list answers 404. Writes go through casework.services; InvalidTransition
(409) and Django's ValidationError (400) propagate to core.errors.api_exception_handler.
"""

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response

from casework import services
from casework.filters import CaseEventFilter, CaseFilter, ComplaintFilter, DepartmentFilter, ReferralFilter
from casework.models import CaseEvent, Referral
from casework.selectors import (
    case_complaints_prefetch,
    case_list,
    complaint_list,
    departments_of,
    identity_visible_ids,
    referral_list,
)
from casework.serializers import (
    CaseEventSerializer,
    CaseSerializer,
    ComplaintSerializer,
    DepartmentSerializer,
    ErrorSerializer,
    HandlingReportSerializer,
    ReferralReportSerializer,
    ReferralSerializer,
)
from complaints.selectors import complaint_identity
from complaints.services import complaint_identity_view_record
from liaison.models import Department


class Pagination(PageNumberPagination):
    """Pages of 25 (``page_size`` up to 100). ``page`` and ``page_size`` are whole numbers from 1,
    as the schema says: anything else is a 400 that names the parameter, not a silent default; a
    page past the last is a 404."""

    page_size_query_param = "page_size"
    max_page_size = 100
    last_page_strings = ()

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param, "")
        if raw == "":
            return self.page_size
        return self._whole_number(raw, name=self.page_size_query_param, maximum=self.max_page_size)

    def get_page_number(self, request, paginator):
        raw = request.query_params.get(self.page_query_param, "")
        return 1 if raw == "" else self._whole_number(raw, name=self.page_query_param)

    @staticmethod
    def _whole_number(raw: str, *, name: str, maximum: int | None = None) -> int:
        number = int(raw) if raw.isascii() and raw.isdigit() else 0
        if number < 1 or (maximum is not None and number > maximum):
            message = (
                gettext("Enter a whole number from 1 to %(maximum)s.") % {"maximum": maximum}
                if maximum is not None
                else gettext("Enter a whole number from 1.")
            )
            raise exceptions.ValidationError({name: [message]})
        return number

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
        return parameters


NOT_FOUND = OpenApiResponse(ErrorSerializer, description=_("Not found, or not visible to you."))
INVALID = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description=_("A parameter or field is invalid: its name (or detail) and what is wrong with it."),
)


class ApiSchema(AutoSchema):
    """Every operation documents the errors it can answer with, in their JSON shape (see
    core.errors): clients and schema-driven tests can rely on the status codes."""

    COMMON_ERRORS = {
        401: OpenApiResponse(
            ErrorSerializer, description=_("Not signed in, or the token is invalid or expired.")
        ),
        403: OpenApiResponse(
            ErrorSerializer, description=_("Not allowed, or the second login step is not complete.")
        ),
        429: OpenApiResponse(ErrorSerializer, description=_("Too many requests; try again later.")),
    }

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        # An empty filter or page parameter means "not given" (as a form sends it), not an error.
        for parameter in (operation or {}).get("parameters", []):
            if parameter.get("in") == "query" and not parameter.get("required"):
                parameter["allowEmptyValue"] = True
        return operation

    def _get_response_bodies(self, direction="response"):
        bodies = super()._get_response_bodies(direction)
        errors = dict(self.COMMON_ERRORS)
        if self._is_list_view():
            errors[400] = INVALID
            errors[404] = OpenApiResponse(ErrorSerializer, description=_("No such page."))
        elif self.method == "GET":
            errors[404] = NOT_FOUND
        if self.method != "GET":
            errors[400] = INVALID
        for code, response in errors.items():
            if str(code) not in bodies:
                bodies[str(code)] = self._get_response_for_code(response, str(code), direction=direction)
        return bodies


class ReadViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = Pagination
    filter_backends = [DjangoFilterBackend, OrderingFilter]
    lookup_value_regex = r"\d+"
    schema = ApiSchema()


@extend_schema_view(
    list=extend_schema(summary=_("Cases"), description=_("Cases you may see, newest first.")),
    retrieve=extend_schema(summary=_("A case"), responses={200: CaseSerializer, 404: NOT_FOUND}),
)
class CaseViewSet(ReadViewSet):
    serializer_class = CaseSerializer
    filterset_class = CaseFilter
    ordering_fields = ["opened_at", "due_date", "escalation_level", "id"]
    ordering = ["-opened_at", "-id"]

    def get_queryset(self):
        return case_list(viewer=self.request.user).prefetch_related(case_complaints_prefetch())


@extend_schema_view(
    list=extend_schema(
        summary=_("Complaints"),
        description=_("Complaints you may see, newest first. Lists never carry who complained."),
    ),
    retrieve=extend_schema(
        summary=_("A complaint"),
        description=_("With who complained if you may see it; each such look is recorded."),
        responses={200: ComplaintSerializer, 404: NOT_FOUND},
    ),
)
class ComplaintViewSet(ReadViewSet):
    serializer_class = ComplaintSerializer
    filterset_class = ComplaintFilter
    ordering_fields = ["received_at", "id"]
    ordering = ["-received_at", "-id"]

    def get_queryset(self):
        return complaint_list(viewer=self.request.user).select_related("case_link", "identity")

    def retrieve(self, request, *args, **kwargs):
        complaint = self.get_object()
        visible = identity_visible_ids(request.user, [complaint.pk])
        shown = complaint.pk in visible and complaint_identity(complaint) is not None
        if shown:
            # Every look at who complained is on the record, as in the staff workplace.
            complaint_identity_view_record(complaint=complaint, viewer=request.user)
        context = {**self.get_serializer_context(), "identity_visible_ids": visible, "identity_shown": shown}
        return Response(self.get_serializer(complaint, context=context).data)


class CanActOnReferral(permissions.BasePermission):
    """The department a referral was sent to acts on it; so may the centre's case handlers."""

    message = _("Only the department the case was referred to can do this.")

    def has_object_permission(self, request, view, obj: Referral) -> bool:
        user = request.user
        if user.is_staff and user.has_perm("casework.handle_case"):
            return True
        return user.has_perm("liaison.access_department_portal") and obj.department_id in departments_of(user)


WRITE_ERRORS = {
    403: OpenApiResponse(ErrorSerializer, description=_("Not your department's referral.")),
    404: NOT_FOUND,
    409: OpenApiResponse(ErrorSerializer, description=_("Not allowed in the referral's current state.")),
}


@extend_schema_view(
    list=extend_schema(
        summary=_("Referrals"),
        description=_("Referrals you may see, newest first: a department sees its own and no other."),
    ),
    retrieve=extend_schema(summary=_("A referral"), responses={200: ReferralSerializer, 404: NOT_FOUND}),
)
class ReferralViewSet(ReadViewSet):
    serializer_class = ReferralSerializer
    filterset_class = ReferralFilter
    ordering_fields = ["sent_at", "due_date", "id"]
    ordering = ["-sent_at", "-id"]

    def get_queryset(self):
        return referral_list(viewer=self.request.user).prefetch_related(
            case_complaints_prefetch("case__complaint_links")
        )

    def _referral_for_action(self) -> Referral:
        # Not visible → 404 (from the selector), visible but not the viewer's to act on → 403.
        referral = self.get_object()
        self.check_object_permissions(self.request, referral)
        return referral

    @extend_schema(
        summary=_("Acknowledge a referral"),
        description=_("The department confirms receipt (签收)."),
        request=None,
        responses={200: ReferralSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, CanActOnReferral])
    def acknowledge(self, request, pk=None):
        referral = services.referral_acknowledge(referral=self._referral_for_action(), actor=request.user)
        return Response(self.get_serializer(self.get_queryset().get(pk=referral.pk)).data)

    @extend_schema(
        summary=_("Report on a referral"),
        description=_("The department's handling report (办理报告): facts found, finding, measures taken."),
        request=ReferralReportSerializer,
        responses={
            201: HandlingReportSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description=_("Something is missing or invalid.")),
            **WRITE_ERRORS,
        },
    )
    @action(detail=True, methods=["post"], permission_classes=[permissions.IsAuthenticated, CanActOnReferral])
    def report(self, request, pk=None):
        referral = self._referral_for_action()
        data = ReferralReportSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = services.referral_report(referral=referral, actor=request.user, **data.validated_data)
        return Response(HandlingReportSerializer(report).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary=_("Case timeline"),
        description=_("Timeline events of the cases you may see, newest first; filter by case."),
    ),
    retrieve=extend_schema(
        summary=_("A timeline event"), responses={200: CaseEventSerializer, 404: NOT_FOUND}
    ),
)
class CaseEventViewSet(ReadViewSet):
    serializer_class = CaseEventSerializer
    filterset_class = CaseEventFilter
    ordering_fields = ["at", "id"]
    ordering = ["-at", "-id"]

    def get_queryset(self):
        return (
            CaseEvent.objects.filter(case__in=case_list(viewer=self.request.user))
            .select_related("case", "actor")
            .prefetch_related(case_complaints_prefetch("case__complaint_links"))
        )


@extend_schema_view(
    list=extend_schema(
        summary=_("Departments"),
        description=_("Active departments; their contacts only for the commission's staff."),
    ),
    retrieve=extend_schema(summary=_("A department"), responses={200: DepartmentSerializer, 404: NOT_FOUND}),
)
class DepartmentViewSet(ReadViewSet):
    serializer_class = DepartmentSerializer
    filterset_class = DepartmentFilter
    filter_backends = [DjangoFilterBackend]
    queryset = Department.objects.filter(is_active=True).order_by("name", "id")


# --- Schema and docs: for signed-in users only (any role; the schema holds no data) -----------


class SchemaView(SpectacularAPIView):
    permission_classes = [permissions.IsAuthenticated]


class DocsView(SpectacularSwaggerView):
    permission_classes = [permissions.IsAuthenticated]

    def handle_exception(self, exc):
        # A person opening the docs in a browser is sent to sign in, not shown a bare 403.
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.PermissionDenied) and not (
            self.request.user and self.request.user.is_authenticated
        ):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


# --- Unknown paths ------------------------------------------------------------------------------


@csrf_exempt  # it changes nothing; a POST to a mistyped path gets the JSON 404, not a CSRF page
def not_found(request, path: str = ""):
    """Anything under /api/ that no endpoint answers: a JSON 404 like every other API error, not
    the site's HTML page. A known path that only lacks its final slash is redirected, as
    CommonMiddleware would have done had this catch-all not made every path under /api/ valid."""
    if request.method in ("GET", "HEAD") and not request.path_info.endswith("/"):
        try:
            match = resolve(f"{request.path_info}/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return JsonResponse({"detail": str(exceptions.NotFound.default_detail)}, status=status.HTTP_404_NOT_FOUND)
