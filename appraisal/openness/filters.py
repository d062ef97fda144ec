"""django-filter FilterSets of the openness API: the filters the staff lists offer."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from appraisal.models import DemonstrationSite, OpennessCampaign, OpennessFinding
from casework.filters import FilterSet, IntegerFilter


class CampaignFilter(FilterSet):
    starts_on = filters.DateFromToRangeFilter(label=_("starts between"))

    class Meta:
        model = OpennessCampaign
        fields = ["method", "starts_on"]


class FindingFilter(FilterSet):
    campaign = IntegerFilter(field_name="campaign_id", label=_("campaign"))
    recorded_at = filters.DateFromToRangeFilter(label=_("recorded between"))

    class Meta:
        model = OpennessFinding
        fields = ["campaign", "department", "criterion", "result", "status", "recorded_at"]


class DemonstrationSiteFilter(FilterSet):
    campaign = IntegerFilter(field_name="campaign_id", label=_("campaign"))

    class Meta:
        model = DemonstrationSite
        fields = ["campaign", "department"]
