"""Small forms behind the workflow buttons of the staff workplace and the department portal."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.models import Case, Recommendation, Referral, Review
from casework.selectors import handler_candidates
from complaints.forms import MultipleFileField, attachments_help
from complaints.models import Category
from complaints.uploads import prepare_uploads
from core.forms import PlainErrorsMixin
from liaison.models import Department, Office


def handler_label(user) -> str:
    """A handler as colleagues know them: full name, office(s) and role(s), e.g.
    "李明 · 监察投诉中心 · 案件承办人". Reads ``offices`` and ``groups`` as prefetched
    (handler_candidates)."""
    name = user.get_full_name() or user.get_username()
    offices = "、".join(office.name for office in user.offices.all())
    # Group names are the role table's English names; their translations are in the catalogue.
    roles = "、".join(gettext(group.name) for group in user.groups.all())
    return " · ".join(part for part in (name, offices, roles) if part)


class HandlerChoiceField(forms.ModelChoiceField):
    """Active staff who may handle cases (casework.handle_case), by name, office and role: not
    the leaders, not the departments' logins."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Handler"))
        kwargs.setdefault("required", False)
        super().__init__(queryset=handler_candidates(), **kwargs)

    def label_from_instance(self, obj) -> str:
        return handler_label(obj)


REASON = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class AcceptForm(PlainErrorsMixin, forms.Form):
    title = forms.CharField(
        label=_("Case title"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the start of the complaint."),
    )
    priority = forms.ChoiceField(
        label=_("Priority"), choices=Case.Priority.choices, initial=Case.Priority.NORMAL
    )
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.all(), required=False)
    handler = HandlerChoiceField()


class NotAcceptForm(PlainErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason, as the complainant will read it"), widget=forms.Textarea(attrs={"rows": 3})
    )


class MergeForm(PlainErrorsMixin, forms.Form):
    case = forms.ModelChoiceField(
        label=_("Case to merge into"),
        queryset=Case.objects.exclude(status="concluded"),
        help_text=_("Possibly related complaints are listed below the complaint."),
    )


class AssignForm(PlainErrorsMixin, forms.Form):
    office = forms.ModelChoiceField(label=_("Office"), queryset=Office.objects.all(), required=False)
    handler = HandlerChoiceField()
    priority = forms.ChoiceField(
        label=_("Priority"), choices=[("", "—"), *Case.Priority.choices], required=False
    )


class NoteForm(PlainErrorsMixin, forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReferForm(PlainErrorsMixin, forms.Form):
    department = forms.ModelChoiceField(
        label=_("Department"), queryset=Department.objects.filter(is_active=True)
    )
    kind = forms.ChoiceField(label=_("Kind"), choices=Referral.Kind.choices)
    working_days = forms.IntegerField(
        label=_("Working days"),
        min_value=1,
        max_value=120,
        required=False,
        help_text=_("Leave empty for the configured period of this kind and priority."),
    )
    instructions = forms.CharField(
        label=_("Instructions"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    released_text = forms.CharField(
        label=_("Complaint as released to the department"),
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "Prepared from the complaints with the complainant's identity removed. Check it: this is "
            "exactly what the department reads."
        ),
    )


class ReasonForm(PlainErrorsMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))


class ReviewForm(PlainErrorsMixin, forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=Review.Decision.choices, widget=forms.RadioSelect
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Required when returning the report."),
    )
    working_days = forms.IntegerField(
        label=_("New deadline, working days"), min_value=1, max_value=120, required=False
    )


class FindingForm(PlainErrorsMixin, forms.Form):
    finding = forms.ChoiceField(label=_("Finding"), choices=Case.Finding.choices)
    note = forms.CharField(label=_("Details"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    follow_up_on = forms.DateField(
        label=_("Follow-up check on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Required when the finding cannot be verified."),
    )


class RecommendationForm(PlainErrorsMixin, forms.Form):
    department = forms.ModelChoiceField(label=_("Unit"), queryset=Department.objects.filter(is_active=True))
    content = forms.CharField(label=_("Recommendation"), widget=forms.Textarea(attrs={"rows": 4}))
    basis = forms.CharField(label=_("Basis"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    working_days = forms.IntegerField(
        label=_("Rectify within, working days"), min_value=1, max_value=250, initial=20
    )


class RecommendationDecisionForm(PlainErrorsMixin, forms.Form):
    recommendation = forms.ModelChoiceField(label=_("Recommendation"), queryset=Recommendation.objects.none())
    accept = forms.TypedChoiceField(
        label=_("Decision"),
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        choices=[("1", _("Rectified: close it")), ("0", _("Not enough: return it"))],
    )
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class CloseForm(PlainErrorsMixin, forms.Form):
    finding = forms.ChoiceField(
        label=_("Finding"), choices=[("", _("— as recorded —")), *Case.Finding.choices], required=False
    )
    result_summary = forms.CharField(
        label=_("Result for the complainant"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("The complainant reads this on the tracking page."),
    )


class TypicalForm(PlainErrorsMixin, forms.Form):
    summary = forms.CharField(label=_("Summary for circulation"), widget=forms.Textarea(attrs={"rows": 4}))


class VisitCaseForm(PlainErrorsMixin, forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices)
    description = forms.CharField(label=_("What the visit found"), widget=forms.Textarea(attrs={"rows": 4}))


class IdentityRequestForm(PlainErrorsMixin, forms.Form):
    reason = forms.CharField(
        label=_("Why you need to know who complained"), widget=forms.Textarea(attrs={"rows": 3})
    )


# --- Department portal ---------------------------------------------------------------


class ReportForm(PlainErrorsMixin, forms.Form):
    """The department's handling report, checked against the referral's state before its files
    are processed (cleaning files is the expensive part)."""

    facts = forms.CharField(
        label=_("Facts found"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )
    finding = forms.ChoiceField(label=_("Finding"), choices=[("", _("— choose —")), *Case.Finding.choices])
    measures = forms.CharField(
        label=_("Measures taken"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10000
    )
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, referral: Referral, **kwargs):
        super().__init__(*args, **kwargs)
        self.referral = referral
        self.fields["attachments"].help_text = attachments_help()

    def clean(self):
        data = super().clean()
        status = self.referral.status
        if status == Referral.Status.SENT:
            raise ValidationError(
                _("Acknowledge the referral (签收) before you submit a handling report."),
                code="not_acknowledged",
            )
        if status not in Referral.AWAITING_REPORT:
            raise ValidationError(
                _("This referral does not await a report now (status: %(status)s).")
                % {"status": self.referral.get_status_display()},
                code="not_awaiting_report",
            )
        if not self.errors:
            files = data.get("attachments") or []
            try:
                data["uploads"] = prepare_uploads(files) if files else []
            except ValidationError as error:
                self.add_error("attachments", error)
        return data

    @property
    def files_were_dropped(self) -> bool:
        """A re-rendered form cannot keep chosen files; the template says so."""
        return self.is_bound and bool(self.files.getlist("attachments")) and bool(self.errors)


class RecommendationReplyForm(PlainErrorsMixin, forms.Form):
    reply = forms.CharField(
        label=_("Rectification report"), widget=forms.Textarea(attrs={"rows": 5}), max_length=10000
    )

    def __init__(self, *args, recommendation: Recommendation, **kwargs):
        super().__init__(*args, **kwargs)
        self.recommendation = recommendation

    def clean(self):
        data = super().clean()
        if self.recommendation.status not in Recommendation.AWAITING_REPLY:
            raise ValidationError(
                _("This recommendation does not await a reply now (status: %(status)s).")
                % {"status": self.recommendation.get_status_display()},
                code="not_awaiting_reply",
            )
        return data
