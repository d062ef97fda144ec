"""Forms of the scan-to-enter page and the enterprise's own page."""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.forms import PlainErrorsMixin
from inspections.models import Inspection, InspectionItem


class EntryForm(PlainErrorsMixin, forms.Form):
    """Register the entry against one of the filed inspections listed."""

    inspection = forms.ModelChoiceField(
        label=_("Filed inspection"),
        queryset=Inspection.objects.none(),
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the filed inspection you are carrying out.")},
    )

    def __init__(self, *args, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if candidates is not None:
            self.fields["inspection"].queryset = candidates


class EmergencyEntryForm(PlainErrorsMixin, forms.Form):
    """An entry without a filing, with its reason; flagged for the commission's review."""

    department = forms.ModelChoiceField(label=_("Inspecting department"), queryset=None)
    kind = forms.ChoiceField(
        label=pgettext_lazy("inspection", "Type"),
        choices=Inspection.Kind.choices,
        initial=Inspection.Kind.SPECIAL,
    )
    reason = forms.CharField(
        label=_("Reason for entering without a filing"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_("An emergency entry is flagged and reviewed by the commission."),
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Inspection items"),
        queryset=InspectionItem.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, departments=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["items"].queryset = (
            InspectionItem.objects.filter(department__in=departments, is_active=True)
            .select_related("department")
            .order_by("department__name", "code")
        )
        only = list(departments[:2])
        if len(only) == 1:
            self.fields["department"].initial = only[0].pk
            self.fields["department"].widget = forms.HiddenInput()

    def clean(self):
        data = super().clean()
        department = data.get("department")
        if department is not None and any(
            item.department_id != department.pk for item in data.get("items", [])
        ):
            self.add_error("items", _("Choose items from the department's own list."))
        return data


class OutcomeForm(PlainErrorsMixin, forms.Form):
    outcome = forms.ChoiceField(
        label=pgettext_lazy("inspection", "Outcome"),
        choices=Inspection.Outcome.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("What was found or decided"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=4000,
        required=False,
        help_text=_("Required when problems were found or a decision was taken."),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("outcome")
            and data["outcome"] != Inspection.Outcome.NO_PROBLEM
            and not data.get("note", "").strip()
        ):
            self.add_error("note", _("Say what problems were found or what was decided."))
        return data


class InspectionRatingForm(PlainErrorsMixin, forms.Form):
    score = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(n, str(n)) for n in range(5, 0, -1)],
        widget=forms.RadioSelect,
        help_text=_("5 is very good, 1 is very bad."),
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=pgettext_lazy("rating", "Comment"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
        help_text=_("Anonymous: the inspecting department never learns which enterprise rated it."),
    )
