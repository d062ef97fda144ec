"""The approvals API (/api/v1/approvals/): the service halls' systems push batches of records
(``records/batch/``, permission approvals.push_records); departments read their own records and
signals; commission staff who read them see every department's; the catalogue is readable by all
of these. Never a complaint: a department must not learn which of its records an applicant
complained about."""

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import permissions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from approvals.filters import ItemFilter, RecordFilter, SignalFilter
from approvals.models import (
    ApprovalFee,
    ApprovalFeeCharge,
    ApprovalItem,
    ApprovalRecord,
    ApprovalSignal,
    ApprovalStep,
    ApprovalStepEvent,
)
from approvals.serializers import (
    ApprovalBatchErrorsSerializer,
    ApprovalBatchResultSerializer,
    ApprovalBatchSerializer,
    ApprovalItemSerializer,
    ApprovalRecordSerializer,
    ApprovalSignalSerializer,
)
from approvals.services.ingest import IngestRejected, RowProblem, records_ingest
from casework.api import NOT_FOUND, ReadViewSet
from casework.selectors import departments_of
from casework.serializers import ErrorSerializer

PUSH = "approvals.push_records"
PORTAL = "liaison.access_department_portal"


def _staff_with(user, permission: str) -> bool:
    return user.is_staff and user.has_perm(permission)


class MayReadCatalogue(permissions.BasePermission):
    message = _("Only departments, the service halls' systems and commission staff may read the catalogue.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return (
            user.has_perm(PORTAL) or user.has_perm(PUSH) or _staff_with(user, "approvals.view_approvalitem")
        )


class MayReadRecords(permissions.BasePermission):
    """Reading: a department user (its own records) or staff who read records. The batch: a
    system holding approvals.push_records."""

    message = _("Only departments and commission staff may read approval records.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        if getattr(view, "action", None) == "batch":
            if user.has_perm(PUSH):
                return True
            self.message = _("Only a service hall's system may push approval records.")
            return False
        return user.has_perm(PORTAL) or _staff_with(user, "approvals.view_approvalrecord")


class MayReadSignals(permissions.BasePermission):
    message = _("Only departments and commission staff may read approval signals.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return user.has_perm(PORTAL) or _staff_with(user, "approvals.view_approvalsignal")


def record_list_for_api(*, viewer):
    """Every record for staff who read them; a department's own otherwise."""
    records = ApprovalRecord.objects.select_related("item").prefetch_related(
        Prefetch("step_events", queryset=ApprovalStepEvent.objects.order_by("position")),
        Prefetch("fee_charges", queryset=ApprovalFeeCharge.objects.order_by("code", "id")),
    )
    if not _staff_with(viewer, "approvals.view_approvalrecord"):
        records = records.filter(department_id__in=departments_of(viewer))
    return records


def signal_list_for_api(*, viewer):
    signals = ApprovalSignal.objects.select_related("record", "deadline")
    if not _staff_with(viewer, "approvals.view_approvalsignal"):
        signals = signals.filter(department_id__in=departments_of(viewer))
    return signals


@extend_schema_view(
    list=extend_schema(
        summary=_("Approval items"),
        description=_(
            "The approval item catalogue (事项目录): each item's department, promised and statutory limits "
            "in working days, its steps with their limits and its fee schedule."
        ),
    ),
    retrieve=extend_schema(
        summary=_("An approval item"), responses={200: ApprovalItemSerializer, 404: NOT_FOUND}
    ),
)
class ItemViewSet(ReadViewSet):
    serializer_class = ApprovalItemSerializer
    filterset_class = ItemFilter
    ordering_fields = ["code", "id"]
    ordering = ["code", "id"]
    permission_classes = [permissions.IsAuthenticated, MayReadCatalogue]

    def get_queryset(self):
        return ApprovalItem.objects.select_related("department").prefetch_related(
            Prefetch("steps", queryset=ApprovalStep.objects.order_by("position")),
            Prefetch("fees", queryset=ApprovalFee.objects.order_by("code")),
        )


@extend_schema_view(
    list=extend_schema(
        summary=_("Approval records"),
        description=_(
            "Approval records your department handled (all of them for commission staff), latest first."
        ),
    ),
    retrieve=extend_schema(
        summary=_("An approval record"), responses={200: ApprovalRecordSerializer, 404: NOT_FOUND}
    ),
)
class RecordViewSet(ReadViewSet):
    serializer_class = ApprovalRecordSerializer
    filterset_class = RecordFilter
    ordering_fields = ["accepted_at", "due_on", "decided_on", "id"]
    ordering = ["-accepted_at", "-id"]
    permission_classes = [permissions.IsAuthenticated, MayReadRecords]

    def get_queryset(self):
        return record_list_for_api(viewer=self.request.user)

    @extend_schema(
        summary=_("Push a batch of approval records"),
        description=_(
            "For the service halls' systems (permission approvals.push_records). The body is "
            '{"records": [...]} (a bare list is accepted too). All or nothing: when any record is wrong '
            "nothing is written and the answer lists every error with the record's position in the batch "
            "and the field. Idempotent by external_id: a resend of the same content changes nothing "
            "(counted unchanged); a later state (a decision, more steps) updates the record. The signals "
            "of the records that changed are evaluated before the answer."
        ),
        request=ApprovalBatchSerializer,
        responses={
            200: ApprovalBatchResultSerializer,
            400: OpenApiResponse(
                ApprovalBatchErrorsSerializer, description=_("Nothing written: every error by row.")
            ),
            403: OpenApiResponse(ErrorSerializer, description=_("Not a service hall's system.")),
        },
        filters=False,
    )
    @action(detail=False, methods=["post"], url_path="batch", pagination_class=None, filter_backends=[])
    def batch(self, request):
        data = request.data
        rows = data.get("records") if isinstance(data, dict) else data
        if not isinstance(rows, list):
            problem = RowProblem(None, "records", str(_('Send the records as a list under "records".')))
            return Response({"errors": [problem.as_dict()]}, status=status.HTTP_400_BAD_REQUEST)
        try:
            result = records_ingest(rows, actor=request.user)
        except IngestRejected as refused:
            return Response(
                {"errors": [problem.as_dict() for problem in refused.problems]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(result.as_dict(), status=status.HTTP_200_OK)


@extend_schema_view(
    list=extend_schema(
        summary=_("Approval signals"),
        description=_(
            "Yellow and red signals (预警) on your department's approval records (all of them for commission "
            "staff), latest first, with what the department answered."
        ),
    ),
    retrieve=extend_schema(
        summary=_("An approval signal"), responses={200: ApprovalSignalSerializer, 404: NOT_FOUND}
    ),
)
class SignalViewSet(ReadViewSet):
    serializer_class = ApprovalSignalSerializer
    filterset_class = SignalFilter
    ordering_fields = ["raised_at", "id"]
    ordering = ["-raised_at", "-id"]
    permission_classes = [permissions.IsAuthenticated, MayReadSignals]

    def get_queryset(self):
        return signal_list_for_api(viewer=self.request.user)
