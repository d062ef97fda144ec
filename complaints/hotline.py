"""The conduct hotline (行风热线, seed §三.6): staff log a call in a short form while they are on
the phone. The call becomes a complaint on channel CONDUCT_HOTLINE through ``complaint_submit``
and goes through the same triage as any other. The caller may stay anonymous; a caller who
leaves a phone number can be called back."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from complaints.forms import DESCRIPTION_MAX
from complaints.models import Category, Channel, ComplainantType
from complaints.services import ComplaintData, IdentityData, SubmittedComplaint, complaint_submit
from core.forms import PlainErrorsMixin
from core.validators import normalize_phone, validate_phone
from liaison.models import Association, Department

HOTLINE_DESCRIPTION_MIN = 10


def hotline_number() -> str:
    """The conduct hotline's number as the public pages show it (setting CONDUCT_HOTLINE_NUMBER)."""
    return getattr(settings, "CONDUCT_HOTLINE_NUMBER", "")


class HotlineCallForm(PlainErrorsMixin, forms.Form):
    anonymous = forms.BooleanField(
        label=_("The caller stays anonymous"),
        required=False,
        initial=True,
        help_text=_("Untick to record the caller's name and phone so that the centre can call back."),
    )
    caller_name = forms.CharField(label=_("Caller's name"), max_length=60, required=False)
    phone = forms.CharField(
        label=_("Caller's phone"),
        max_length=40,
        required=False,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    complainant_type = forms.ChoiceField(
        label=_("The caller speaks as"),
        choices=ComplainantType.choices,
        initial=ComplainantType.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    department = forms.ModelChoiceField(
        label=_("Unit complained about"),
        required=False,
        queryset=Department.objects.filter(is_active=True).order_by("name"),
    )
    department_text = forms.CharField(
        label=_("Or the unit as the caller named it"), max_length=200, required=False
    )
    association = forms.ModelChoiceField(
        label=_("Trade association or intermediary"),
        required=False,
        queryset=Association.objects.filter(is_active=True).order_by("name"),
        help_text=_("For the category about associations: the call goes to its supervising department."),
    )
    category = forms.ChoiceField(label=_("Category"), choices=[("", _("— choose —")), *Category.choices])
    description = forms.CharField(
        label=_("What the caller said"),
        min_length=HOTLINE_DESCRIPTION_MIN,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
    )

    def clean_phone(self):
        value = self.cleaned_data.get("phone", "").strip()
        if value:
            validate_phone(value)
            value = normalize_phone(value)
        return value

    def clean(self):
        data = super().clean()
        if data.get("anonymous"):
            # Anonymous means nothing about the caller is kept, whatever was typed.
            data["caller_name"] = data["phone"] = ""
            self.errors.pop("phone", None)
        elif not data.get("phone") and "phone" not in self.errors:
            self.add_error("phone", _("Give the caller's phone number, or tick anonymous."))
        association = data.get("association")
        if association is not None and data.get("category") != Category.ASSOCIATIONS:
            self.add_error(
                "association",
                _("An association or intermediary is named only for the category “%(category)s”.")
                % {"category": Category.ASSOCIATIONS.label},
            )
        if (
            not data.get("department")
            and not (data.get("department_text") or "").strip()
            and association is None
        ):
            self.add_error("department", _("Choose the unit, or write it as the caller named it."))
        return data

    def submit(self, *, actor) -> SubmittedComplaint:
        d = self.cleaned_data
        identity = None
        if not d["anonymous"]:
            identity = IdentityData(contact_name=d["caller_name"].strip(), phone=d["phone"])
        return complaint_submit(
            data=ComplaintData(
                complainant_type=d["complainant_type"],
                category=d["category"],
                description=d["description"],
                department=d.get("department"),
                department_text=d.get("department_text", "") or "",
                association=d.get("association"),
            ),
            identity=identity,
            channel=Channel.CONDUCT_HOTLINE,
            source=_("Conduct hotline"),
            actor=actor,
            received_at=timezone.now(),
        )
