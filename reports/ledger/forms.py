"""The forms behind the work ledger's and the dispatch meetings' admin pages; every form's
data goes to a service in ``reports.ledger.services``."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from core.forms import PlainErrorsMixin
from liaison.models import Office
from reports.models import LedgerProgress, LedgerTask

T = LedgerTask.Status
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


class LedgerTaskForm(PlainErrorsMixin, forms.ModelForm):
    class Meta:
        model = LedgerTask
        fields = ["title", "goal", "source", "measure_number", "office", "responsible", "due_date"]
        widgets = {"due_date": DATE_INPUT, "goal": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "source" in self.fields:
            # Action items of a dispatch meeting are added on the meeting's page.
            self.fields["source"].choices = [
                (value, label)
                for value, label in LedgerTask.Source.choices
                if value != LedgerTask.Source.DISPATCH
            ]
        if "office" in self.fields:
            self.fields["office"].required = True
        if "responsible" in self.fields:
            self.fields["responsible"].queryset = _staff_users()

    def clean_due_date(self):
        due_date = self.cleaned_data["due_date"]
        unchanged = self.instance.pk is not None and due_date == self.instance.due_date
        if not unchanged and due_date < timezone.localdate():
            raise ValidationError(
                _("The due date %(date)s has passed. Choose today or a later date.")
                % {"date": due_date.isoformat()}
            )
        return due_date

    def clean(self):
        cleaned = super().clean()
        if "source" in self.fields:
            source, number = cleaned.get("source"), cleaned.get("measure_number")
            if source == LedgerTask.Source.MEASURE and not number:
                self.add_error(
                    "measure_number", _("Say which of the eight measures (1 to 8) the task serves.")
                )
            if source != LedgerTask.Source.MEASURE and number:
                self.add_error(
                    "measure_number", _("Only a task for one of the eight measures has a measure number.")
                )
        return cleaned


class LedgerStatusForm(PlainErrorsMixin, forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("New status"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=gettext_lazy("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=gettext_lazy("Added to the progress notes. Required to cancel a task: say why."),
    )

    def __init__(self, *args, task: LedgerTask, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = LedgerTask.TRANSITIONS.get(task.status, set())
        self.fields["status"].choices = [(value, label) for value, label in T.choices if value in allowed]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("status") == T.CANCELLED and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say why the task is cancelled."))
        return cleaned


class LedgerProgressForm(PlainErrorsMixin, forms.ModelForm):
    percent = forms.IntegerField(label=gettext_lazy("percent done"), min_value=0, max_value=100)

    class Meta:
        model = LedgerProgress
        fields = ["noted_on", "percent", "note"]
        widgets = {"noted_on": DATE_INPUT, "note": forms.Textarea(attrs={"rows": 2, "cols": 60})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "noted_on" in self.fields:
            self.fields["noted_on"].initial = timezone.localdate

    def clean_noted_on(self):
        noted_on = self.cleaned_data["noted_on"]
        if noted_on and noted_on > timezone.localdate():
            raise ValidationError(
                _("Progress cannot be noted as of a future date (%(date)s).") % {"date": noted_on.isoformat()}
            )
        return noted_on


class DispatchMeetingForm(PlainErrorsMixin, forms.Form):
    quarter = forms.CharField(
        label=gettext_lazy("Quarter"), max_length=20, help_text=gettext_lazy("A quarter such as 2026Q4.")
    )
    scheduled_on = forms.DateField(label=gettext_lazy("Date"), widget=DATE_INPUT)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)


class RescheduleForm(PlainErrorsMixin, forms.Form):
    scheduled_on = forms.DateField(label=gettext_lazy("Date"), widget=DATE_INPUT)
    place = forms.CharField(label=gettext_lazy("Place"), max_length=200, required=False)


class MinutesForm(PlainErrorsMixin, forms.Form):
    minutes = forms.CharField(
        label=pgettext_lazy("meeting minutes", "Minutes"),
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy(
            "What each office reported, the problems found and the corrective measures agreed. "
            "Add the action items separately: each becomes a ledger task."
        ),
    )


class ActionItemForm(PlainErrorsMixin, forms.Form):
    office = forms.ModelChoiceField(label=gettext_lazy("Office"), queryset=Office.objects.order_by("name"))
    owner = forms.ModelChoiceField(label=gettext_lazy("Owner"), queryset=None, required=False)
    description = forms.CharField(
        label=gettext_lazy("What is to be done"), widget=forms.Textarea(attrs={"rows": 4})
    )
    due_date = forms.DateField(label=gettext_lazy("Due date"), widget=DATE_INPUT)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = _staff_users()


class SendPackForm(PlainErrorsMixin, forms.Form):
    """The confirmation before the pack is e-mailed to the leading group: nothing to fill in."""
