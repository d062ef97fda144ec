"""Staff forms of the openness checks (the admin's action pages)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from appraisal.models import ChecklistItem, OpennessCampaign, OpennessFinding
from complaints.forms import MultipleFileField
from complaints.uploads import prepare_uploads
from core.forms import PlainErrorsMixin
from liaison.models import Department


class FindingRecordForm(PlainErrorsMixin, forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=OpennessCampaign.objects.all())
    department = forms.ModelChoiceField(label=_("Unit"), queryset=Department.objects.filter(is_active=True))
    item = forms.ModelChoiceField(
        label=_("Checklist item"), queryset=ChecklistItem.objects.select_related("campaign")
    )
    result = forms.ChoiceField(
        label=_("Result"), choices=OpennessFinding.Result.choices, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("What was found"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_("The unit reads this: name no complainant, phone number or e-mail."),
    )
    evidence = MultipleFileField(
        label=_("Evidence files"),
        required=False,
        help_text=_("Photos, screenshots, PDF or Office documents; kept by the commission only."),
    )

    def __init__(self, *args, campaign: OpennessCampaign | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if campaign is not None:
            self.fields["department"].queryset = campaign.units.all()
            self.fields["item"].queryset = campaign.items.select_related("campaign")
        self.fields["item"].label_from_instance = lambda item: (
            f"{item.campaign.title} · {item.get_criterion_display()} · {item.text}"
        )

    def clean_evidence(self):
        files = self.cleaned_data.get("evidence") or []
        try:
            return prepare_uploads(files) if files else []
        except ValidationError as error:
            raise ValidationError(error.messages) from error


class ReturnForm(PlainErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why the rectification is insufficient"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=5000,
        help_text=_("E-mailed to the unit, which gets a new rectification deadline."),
    )


class ConfirmForm(PlainErrorsMixin, forms.Form):
    pass


class DemonstrationSiteForm(PlainErrorsMixin, forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=OpennessCampaign.objects.all())
    department = forms.ModelChoiceField(label=_("Unit"), queryset=Department.objects.filter(is_active=True))
    citation = forms.CharField(
        label=_("Why it leads (public)"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=1000,
        help_text=_("Shown on the public list of demonstration sites."),
    )
