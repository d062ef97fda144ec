"""What the inspections API reads and writes. A filing is parsed here (ids, a credit code, item
codes) and checked by the same service as the department's form, so both answer alike."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from inspections.models import InspectingUnit, Inspection, InspectionFlag, InspectionItem
from liaison.models import Department, Enterprise


class FlagSerializer(serializers.ModelSerializer):
    class Meta:
        model = InspectionFlag
        fields = ["kind", "blocking", "status", "explanation", "decision_note", "created_at", "decided_at"]


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = InspectionItem
        fields = ["code", "name"]


class EnterpriseBriefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enterprise
        fields = ["credit_code", "name"]


class OfficerSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=60, allow_blank=True)
    certificate = serializers.CharField(max_length=40, allow_blank=True)


class InspectionSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True, allow_null=True, default=None)
    enterprise = EnterpriseBriefSerializer(read_only=True)
    items = ItemSerializer(many=True, read_only=True)
    officers = OfficerSerializer(many=True, read_only=True)
    flags = FlagSerializer(many=True, read_only=True)

    class Meta:
        model = Inspection
        fields = [
            "id",
            "department",
            "department_name",
            "unit",
            "unit_name",
            "enterprise",
            "items",
            "kind",
            "legal_basis",
            "planned_on",
            "officers",
            "status",
            "filed_at",
            "joint_with",
            "flags",
        ]
        read_only_fields = fields


class InspectionFilingSerializer(serializers.Serializer):
    """A filing: ``items`` are codes of the department's inspection list."""

    department = serializers.PrimaryKeyRelatedField(queryset=Department.objects.all())
    unit = serializers.PrimaryKeyRelatedField(queryset=InspectingUnit.objects.all())
    enterprise = serializers.SlugRelatedField(
        slug_field="credit_code",
        queryset=Enterprise.objects.all(),
        help_text=_("The enterprise's unified social credit code."),
    )
    items = serializers.ListField(child=serializers.CharField(max_length=40), max_length=50)
    kind = serializers.ChoiceField(choices=Inspection.Kind.choices)
    legal_basis = serializers.CharField(max_length=5000, allow_blank=True, required=False, default="")
    planned_on = serializers.DateField()
    officers = OfficerSerializer(many=True)


class EnterpriseSerializer(serializers.ModelSerializer):
    """The registry as departments' systems read it: never a rating, nor who rated."""

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "credit_code",
            "name",
            "address",
            "district",
            "industry",
            "risk_class",
            "no_disturbance",
            "is_active",
        ]
        read_only_fields = fields
