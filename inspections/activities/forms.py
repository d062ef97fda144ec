"""The department's filing form. The rules are the service's: the form parses what was typed."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import PlainErrorsMixin
from inspections.models import ActivityKind
from liaison.models import Department


class ActivityFilingForm(PlainErrorsMixin, forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    kind = forms.ChoiceField(label=_("Kind of activity"), choices=ActivityKind.choices)
    title = forms.CharField(label=_("Title"), max_length=200)
    organiser = forms.CharField(
        label=_("Organiser"), max_length=200, help_text=_("The unit that runs it, e.g. your training centre.")
    )
    audience = forms.CharField(
        label=_("Audience"), max_length=300, help_text=_("Which enterprises or people.")
    )
    starts_on = forms.DateField(label=_("Starts on"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("Ends on"), widget=forms.DateInput(attrs={"type": "date"}))
    fee = forms.DecimalField(
        label=_("Fee per participant (yuan)"),
        required=False,
        min_value=0,
        max_digits=10,
        decimal_places=2,
        help_text=_("Leave empty if participants pay nothing."),
    )
    fee_basis = forms.CharField(
        label=_("Legal basis of the fee"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when a fee is charged: the document that allows it."),
    )
    voluntary = forms.BooleanField(label=_("Participation is voluntary"), required=False, initial=True)
    description = forms.CharField(
        label=pgettext_lazy("activity", "Description"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, department_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(pk__in=department_ids).order_by("name")
        self.fields["department"].queryset = departments
        if len(department_ids) == 1:
            self.fields["department"].initial = department_ids[0]
