"""The openness API (/api/v1/openness/), read only, for commission staff who read findings:
campaigns with their checklist, findings (filters: campaign, unit, criterion, result, status),
the results of a campaign per unit and criterion, and the demonstration sites."""

from django.db.models import Count
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import permissions
from rest_framework.decorators import action
from rest_framework.response import Response

from appraisal.models import Criterion, DemonstrationSite, OpennessCampaign, OpennessFinding
from appraisal.openness.filters import CampaignFilter, DemonstrationSiteFilter, FindingFilter
from appraisal.openness.selectors import Rate, openness_results
from appraisal.openness.serializers import (
    CampaignResultsSerializer,
    DemonstrationSiteSerializer,
    OpennessCampaignSerializer,
    OpennessFindingSerializer,
)
from casework.api import NOT_FOUND, ReadViewSet

VIEW_PERMISSION = "appraisal.view_opennessfinding"


class MayReadOpenness(permissions.BasePermission):
    message = _("Only commission staff who read openness findings may use this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user.is_staff and user.has_perm(VIEW_PERMISSION))


def _rate(rate: Rate, criterion: str | None = None) -> dict:
    return {
        "criterion": criterion,
        "checked": rate.checked,
        "passed": rate.passed,
        "failed": rate.failed,
        "serious": rate.serious,
        "rate": rate.rate,
    }


@extend_schema_view(
    list=extend_schema(
        summary=_("Openness check campaigns"),
        description=_("Campaigns (普查/抽查/互查/暗访) with their units and checklist, latest first."),
    ),
    retrieve=extend_schema(
        summary=_("An openness check campaign"), responses={200: OpennessCampaignSerializer, 404: NOT_FOUND}
    ),
    results=extend_schema(
        summary=_("Results of a campaign"),
        description=_("Pass rates per unit and criterion (percent of items passed), and for all units."),
        responses={200: CampaignResultsSerializer, 404: NOT_FOUND},
        filters=False,
    ),
)
class CampaignViewSet(ReadViewSet):
    serializer_class = OpennessCampaignSerializer
    filterset_class = CampaignFilter
    ordering_fields = ["starts_on", "id"]
    ordering = ["-starts_on", "-id"]
    permission_classes = [permissions.IsAuthenticated, MayReadOpenness]

    def get_queryset(self):
        return OpennessCampaign.objects.prefetch_related("units", "items")

    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def results(self, request, pk=None):
        campaign = self.get_object()
        results = openness_results(campaign=campaign)
        data = {
            "campaign": campaign.pk,
            "total": _rate(results.total),
            "criteria": [_rate(results.criteria[value], value) for value in Criterion.values],
            "units": [
                {
                    "department": unit.department_id,
                    "name": unit.name,
                    "demonstration_site": unit.demonstration,
                    "total": _rate(unit.total),
                    "criteria": [
                        _rate(unit.criteria.get(value, Rate()), value) for value in Criterion.values
                    ],
                }
                for unit in results.units
            ],
        }
        return Response(CampaignResultsSerializer(data).data)


@extend_schema_view(
    list=extend_schema(
        summary=_("Openness findings"),
        description=_("What the inspectors found per unit and checklist item, latest first."),
    ),
    retrieve=extend_schema(
        summary=_("An openness finding"), responses={200: OpennessFindingSerializer, 404: NOT_FOUND}
    ),
)
class FindingViewSet(ReadViewSet):
    serializer_class = OpennessFindingSerializer
    filterset_class = FindingFilter
    ordering_fields = ["recorded_at", "id"]
    ordering = ["-recorded_at", "-id"]
    permission_classes = [permissions.IsAuthenticated, MayReadOpenness]

    def get_queryset(self):
        return OpennessFinding.objects.select_related("department", "item", "deadline").annotate(
            evidence_count=Count("evidence")
        )


@extend_schema_view(
    list=extend_schema(
        summary=_("Demonstration sites"), description=_("Units named demonstration sites (示范点).")
    ),
    retrieve=extend_schema(
        summary=_("A demonstration site"), responses={200: DemonstrationSiteSerializer, 404: NOT_FOUND}
    ),
)
class DemonstrationSiteViewSet(ReadViewSet):
    serializer_class = DemonstrationSiteSerializer
    filterset_class = DemonstrationSiteFilter
    ordering_fields = ["designated_on", "id"]
    ordering = ["-designated_on", "-id"]
    permission_classes = [permissions.IsAuthenticated, MayReadOpenness]

    def get_queryset(self):
        return DemonstrationSite.objects.select_related("department")
