"""The department's annual inspection plan form."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import PlainErrorsMixin


class PlanFileForm(PlainErrorsMixin, forms.Form):
    summary = forms.CharField(
        label=_("The plan"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=_(
            "What you will inspect in the year: the items of your list, the industries and districts, "
            "the months, and which inspections you will make jointly with other departments."
        ),
    )
    planned_count = forms.IntegerField(
        label=_("Inspections planned"),
        min_value=0,
        max_value=1_000_000,
        help_text=_("How many on-site inspections of enterprises you plan for the year."),
        # A text box (styled like the others) that brings up the digits keyboard on a phone.
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
