"""The forms of the case's conversation buttons (casework/admin/conversation.py): an internal
note, and a message to the complainant through the tracking code."""

from django import forms
from django.utils.translation import gettext_lazy as _

from casework.services import case_message_complaints
from complaints.models import Complaint
from core.forms import PlainErrorsMixin

TEXT_MAX = 5000


class InternalNoteForm(PlainErrorsMixin, forms.Form):
    text = forms.CharField(
        label=_("Internal note"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Staff only: it goes on the case's timeline and is never shown to the department or the "
            "complainant."
        ),
    )


class ComplaintChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.reference


class ComplainantMessageForm(PlainErrorsMixin, forms.Form):
    """``initial["case"]`` (set by the action) limits the complaints to the case's own."""

    complaint = ComplaintChoiceField(
        label=_("To the complainant of"),
        queryset=Complaint.objects.none(),
        empty_label=None,
        required=False,
    )
    text = forms.CharField(
        label=_("Message to the complainant"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "A question or an update. The complainant reads it on the tracking page with their code, "
            "anonymous or not, and can answer there; a complainant who left an e-mail address is told "
            "that there is a new message (the e-mail says nothing more). The department never sees "
            "messages. Whoever holds the code can read it: do not write the complainant's name or "
            "contact details."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        case = self.initial.get("case")
        if case is not None:
            complaints = case_message_complaints(case)
            self.fields["complaint"].queryset = complaints
            if len(complaints) <= 1:
                self.fields["complaint"].widget = forms.HiddenInput()
            elif "complaint" not in self.initial:
                self.initial["complaint"] = complaints[0].pk
