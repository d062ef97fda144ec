from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PlainErrorsMixin
from core.periods import period_parse


class PeriodForm(PlainErrorsMixin, forms.Form):
    period = forms.CharField(
        label=_("Period"),
        max_length=20,
        help_text=_("A month such as 2026-10 or a quarter such as 2026Q3. Only a period that has ended."),
        widget=forms.TextInput(attrs={"placeholder": "2026-10", "autocomplete": "off"}),
    )

    def clean_period(self) -> str:
        return period_parse(self.cleaned_data["period"]).label


class ReplyForm(PlainErrorsMixin, forms.Form):
    measures = forms.CharField(
        label=_("Improvement measures"),
        max_length=20000,
        help_text=_(
            "What your department has done or will do about the problems these complaints describe, "
            "with dates and who is responsible."
        ),
        widget=forms.Textarea(attrs={"rows": 10}),
    )
