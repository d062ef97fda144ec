"""The department's filing form (检查备案): enterprise by credit code, items from its own list,
officers as repeated name/certificate rows. The rules themselves are the service's: the form only
parses what was typed, so the page and the API answer alike."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PlainErrorsMixin
from inspections.models import InspectingUnit, Inspection, InspectionItem
from liaison.models import Department, Enterprise

OFFICER_ROWS = 4
MAX_OFFICER_ROWS = 12


class EnterpriseSearchForm(PlainErrorsMixin, forms.Form):
    q = forms.CharField(label=_("Find the enterprise by credit code or name"), max_length=200, required=False)


class InspectionFilingForm(PlainErrorsMixin, forms.Form):
    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.none())
    unit = forms.ModelChoiceField(label=_("Inspecting unit"), queryset=InspectingUnit.objects.none())
    enterprise = forms.CharField(
        label=_("Enterprise's unified social credit code"),
        max_length=18,
        help_text=_("18 characters; find it by name with the search above."),
    )
    items = forms.ModelMultipleChoiceField(
        label=_("Inspection items"),
        # Any item parses: whether it is in the department's list is the service's rule, so a
        # tampered choice gets the same answer ("清单之外无检查") as the API.
        queryset=InspectionItem.objects.select_related("department"),
        widget=forms.CheckboxSelectMultiple,
    )
    kind = forms.ChoiceField(label=_("Type of inspection"), choices=Inspection.Kind.choices)
    planned_on = forms.DateField(label=_("Planned date"), widget=forms.DateInput(attrs={"type": "date"}))
    legal_basis = forms.CharField(
        label=_("Legal basis"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Leave empty to cite the legal basis of the items chosen."),
    )
    # Not typed: the service's errors about the officers land here, above their rows.
    officers = forms.CharField(required=False, widget=forms.HiddenInput, label=_("Officers"))
    officer_rows = forms.IntegerField(required=False, widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, department_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(pk__in=department_ids).order_by("name")
        self.fields["department"].queryset = departments
        if len(department_ids) == 1:
            self.fields["department"].initial = department_ids[0]
        self.fields["unit"].queryset = InspectingUnit.objects.filter(
            department_id__in=department_ids, is_active=True
        ).select_related("department")
        offered = list(
            InspectionItem.objects.filter(department_id__in=department_ids, is_active=True)
            .select_related("department")
            .order_by("department__name", "code")
        )
        several = len(department_ids) > 1
        self.item_choices = offered
        self.fields["items"].widget.choices = [
            (item.pk, f"{item.code} {item.name}" + (f" · {item.department.name}" if several else ""))
            for item in offered
        ]
        try:
            rows = int((self.data or {}).get("officer_rows") or OFFICER_ROWS)
        except (TypeError, ValueError):
            rows = OFFICER_ROWS
        self.officer_row_count = max(OFFICER_ROWS, min(rows, MAX_OFFICER_ROWS))
        self.fields["officer_rows"].initial = self.officer_row_count
        for index in range(self.officer_row_count):
            self.fields[f"officer_name_{index}"] = forms.CharField(
                label=_("Officer's name"), max_length=60, required=False
            )
            self.fields[f"officer_certificate_{index}"] = forms.CharField(
                label=_("Enforcement certificate number"), max_length=40, required=False
            )

    def officer_rows_bound(self):
        return [
            (self[f"officer_name_{index}"], self[f"officer_certificate_{index}"])
            for index in range(self.officer_row_count)
        ]

    def clean_enterprise(self):
        code = "".join(self.cleaned_data["enterprise"].split()).upper()
        enterprise = Enterprise.objects.filter(credit_code=code).first()
        if enterprise is None:
            raise forms.ValidationError(
                _("No enterprise in the registry has this credit code: find it by name above."),
                code="unknown_enterprise",
            )
        return enterprise

    def officer_list(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "name": data.get(f"officer_name_{index}", ""),
                "certificate": data.get(f"officer_certificate_{index}", ""),
            }
            for index in range(self.officer_row_count)
        ]
