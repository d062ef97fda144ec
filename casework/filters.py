"""django-filter FilterSets of the API: the filters the staff workplace offers on the same lists.

They narrow what the selectors already allow; they never widen it (each viewset's queryset comes
from casework.selectors)."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from casework.models import Case, CaseEvent, Referral
from casework.selectors import with_unsatisfied
from complaints.models import Complaint
from liaison.models import Department


class StrictBooleanField(forms.NullBooleanField):
    """true or false (1/0, True/False), or absent. Anything else is an error the caller is told
    of, not silently "no filter": a typo must not return every row as if it had matched."""

    TRUE, FALSE = {True, "true", "True", "1"}, {False, "false", "False", "0"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        if value in self.TRUE:
            return True
        if value in self.FALSE:
            return False
        raise ValidationError(_("Enter true or false."), code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField

    def __init__(self, *args, **kwargs):
        # The value as sent: django-filter's BooleanWidget would turn "perhaps" into None first.
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(*args, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(filters.NumberFilter):
    """A whole number, as the schema says: "1.5" is an error, not "1". Used for ids too, in place
    of a choice among the rows: an unknown id gives an empty list, like an id the viewer may not
    see, so the filter tells nobody which departments, offices or people exist; and a number too
    large for the column matches nothing rather than failing."""

    field_class = forms.IntegerField

    # What a 64-bit integer column (a BigAutoField id) can hold; past it, SQLite's driver refuses
    # the parameter instead of comparing it.
    LARGEST = 2**63 - 1

    def filter(self, qs, value):
        if value is not None and not -self.LARGEST - 1 <= value <= self.LARGEST:
            return qs.none()
        return super().filter(qs, value)


class FilterSet(filters.FilterSet):
    FILTER_DEFAULTS = {
        **filters.FilterSet.FILTER_DEFAULTS,
        models.BooleanField: {"filter_class": StrictBooleanFilter},
        models.PositiveSmallIntegerField: {"filter_class": IntegerFilter},
        models.IntegerField: {"filter_class": IntegerFilter},
        models.ForeignKey: {"filter_class": IntegerFilter},
    }


class CaseFilter(FilterSet):
    # An annotation of casework.selectors.case_list: an open referral is past its due date.
    overdue = StrictBooleanFilter(label=_("overdue"))
    # A complainant of the case was unsatisfied: a semi-join (case_list also annotates it for display).
    unsatisfied = StrictBooleanFilter(label=_("a complainant is unsatisfied"), method="filter_unsatisfied")
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


class ReferralFilter(FilterSet):
    due_date = filters.DateFromToRangeFilter(label=_("due between"))
    sent_at = filters.DateFromToRangeFilter(label=_("sent between"))

    class Meta:
        model = Referral
        fields = ["status", "kind", "department", "due_date", "sent_at"]


class ComplaintFilter(FilterSet):
    received_at = filters.DateFromToRangeFilter(label=_("received between"))

    class Meta:
        model = Complaint
        fields = ["status", "channel", "category", "is_anonymous", "department", "received_at"]


class CaseEventFilter(FilterSet):
    # A plain number, not a choice among all cases: an unknown id and a case the viewer may not
    # see both give an empty list, so the filter tells nobody which cases exist.
    case = IntegerFilter(field_name="case_id", label=_("case"))
    at = filters.DateFromToRangeFilter(label=_("between"))

    class Meta:
        model = CaseEvent
        fields = ["case", "action", "at"]


class DepartmentFilter(FilterSet):
    class Meta:
        model = Department
        fields = ["system", "is_key"]
