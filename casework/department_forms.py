"""Forms of the department portal that are the portal's own: the extension request (延期申请).
The handling report and the rectification reply live in casework/forms.py."""

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.extensions import extension_date_check
from casework.models import Referral
from core.forms import PlainErrorsMixin


class ExtensionRequestForm(PlainErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why you need more time"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The complaint centre reads this when it decides. Say what is still to be done and why."),
    )
    proposed_date = forms.DateField(
        label=_("Proposed new due date"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("A working day after the current due date."),
    )

    def __init__(self, *args, referral: Referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral
        if referral.due_date:
            # A hint for the date picker; the server decides (extension_date_check).
            earliest = max(referral.due_date + dt.timedelta(days=1), timezone.localdate())
            self.fields["proposed_date"].widget.attrs["min"] = earliest.isoformat()

    def clean(self):
        cleaned = super().clean()
        date = cleaned.get("proposed_date")
        if date is not None:
            # The service checks again; here the error shows next to the field at once.
            try:
                extension_date_check(referral=self.referral, date=date, field="proposed_date")
            except forms.ValidationError as error:
                self.add_error(None, error)
        return cleaned
