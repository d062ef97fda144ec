"""Serializers of the openness API (read only, commission staff). Who recorded a finding or
answered it is not carried: the API has the facts, the workplace the people."""

from rest_framework import serializers

from appraisal.models import ChecklistItem, DemonstrationSite, OpennessCampaign, OpennessFinding


class ChecklistItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ChecklistItem
        fields = ["id", "criterion", "text", "order"]


class OpennessCampaignSerializer(serializers.ModelSerializer):
    items = ChecklistItemSerializer(many=True, read_only=True)
    units = serializers.PrimaryKeyRelatedField(many=True, read_only=True)

    class Meta:
        model = OpennessCampaign
        fields = ["id", "title", "method", "starts_on", "ends_on", "description", "units", "items"]


class OpennessFindingSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    item_text = serializers.CharField(source="item.text", read_only=True)
    rectify_by = serializers.DateField(
        source="deadline.due_date", read_only=True, allow_null=True, default=None
    )
    evidence_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = OpennessFinding
        fields = [
            "id",
            "campaign",
            "department",
            "department_name",
            "item",
            "item_text",
            "criterion",
            "result",
            "note",
            "recorded_at",
            "status",
            "rectify_by",
            "rectification",
            "answered_at",
            "return_reason",
            "decided_at",
            "case",
            "evidence_count",
        ]
        read_only_fields = fields


class DemonstrationSiteSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = DemonstrationSite
        fields = ["id", "campaign", "department", "department_name", "citation", "designated_on"]


class RateSerializer(serializers.Serializer):
    criterion = serializers.CharField(allow_null=True)
    checked = serializers.IntegerField()
    passed = serializers.IntegerField()
    failed = serializers.IntegerField()
    serious = serializers.IntegerField()
    rate = serializers.FloatField(
        allow_null=True, help_text="Percent of items passed; null when none checked."
    )


class UnitResultsSerializer(serializers.Serializer):
    department = serializers.IntegerField()
    name = serializers.CharField()
    demonstration_site = serializers.BooleanField()
    total = RateSerializer()
    criteria = RateSerializer(many=True)


class CampaignResultsSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    total = RateSerializer()
    criteria = RateSerializer(many=True)
    units = UnitResultsSerializer(many=True)
