"""django-filter FilterSets of the approvals API: the filters the staff lists offer. They narrow
what each viewer may see; they never widen it."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from approvals.models import ApprovalItem, ApprovalRecord, ApprovalSignal
from casework.filters import FilterSet, IntegerFilter


class ItemFilter(FilterSet):
    code = filters.CharFilter(label=_("item code"))

    class Meta:
        model = ApprovalItem
        fields = ["department", "kind", "in_hall", "is_active", "code"]


class RecordFilter(FilterSet):
    item_code = filters.CharFilter(field_name="item__code", label=_("item code"))
    external_id = filters.CharFilter(label=_("application number"))
    accepted_at = filters.DateFromToRangeFilter(label=_("accepted between"))
    decided_on = filters.DateFromToRangeFilter(label=_("decided between"))
    due_on = filters.DateFromToRangeFilter(label=_("promised by, between"))

    class Meta:
        model = ApprovalRecord
        fields = [
            "department",
            "item_code",
            "external_id",
            "decision",
            "accepted_where",
            "accepted_at",
            "decided_on",
            "due_on",
        ]


class SignalFilter(FilterSet):
    raised_at = filters.DateFromToRangeFilter(label=_("raised between"))
    record = IntegerFilter(field_name="record_id", label=_("record"))

    class Meta:
        model = ApprovalSignal
        fields = ["department", "record", "kind", "colour", "status", "raised_at"]
