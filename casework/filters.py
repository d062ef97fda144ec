"""django-filter FilterSets of the API: the filters the staff workplace offers on the same lists.

They narrow what the selectors already allow; they never widen it (each viewset's queryset comes
from casework.selectors)."""

from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters

from casework.models import Case, CaseEvent, Referral
from casework.selectors import with_unsatisfied
from complaints.models import Complaint
from liaison.models import Department


class CaseFilter(filters.FilterSet):
    # An annotation of casework.selectors.case_list: an open referral is past its due date.
    overdue = filters.BooleanFilter(label=_("overdue"))
    # A complainant of the case was unsatisfied: a semi-join (case_list also annotates it for display).
    unsatisfied = filters.BooleanFilter(label=_("a complainant is unsatisfied"), method="filter_unsatisfied")
    opened_at = filters.DateFromToRangeFilter(label=_("opened between"))
    closed_at = filters.DateFromToRangeFilter(label=_("concluded between"))

    class Meta:
        model = Case
        fields = [
            "status",
            "priority",
            "category",
            "department",
            "office",
            "handler",
            "channel",
            "disposition",
            "escalation_level",
            "is_typical",
            "overdue",
            "unsatisfied",
            "opened_at",
            "closed_at",
        ]

    def filter_unsatisfied(self, queryset, name, value):
        return with_unsatisfied(queryset, value)


class ReferralFilter(filters.FilterSet):
    due_date = filters.DateFromToRangeFilter(label=_("due between"))
    sent_at = filters.DateFromToRangeFilter(label=_("sent between"))

    class Meta:
        model = Referral
        fields = ["status", "kind", "department", "due_date", "sent_at"]


class ComplaintFilter(filters.FilterSet):
    received_at = filters.DateFromToRangeFilter(label=_("received between"))

    class Meta:
        model = Complaint
        fields = ["status", "channel", "category", "is_anonymous", "department", "received_at"]


class CaseEventFilter(filters.FilterSet):
    # A plain number, not a choice among all cases: an unknown id and a case the viewer may not
    # see both give an empty list, so the filter tells nobody which cases exist.
    case = filters.NumberFilter(field_name="case_id", label=_("case"))
    at = filters.DateFromToRangeFilter(label=_("between"))

    class Meta:
        model = CaseEvent
        fields = ["case", "action", "at"]


class DepartmentFilter(filters.FilterSet):
    class Meta:
        model = Department
        fields = ["system", "is_key"]
