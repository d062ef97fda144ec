"""The appraisal API for commission staff (/api/v1/appraisal/campaigns/): campaigns with their
questionnaire and participation counts, and, once closed, the results per department as
aggregates (counts, means, 95 % intervals, distributions). Never an answer, a free text, an
invitation or who answered."""

from __future__ import annotations

import django_filters
from django.db.models import Count, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view
from rest_framework import permissions, serializers

from appraisal.campaigns.selectors import campaign_results
from appraisal.models import Campaign, Question
from casework.api import NOT_FOUND, ReadViewSet


class MayReadCampaigns(permissions.BasePermission):
    message = _("Only commission staff who read appraisal campaigns may use this.")

    def has_permission(self, request, view) -> bool:
        user = request.user
        return user.is_staff and user.has_perm("appraisal.view_campaign")


class QuestionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Question
        fields = ["id", "kind", "text_zh", "text_en", "order"]


class QuestionResultSerializer(serializers.Serializer):
    question = serializers.IntegerField(source="question.pk")
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    interval = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    distribution = serializers.DictField(child=serializers.IntegerField())


class DepartmentResultSerializer(serializers.Serializer):
    department = serializers.IntegerField(source="department_id")
    department_name = serializers.CharField()
    answers = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    questions = QuestionResultSerializer(many=True)


class CampaignSerializer(serializers.ModelSerializer):
    questions = QuestionSerializer(many=True, read_only=True)
    invited = serializers.IntegerField(source="invited_count", read_only=True)
    answered = serializers.IntegerField(source="answered_count", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "title_zh",
            "title_en",
            "starts_on",
            "closes_on",
            "status",
            "departments",
            "public_link_enabled",
            "questions",
            "invited",
            "answered",
        ]


class CampaignDetailSerializer(CampaignSerializer):
    results = serializers.SerializerMethodField()

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "results"]

    @extend_schema_field(DepartmentResultSerializer(many=True, allow_null=True))
    def get_results(self, campaign):
        """Null until the campaign is closed (nobody watches answers arrive)."""
        if campaign.status != Campaign.Status.CLOSED:
            return None
        return DepartmentResultSerializer(campaign_results(campaign=campaign), many=True).data


class CampaignFilter(django_filters.FilterSet):
    department = django_filters.NumberFilter(field_name="departments", distinct=True)

    class Meta:
        model = Campaign
        fields = ["status", "department"]


@extend_schema_view(
    list=extend_schema(
        summary=_("Appraisal campaigns"),
        description=_(
            "Democratic appraisal campaigns with their questionnaire and participation, latest first."
        ),
    ),
    retrieve=extend_schema(
        summary=_("An appraisal campaign"),
        description=_("With its results per department once it is closed: aggregates only."),
        responses={200: CampaignDetailSerializer, 404: NOT_FOUND},
    ),
)
class CampaignViewSet(ReadViewSet):
    filterset_class = CampaignFilter
    ordering_fields = ["starts_on", "closes_on", "id"]
    ordering = ["-starts_on", "-id"]
    permission_classes = [permissions.IsAuthenticated, MayReadCampaigns]

    def get_serializer_class(self):
        return CampaignDetailSerializer if self.action == "retrieve" else CampaignSerializer

    def get_queryset(self):
        return Campaign.objects.annotate(
            invited_count=Count("invitations", distinct=True),
            answered_count=Count("invitations", filter=Q(invitations__used=True), distinct=True),
        ).prefetch_related(
            "departments", Prefetch("questions", queryset=Question.objects.order_by("order", "id"))
        )
