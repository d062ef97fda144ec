"""What the approvals API reads and writes: the catalogue, the records with their steps and fees,
the signals, and a batch of records as the service halls' systems push it.

Nothing here names a complaint: a department reading its records must not learn which of them
an applicant complained about (ApprovalRecord.complaints is never serialised)."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from approvals.models import (
    ApprovalFee,
    ApprovalFeeCharge,
    ApprovalItem,
    ApprovalRecord,
    ApprovalSignal,
    ApprovalStep,
    ApprovalStepEvent,
    Where,
)


class ApprovalStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApprovalStep
        fields = ["position", "name", "limit_days"]


class ApprovalFeeSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApprovalFee
        fields = ["code", "name", "legal_basis", "amount"]


class ApprovalItemSerializer(serializers.ModelSerializer):
    department_name = serializers.CharField(source="department.name", read_only=True)
    steps = ApprovalStepSerializer(many=True, read_only=True)
    fees = ApprovalFeeSerializer(many=True, read_only=True)

    class Meta:
        model = ApprovalItem
        fields = [
            "id",
            "code",
            "name",
            "kind",
            "department",
            "department_name",
            "statutory_days",
            "promised_days",
            "in_hall",
            "window_authorised",
            "is_active",
            "steps",
            "fees",
        ]


class ApprovalStepEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = ApprovalStepEvent
        fields = ["position", "name", "started_at", "finished_at", "officer", "working_days_taken"]


class ApprovalFeeChargeSerializer(serializers.ModelSerializer):
    in_schedule = serializers.SerializerMethodField(help_text=_("The code is in the item's fee schedule."))

    class Meta:
        model = ApprovalFeeCharge
        fields = ["code", "name", "amount", "in_schedule"]

    def get_in_schedule(self, obj) -> bool:
        return obj.fee_id is not None


class ApprovalRecordSerializer(serializers.ModelSerializer):
    item_code = serializers.CharField(source="item.code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    steps = ApprovalStepEventSerializer(source="step_events", many=True, read_only=True)
    fees = ApprovalFeeChargeSerializer(source="fee_charges", many=True, read_only=True)

    class Meta:
        model = ApprovalRecord
        fields = [
            "id",
            "external_id",
            "item_code",
            "item_name",
            "department",
            "applicant_credit_code",
            "applicant_name",
            "accepted_at",
            "accepted_where",
            "due_on",
            "decision",
            "decided_at",
            "decided_on",
            "decided_where",
            "refusal_reason",
            "working_days_taken",
            "received_at",
            "updated_at",
            "steps",
            "fees",
        ]


class ApprovalSignalSerializer(serializers.ModelSerializer):
    external_id = serializers.CharField(source="record.external_id", read_only=True)
    correct_by = serializers.DateField(
        source="deadline.due_date", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ApprovalSignal
        fields = [
            "id",
            "record",
            "external_id",
            "department",
            "kind",
            "colour",
            "key",
            "explanation",
            "raised_at",
            "status",
            "correct_by",
            "correction",
            "answered_at",
            "return_reason",
            "decided_at",
        ]


# --- A batch, as pushed (documentation of the shape; records_ingest checks it) -------------------


class ApprovalBatchStepSerializer(serializers.Serializer):
    position = serializers.IntegerField(min_value=1, max_value=999)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True)
    started_at = serializers.DateTimeField(help_text=_("ISO 8601; without an offset, Asia/Shanghai."))
    finished_at = serializers.DateTimeField(required=False, allow_null=True)
    officer = serializers.CharField(max_length=60, required=False, allow_blank=True)


class ApprovalBatchFeeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=120, required=False, allow_blank=True)
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)


class ApprovalBatchRecordSerializer(serializers.Serializer):
    external_id = serializers.CharField(
        max_length=64, help_text=_("The hall's application number: a resend with the same one updates it.")
    )
    item_code = serializers.CharField(max_length=40, help_text=_("The item's code in the catalogue."))
    applicant_credit_code = serializers.CharField(max_length=18, required=False, allow_blank=True)
    applicant_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    accepted_at = serializers.DateTimeField(help_text=_("ISO 8601; without an offset, Asia/Shanghai."))
    accepted_where = serializers.ChoiceField(choices=Where.choices)
    decision = serializers.ChoiceField(
        choices=ApprovalRecord.Decision.choices, required=False, default=ApprovalRecord.Decision.PENDING
    )
    decided_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("Required when approved or refused; empty when pending.")
    )
    decided_where = serializers.ChoiceField(choices=Where.choices, required=False, allow_blank=True)
    refusal_reason = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    steps = ApprovalBatchStepSerializer(many=True, required=False)
    fees = ApprovalBatchFeeSerializer(many=True, required=False)


class ApprovalBatchSerializer(serializers.Serializer):
    records = ApprovalBatchRecordSerializer(
        many=True, help_text=_("At most APPROVAL_BATCH_MAX records (1,000 by default).")
    )


class ApprovalBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    signals = serializers.IntegerField(help_text=_("Signals raised on the records of this batch."))


class ApprovalBatchErrorSerializer(serializers.Serializer):
    row = serializers.IntegerField(
        allow_null=True, help_text=_("The record's position in the batch, from 0; null for the whole batch.")
    )
    field = serializers.CharField(help_text=_("e.g. accepted_at, or steps[1].finished_at."))
    message = serializers.CharField()


class ApprovalBatchErrorsSerializer(serializers.Serializer):
    errors = ApprovalBatchErrorSerializer(many=True, required=False)
    detail = serializers.CharField(required=False, help_text=_("A body that is not JSON."))
